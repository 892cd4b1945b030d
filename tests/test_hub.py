"""A class on a real JupyterHub: two students pull the course with nbgitpuller and work apart.

End to end, all on 127.0.0.1 and started and stopped here:

* the student-only source (``python -m mlp_course student-repo``) for zh and en,
  served by ``git daemon`` as a class's git host would;
* a real JupyterHub (the course's settings from ``deploy/jupyterhub_config.d``,
  ``configurable-http-proxy`` from the npm registry, the shared-password
  authenticator, the local process spawner) whose students are real Unix
  users with private homes, as on The Littlest JupyterHub;
* the hub runs in a private mount namespace that shows the students what the
  hub image holds: the Python environment and the course package, the
  JupyterLab settings installed by ``binder/postBuild`` — not the project's
  checkout with its solutions and history;
* Chromium, driven by Playwright, logs in as a zh and an en student in
  parallel through an nbgitpuller link, runs lesson 01 (Run All, no error),
  moves a logit slider, and checks from the contents API and from each
  kernel that neither student reaches the other's files nor any solution.

Root is needed (Unix users, mounts). CI runs as root and installs every part
(``tools/system-deps.sh``); elsewhere the hub test is skipped with the reason.
The fast tests at the top (student branch, Binder files) run everywhere.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import mlp_course
from mlp_course.course import student_repo
from mlp_course.course.notebooks import BEGIN
from mlp_course.course.syllabus import ROOT
from mlp_course.i18n import CourseValueError
from learner_env import HUB_REQUIREMENTS, check_extensions, learner_jupyter_config
from test_browser import CHROMIUM, _free_port

try:
    import pwd  # Unix users: the hub test runs on Linux as root
except ImportError:  # Windows: the fast tests still run
    pwd = None

BINDER = ROOT / "binder"
DEPLOY = ROOT / "deploy"
PROXY = ROOT / ".cache" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy"
LAB_SCHEMAS = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"


# ---------------------------------------------------------------------------
# The student-only branch (fast, no hub)

def _release_zip(path: Path, lang: str, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"mlp-course-{lang}/{name}", content)
    return path


def _notebook(*sources: str, tags=()) -> str:
    cells = [{"cell_type": "code", "metadata": {"tags": list(tags)}, "source": s,
              "outputs": [], "execution_count": None} for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _git(*args, cwd=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_the_student_branch_of_the_real_course_holds_lessons_and_package_but_no_solution(tmp_path):
    repo = tmp_path / "course.git"
    commit, changed = student_repo.build_student_repo("zh", repo)
    assert changed
    files = _git("--git-dir", str(repo), "ls-tree", "-r", "--name-only", "student-zh").split("\n")
    assert {f"lessons/zh/{p.name}" for p in (ROOT / "lessons" / "zh").glob("*.ipynb")} <= set(files)
    assert not any(f.startswith("lessons/en/") for f in files), "one language only"
    assert "mlp_course/__init__.py" in files and "binder/overrides.json" in files
    assert not any("solutions" in f.split("/") for f in files), files
    for name in files:
        if name.endswith(".ipynb"):
            content = _git("--git-dir", str(repo), "show", f"student-zh:{name}")
            assert BEGIN not in content, f"{name} holds a solution"
    # the same material again: no new commit
    assert student_repo.build_student_repo("zh", repo) == (commit, False)


def test_each_update_is_a_new_commit_on_the_branch_and_students_edits_survive_a_pull(tmp_path):
    from nbgitpuller.pull import GitPuller

    repo = tmp_path / "course.git"
    first = _release_zip(tmp_path / "1.zip", "en", {
        "lessons/en/01_softmax.ipynb": _notebook("x = 1"), "mlp_course/__init__.py": ""})
    commit1, _ = student_repo.build_student_repo("en", repo, release_archive=first)
    home = tmp_path / "home"
    home.mkdir()
    target = home / student_repo.target_folder("en")
    list(GitPuller(f"file://{repo}", str(target), branch="student-en").pull())
    lesson = target / "lessons" / "en" / "01_softmax.ipynb"
    lesson.write_text(_notebook("x = 1", "my own work"))  # the student works

    second = _release_zip(tmp_path / "2.zip", "en", {
        "lessons/en/01_softmax.ipynb": _notebook("x = 1"),
        "lessons/en/02_nll.ipynb": _notebook("y = 2"), "mlp_course/__init__.py": ""})
    commit2, changed = student_repo.build_student_repo("en", repo, release_archive=second)
    assert changed and commit2 != commit1
    assert _git("--git-dir", str(repo), "rev-parse", f"{commit2}^") == commit1, \
        "the branch grows; it is never rewritten"
    list(GitPuller(f"file://{repo}", str(target), branch="student-en").pull())
    assert (target / "lessons" / "en" / "02_nll.ipynb").exists(), "the new lesson arrived"
    assert "my own work" in lesson.read_text(), "the student's edit survived the update"


@pytest.mark.parametrize("files, reason", [
    ({"solutions/01_softmax.ipynb": _notebook("x")}, "solutions"),
    ({"lessons/en/01_softmax.ipynb": _notebook(f"{BEGIN}\nx = 1\n### END SOLUTION")},
     "01_softmax.ipynb"),
    ({"lessons/en/01_softmax.ipynb": _notebook("a", tags=["lang-zh", "lang-en"])},
     "01_softmax.ipynb"),
])
def test_material_with_solutions_is_refused_and_nothing_is_committed(tmp_path, files, reason,
                                                                     bilingual_error):
    archive = _release_zip(tmp_path / "r.zip", "en", {
        "lessons/en/00_start_here.ipynb": _notebook("x"), **files})
    repo = tmp_path / "course.git"
    bilingual_error(CourseValueError,
                    lambda: student_repo.build_student_repo("en", repo, release_archive=archive),
                    en=("no solutions", reason), zh=("答案", reason))
    assert not (repo / "refs" / "heads" / "student-en").exists()


def test_the_command_commits_once_and_prints_the_link_in_the_chosen_language(tmp_path, capsys):
    from mlp_course.__main__ import main

    archive = _release_zip(tmp_path / "r.zip", "zh", {
        "lessons/zh/00_start_here.ipynb": _notebook("x"), "mlp_course/__init__.py": ""})
    repo = tmp_path / "course.git"
    arguments = ["student-repo", "--lang", "zh", "--out", str(repo), "--from-release", str(archive),
                 "--hub", "https://hub.example.edu", "--repo-url", "https://git.example.edu/c.git"]
    assert main(arguments) == 0
    first = capsys.readouterr().out
    assert "已提交" in first and "student-zh" in first
    assert "nbgitpuller 链接：https://hub.example.edu/hub/user-redirect/git-pull?" in first
    assert main(arguments) == 0
    assert "已是最新" in capsys.readouterr().out
    assert _git("--git-dir", str(repo), "rev-list", "--count", "student-zh") == "1"


def test_the_nbgitpuller_link_pulls_the_branch_into_its_own_folder_and_opens_a_lesson():
    from urllib.parse import parse_qs, urlsplit

    link = student_repo.nbgitpuller_link("https://hub.example.edu/", "https://git.example.edu/c.git",
                                         "zh", lesson="01_softmax")
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    query = {key: value[0] for key, value in parse_qs(parts.query).items()}
    assert query == {"repo": "https://git.example.edu/c.git", "branch": "student-zh",
                     "targetpath": "mlp-course-zh",
                     "urlpath": "lab/tree/mlp-course-zh/lessons/zh/01_softmax.ipynb"}


# ---------------------------------------------------------------------------
# Binder / image files (fast)

def test_binder_overrides_name_real_jupyterlab_settings_with_valid_values():
    overrides = json.loads((BINDER / "overrides.json").read_text(encoding="utf-8"))
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "zh_CN"
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert overrides["@jupyterlab/notebook-extension:tracker"]["autoStartDefaultKernel"] is True
    for plugin_id, values in overrides.items():
        package, plugin = plugin_id.split(":")
        schema = json.loads((LAB_SCHEMAS / package / f"{plugin}.json").read_text())
        for key, value in values.items():
            spec = schema["properties"][key]
            kinds = {"string": str, "boolean": bool, "number": (int, float)}
            assert isinstance(value, kinds[spec["type"]]), (plugin_id, key, value)
            if "enum" in spec:
                assert value in spec["enum"], (plugin_id, key, value)


def _requirements(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*([<>=!~].*)?$", line)
        if match and not line.startswith("-"):
            found[match.group(1).lower()] = (match.group(2) or "").replace(" ", "")
    return found


def test_the_image_installs_what_a_learner_needs_with_the_projects_own_ranges():
    image = _requirements(BINDER / "requirements.txt")
    project = _requirements(ROOT / "requirements.txt")
    for name in ("numpy", "matplotlib", "ipywidgets", "jupyterlab",
                 "jupyterlab-language-pack-zh-cn", "pyyaml", "torch", "jupyterhub", "nbgitpuller"):
        assert name in image, f"binder/requirements.txt lacks {name}"
        if name in project:
            assert image[name] == project[name], f"{name}: {image[name]} vs {project[name]}"
    assert image["torch"] == "==2.13.0"
    assert "." in (BINDER / "requirements.txt").read_text().split(), "the course package itself"
    apt = (BINDER / "apt.txt").read_text().split()
    assert {"fonts-noto-cjk", "fonts-noto-color-emoji", "git"} <= set(apt)


def test_the_hub_image_is_built_from_the_binder_files_and_never_copies_solutions():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied = [line.split()[1:-1] for line in dockerfile.splitlines() if line.startswith("COPY")]
    sources = {source for group in copied for source in group if not source.startswith("--")}
    assert {"binder/apt.txt", "binder/requirements.txt", "binder/overrides.json",
            "binder/postBuild"} <= sources
    assert not any(source.startswith(("solutions", "lessons", ".")) for source in sources), sources

    import yaml

    config = yaml.safe_load((DEPLOY / "config.yaml").read_text(encoding="utf-8"))
    single = config["singleuser"]
    assert single["defaultUrl"] == "/lab"
    limits = _hub_limits()
    assert _bytes(single["memory"]["limit"]) == limits["mem_limit"]
    assert _bytes(single["memory"]["guarantee"]) == limits["mem_guarantee"]
    assert float(single["cpu"]["limit"]) == limits["cpu_limit"]


def _bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)i?", str(size)).groups()
    return int(float(number) * 1024 ** " KMGT".index(unit or " "))


def _hub_limits() -> dict:
    """The limits deploy/jupyterhub_config.d sets, as JupyterHub's spawner reads them."""
    from jupyterhub.spawner import LocalProcessSpawner
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("mlp_course.py", path=str(DEPLOY / "jupyterhub_config.d")).load_config()
    spawner = LocalProcessSpawner(config=config)
    return {"mem_limit": spawner.mem_limit, "mem_guarantee": spawner.mem_guarantee,
            "cpu_limit": spawner.cpu_limit}


# ---------------------------------------------------------------------------
# The hub, end to end

def _missing_parts() -> list[str]:
    missing = []
    if pwd is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        missing.append("root (real Unix users for the students)")
    for tool in ("git", "unshare", "mount", "useradd", "userdel"):
        if shutil.which(tool) is None:
            missing.append(tool)
    if CHROMIUM is None:
        missing.append("chromium")
    if _proxy_command() is None:
        missing.append("configurable-http-proxy (npm; tools/system-deps.sh)")
    for module in ("jupyterhub", "nbgitpuller", "playwright"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {module}")
    return missing


def _proxy_command() -> str | None:
    if PROXY.exists():
        return str(PROXY)
    return shutil.which("configurable-http-proxy")


def _require_hub_parts():
    missing = _missing_parts()
    if missing:
        reason = "the hub test needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"the hub test must run in CI: {reason}")
        pytest.skip(reason)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, what: str, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not start; its log:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen, timeout=20):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _pids_of(uid: int) -> list[int]:
    """The live processes of a user (not the zombies their parent has yet to collect)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    pids.append(int(entry.name))
        except (OSError, IndexError):
            pass
    return pids


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return round(total / 1024)


class Student:
    def __init__(self, name: str, lang: str, home: Path):
        self.name, self.lang, self.home = name, lang, home

    @property
    def folder(self) -> str:
        return student_repo.target_folder(self.lang)


def _create_student(name: str, lang: str, homes: Path) -> Student:
    home = homes / name
    subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--user-group",
                    "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
    os.chmod(home, 0o700)
    account = pwd.getpwnam(name)
    if lang == "en":
        # what Settings ▸ Language ▸ English writes: this student chose English
        settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "translation-extension"
        settings.mkdir(parents=True)
        (settings / "plugin.jupyterlab-settings").write_text('{"locale": "en"}\n')
        for folder, _, names in os.walk(home / ".jupyter"):
            os.chown(folder, account.pw_uid, account.pw_gid)
            for file in names:
                os.chown(os.path.join(folder, file), account.pw_uid, account.pw_gid)
    return Student(name, lang, home)


def _stop_processes_of(name: str, timeout=10):
    """End a student's server and kernels at once (the test is over: nothing to save)."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    deadline = time.time() + timeout
    while _pids_of(uid) and time.time() < deadline:
        for pid in _pids_of(uid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def _remove_student(name: str):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    _stop_processes_of(name, timeout=5)
    for _ in range(20):
        if subprocess.run(["userdel", name], capture_output=True).returncode in (0, 6):
            return
        time.sleep(0.2)


def _outermost(paths: set[Path]) -> list[Path]:
    return sorted(p for p in paths if not any(q != p and q in p.parents for q in paths))


def _namespace_script(stage: Path, needed: list[Path], lab_settings: Path, venv: Path) -> str:
    """A shell script that, inside a private mount namespace, shows only what a hub image
    holds: the checkout and every folder other users cannot enter are replaced by empty
    ones, into which the needed folders (Python, the environment, the package, the proxy,
    the hub's own folder) are bound back; then it runs its arguments."""
    hidden = {ROOT}
    for path in needed:
        for parent in reversed(path.parents):
            if parent != Path("/") and not parent.stat().st_mode & stat.S_IXOTH:
                hidden.add(parent)
    q = lambda path: shlex.quote(str(path))  # noqa: E731
    lines = ["set -eu"]
    hides = _outermost(hidden)
    for index, hide in enumerate(hides):
        lines += [f"mkdir -p {q(stage / str(index))}",
                  f"mount --rbind {q(hide)} {q(stage / str(index))}",
                  f"mount -t tmpfs -o mode=0755 tmpfs {q(hide)}"]
    for path in needed:
        for index, hide in enumerate(hides):
            if path == hide or hide in path.parents:
                lines += [f"mkdir -p {q(path)}",
                          f"mount --rbind {q(stage / str(index) / path.relative_to(hide))} {q(path)}"]
    settings = venv / "share" / "jupyter" / "lab" / "settings"
    lines += [f"mount --bind {q(lab_settings)} {q(settings)}", 'exec "$@"']
    return "\n".join(lines) + "\n"


class Hub:
    """JupyterHub with the course's settings, in its own mount namespace, on 127.0.0.1."""

    def __init__(self, folder: Path, students: list[Student]):
        self.folder = folder
        self.port = _free_port()
        self.password = secrets.token_urlsafe(12)
        state = folder / "state"
        state.mkdir(mode=0o700)
        venv = Path(sys.prefix).resolve()
        # JupyterLab reads overrides.json from here; the real folder stays empty, the
        # namespace binds the hub's own copy over it, as the image has it
        (venv / "share" / "jupyter" / "lab" / "settings").mkdir(parents=True, exist_ok=True)
        lab_settings = folder / "lab-settings"
        lab_settings.mkdir()
        shutil.copytree(BINDER, folder / "binder")
        singleuser = venv / "bin" / "jupyterhub-singleuser"
        # the hub reads the course's settings as an admin installs them (the checkout is
        # not visible inside the namespace)
        course_config = state / "mlp_course.py"
        shutil.copy(DEPLOY / "jupyterhub_config.d" / "mlp_course.py", course_config)
        # the single-user image holds binder/requirements.txt alone: the development
        # tools' JupyterLab extensions (nbgrader's, say) are turned off, as they are absent
        # there. The folder is one more place to read configuration from, below the hub's
        # own (which students may pass through); each student's own folder, where their
        # settings (the interface language) are written, stays theirs.
        jupyter_config = learner_jupyter_config(folder / "jupyter-config", HUB_REQUIREMENTS)
        config = state / "jupyterhub_config.py"
        config.write_text(f"""
c = get_config()
load_subconfig({str(course_config)!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{self.port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{_free_port()}"
c.ConfigurableHTTPProxy.command = [{_proxy_command()!r}]
c.ConfigurableHTTPProxy.auth_token = {secrets.token_hex(16)!r}
c.ConfigurableHTTPProxy.pid_file = {str(state / "proxy.pid")!r}
c.JupyterHub.db_url = {"sqlite:///" + str(state / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(state / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(state / "jupyterhub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {self.password!r}
c.Authenticator.allowed_users = {set(s.name for s in students)!r}
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{str(singleuser)!r}]
# for the test only: window.jupyterapp tells when the notebook's kernel is really ready
c.Spawner.args.append("--LabApp.expose_app_in_browser=True")
c.Spawner.environment.update({{"JUPYTER_CONFIG_PATH": {str(jupyter_config)!r}}})
""", encoding="utf-8")
        needed = sorted({Path(sys.base_prefix).resolve(), venv,
                         Path(mlp_course.__file__).resolve().parent,
                         Path(os.path.realpath(_proxy_command())).parents[2], folder.resolve()})
        script = folder / "namespace.sh"
        script.write_text(_namespace_script(folder / "stage", needed, lab_settings, venv))
        env = {key: value for key, value in os.environ.items()
               if key not in ("MPLBACKEND", "JUPYTER_CONFIG_DIR", "JUPYTERLAB_SETTINGS_DIR",
                              "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "PYTHONPATH")}
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
        self.log_path = folder / "jupyterhub.log"
        self.log = open(self.log_path, "w")
        # the image's build step, then the hub, in the namespace
        post_build = (f"NB_PYTHON_PREFIX={shlex.quote(str(venv))} MLP_COURSE_SKIP_FONT_CACHE=1 "
                      f"bash {shlex.quote(str(folder / 'binder' / 'postBuild'))} && "
                      f"exec {shlex.quote(str(venv / 'bin' / 'jupyterhub'))} "
                      f"-f {shlex.quote(str(config))}")
        self.process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "bash", str(script),
             "bash", "-c", post_build],
            cwd=state, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            _wait_for_port(self.port, self.process, self.log_path, "JupyterHub")
            self._wait_ready()
        except Exception:
            self.stop()
            raise

    def _wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not answer; its log:\n{self.log_path.read_text()[-3000:]}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def proxy_pid(self) -> int:
        try:
            return int((self.folder / "state" / "proxy.pid").read_text().strip())
        except (OSError, ValueError):
            return 0

    def stop(self):
        _stop(self.process, timeout=30)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the proxy, if the hub left it
        except ProcessLookupError:
            pass
        self.log.close()


class GitHost:
    """``git daemon`` serving the student branches on 127.0.0.1, as a class's git host."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.log_path = folder.parent / "git-daemon.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={self.port}",
             f"--base-path={folder}", "--export-all", "--informative-errors", str(folder)],
            stdout=self.log, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, self.log_path, "git daemon")

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def stop(self):
        _stop(self.process)
        self.log.close()


@pytest.fixture(scope="module")
def classroom():
    """Two students (zh, en), the student branches on a git host, and the hub."""
    _require_hub_parts()
    folder = Path(tempfile.mkdtemp(prefix="mlp-hub-"))
    os.chmod(folder, 0o711)  # students may pass through, not list
    homes = folder / "home"
    homes.mkdir(mode=0o711)
    git_root = folder / "git"
    git_root.mkdir()
    for account in pwd.getpwall():  # students left by a run that was killed
        if re.fullmatch(r"mlp(zh|en)[0-9a-f]{6}", account.pw_name) and \
                not Path(account.pw_dir).exists():
            _remove_student(account.pw_name)
    suffix = secrets.token_hex(3)
    students, hub, git_host = [], None, None
    seconds, started = {}, time.monotonic()
    try:
        for lang in ("zh", "en"):
            student_repo.build_student_repo(lang, git_root / "course.git")
        seconds["student branches"] = time.monotonic() - started
        git_host = GitHost(git_root)
        students = [_create_student(f"mlp{lang}{suffix}", lang, homes) for lang in ("zh", "en")]
        hub = Hub(folder, students)
        seconds["hub up"] = time.monotonic() - started
        yield hub, git_host, students
    finally:
        stopping = time.monotonic()
        for student in students:  # their servers first: the hub then has nothing to wait for
            _stop_processes_of(student.name)
        if hub is not None:
            hub.stop()
        seconds["stop"] = time.monotonic() - stopping
        artifacts = ROOT / "artifacts" / "hub"
        artifacts.mkdir(parents=True, exist_ok=True)
        (artifacts / "fixture.json").write_text(
            json.dumps({key: round(value, 1) for key, value in seconds.items()}, indent=2))
        if hub is not None:
            log = folder / "jupyterhub.log"
            if log.exists():
                shutil.copy(log, artifacts / "jupyterhub.log")
        if git_host is not None:
            git_host.stop()
        for student in students:
            _remove_student(student.name)
        shutil.rmtree(folder, ignore_errors=True)


# what a student's kernel reports about what it can reach; the marker is built at run time,
# so this cell, saved in the student's notebook, never holds it itself
ISOLATION_CHECK = """
import json, os, sys, pathlib, mlp_course
marker = "### BEGIN " + "SOLUTION"
report = {"package": str(pathlib.Path(mlp_course.__file__).resolve().parent)}
for key, path in (("other_home", OTHER_HOME), ("other_lesson", OTHER_LESSON)):
    try:
        os.listdir(path) if key == "other_home" else open(path).read(1)
        report[key] = "readable"
    except PermissionError:
        report[key] = "denied"
    except FileNotFoundError:
        report[key] = "missing"
seen = []
places = {pathlib.Path.home(), pathlib.Path(sys.prefix).resolve().parent,
          pathlib.Path(mlp_course.__file__).resolve().parents[1]}
for place in places:
    for folder, dirs, files in os.walk(place):
        dirs[:] = [d for d in dirs if d not in (".venv", "node_modules", ".cache")]
        if os.path.basename(folder) in ("solutions", ".git") and place != pathlib.Path.home():
            seen.append(folder)
        for name in files:
            if name.endswith(".ipynb"):
                try:
                    if marker in open(os.path.join(folder, name), encoding="utf-8").read():
                        seen.append(os.path.join(folder, name))
                except OSError:
                    pass
report["solutions_seen"] = sorted(seen)
report["places"] = sorted(map(str, places))
print("ISOLATION " + json.dumps(report))
"""

FETCH = """async ([url, method]) => {
    const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || "";
    const response = await fetch(url, {method: method,
                                       headers: {"X-XSRFToken": decodeURIComponent(xsrf)}});
    return {status: response.status, url: response.url, body: await response.text()};
}"""


def _api(page, url: str, method: str = "GET") -> dict:
    return page.page.evaluate(FETCH, [url, method])


def _walk_contents(page, base: str) -> list[dict]:
    """Every file and folder the student's contents API shows, with notebook texts."""
    found, pending = [], [""]
    while pending:
        path = pending.pop()
        answer = _api(page, f"{base}/api/contents/{path}?content=1")
        assert answer["status"] == 200, (path, answer["status"])
        model = json.loads(answer["body"])
        for item in model["content"]:
            found.append(item)
            if item["type"] == "directory":
                pending.append(item["path"])
            elif item["type"] == "notebook":
                notebook = _api(page, f"{base}/api/contents/{item['path']}?content=1")
                item["text"] = notebook["body"]
    return found


def _run_in_new_cell(page, code: str, marker: str, timeout_s=60) -> str:
    """Add a code cell at the end of the open notebook, run it, return its output line."""
    notebook = page.page.locator(".jp-Notebook .jp-Cell")
    notebook.last.scroll_into_view_if_needed()
    notebook.last.locator(".jp-InputPrompt, .jp-Cell-inputCollapser").first.click()
    page.page.keyboard.press("Escape")
    page.page.keyboard.press("b")
    page.page.keyboard.press("Enter")
    page.page.keyboard.insert_text(code.strip())
    page.page.keyboard.press("Shift+Enter")
    handle = page.page.wait_for_function(
        """(marker) => {
            const outputs = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output')];
            const hit = outputs.map(o => o.innerText).find(t => t.includes(marker));
            return hit || false;
        }""", arg=marker, timeout=timeout_s * 1000)
    line = [l for l in handle.json_value().splitlines() if l.startswith(marker)][0]
    return line[len(marker):].strip()


def _go_home_in_the_file_browser(page, listing: str, folder: str) -> None:
    """Show the home folder in the file browser, where `folder` must be listed.

    JupyterLab's file browser refreshes its folder every 10 s with `cd(".")`, which takes
    the folder being opened or else the current one: `pendingPath || path`. The home
    folder's path is "", which counts as none, so a refresh that fires while the home
    listing is on its way reloads the old folder over it. The command is therefore given
    again, at most three times, when the listing has not changed within 10 s; the
    refresh would have to hit the same ~0.1 s window three times in a row.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for attempt in range(3):
        page.page.evaluate("() => window.jupyterapp.commands.execute("
                           "'filebrowser:go-to-path', {path: '/'})")
        try:
            page.page.wait_for_function(
                """([selector, folder]) => [...document.querySelectorAll(selector)]
                    .some(item => item.innerText.trim() === folder)""",
                arg=[listing, folder], timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def _student_journey(hub: Hub, git_host: GitHost, student: Student, other: Student) -> dict:
    """What one student does, in their own browser: the link, the lesson, the slider, the checks."""
    from playwright.sync_api import sync_playwright
    from test_browser import (CHROMIUM, CHROMIUM_ARGS, Page, check_interface_language,
                              move_a_logit_slider_and_check_the_probabilities, run_all,
                              tracebacks, wait_for_notebook)

    link = student_repo.nbgitpuller_link(hub.url, git_host.url("course.git"), student.lang,
                                         lesson="01_softmax")
    server = f"/user/{student.name}"
    started = time.monotonic()
    phases = {}

    def phase(name):
        phases[name] = round(time.monotonic() - started, 1)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = Page(browser, f"hub-{student.lang}")
        try:
            page.page.goto(link)  # not logged in yet: the hub asks who this is
            page.page.fill("#username_input", student.name)
            page.page.fill("#password_input", hub.password)
            page.page.click("#login_submit")
            phase("logged in")
            # the hub starts the server, nbgitpuller clones the branch, the lesson opens
            page.page.wait_for_url(re.compile(rf"{server}/lab/tree/{student.folder}/"),
                                   timeout=180_000)
            phase("server started, course pulled, lesson page open")
            wait_for_notebook(page)
            phase("kernel ready")
            plugins = page.page.evaluate("() => window.jupyterapp.listPlugins()")
            run_all(page, timeout_s=240)
            phase("lesson ran")
            check_interface_language(page, student.lang)
            page.screenshot()
            errors = tracebacks(page)
            move_a_logit_slider_and_check_the_probabilities(page)
            console = list(page.errors)  # before the probes below, whose 403s are expected
            phase("slider checked")

            # the file browser: the lesson folder holds this language's lessons; the home
            # folder holds the pulled course and nothing else
            listing = ".jp-DirListing-content .jp-DirListing-itemText"
            lesson_files = sorted(page.page.locator(listing).all_inner_texts())
            # the file browser's own command, as its home button runs it (a click on the
            # button can land while the listing re-renders, and then does nothing)
            _go_home_in_the_file_browser(page, listing, student.folder)
            home_files = sorted(page.page.locator(listing).all_inner_texts())
            page.screenshot("-home")
            contents = _walk_contents(page, server)
            others = _api(page, f"/user/{other.name}/api/contents/?content=1")
            others_file = _api(page, f"/user/{other.name}/files/{other.folder}/lessons/"
                                     f"{other.lang}/01_softmax.ipynb")
            code = (ISOLATION_CHECK
                    .replace("OTHER_HOME", repr(str(other.home)))
                    .replace("OTHER_LESSON", repr(f"{other.home}/{other.folder}/lessons/"
                                                  f"{other.lang}/01_softmax.ipynb")))
            kernel = json.loads(_run_in_new_cell(page, code, "ISOLATION "))
            page.screenshot("-isolation")
            phase("isolation checked")
            return {"phases": phases, "lesson_files": lesson_files, "home_files": home_files, "tracebacks": errors, "contents": contents, "others": others,
                    "others_file": others_file, "kernel": kernel, "console": console,
                    "plugins": plugins}
        except Exception:
            page.screenshot("-failed")
            raise
        finally:
            page.close()
            browser.close()


@pytest.mark.browser
@pytest.mark.slow
def test_two_students_pull_the_course_run_lesson_01_in_parallel_and_stay_apart(classroom):
    hub, git_host, (zh, en) = classroom
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {s.lang: pool.submit(_student_journey, hub, git_host, s, o)
                   for s, o in ((zh, en), (en, zh))}
        results = {lang: future.result() for lang, future in futures.items()}
    # for whoever reads a slow run or plans a hub: seconds from each student's first page
    # load, and the memory held now by each student's processes and by the hub and proxy
    record = {"seconds": {lang: result["phases"] for lang, result in results.items()},
              "rss_mb": {s.lang: _rss_mb(_pids_of(pwd.getpwnam(s.name).pw_uid)) for s in (zh, en)}}
    record["rss_mb"]["hub + proxy"] = _rss_mb([hub.process.pid, hub.proxy_pid()])
    (ROOT / "artifacts" / "hub").mkdir(parents=True, exist_ok=True)
    (ROOT / "artifacts" / "hub" / "run.json").write_text(json.dumps(record, indent=2))

    # each server loads what the single-user image has, and nothing the development tools add
    # (the servers log into the hub's log)
    hub_log = hub.log_path.read_text(encoding="utf-8")
    for student, other in ((zh, en), (en, zh)):
        result = results[student.lang]
        check_extensions(result["plugins"], hub_log, HUB_REQUIREMENTS,
                         linked=("jupyterlab", "nbgitpuller"))
        assert result["tracebacks"] == [], f"errors in lesson 01 ({student.lang})"
        assert result["console"] == [], f"JavaScript console errors: {result['console']}"

        # their file browser shows their own pulled copy, in their language
        own_lessons = sorted(p.name for p in (ROOT / "lessons" / student.lang).glob("*.ipynb"))
        assert [name.strip() for name in result["lesson_files"]] == own_lessons
        assert [name.strip() for name in result["home_files"]] == [student.folder]
        # their own server shows their pulled copy: one language, lessons and package
        paths = {item["path"] for item in result["contents"]}
        assert f"{student.folder}/lessons/{student.lang}/01_softmax.ipynb" in paths
        assert f"{student.folder}/mlp_course/__init__.py" in paths
        assert not any(p.startswith(f"{student.folder}/lessons/{other.lang}") for p in paths)
        assert not any("solutions" in p.split("/") for p in paths), "a solutions folder"
        assert not any(other.folder in p.split("/") for p in paths), "the other student's copy"
        notebooks = [item for item in result["contents"] if item["type"] == "notebook"]
        assert len(notebooks) >= 9
        assert not [n["path"] for n in notebooks if BEGIN in n["text"]], "a notebook with solutions"

        # the other student's server refuses them
        for answer in (result["others"], result["others_file"]):
            assert answer["status"] == 403, (answer["status"], answer["url"])
            assert other.folder not in answer["body"]

        # and so does the machine, from their kernel
        kernel = result["kernel"]
        assert kernel["other_home"] == "denied" and kernel["other_lesson"] == "denied", kernel
        assert kernel["solutions_seen"] == [], kernel

    # the files on disk belong to each student alone
    for student in (zh, en):
        account = pwd.getpwnam(student.name)
        lesson = student.home / student.folder / "lessons" / student.lang / "01_softmax.ipynb"
        assert lesson.stat().st_uid == account.pw_uid
        assert stat.S_IMODE(student.home.stat().st_mode) == 0o700
