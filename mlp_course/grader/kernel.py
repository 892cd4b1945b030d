"""One fresh, limited Jupyter kernel per submission.

每份作业一个全新的、受限制的 Jupyter 内核。

The kernel is started through a tiny launcher that lowers its resource limits
before ipykernel starts: ``RLIMIT_DATA`` (heap and anonymous memory, so a huge
allocation fails with ``MemoryError`` and the kernel lives on; ``RLIMIT_AS``
would also count the address space that ``import torch`` reserves but never
uses), ``RLIMIT_FSIZE`` (no disk-filling files), no core dumps. A watchdog
reading ``/proc`` kills the kernel if its resident memory still grows past the
limit (memory the data limit does not see, such as a child process).

On Linux the kernel runs inside the submission's sandbox (see
:mod:`mlp_course.grader.sandbox`): the launch command is wrapped in
bubblewrap, the environment is the sandbox's (nothing of the grader's), and
the kernel process itself is found among the sandbox's processes so that an
interrupt reaches it and the memory watchdog counts every process inside.

Only the shell channel is connected: the grader never reads what the
submission prints (so printing cannot flood the grader, nor fake a verdict),
``allow_stdin`` is off (``input()`` fails instead of waiting), and each
request has a deadline after which the kernel is interrupted, then killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# Runs as ``python -c LAUNCHER <memory bytes> <ipykernel args...>``: limits
# first, then the same start-up as ``python -m ipykernel_launcher``.
LAUNCHER = r"""
import os, resource, sys
limit = int(sys.argv.pop(1))
def lower(which, value):
    try:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard))
    except (ValueError, OSError, AttributeError):
        pass
if limit > 0:
    lower(resource.RLIMIT_DATA, limit)
    lower(resource.RLIMIT_FSIZE, limit)
lower(resource.RLIMIT_CORE, 0)
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
sys.argv[0] = "ipykernel_launcher"
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""

# Threads of numeric libraries: the grader runs several kernels side by side.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

# Signals a crashing kernel dies of, by number (for "SIGSEGV" rather than "exit 139").
SIGNAL_NAMES = {int(value): value.name for value in signal.Signals}

OK = "ok"
ERROR = "error"
TIMEOUT = "timeout"
DEAD = "dead"


@dataclass
class Reply:
    """How one execute request ended.  一次执行请求的结果。

    ``status``: ``ok``, ``error`` (the code raised; ``ename``/``evalue``),
    ``timeout`` (interrupted after its deadline; the kernel lives on) or
    ``dead`` (the kernel exited, crashed, was killed for memory, or could not
    be interrupted and was killed; ``reason`` says which: ``exit:<code>``,
    ``signal:<SIGNAME>``, ``memory`` or ``timeout``).
    """

    status: str
    ename: str = ""
    evalue: str = ""
    reason: str = ""
    seconds: float = 0.0


def _kernel_manager_class():
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class LimitedKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel command is ours, not an installed kernelspec."""

        launch_argv: list[str] = []

        @property
        def kernel_spec(self):
            if self._kernel_spec is None:
                self._kernel_spec = KernelSpec(argv=self.launch_argv, language="python",
                                               display_name="mlp_course grader",
                                               interrupt_mode="signal")
            return self._kernel_spec

    return LimitedKernelManager


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.extend(int(child) for child in (task / "children").read_text().split())
    except (OSError, ValueError):
        pass
    return found


def descendants(pid: int, limit: int = 4096) -> list[int]:
    """Every process below ``pid`` (breadth first; empty where /proc is unavailable)."""
    found, queue = [], [pid]
    while queue and len(found) < limit:
        for child in _children(queue.pop(0)):
            if child not in found:
                found.append(child)
                queue.append(child)
    return found


def _rss_bytes(pid: int) -> int:
    """Resident memory of a process and everything it started (0 if unknown)."""
    total = 0
    for one in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except (OSError, ValueError):
            continue
    return total


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return []


class KernelSession:
    """A kernel that runs one submission, with deadlines and a memory limit.

    运行一份作业的内核：带时限与内存上限。Use ``await start()``, then
    ``await execute(code, timeout)`` any number of times, then ``await stop()``.
    """

    def __init__(self, cwd: Path, memory_mb: int = 2048, startup_timeout: float = 60.0,
                 interrupt_grace: float = 2.0, env: dict | None = None,
                 wrap: Callable[[list[str], list[Path]], list[str]] | None = None,
                 base_env: dict | None = None):
        """``wrap(argv, folders)`` turns the kernel's command into the sandboxed one, with
        more folders to bind (its sockets' folder, if not ``cwd``); ``base_env``
        replaces the inherited environment (the sandbox's clean one); ``env`` adds to it."""
        self.cwd = Path(cwd)
        self.wrap = wrap
        self.base_env = dict(base_env) if base_env is not None else None
        self.kernel_pid: int | None = None   # the kernel itself (inside the sandbox)
        self._sockets: Path | None = None
        self.memory_bytes = int(memory_mb) * 1024 * 1024 if memory_mb else 0
        self.startup_timeout = startup_timeout
        self.interrupt_grace = interrupt_grace
        self.extra_env = dict(env or {})
        self.manager = None
        self.client = None
        self.pid: int | None = None
        self.death_reason = ""
        self.peak_rss = 0
        self._watchdog: asyncio.Task | None = None
        self._log = None
        self.killed = False

    # -- life cycle ---------------------------------------------------------

    def _environment(self) -> dict:
        env = dict(os.environ) if self.base_env is None else dict(self.base_env)
        for name in THREAD_VARIABLES:
            env[name] = "1"
        # Plots render off-screen; IPython's own files live in the submission's
        # folder, so nothing (startup scripts, history) carries over between students.
        env["MPLBACKEND"] = "agg"
        env["IPYTHONDIR"] = str(self.cwd / ".ipython")
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("JPY_PARENT_PID", None)
        env.update(self.extra_env)
        return env

    async def start(self) -> None:
        manager_class = _kernel_manager_class()
        manager = manager_class()
        argv = [
            sys.executable, "-c", LAUNCHER, str(self.memory_bytes),
            "-f", "{connection_file}",
            "--HistoryManager.enabled=False",
            "--IPKernelApp.quiet=True",
        ]
        sockets = self._socket_folder()
        binds = [sockets] if sockets != self.cwd else []
        manager.launch_argv = self.wrap(argv, binds) if self.wrap is not None else argv
        manager.connection_file = str(self.cwd / ".kernel-connection.json")
        # local sockets in the submission's folder: no TCP ports to find or leak
        manager.transport = "ipc"
        manager.ip = str(sockets / "k")
        self.manager = manager
        # the kernel's own stderr (warnings, crashes) goes to a log, not the terminal
        self._log = open(self.cwd / ".kernel.log", "wb")
        await manager.start_kernel(env=self._environment(), cwd=str(self.cwd),
                                   stdout=self._log, stderr=self._log)
        self.pid = getattr(manager.provisioner, "pid", None)
        client = manager.client()
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.client = client
        if self.memory_bytes and self.pid:
            self._watchdog = asyncio.ensure_future(self._watch_memory())
        await self._wait_ready()
        self.kernel_pid = self._find_kernel()

    def _find_kernel(self) -> int | None:
        """The kernel's own process: the launcher itself, or the Python below the sandbox."""
        if self.pid is None or self.wrap is None:
            return self.pid
        for pid in descendants(self.pid, limit=64):
            words = _command_line(pid)
            if words and words[0] == sys.executable and LAUNCHER in words:
                return pid
        return None

    def ended(self) -> str:
        """How the kernel's process ended: ``signal:SIGSEGV``, ``exit:1`` (or ``exited``)."""
        process = getattr(getattr(self.manager, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return "exited"
        if code < 0:
            return f"signal:{SIGNAL_NAMES.get(-code, -code)}"
        if self.wrap is not None and 128 < code < 128 + 65:
            # bubblewrap exits with 128 + n when the command died of signal n
            return f"signal:{SIGNAL_NAMES.get(code - 128, code - 128)}"
        return f"exit:{code}"

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        msg_id = self.client.kernel_info()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("kernel did not start in time")
            if not await self.alive():
                raise RuntimeError("kernel died while starting")
            try:
                message = await self.client.get_shell_msg(timeout=min(0.2, left))
            except Exception:  # queue.Empty: not yet
                continue
            if message.get("parent_header", {}).get("msg_id") == msg_id:
                return

    async def alive(self) -> bool:
        if self.killed or self.manager is None:
            return False
        return await self.manager.is_alive()

    async def _watch_memory(self) -> None:
        # the data limit already stops most allocations; this catches the rest
        ceiling = self.memory_bytes * 1.25 + 64 * 1024 * 1024
        while True:
            await asyncio.sleep(0.2)
            rss = _rss_bytes(self.pid)
            self.peak_rss = max(self.peak_rss, rss)
            if rss > ceiling:
                self.death_reason = "memory"
                await self.kill()
                return

    async def kill(self) -> None:
        """Kill the kernel and anything it started (its whole process group)."""
        # from here on the kernel counts as dead, even before the process is reaped
        self.killed = True
        if self.manager is None:
            return
        provisioner = self.manager.provisioner
        pgid = getattr(provisioner, "pgid", None)
        # the kernel leads its own session; never signal the grader's own group
        if pgid and hasattr(os, "killpg") and pgid != os.getpgrp():
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
        try:
            await self.manager.kill_kernel()
        except Exception:
            pass
        # reap it, so no zombie process is left behind
        process = getattr(provisioner, "process", None)
        for _ in range(100):
            if process is None or process.poll() is not None:
                break
            await asyncio.sleep(0.02)

    def _socket_folder(self) -> Path:
        """Where the kernel's local sockets go: its own folder, unless that path is so long
        that a socket name would not fit (about 107 bytes); then a short private folder."""
        if self._sockets is None:
            if len(os.fsencode(self.cwd / "k-65535")) <= 100:
                self._sockets = self.cwd
            else:
                import tempfile

                short = "/tmp" if os.access("/tmp", os.W_OK) else None
                self._sockets = Path(tempfile.mkdtemp(prefix="mlpk-", dir=short))
        return self._sockets

    async def stop(self) -> None:
        """Shut the kernel down for good and free its ports and files."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:
                pass
        if self.manager is not None:
            await self.kill()
            try:
                await self.manager.cleanup_resources()
            except Exception:
                pass
        self.manager = None
        self.client = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._sockets is not None and self._sockets != self.cwd:
            import shutil

            shutil.rmtree(self._sockets, ignore_errors=True)
        self._sockets = None

    # -- running code -------------------------------------------------------

    async def execute(self, code: str, timeout: float, silent: bool = False) -> Reply:
        """Run code and wait for its reply, at most ``timeout`` seconds.

        运行代码并等待结果，最多 ``timeout`` 秒；超时先中断，中断无效再杀死内核。
        """
        started = time.monotonic()
        if not await self.alive():
            return Reply(DEAD, reason=self.death_reason or self.ended(), seconds=0.0)
        msg_id = self.client.execute(code, silent=silent, store_history=not silent,
                                     allow_stdin=False, stop_on_error=False)
        reply = await self._await_reply(msg_id, started + max(0.0, timeout))
        if reply is not None:
            reply.seconds = time.monotonic() - started
            return reply
        if not await self.alive():
            return Reply(DEAD, reason=self.death_reason or self.ended(),
                         seconds=time.monotonic() - started)
        # Over time: interrupt (KeyboardInterrupt in the kernel), and if the code
        # swallows that or sits in C code, kill the kernel.
        await self.interrupt()
        reply = await self._await_reply(msg_id, time.monotonic() + self.interrupt_grace)
        seconds = time.monotonic() - started
        if reply is not None:
            return Reply(TIMEOUT, seconds=seconds)
        if await self.alive():
            self.death_reason = self.death_reason or "timeout"
            await self.kill()
        return Reply(DEAD, reason=self.death_reason or "timeout", seconds=seconds)

    async def interrupt(self) -> None:
        """SIGINT to the kernel process itself (inside the sandbox, in its own session)."""
        if self.kernel_pid is not None and self.wrap is not None:
            try:
                os.kill(self.kernel_pid, signal.SIGINT)
            except OSError:
                pass
            return
        try:
            await self.manager.interrupt_kernel()
        except Exception:
            pass

    async def _await_reply(self, msg_id: str, deadline: float) -> Reply | None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                message = await self.client.get_shell_msg(timeout=min(0.25, left))
            except Exception:  # nothing yet: is the kernel still there?
                if not await self.alive():
                    return None
                continue
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue  # a late reply to an earlier, interrupted request
            content = message.get("content", {})
            if content.get("status") == "ok":
                return Reply(OK)
            return Reply(ERROR, ename=str(content.get("ename", "")),
                         evalue=str(content.get("evalue", "")))
