"""Create or update the course's virtual environment, then run a command in it.

创建或更新课程的虚拟环境，然后在其中运行命令。

    python3 tools/env.py lab [--lang zh|en] [jupyter args...]   # learner: open JupyterLab
    python3 tools/env.py test [pytest args...]                  # developer: run every test
    python3 tools/env.py setup [--dev]                          # set up only

On Windows use ``py tools\\env.py lab`` (or ``test``).

``lab`` and ``setup`` install what a learner needs (``requirements.txt``);
``test`` and ``setup --dev`` add the development tools (``requirements-dev.txt``,
present in a checkout, not in a class release). The environment lives in
``.venv`` next to this folder (or where ``MLP_COURSE_VENV`` points). It is
(re)installed when missing, or when a requirements file or ``pyproject.toml``
changed since the last install, so re-running a command after pulling brings
it up to date. Only Python 3.10+ and pip are needed beforehand.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("MLP_COURSE_VENV") or ROOT / ".venv").resolve()
STAMP = VENV / ".mlp-course-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
RUNTIME = "requirements.txt"
DEV = "requirements-dev.txt"


def _load_i18n():
    """The course's one language rule (``mlp_course/i18n.py``, standard library only),
    loaded from its file: this script runs before the package and numpy are installed."""
    spec = importlib.util.spec_from_file_location("_mlp_course_i18n",
                                                  ROOT / "mlp_course" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


I18N = _load_i18n()


def _say(zh: str, en: str) -> None:
    # MLP_COURSE_LANG, else a release's own language, else Chinese; `--lang` if given
    print(f"[mlp-course] {en if I18N.get_language() == 'en' else zh}", flush=True)


def _fingerprint(name: str) -> str:
    """What an install of ``name`` depends on: the files, and the folder it installs from."""
    digest = hashlib.sha256(str(ROOT).encode())
    for part in (name, "pyproject.toml", *([RUNTIME] if name == DEV else [])):
        digest.update((ROOT / part).read_bytes())
    return digest.hexdigest()


def _installed() -> dict:
    try:
        found = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _pins(name: str) -> list[str]:
    """The ``name==version`` lines of the runtime requirements (torch's exact pin)."""
    lines = (line.split("#")[0].strip() for line in (ROOT / RUNTIME).read_text().splitlines())
    return [line for line in lines if line.replace(" ", "").lower().startswith(f"{name}==")]


def _has(pin: str) -> bool:
    """Whether the environment holds the version ``name==version`` pins (a local label such
    as ``+cpu`` aside, as the pin itself allows)."""
    name, _, version = pin.replace(" ", "").partition("==")
    found = subprocess.run([str(PYTHON), "-c", "import sys; from importlib.metadata import "
                            "version; print(version(sys.argv[1]))", name],
                           capture_output=True, text=True)
    return found.returncode == 0 and (found.stdout or "").strip().split("+")[0] == version


def _own_pip() -> list[str]:
    """The environment's own pip, made now (Python's ensurepip) if it has none yet."""
    own = [str(PYTHON), "-m", "pip"]
    if subprocess.run([*own, "--version"], capture_output=True).returncode != 0:
        subprocess.run([str(PYTHON), "-m", "ensurepip", "--default-pip"], check=True,
                       stdout=subprocess.DEVNULL, cwd=ROOT)
    return own


def _install(wanted: str) -> None:
    """Install ``wanted`` into the environment, without compiling anything to bytecode.

    pip installs uv, a resolver and installer several times faster than pip, and fetches
    the exactly pinned torch unless the environment has it already (pip is what finds the
    CPU build where a machine provides one); then uv installs everything, torch from the
    file pip fetched, and pip itself, so that the environment has its own. The pip that
    does the first two is the one of the Python running this script, working on the
    environment (``--python``, pip 22.3 and later): a new environment then needs no pip
    of its own first, which Python's ensurepip takes some 4 s to make. With an older pip,
    or none, the environment gets its own first. Where uv cannot be had or fails, pip
    installs torch, then the rest. No bytecode at install time: pip would compile every
    file of every package (torch's alone is over half of pip's install); Python compiles
    what is imported, once, on first use.

    先由 pip 装上比它快几倍的 uv，并在环境里还没有时取得精确固定版本的 torch 安装文件
    （机器上提供 CPU 版时只有 pip 找得到）；再由 uv 安装全部依赖（torch 用 pip 取得的那个
    文件）以及 pip 本身，让环境有自己的 pip。前两步用的是运行本脚本的 Python 自带的 pip，
    通过 ``--python`` 作用于课程环境（pip 22.3 起支持）：新环境因此不必先装一份自己的
    pip——Python 的 ensurepip 装它要 4 秒左右。pip 版本较旧或没有 pip 时，才先给环境装上
    它自己的 pip。拿不到 uv 或 uv 失败时，仍由 pip 先装 torch、再装其余的包。安装时不预编译
    字节码：pip 会把每个包的每个文件都编译一遍（仅 torch 就占一半以上时间）；Python 在
    第一次导入时只编译用到的模块，且只编译一次。
    """
    # no self-upgrade of pip, which would ask the package index every time
    options = ["--disable-pip-version-check"]
    pip = [sys.executable, "-m", "pip", "--python", str(PYTHON)]

    def pip_does(*args: str) -> bool:
        nonlocal pip
        if subprocess.run([*pip, *args], cwd=ROOT).returncode == 0:
            return True
        if "--python" not in pip:
            return False
        pip = _own_pip()    # this Python's pip is older than 22.3, or missing
        return subprocess.run([*pip, *args], cwd=ROOT).returncode == 0

    pins = _pins("torch")
    uv = BIN / ("uv.exe" if os.name == "nt" else "uv")
    with tempfile.TemporaryDirectory(prefix="mlp-course-wheels-") as folder:
        ready = uv.exists() or pip_does("install", *options, "--no-compile", "--quiet",
                                        "uv>=0.5,<1")
        # an environment set up before already has it: nothing to fetch, nothing to unpack
        missing = [pin for pin in pins if not _has(pin)] if ready else []
        files: list[str] = []
        if missing:
            ready = pip_does("download", *options, "--quiet", "--no-deps", "--dest", folder,
                             *missing)
            files = sorted(str(path) for path in Path(folder).glob("*.whl"))
            ready = ready and len(files) == len(missing)
        if ready and subprocess.run([str(uv), "pip", "install", "--python", str(PYTHON),
                                     "pip>=23", "-r", wanted, *files],
                                    cwd=ROOT).returncode == 0:
            return
    _say(f"uv 没能安装 {wanted}，改用 pip 安装（会慢一些）。",
         f"uv could not install {wanted}; pip installs it instead (slower).")
    install = [*_own_pip(), "install", *options, "--no-compile"]
    if pins:
        subprocess.run([*install, *pins], check=True, cwd=ROOT)
    subprocess.run([*install, "-r", wanted], check=True, cwd=ROOT)


def setup(dev: bool = False) -> None:
    wanted = DEV if dev else RUNTIME
    if not (ROOT / wanted).exists():
        _say(f"没有 {wanted}：测试与开发工具只在课程仓库中提供（发给学生的发布包只能运行 lab）。",
             f"{wanted} is missing: the tests and development tools come with a checkout of "
             "the course's repository (a class release runs `lab` only).")
        raise SystemExit(2)
    if not PYTHON.exists():
        _say(f"正在创建虚拟环境 {VENV.name}/", f"creating virtual environment in {VENV.name}/")
        # no pip of its own yet: uv installs one with everything else (see _install)
        venv.EnvBuilder(with_pip=False).create(VENV)
    stamps = _installed()
    if stamps.get(wanted) == _fingerprint(wanted):
        return
    _say(f"正在安装 {wanted} 中的依赖（第一次运行，或依赖有改动）",
         f"installing {wanted} (first run, or the requirements changed)")
    _install(wanted)
    stamps = {RUNTIME: _fingerprint(RUNTIME)}
    if dev:
        stamps[DEV] = _fingerprint(DEV)
    STAMP.write_text(json.dumps(stamps, indent=1) + "\n")


def run(args: list[str]) -> int:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    return subprocess.call(args, cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("lab", "test", "setup"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    try:
        chosen, _ = I18N.language_option(rest)  # only to speak; `lab` reads it again itself
    except I18N.CourseValueError as error:
        print(f"[mlp-course] {error}", file=sys.stderr)
        return 2
    if chosen is not None:
        I18N.set_language(chosen)
    setup(dev=command == "test" or (command == "setup" and "--dev" in rest))
    if command == "setup":
        return 0
    if command == "test":
        # two workers (pyproject's --dist loadfile keeps a notebook's cells on one worker)
        parallel = [] if any(a.startswith("-n") for a in rest) else ["-n", "2"]
        return run([str(PYTHON), "-m", "pytest", *parallel, *rest])
    return run([str(PYTHON), "-m", "mlp_course", "lab", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
