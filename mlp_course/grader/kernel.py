"""One fresh, limited Jupyter kernel per submission.

每份作业一个全新的、受限制的 Jupyter 内核。

The kernel is started through a tiny launcher that lowers its resource limits
before ipykernel starts: ``RLIMIT_DATA`` (heap and anonymous memory, so a huge
allocation fails with ``MemoryError`` and the kernel lives on; ``RLIMIT_AS``
would also count the address space that ``import torch`` reserves but never
uses), ``RLIMIT_FSIZE`` (no file larger than the disk cap, its log included),
no core dumps.

Processes and threads (``--processes``): ``RLIMIT_NPROC`` counts them per user
id *and* per user namespace, so inside its sandbox (a user namespace of its
own) it counts that kernel's alone; the launcher sets it only there, never
where it would count all of the grader's user's processes. But Linux never
applies it to root's own user id, which a sandbox started by root keeps: then
the sandbox is put in a ``pids`` control group of its own, capped the same
way (the grader, as root, can make one), before bubblewrap starts; where none
can be made, the grader says so after its summary.

A watchdog reading ``/proc`` kills the kernel when its memory (its
proportional share, so forked copies count once) still grows past the limit
(memory the data limit does not see, such as a child process), when it holds
as many processes as it may (a fork bomb: they would spin on), or when its
file systems are full (checked after every request too, so a cell that filled
them is not run again after a restart).

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

from ..i18n import Message

# Runs as ``python -c LAUNCHER <memory bytes> <file bytes> <processes> <ipykernel args...>``:
# limits first (0: none), then the same start-up as ``python -m ipykernel_launcher``.
LAUNCHER = r"""
import os, resource, sys
limit, file_limit, processes = (int(sys.argv.pop(1)) for _ in range(3))
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
if file_limit > 0:
    lower(resource.RLIMIT_FSIZE, file_limit)
def own_namespace():
    try:
        with open("/proc/self/uid_map") as handle:
            return handle.read().split() != ["0", "0", "4294967295"]
    except OSError:
        return False
if processes > 0 and own_namespace():
    lower(resource.RLIMIT_NPROC, processes)
lower(resource.RLIMIT_CORE, 0)
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
sys.argv[0] = "ipykernel_launcher"
# no debugger: nobody attaches one to a graded kernel, and ipykernel imports debugpy
# at start-up only to offer it (some 80 ms of every kernel's start)
sys.modules["debugpy"] = None
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""

# Threads of numeric libraries: the grader runs several kernels side by side.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

# Signals a crashing kernel dies of, by number (for "SIGSEGV" rather than "exit 139").
SIGNAL_NAMES = {int(value): value.name for value in signal.Signals}

# The sandboxed kernel's sockets (in its own /run); see mlp_course.grader.sandbox.
SANDBOX_SOCKETS = "/run/mlp-course-kernel"
# Its file systems that fill up, besides the scratch folder.
SANDBOX_SMALL = ("/run", "/dev/shm")

# Runs as ``python -c JOIN <cgroup.procs> <command...>``: joins the control group, then
# becomes the command (bubblewrap), so that everything in the sandbox is in it.
JOIN = r"""
import os, sys
with open(sys.argv[1], "w") as handle:
    handle.write(str(os.getpid()))
os.execv(sys.argv[2], sys.argv[2:])
"""


def _control_groups() -> Path | None:
    """Where a ``pids`` control group can be made (cgroup v1, or v2 below the grader's own)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    candidates = [Path("/sys/fs/cgroup/pids")]
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                candidates.append(Path("/sys/fs/cgroup") / line[3:].lstrip("/"))
    except OSError:
        pass
    for folder in candidates:
        if (folder / "cgroup.procs").exists() and os.access(folder, os.W_OK) and (
                folder.name == "pids" or "pids" in _read(folder / "cgroup.subtree_control")):
            return folder
    return None


def processes_capped() -> bool:
    """Whether a sandboxed kernel's processes are capped here by the operating system
    (else only the watchdog stops a fork bomb, after it has grown)."""
    return not hasattr(os, "geteuid") or os.geteuid() != 0 or _control_groups() is not None


def uncapped_warning() -> Message:
    return Message(
        zh="⚠️ 评分器以 root 身份运行，却无法建立 pids 控制组（cgroup），而 Linux 对 root 不执行进程数"
           "上限（RLIMIT_NPROC）：fork 炸弹只能在增长之后由看门狗停下。请以普通用户身份评分，"
           "或让 /sys/fs/cgroup 可写（例如 `docker run --privileged`）。",
        en="⚠️ The grader runs as root but cannot make a pids control group (cgroup), and Linux "
           "does not apply the process limit (RLIMIT_NPROC) to root: a fork bomb is stopped only "
           "by the watchdog, after it has grown. Grade as an ordinary user, or make "
           "/sys/fs/cgroup writable (for instance `docker run --privileged`).")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def process_group(processes: int) -> Path | None:
    """A new ``pids`` control group that holds at most ``processes`` tasks, or ``None``."""
    import secrets

    top = _control_groups()
    if top is None or processes <= 0:
        return None
    # empty ones a killed grader left behind (a new one is joined within moments)
    for stale in top.glob("mlp-course-*"):
        try:
            if time.time() - stale.stat().st_mtime > 60:
                stale.rmdir()
        except OSError:
            pass
    group = top / f"mlp-course-{secrets.token_hex(6)}"
    try:
        group.mkdir()
    except OSError:
        return None
    try:
        # bubblewrap's outermost process is in it too, though outside the sandbox
        (group / "pids.max").write_text(str(processes + 1))
    except OSError:
        group.rmdir()
        return None
    return group


def _kill_group(group: Path | None) -> None:
    """SIGKILL every process in a control group made by :func:`process_group`."""
    for word in _read(group / "cgroup.procs").split() if group is not None else []:
        try:
            os.kill(int(word), signal.SIGKILL)
        except (OSError, ValueError):
            pass


async def _remove_group(group: Path | None) -> None:
    """Remove a control group made by :func:`process_group` once its processes are gone."""
    for _ in range(100 if group is not None else 0):  # its last processes may be leaving
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            _kill_group(group)
            await asyncio.sleep(0.05)

OK = "ok"
ERROR = "error"
TIMEOUT = "timeout"
DEAD = "dead"


@dataclass
class Reply:
    """How one execute request ended.  一次执行请求的结果。

    ``status``: ``ok``, ``error`` (the code raised; ``ename``/``evalue``),
    ``timeout`` (interrupted after its deadline; the kernel lives on) or
    ``dead`` (the kernel exited, crashed, was killed at a limit, or could not
    be interrupted and was killed; ``reason`` says which: ``exit:<code>``,
    ``signal:<SIGNAME>``, ``memory``, ``processes``, ``disk:<bytes>`` or ``timeout``).
    """

    status: str
    ename: str = ""
    evalue: str = ""
    reason: str = ""
    seconds: float = 0.0

    @property
    def exited(self) -> bool:
        """The kernel ended by its own exit (``sys.exit``, ``os._exit``): not a crash, not a limit."""
        return self.status == DEAD and self.reason.startswith("exit")


def _kernel_manager_class():
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class LimitedKernelManager(AsyncKernelManager):
        """A kernel manager whose kernel command is ours, not an installed kernelspec."""

        launch_argv: list[str] = []
        sandboxed = False

        def cleanup_ipc_files(self):
            if not self.sandboxed:  # a sandbox's sockets are not on this side
                super().cleanup_ipc_files()

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


def _threads(pid: int) -> int:
    """How many threads the processes below ``pid`` have (what ``RLIMIT_NPROC`` counts in a
    sandbox, whose outermost process is outside it); 0 if unknown."""
    count = 0
    for one in descendants(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("Threads:"):
                    count += int(line.split()[1])
                    break
        except (OSError, ValueError):
            continue
    return count


def _memory(pid: int) -> int:
    """Memory (bytes) of a process and everything it started; 0 if unknown.

    The proportional share (``Pss``): forked copies of a kernel share their pages,
    which a sum of resident sizes would count once per copy.
    """
    total = 0
    for one in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{one}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except (OSError, ValueError):
            continue
    return total


def _full(path: Path) -> int:
    """The size of the file system at ``path`` if it is (all but) full; else (or if it
    cannot be seen) 0."""
    try:
        found = os.statvfs(path)
    except OSError:
        return 0
    full = found.f_bavail * found.f_frsize < 64 * 1024
    return found.f_blocks * found.f_frsize if full else 0


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
                 base_env: dict | None = None, disk_mb: int = 256, processes: int = 128):
        """``wrap(argv, files)`` turns the kernel's command into the sandboxed one, with
        the grader's files it must read (its connection file); ``base_env`` replaces the
        inherited environment (the sandbox's clean one); ``env`` adds to it. ``disk_mb``
        caps any file it writes (and, in the sandbox, all of them together: see
        :meth:`mlp_course.grader.sandbox.Sandbox.command`); ``processes`` caps its
        processes and threads in the sandbox."""
        self.cwd = Path(cwd)
        self.wrap = wrap
        self.base_env = dict(base_env) if base_env is not None else None
        self.kernel_pid: int | None = None   # the kernel itself (inside the sandbox)
        self.inner_pid: int | None = None    # the sandbox's first process: its files are seen
        self._sockets: Path | None = None
        self.memory_bytes = int(memory_mb) * 1024 * 1024 if memory_mb else 0
        self.disk_bytes = int(disk_mb) * 1024 * 1024 if disk_mb else 0
        self.processes = int(processes) if wrap is not None else 0
        self.group: Path | None = None       # its pids control group, when the grader is root
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
            sys.executable, "-c", LAUNCHER, str(self.memory_bytes), str(self.disk_bytes),
            str(self.processes),
            "-f", "{connection_file}",
            "--HistoryManager.enabled=False",
            "--IPKernelApp.quiet=True",
            # an error's name and message are all the grader reads: no frames to format
            "--InteractiveShell.xmode=Minimal",
        ]
        connection = self.cwd / ".kernel-connection.json"
        manager.connection_file = str(connection)
        # local sockets: no TCP ports to find or leak. In the sandbox they are in its own
        # /tmp, reached from here through /proc (see outside()); else in the folder.
        manager.transport = "ipc"
        if self.wrap is not None:
            manager.launch_argv = self.wrap(argv, [connection])
            manager.ip = SANDBOX_SOCKETS
            manager.sandboxed = True
            if os.geteuid() == 0:
                self.group = process_group(self.processes)
                if self.group is not None:
                    manager.launch_argv = [sys.executable, "-c", JOIN,
                                           str(self.group / "cgroup.procs"),
                                           *manager.launch_argv]
        else:
            manager.launch_argv = argv
            manager.ip = str(self._socket_folder() / "k")
        self.manager = manager
        # the kernel's own stderr (warnings, crashes) goes to a log, not the terminal
        self._log = open(self.cwd / ".kernel.log", "wb")
        await manager.start_kernel(env=self._environment(), cwd=str(self.cwd),
                                   stdout=self._log, stderr=self._log)
        self.pid = getattr(manager.provisioner, "pid", None)
        client = manager.client()
        if self.wrap is not None:
            self.inner_pid = await self._first_inside()
            client.ip = str(self.outside(SANDBOX_SOCKETS))
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.client = client
        if self.pid and (self.memory_bytes or self.wrap is not None):
            self._watchdog = asyncio.ensure_future(self._watch())
        await self._wait_ready()
        self.kernel_pid = self._find_kernel()

    async def _first_inside(self) -> int:
        """The sandbox's first process (bubblewrap's own, inside the namespaces)."""
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            found = _children(self.pid) if self.pid else []
            if found:
                return found[0]
            if self.manager is None or not await self.manager.is_alive():
                break
            await asyncio.sleep(0.01)
        raise RuntimeError("the kernel's sandbox did not start")

    def outside(self, path: Path | str) -> Path:
        """Where the grader finds a path of the kernel's (in the sandbox: through /proc).

        Only for what the kernel cannot change: its sockets and its file systems. A
        folder below its scratch folder is opened with :meth:`open_folder`.
        """
        if self.inner_pid is None:
            return Path(path)
        return Path(f"/proc/{self.inner_pid}/root") / Path(path).relative_to("/")

    def open_folder(self, folder: Path) -> int:
        """A descriptor of ``folder``, below the kernel's own folder, opened one part at a
        time without following a symbolic link: the kernel made them, and a link would
        otherwise be followed on the grader's side (to any of its files, as its user).
        The folder itself is a mount point on a read-only file system in the sandbox."""
        parts = Path(folder).relative_to(self.cwd).parts
        descriptor = os.open(self.outside(self.cwd), os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW,
                                dir_fd=descriptor)
                os.close(descriptor)
                descriptor = inner
        except OSError:
            os.close(descriptor)
            raise
        return descriptor

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

    def over_limit(self) -> str:
        """The limit the kernel is at, if any: ``memory``, ``processes`` or
        ``disk:<bytes>`` (the size of what is full).

        Memory: the data limit already stops most allocations; this catches the rest.
        Processes: at the cap, forks fail, and what was forked spins on (a fork bomb).
        Disk: the sandbox's file systems full, or its log (on the grader's disk) as
        large as a file may be.
        """
        if not self.pid:
            return ""
        # first, and cheaply: a fork bomb's copies spin, and leave the grader little time
        if self.processes and self._tasks() >= self.processes:
            return "processes"
        memory = _memory(self.pid)
        self.peak_rss = max(self.peak_rss, memory)
        if self.memory_bytes and memory > self.memory_bytes * 1.25 + 64 * 1024 * 1024:
            return "memory"
        if self.disk_bytes and self._log is not None:
            try:
                if os.fstat(self._log.fileno()).st_size >= self.disk_bytes - 64 * 1024:
                    return f"disk:{self.disk_bytes}"
            except (OSError, ValueError):
                pass
        if self.inner_pid is not None:
            for folder in (self.cwd, *SANDBOX_SMALL):
                size = _full(self.outside(folder))
                if size:
                    return f"disk:{size}"
        return ""

    def _tasks(self) -> int:
        """Processes and threads in the sandbox (its control group's count, if it has one,
        less bubblewrap's outermost process)."""
        if self.group is not None:
            try:
                return int(_read(self.group / "pids.current")) - 1
            except ValueError:
                pass
        return _threads(self.pid)

    async def _stop_at_limit(self) -> bool:
        reason = self.over_limit()
        if reason and not self.killed:
            self.death_reason = reason
            await self.kill()
        return bool(reason)

    async def _watch(self) -> None:
        while not self.killed:
            await asyncio.sleep(0.2)
            if await self._stop_at_limit():
                return

    async def kill(self) -> None:
        """Kill the kernel and anything it started (its whole process group)."""
        # from here on the kernel counts as dead, even before the process is reaped
        self.killed = True
        _kill_group(self.group)  # everything in the sandbox at once, where there is a group
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
        await _remove_group(self.group)
        self.group = None
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
        if reply is not None and (self.killed or await self._stop_at_limit()):
            # a cell that filled the disk, say, and ended with the error that caused (the
            # watchdog may have stopped the kernel as its reply came): the kernel is
            # restarted without it, as if the watchdog had caught it running
            reply = None
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
