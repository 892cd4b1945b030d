"""An operating-system sandbox per submission, and the tricks that can only be detected.

每份作业一个操作系统级沙箱；以及只能检测、无法阻止的作弊手法。

On Linux each kernel runs under bubblewrap (``bwrap``), the way graders people
rely on isolate untrusted code:

* its own PID, network, IPC and user namespaces: no network at all, and every
  process it starts (even one that double-forks into a new session) dies with
  the kernel's sandbox, which dies with the grader (``--die-with-parent``);
* a read-only view of the system (``/usr``, a few files of ``/etc``) and of the
  Python environment; the only writable places are the submission's own scratch
  folder, a fresh in-memory file system of ``--disk`` MB (writing more fails
  with "no space left"), and two of 4 MB: ``/run`` for its sockets and
  ``/dev/shm``. Everything else, ``/``, ``/tmp`` and ``/dev`` included, is
  read-only, so no folder on the way to the scratch folder can be renamed or
  replaced by a link. Other students' folders, the output folder, the
  grader's own files and ``$HOME`` are not mounted at all, so they do not
  exist in there;
* at most ``--processes`` processes and threads: see
  :mod:`mlp_course.grader.kernel` for how that is counted;
* a clean environment: ``--clearenv`` and a few variables the kernel needs;
* answers out of reach: torch and scipy (and the other frameworks) are
  replaced by an empty placeholder, and ``mlp_course`` is a copy in which the
  reference implementations of the lesson being graded, and the library
  functions that lesson forbids, only raise "not available while grading".

The kernel talks to the grader over local sockets (jupyter_client's ``ipc``
transport) in its ``/run``, which the grader reaches, like the answers the
kernel writes into its scratch folder, through ``/proc/<pid>/root`` of a
process in the sandbox (below the scratch folder without following any link
the kernel made: see :meth:`mlp_course.grader.kernel.KernelSession.open_folder`);
so it needs no network, and nothing it writes lands on the grader's disk (its
log excepted, which ``RLIMIT_FSIZE`` keeps to the same size). Where bubblewrap is missing or cannot create namespaces the
grader refuses to run (:func:`problem` says why and how to fix it) unless the
instructor passes ``--no-sandbox``.

What cannot be prevented inside one Python process (``exec``, ``sys.modules``,
frames, patched built-ins, the grader's helper) is looked for in the source:
:func:`suspicious` returns the reasons a submission needs a human look.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

from ..course.exercises.core import GRADING_VARIABLE
from ..i18n import Message
from .kernel import THREAD_VARIABLES

# Packages that would answer an exercise: invisible in the sandbox.
HIDDEN_PACKAGES = ("torch", "functorch", "torchgen", "scipy", "sklearn", "jax", "jaxlib",
                   "tensorflow", "keras")
# Files of /etc that programs in the sandbox read (libraries, fonts, time zone, names).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts",
             "localtime", "timezone", "passwd", "group", "nsswitch.conf", "mime.types",
             "matplotlibrc")

_PLACEHOLDER = '''"""{name}: not available while grading (an empty placeholder)."""
__path__ = []


def __getattr__(attribute):
    if attribute.startswith("__"):
        raise AttributeError(attribute)
    try:
        from mlp_course.i18n import Message
        message = Message(zh={zh!r}, en={en!r}, name="{name}").render()
    except Exception:
        message = {en!r}.format(name="{name}")
    raise AttributeError(message + " ({name}." + attribute + ")")
'''
# `import torch` itself succeeds, so that a lesson's first cell (which imports torch
# to compare results) runs to its end; every use of it fails with this message.
_PLACEHOLDER_ZH = "{name} 在评分时不可用（评分沙箱里没有它）。"
_PLACEHOLDER_EN = "{name} is not available while grading (the grading sandbox does not contain it)."

_GRADING_MODULE = '''"""Present only in the copy of mlp_course that a graded kernel sees."""
from .i18n import Message

LESSON = {lesson!r}


class NotAvailableWhileGrading(RuntimeError):
    """A reference implementation that is not available while grading."""


def unavailable(name):
    return NotAvailableWhileGrading(Message(zh={zh!r}, en={en!r}, name=name).render())
'''

_UNAVAILABLE_ZH = "{name} 在评分时不可用：请用你自己的代码。"
_UNAVAILABLE_EN = "{name} is not available while grading: use your own code."

_checked: dict[str, Message | None] = {}

# The size of /run (the kernel's sockets) and /dev/shm in a sandbox; its scratch folder
# takes its files.
SMALL_BYTES = 4 * 1024 * 1024


# ---------------------------------------------------------------------------
# Is the sandbox available here?

def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def problem() -> Message | None:
    """Why no sandbox can be made on this machine, with the fix; ``None`` if it works."""
    if "result" in _checked:
        return _checked["result"]
    found: Message | None = None
    command = bwrap_path()
    if not sys.platform.startswith("linux"):
        found = Message(
            zh="评分沙箱需要 Linux（bubblewrap），而这台机器是 {platform}。请在文档所述的容器镜像中"
               "评分（见 README 的“评分”一节），或在确知作业可信时加上 --no-sandbox。",
            en="The grading sandbox needs Linux (bubblewrap); this machine is {platform}. Grade "
               "inside the container image described in the README's grading section, or pass "
               "--no-sandbox only if you trust every submission.", platform=sys.platform)
    elif command is None:
        found = Message(
            zh="找不到 bubblewrap（bwrap），无法为每份作业建立沙箱。请安装：`apt-get install "
               "bubblewrap`（或在 README 所述的容器镜像中评分）；只有确知作业可信时才可加 --no-sandbox。",
            en="bubblewrap (bwrap) is not installed, so no submission can be sandboxed. Install "
               "it with `apt-get install bubblewrap` (or grade inside the container image the "
               "README describes); pass --no-sandbox only if you trust every submission.")
    else:
        try:
            # as kernels start: namespaces and a tmpfs of a fixed size (bubblewrap 0.8+)
            done = subprocess.run(
                [command, "--unshare-all", "--die-with-parent", "--new-session",
                 "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                 "--size", str(SMALL_BYTES), "--tmpfs", "/run", "--", "true"],
                capture_output=True, text=True, timeout=30)
            why = "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")
        except (OSError, subprocess.SubprocessError) as error:
            why = f"{type(error).__name__}: {error}"
        if "--size" in why:
            found = Message(
                zh="bubblewrap 版本太旧（{why}）：评分沙箱需要 0.8 或更新的版本，用它限制每个内核的"
                   "写入量。请升级 bubblewrap，或在 README 所述的容器镜像中评分。",
                en="bubblewrap is too old ({why}): the grading sandbox needs version 0.8 or newer, "
                   "which caps what each kernel writes. Upgrade bubblewrap, or grade inside the "
                   "container image the README describes.", why=why[:200])
        elif why:
            found = Message(
                zh="bubblewrap 无法建立命名空间（{why}）。请允许非特权用户命名空间"
                   "（`sysctl -w kernel.unprivileged_userns_clone=1`），或以 root 身份运行，"
                   "或在 README 所述的容器镜像中评分（`docker run --privileged` 或 "
                   "`--security-opt seccomp=unconfined`）；只有确知作业可信时才可加 --no-sandbox。",
                en="bubblewrap cannot create namespaces here ({why}). Allow unprivileged user "
                   "namespaces (`sysctl -w kernel.unprivileged_userns_clone=1`), run as root, or "
                   "grade inside the container image the README describes (`docker run "
                   "--privileged` or `--security-opt seccomp=unconfined`); pass --no-sandbox "
                   "only if you trust every submission.", why=why[:200])
    _checked["result"] = found
    return found


def no_sandbox_warning() -> Message:
    return Message(
        zh="⚠️ 本次评分没有使用沙箱（--no-sandbox）：作业以评分用户的身份运行，能读写其文件、"
           "访问网络并看到 torch。只应用于可信的作业。",
        en="⚠️ This batch was graded without the sandbox (--no-sandbox): submissions ran as "
           "the grading user, with its files, its network and torch. Use it only for "
           "submissions you trust.")


# ---------------------------------------------------------------------------
# The sandbox of a batch

def _package_folder() -> Path:
    import mlp_course

    return Path(mlp_course.__file__).resolve().parent


class Sandbox:
    """What every kernel of one batch sees.  一次批量评分中所有内核共用的沙箱设置。

    ``work`` is the grader's private folder (mode 0700) for this batch; the
    copies of ``mlp_course`` and the placeholders live there, and each
    submission's scratch folder is made inside it, but a kernel is shown only
    its own scratch folder and the read-only pieces it needs.
    """

    def __init__(self, work: Path, enabled: bool = True):
        self.work = Path(work)
        self.enabled = enabled
        self.bwrap = bwrap_path() if enabled else None
        self._packages: dict[str, Path] = {}
        self._placeholders: dict[str, Path] = {}
        self._fontlist: list[Path] | None = None

    def prepare(self, lessons: list[str]) -> None:
        """Build what every kernel will need before the first one starts."""
        if not lessons:
            return  # no notebook of a known lesson: no kernel will start
        self._fonts()
        if self.enabled:
            for lesson in lessons:
                self.package(lesson)
            for name, _ in _hidden_locations():
                self._placeholder(name)

    # -- the environment --------------------------------------------------

    def environment(self, scratch: Path) -> dict[str, str]:
        """The kernel's whole environment: nothing of the grader's is inherited."""
        bin_folder = str(Path(sys.executable).parent)
        env = {
            "PATH": os.pathsep.join([bin_folder, "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(scratch),
            "LANG": "C.UTF-8",
            "TMPDIR": str(scratch / "tmp"),
            "MPLBACKEND": "agg",
            "MPLCONFIGDIR": str(scratch / ".config" / "matplotlib"),
            "IPYTHONDIR": str(scratch / ".ipython"),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            GRADING_VARIABLE: "1",
        }
        for name in THREAD_VARIABLES:
            env[name] = "1"
        return env

    def prepare_scratch(self, scratch: Path) -> None:
        """Folders the kernel writes into, and matplotlib's font list (built once per batch).

        In the sandbox the scratch folder is a fresh tmpfs: these are made there by
        bubblewrap (:meth:`command`), and the font list is bound read-only.
        """
        scratch.mkdir(parents=True, exist_ok=True)
        if self.enabled:
            return
        config = scratch / ".config" / "matplotlib"
        config.mkdir(parents=True, exist_ok=True)
        (scratch / "tmp").mkdir(exist_ok=True)
        for path in self._fonts():
            shutil.copy(path, config / path.name)

    def _fonts(self) -> list[Path]:
        # Without a font list every kernel would scan the system's fonts again (seconds).
        if self._fontlist is None:
            folder = self.work / "matplotlib"
            folder.mkdir(parents=True, exist_ok=True)
            home = self.work / "matplotlib-home"
            home.mkdir(exist_ok=True)
            env = self.environment(home)
            env["MPLCONFIGDIR"] = str(folder)
            try:
                subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                               env=env, capture_output=True, timeout=120, cwd=str(home))
            except (OSError, subprocess.SubprocessError):
                pass
            self._fontlist = sorted(folder.glob("fontlist-*.json"))
        return self._fontlist

    # -- the command ------------------------------------------------------

    def command(self, argv: list[str], scratch: Path, lesson: str | None,
                env: dict[str, str], files: list[Path] = (),
                readonly: list[Path] = (), disk_bytes: int = 256 * 2**20) -> list[str]:
        """``argv`` wrapped in bubblewrap (unchanged without the sandbox).

        ``scratch`` is an empty tmpfs of ``disk_bytes`` at the same path inside;
        ``files``: the grader's files shown read-only at their place in it (the
        kernel's connection file); ``readonly``: folders it may only read (where the
        grader puts a call's inputs).
        """
        if not self.enabled:
            return list(argv)
        scratch = Path(scratch)
        args = [self.bwrap or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                "--clearenv"]
        for name, value in env.items():
            args += ["--setenv", name, value]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        for name in ETC_FILES:
            path = Path("/etc") / name
            if path.exists():
                args += ["--ro-bind", str(path), str(path)]
        # a fresh /proc, /dev and /tmp before anything is bound below them (the Python
        # environment or the project may well live under /tmp)
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        for folder in ("/run", "/dev/shm"):
            args += ["--size", str(SMALL_BYTES), "--tmpfs", folder]
        mounted = ["/usr"]
        for prefix in sorted({sys.base_prefix, sys.prefix, sys.exec_prefix}):
            real = os.path.realpath(prefix)
            if not any(real == top or real.startswith(top + "/") for top in mounted):
                args += ["--ro-bind", real, real]
                mounted.append(real)
        # the answers: frameworks replaced by a placeholder, mlp_course by a filtered copy
        # (a virtual environment does not use its base's packages: they are not shown at all)
        for folder in _unused_site_folders():
            args += ["--tmpfs", str(folder)]
        for name, location in _hidden_locations():
            args += ["--ro-bind", str(self._placeholder(name)), str(location)]
        args += ["--ro-bind", str(self.package(lesson)), str(_package_folder())]
        # the only place for files: a tmpfs that holds at most disk_bytes
        args += ["--size", str(disk_bytes), "--tmpfs", str(scratch)]
        config = scratch / ".config" / "matplotlib"
        for folder in (scratch / "tmp", scratch / ".config", config):
            args += ["--dir", str(folder)]
        for path in self._fonts():
            args += ["--ro-bind", str(path), str(config / path.name)]
        for path in files:
            args += ["--ro-bind", str(path), str(path)]
        for folder in readonly:
            args += ["--ro-bind", str(folder), str(folder)]
        # nothing else writable: the folders on the way to the scratch folder stay as they are
        for folder in ("/dev", "/tmp", "/"):
            args += ["--remount-ro", folder]
        args += ["--chdir", str(scratch), "--"]
        return args + list(argv)

    def _placeholder(self, name: str) -> Path:
        if name not in self._placeholders:
            folder = self.work / "hidden" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "__init__.py").write_text(
                _PLACEHOLDER.format(name=name, zh=_PLACEHOLDER_ZH, en=_PLACEHOLDER_EN),
                encoding="utf-8")
            self._placeholders[name] = folder
        return self._placeholders[name]

    def package(self, lesson: str | None) -> Path:
        """A copy of ``mlp_course`` without the answers to ``lesson`` (made once per lesson)."""
        key = lesson or "-"
        if key not in self._packages:
            target = self.work / "packages" / key / "mlp_course"
            build_package(target, lesson)
            self._packages[key] = target
        return self._packages[key]


def _site_folders() -> list[Path]:
    """Every folder of Python packages a kernel could put on its path in the sandbox."""
    import glob
    import site

    found = list(site.getsitepackages()) + [site.getusersitepackages()]
    for prefix in {sys.base_prefix, sys.prefix, "/usr", "/usr/local"}:
        for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages",
                        "lib/python3/dist-packages", "lib64/python3*/site-packages"):
            found += glob.glob(os.path.join(prefix, pattern))
    unique: list[Path] = []
    for folder in found:
        path = Path(folder)
        if path.is_dir() and path.resolve() not in unique:
            unique.append(path.resolve())
    return unique


def _unused_site_folders() -> list[Path]:
    """Package folders of the base Python that a virtual environment does not use."""
    if "unused" not in _checked:
        _checked["unused"] = _find_unused_site_folders()  # type: ignore[assignment]
    return _checked["unused"]  # type: ignore[return-value]


def _find_unused_site_folders() -> list[Path]:
    if sys.prefix == sys.base_prefix:
        return []
    try:
        config = (Path(sys.prefix) / "pyvenv.cfg").read_text(encoding="utf-8").lower()
    except OSError:
        return []
    if "include-system-site-packages = true" in config:
        return []
    base = os.path.realpath(sys.base_prefix)
    return [path for path in _site_folders()
            if str(path).startswith(base + "/") and not str(path).startswith(
                os.path.realpath(sys.prefix) + "/")]


def _hidden_locations() -> list[tuple[str, Path]]:
    """(package, folder) of every installed copy of a hidden package, wherever it is."""
    if "hidden" not in _checked:
        found: list[tuple[str, Path]] = []
        unused = set(_unused_site_folders())
        for name in HIDDEN_PACKAGES:
            places = {_location(name)}
            places.update(folder / name for folder in _site_folders() if folder not in unused)
            for place in sorted(p for p in places if p is not None and p.is_dir()):
                found.append((name, place.resolve()))
        _checked["hidden"] = found  # type: ignore[assignment]
    return _checked["hidden"]  # type: ignore[return-value]


def _location(name: str) -> Path | None:
    """The folder an installed top-level package lives in, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        if os.path.isdir(location):
            return Path(location).resolve()
    return None


# ---------------------------------------------------------------------------
# mlp_course without the answers

def _resolve(dotted: str):
    """The object a dotted name inside mlp_course names, or ``None``."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _public_names(obj) -> set[str]:
    """Every dotted name an object is known by: where it is defined, and ``mlp_course.X``."""
    import mlp_course

    if isinstance(obj, types.ModuleType):
        return {obj.__name__}
    module = str(getattr(obj, "__module__", "") or "")
    qualname = str(getattr(obj, "__qualname__", "") or "")
    names = {module, f"{module}.{qualname}"}
    names.update(f"mlp_course.{name}" for name in dir(mlp_course)
                 if getattr(mlp_course, name, None) is obj)
    return names


def answer_targets(lesson: str | None) -> dict[Path, set[str]]:
    """Source file → qualified names of the functions that answer ``lesson``'s exercises.

    Blanked: the exercises' references and expected functions (and anything else
    defined in the exercise modules they name), and every ``mlp_course`` object
    that *every* exercise of the lesson forbids (a function, every method of a
    class, every function and class of a module). A library function that one
    exercise forbids but another may use (``softmax`` in lesson 06) stays: its
    use where it is forbidden is caught from the source and the captured function.
    """
    from ..course.exercises.core import exercises_of, is_forbidden

    if lesson is None:
        return {}
    exercises = exercises_of(lesson)
    root = _package_folder()
    candidates: list = []
    for exercise in exercises:
        candidates += [exercise.reference, exercise.expected]
        for name in exercise.forbidden:
            if name == "mlp_course" or name.startswith("mlp_course."):
                found = _resolve(name)
                if found is not None:
                    candidates.append(found)

    def forbidden_everywhere(obj) -> bool:
        names = _public_names(obj)
        return all(any(is_forbidden(name, exercise.forbidden) for name in names)
                   for exercise in exercises)

    targets: dict[Path, set[str]] = {}

    def add(obj) -> None:
        if isinstance(obj, types.ModuleType):
            # a package (mlp_course itself) stays: its __init__ holds the language setting
            path = getattr(obj, "__file__", None)
            if path and not hasattr(obj, "__path__") and forbidden_everywhere(obj):
                targets.setdefault(Path(path).resolve(), set()).add("*")
            return
        func = getattr(obj, "func", None)  # functools.partial
        if func is not None and not isinstance(obj, (type, types.FunctionType)):
            add(func)
            return
        if not isinstance(obj, (type, types.FunctionType)):
            return
        obj = inspect.unwrap(obj)
        module = str(getattr(obj, "__module__", "") or "")
        if not (module.startswith("mlp_course.course.exercises.") or forbidden_everywhere(obj)):
            return
        try:
            path = Path(inspect.getsourcefile(obj) or "").resolve()
        except TypeError:
            return
        qualname = str(getattr(obj, "__qualname__", "") or "")
        qualname = qualname.split(".<locals>")[0]  # a local function: the one around it
        if qualname and "<" not in qualname:
            targets.setdefault(path, set()).add(qualname + (".*" if isinstance(obj, type) else ""))

    for obj in candidates:
        add(obj)
    return {path: names for path, names in targets.items() if path.is_relative_to(root)}


def blanked_source(source: str, names: set[str]) -> str:
    """``source`` with the bodies of the named functions replaced by a raising stub.

    ``names`` holds qualified names (``f``, ``Class.method``), ``Class.*`` for
    every method of a class and ``*`` for every function and class of the module.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans: list[tuple[int, int, int, str, str]] = []

    def visit(body, prefix: str, whole: bool) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = prefix + node.name
                if whole or qualname in names:
                    spans.append((node.lineno, node.end_lineno, node.col_offset, node.name,
                                  qualname))
            elif isinstance(node, ast.ClassDef):
                qualname = prefix + node.name
                visit(node.body, qualname + ".", whole or f"{qualname}.*" in names)

    visit(tree.body, "", "*" in names)
    for start, end, column, name, qualname in sorted(spans, reverse=True):
        indent = " " * column
        stub = (f"{indent}def {name}(*args, **kwargs):\n"
                f"{indent}    raise __import__('mlp_course._grading', fromlist=['_'])"
                f".unavailable({qualname!r})\n")
        lines[start - 1:end] = [stub]
    return "".join(lines)


def build_package(target: Path, lesson: str | None) -> None:
    """Copy ``mlp_course`` to ``target`` with ``lesson``'s answers blanked out."""
    root = _package_folder()
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(root, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "grader"))
    (target / "_grading.py").write_text(_GRADING_MODULE.format(
        lesson=lesson, zh=_UNAVAILABLE_ZH, en=_UNAVAILABLE_EN), encoding="utf-8")
    for path, names in answer_targets(lesson).items():
        copy = target / path.relative_to(root)
        copy.write_text(blanked_source(path.read_text(encoding="utf-8"), names),
                        encoding="utf-8")


# ---------------------------------------------------------------------------
# Tricks that can only be detected: a human should look

# built-in names the grader's requests and helper rely on; rebinding one is a trick
_GRADER_BUILTINS = frozenset({"globals", "__import__", "isinstance", "issubclass", "type",
                              "callable", "getattr", "hasattr", "setattr", "open", "repr",
                              "str", "dict", "list", "tuple", "vars", "exec", "eval",
                              "compile", "id", "super", "object", "BaseException",
                              "Exception", "NotImplementedError"})
_FRAME_ATTRIBUTES = frozenset({"f_back", "f_globals", "f_locals", "f_builtins", "f_code",
                               "gi_frame", "cr_frame", "tb_frame", "__globals__",
                               "__builtins__", "__code__", "__closure__", "__subclasses__"})
_PROCESS_NAMES = ("os.fork", "os.forkpty", "os.system", "os.popen", "os.setsid", "os.spawn",
                  "os.exec", "os.posix_spawn", "os.kill", "os.killpg", "subprocess", "pty",
                  "multiprocessing", "signal")
_NETWORK_NAMES = ("socket", "urllib", "http", "requests", "ftplib", "smtplib",
                  "asyncio.open_connection")


def _reason(kind: str, what: str) -> Message:
    """One "needs a human look" reason, by kind."""
    if kind == "dynamic":
        return Message(zh="🔎 需要人工查看：笔记本运行了评分器读不到的代码（{what}）。",
                       en="🔎 Needs a human look: the notebook runs code the grader cannot "
                          "read ({what}).", what=what)
    if kind == "modules":
        return Message(zh="🔎 需要人工查看：笔记本直接操作已导入的模块表（{what}），可能借此拿到"
                          "被禁止的库或替换评分器的函数。",
                       en="🔎 Needs a human look: the notebook reaches into the table of imported "
                          "modules ({what}), which can fetch a forbidden library or replace the "
                          "grader's functions.", what=what)
    if kind == "frames":
        return Message(zh="🔎 需要人工查看：笔记本检查调用栈或函数内部（{what}），可能借此读取"
                          "评分器的数据。",
                       en="🔎 Needs a human look: the notebook inspects call frames or function "
                          "internals ({what}), which can read the grader's data.", what=what)
    if kind == "builtins":
        return Message(zh="🔎 需要人工查看：笔记本改动了 Python 的内置函数（{what}），评分器依赖它们。",
                       en="🔎 Needs a human look: the notebook changes Python's built-in "
                          "functions ({what}), which the grader relies on.", what=what)
    if kind == "grader":
        return Message(zh="🔎 需要人工查看：笔记本访问了评分器放在内核里的辅助模块（{what}）。",
                       en="🔎 Needs a human look: the notebook touches the grader's helper "
                          "inside the kernel ({what}).", what=what)
    if kind == "native":
        return Message(zh="🔎 需要人工查看：笔记本调用了原生代码（{what}），可以绕过 Python 的"
                          "一切检查。",
                       en="🔎 Needs a human look: the notebook calls native code ({what}), which "
                          "bypasses every check made in Python.", what=what)
    if kind == "processes":
        return Message(zh="🔎 需要人工查看：笔记本启动或控制其他进程（{what}）。",
                       en="🔎 Needs a human look: the notebook starts or signals other processes "
                          "({what}).", what=what)
    if kind == "network":
        return Message(zh="🔎 需要人工查看：笔记本尝试访问网络（{what}）；评分时没有网络。",
                       en="🔎 Needs a human look: the notebook tries to use the network "
                          "({what}); grading has no network.", what=what)
    if kind == "registry":
        return Message(zh="🔎 需要人工查看：笔记本读取练习登记表或参考实现（{what}）。",
                       en="🔎 Needs a human look: the notebook reads the exercise registry or a "
                          "reference implementation ({what}).", what=what)
    return Message(zh="🔎 需要人工查看：评分时发现内核里的内置函数或评分器的辅助函数被替换了"
                      "（{what}）。",
                   en="🔎 Needs a human look: while grading, built-in functions or the grader's "
                      "helper in the kernel were found replaced ({what}).", what=what)


def lesson_cells(lesson: str | None) -> frozenset[str]:
    """The code cells of a lesson as handed out (both languages) and of its source.

    A cell a student left exactly as it was given (the lesson's set-up cell
    that installs the package, say) is the course's code, not the student's.
    """
    if lesson is None:
        return frozenset()
    if lesson not in _LESSON_CELLS:
        import json

        from ..course.syllabus import get_lesson

        cells: set[str] = set()
        try:
            found = get_lesson(lesson)
            paths = [found.source] + [found.student(lang) for lang in ("zh", "en")]
        except Exception:
            paths = []
        for path in paths:
            try:
                notebook = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
                if isinstance(cell, dict) and cell.get("cell_type") == "code":
                    source = cell.get("source", "")
                    cells.add("".join(source) if isinstance(source, list) else str(source))
        _LESSON_CELLS[lesson] = frozenset(cells)
    return _LESSON_CELLS[lesson]


_LESSON_CELLS: dict[str, frozenset[str]] = {}


def suspicious(sources: list[str], aliases: dict[str, str] | None = None,
               lesson: str | None = None) -> list[Message]:
    """Why a notebook needs a human look, from its code cells (one reason per kind).

    Only what the grader cannot prevent inside one Python process: code built
    at run time, the module table, frames and function internals, rebound
    built-ins, the grader's helper, native code, processes, the network and
    the exercise registry. Cells exactly as the lesson hands them out are not
    the student's and are not read.
    """
    from ..course.exercises.core import aliases_in, names_used
    from .runner import HELPER_MODULE
    from .submissions import python_source

    found: dict[str, set[str]] = {}

    def note(kind: str, what: str) -> None:
        found.setdefault(kind, set()).add(what)

    given = lesson_cells(lesson)
    for source in sources:
        if source in given:
            continue
        code = python_source(source)
        if HELPER_MODULE in code:
            note("grader", HELPER_MODULE)
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        local = dict(aliases or {})
        local.update(aliases_in(tree))
        for name in names_used(tree, local):
            root = name.split(".")[0]
            if name in ("exec", "eval", "compile", "__import__", "runpy", "code.interact",
                        "types.FunctionType", "types.CodeType", "importlib.import_module",
                        "importlib.reload", "importlib.__import__") \
                    or name.startswith(("importlib.machinery", "importlib.util.module_from_spec",
                                        "importlib.util.spec_from")):
                note("dynamic", name)
            if name.startswith("sys.modules") or name.startswith("sys.meta_path") \
                    or name.startswith("sys.path_hooks"):
                note("modules", name)
            if name in ("sys._getframe", "sys.settrace", "sys.setprofile", "inspect.currentframe",
                        "inspect.stack", "inspect.trace", "inspect.getouterframes",
                        "inspect.getinnerframes") or root in ("gc", "traceback"):
                note("frames", name)
            if root in ("builtins", "__builtins__", "__builtin__"):
                note("builtins", name)
            if root in ("ctypes", "cffi", "_ctypes", "mmap"):
                note("native", name)
            if any(name == bad or name.startswith(bad) for bad in _PROCESS_NAMES):
                note("processes", name)
            if any(name == bad or name.startswith(bad + ".") for bad in _NETWORK_NAMES):
                note("network", name)
            if name.startswith("mlp_course.course.exercises") and name.split(".")[-1] in (
                    "reference", "get_exercise", "REGISTRY", "_CHECKED", "core") \
                    or name.endswith("_reference") \
                    or name.startswith("mlp_course._grading"):
                note("registry", name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in _FRAME_ATTRIBUTES:
                note("frames", "." + node.attr)
            elif isinstance(node, ast.Attribute) and node.attr == "reference":
                note("registry", ".reference")
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) \
                    and node.id in _GRADER_BUILTINS:
                note("builtins", node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and node.name in _GRADER_BUILTINS:
                note("builtins", node.name)
    return [_reason(kind, ", ".join(sorted(found[kind]))[:160]) for kind in
            ("dynamic", "modules", "frames", "builtins", "grader", "native", "processes",
             "network", "registry") if kind in found]


def tampered(what: str) -> Message:
    """The reason for a kernel in which built-ins or the grader's helper were found replaced."""
    return _reason("tampered", what)
