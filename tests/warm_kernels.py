"""Notebook kernels for the test run, forked from one process that has already imported
the course's heavy libraries.

A lesson's kernel spends about 2.5 s of CPU before its first cell: the bare IPython kernel,
then numpy, matplotlib, ipywidgets and, above all, ``import torch``. The suite starts a
kernel per notebook, so that start-up is a large share of its CPU. Here one process per
test worker (the *zygote*) imports those libraries once; every kernel is then a
``fork()`` of it that runs the ordinary IPython kernel (``ipykernel``) on the connection
file Jupyter gives it. The notebook's cells run in that kernel exactly as in a new one:
nothing of the course (``mlp_course``) is imported in advance, the random generators are
seeded as in a new process, and the kernel's working folder, environment and standard streams are the
ones Jupyter asked for.

Jupyter manages a kernel as the process it started, so the kernel spec starts a small
*launcher* (standard library only) that asks the zygote for a kernel and stands in for
it: it forwards the signals Jupyter sends (interrupt, terminate), and exits with the
kernel's exit status. If the launcher is killed, the zygote kills its kernel.

Only the tests use this: nbval's kernels (``conftest.py``), the browser tests' JupyterLab
and nbgrader's runs (the ``warm_kernels_path`` fixture); ``--fresh-kernels`` turns it off.
The release, hub and grader tests keep their own kernels: they test exactly those.
"""

from __future__ import annotations

import array
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# the libraries every lesson imports, in the order the lessons import them
PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "torch", "ipywidgets",
           "ipykernel.kernelapp")
# the signals Jupyter sends a kernel, forwarded by the launcher
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1)
READY = b"ready\n"
_LENGTH = struct.Struct("!I")


# ---------------------------------------------------------------------------
# messages: a length, then JSON; the request carries the launcher's stdin, stdout, stderr

def _send(connection: socket.socket, message: dict, fds: list[int] = ()) -> None:
    data = json.dumps(message).encode()
    payload = _LENGTH.pack(len(data)) + data
    if fds:
        socket.send_fds(connection, [payload], list(fds))
    else:
        connection.sendall(payload)


def _receive(connection: socket.socket, with_fds: int = 0) -> tuple[dict | None, list[int]]:
    """One message (None at end of stream) and the file descriptors sent with it."""
    fds: list[int] = []
    if with_fds:
        data, fds, _, _ = socket.recv_fds(connection, 65536, with_fds)
    else:
        data = connection.recv(65536)
    if not data:
        return None, fds
    while len(data) < _LENGTH.size or len(data) < _LENGTH.size + _LENGTH.unpack_from(data)[0]:
        more = connection.recv(65536)
        if not more:
            return None, fds
        data += more
    size = _LENGTH.unpack_from(data)[0]
    return json.loads(data[_LENGTH.size:_LENGTH.size + size]), fds


# ---------------------------------------------------------------------------
# the zygote

def serve(path: str) -> None:
    """Import the libraries, listen on the Unix socket ``path``, fork a kernel per request."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    kernels: dict[int, socket.socket] = {}    # kernel pid -> its launcher's connection
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: _stop(kernels))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listen")
    selector.register(wake_read, selectors.EVENT_READ, "signal")
    # the test worker holds the other end of standard input: when it ends, however it
    # ends, the zygote and its kernels end too
    selector.register(0, selectors.EVENT_READ, "worker")
    sys.stdout.buffer.write(READY)
    sys.stdout.flush()

    while True:
        for key, _ in selector.select():
            if key.data == "listen":
                connection, _ = listener.accept()
                request, fds = _receive(connection, with_fds=3)
                if request is None or len(fds) != 3:
                    for fd in fds:
                        os.close(fd)
                    connection.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    listener.close()
                    for other in kernels.values():
                        other.close()
                    connection.close()
                    os.close(wake_read)
                    os.close(wake_write)
                    _run_kernel(request, fds)    # never returns
                for fd in fds:
                    os.close(fd)
                kernels[pid] = connection
                _send(connection, {"pid": pid})
                selector.register(connection, selectors.EVENT_READ, pid)
            elif key.data == "worker":
                if not os.read(0, 4096):
                    _stop(kernels)
            elif key.data == "signal":
                os.read(wake_read, 4096)
                _reap(kernels, selector)
            else:
                # the launcher closed its end: it was killed, so its kernel goes too
                pid = key.data
                if not key.fileobj.recv(1):
                    selector.unregister(key.fileobj)
                    if pid in kernels:
                        _kill(pid)


def _reap(kernels: dict[int, socket.socket], selector) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = kernels.pop(pid, None)
        if connection is None:
            continue
        try:
            selector.unregister(connection)
        except (KeyError, ValueError):
            pass
        try:
            _send(connection, {"status": os.waitstatus_to_exitcode(status)})
        except OSError:
            pass
        connection.close()


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _stop(kernels: dict[int, socket.socket]) -> None:
    for pid in list(kernels):
        _kill(pid)
    os._exit(0)


def _run_kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: become the kernel Jupyter asked for."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                       signal.SIGUSR1):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # the streams were opened by the zygote on its own pipe: open them again on the new
        # descriptors, so that the kernel's early output reaches Jupyter
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        _reseed()
        sys.argv = list(request["argv"])
        # the kernel reads its manager's process id from the environment when ipykernel is
        # imported, which the zygote did before this environment existed
        if os.environ.get("JPY_PARENT_PID", "").isdigit():
            sys.argv.append(f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}")
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reseed() -> None:
    """Seed anew what a new process seeds from the operating system when it imports it:
    Python's ``random``, numpy's global generator and PyTorch's default generator. A
    fork would otherwise share the zygote's seeds with every other kernel."""
    if "random" in sys.modules:
        sys.modules["random"].seed()
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()


# ---------------------------------------------------------------------------
# the launcher: the process Jupyter starts and manages as "the kernel"

def launch(path: str, kernel_args: list[str]) -> int:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(path)
    argv = ["ipykernel_launcher", *kernel_args]
    _send(connection, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}, [0, 1, 2])
    answer, _ = _receive(connection)
    if answer is None:
        print("warm kernel: the zygote closed the connection", file=sys.stderr)
        return 1
    pid = answer["pid"]

    def forward(number, _frame):
        try:
            os.kill(pid, number)
        except ProcessLookupError:
            pass

    for number in FORWARDED:
        signal.signal(number, forward)
    while True:
        try:
            answer, _ = _receive(connection)
        except InterruptedError:
            continue
        if answer is None:
            return 1
        if "status" in answer:
            status = answer["status"]
            return status if status >= 0 else 128 - status


# ---------------------------------------------------------------------------
# the test run's side

class Zygote:
    """One zygote process and the kernel spec that starts kernels from it."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="mlpk-")     # short: a socket path has a limit
        self.path = os.path.join(self.folder, "zygote")
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve", self.path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.process.stdout.readline()
        if line != READY:
            self.close()
            raise RuntimeError("the warm-kernel zygote did not start "
                               f"(exit status {self.process.poll()})")

    def kernel_dict(self) -> dict:
        """ipykernel's own kernel spec for this Python, started through the launcher."""
        from ipykernel.kernelspec import get_kernel_dict

        spec = get_kernel_dict()
        spec["argv"] = [sys.executable, "-I", "-S", __file__, "launch", self.path,
                        "-f", "{connection_file}"]
        return spec

    def data_folder(self, folder: Path) -> Path:
        """A Jupyter data folder (for ``JUPYTER_PATH``) whose kernel ``python3`` is this
        zygote's: a JupyterLab started with it runs its notebooks in warm kernels."""
        import shutil

        from ipykernel.kernelspec import RESOURCES

        target = folder / "kernels" / "python3"
        shutil.copytree(RESOURCES, target, dirs_exist_ok=True)
        (target / "kernel.json").write_text(json.dumps(self.kernel_dict(), indent=1))
        return folder

    def close(self) -> None:
        self.process.stdin.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.rmdir(self.folder)


_shared: Zygote | None = None


def shared() -> Zygote:
    """This process's zygote, started on first use (and again if it died);
    :func:`close_shared` stops it."""
    global _shared
    if _shared is not None and _shared.process.poll() is not None:
        close_shared()
    if _shared is None:
        _shared = Zygote()
    return _shared


def close_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif sys.argv[1] == "launch":
        sys.exit(launch(sys.argv[2], sys.argv[3:]))
