"""Create or update the course's virtual environment, then run a command in it.

创建或更新课程的虚拟环境，然后在其中运行命令。

    python3 tools/env.py lab [jupyter args...]   # set up, open JupyterLab
    python3 tools/env.py test [pytest args...]   # set up, run every test
    python3 tools/env.py setup                   # set up only

The environment lives in ``.venv`` in the repository. It is (re)installed when
missing, or when ``requirements.txt`` or ``pyproject.toml`` changed since the
last install, so re-running a command after pulling brings it up to date.
Only Python 3.10+ and pip are needed beforehand.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".mlp-course-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def setup() -> None:
    if not PYTHON.exists():
        print(f"[mlp-course] creating virtual environment in {VENV.name}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    print("[mlp-course] installing requirements (first run or requirements changed)", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--quiet", "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-r", "requirements.txt"], check=True, cwd=ROOT)
    STAMP.write_text(wanted + "\n")


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
    setup()
    if command == "setup":
        return 0
    if command == "test":
        # two workers (pyproject's --dist loadfile keeps a notebook's cells on one worker)
        parallel = [] if any(a.startswith("-n") for a in rest) else ["-n", "2"]
        return run([str(PYTHON), "-m", "pytest", *parallel, *rest])
    return run([str(PYTHON), "-m", "mlp_course", "lab", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
