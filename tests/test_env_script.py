"""``tools/env.py`` speaks by the course's one language rule (``mlp_course/i18n.py``),
although it runs before the package is installed: ``--lang``, else ``MLP_COURSE_LANG``,
else a release's own language, else Chinese. Each case stops before installing anything
(a release folder has no ``requirements-dev.txt``, so ``test`` refuses)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlp_course.course.syllabus import ROOT

CHINESE = "没有 requirements-dev.txt"
ENGLISH = "requirements-dev.txt is missing"


@pytest.fixture
def release_like(tmp_path) -> Path:
    """The script and the language module, as in a class release: no dev requirements."""
    (tmp_path / "mlp_course").mkdir()
    shutil.copytree(ROOT / "tools", tmp_path / "tools")
    shutil.copy2(ROOT / "mlp_course" / "i18n.py", tmp_path / "mlp_course" / "i18n.py")
    return tmp_path


def _say(folder: Path, *args: str, lang: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "MLP_COURSE_LANG"}
    if lang is not None:
        env["MLP_COURSE_LANG"] = lang
    env["MLP_COURSE_VENV"] = str(folder / "never-made")
    return subprocess.run([sys.executable, "tools/env.py", *args], cwd=folder, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


@pytest.mark.parametrize("args, lang, release, expected", [
    (["test"], None, None, CHINESE),
    (["test"], "en", None, ENGLISH),
    (["test"], None, "en", ENGLISH),
    (["test"], "zh", "en", CHINESE),           # the setting wins over the release's language
    (["test", "--lang", "en"], "zh", None, ENGLISH),  # and --lang over the setting
    (["test", "--lang=zh"], "en", "en", CHINESE),
])
def test_messages_follow_the_courses_language_rule(release_like, args, lang, release, expected):
    if release is not None:
        (release_like / "mlp_course" / "release.json").write_text(json.dumps({"language": release}))
    result = _say(release_like, *args, lang=lang)
    assert result.returncode == 2
    assert expected in result.stdout and (CHINESE if expected == ENGLISH else ENGLISH) \
        not in result.stdout
    assert not (release_like / "never-made").exists(), "nothing is installed"


def test_an_unknown_language_is_refused_in_the_language_of_the_setting(release_like):
    result = _say(release_like, "lab", "--lang", "fr", lang="en")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--lang must be zh or en, got 'fr'" in result.stderr
    assert not (release_like / "never-made").exists()


def _env_module(monkeypatch, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("_course_env", ROOT / "tools" / "env.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "BIN", tmp_path)     # no uv there yet
    return module


def _pip(command: list[str]) -> tuple[str, str] | None:
    """(whose pip, its command) of a pip call: "this Python's" working on the environment
    (``--python``), or "the environment's"; None for any other program."""
    if command[1:3] != ["-m", "pip"]:
        return None
    if command[3] == "--python":
        return "this Python's", command[5]
    return "the environment's", command[3]


def _download(command: list[str]) -> Path | None:
    """What a pip download leaves in its ``--dest`` folder, made here: the wheel it found."""
    if not (_pip(command) and _pip(command)[1] == "download"):
        return None
    folder = Path(command[command.index("--dest") + 1])
    wheel = folder / "torch-2.13.0+cpu-cp311-cp311-linux_x86_64.whl"
    wheel.write_bytes(b"")
    return wheel


@pytest.mark.parametrize("uv_works, lang, fallback", [
    (True, "en", None),
    (False, "en", "uv could not install requirements-dev.txt; pip installs it instead"),
    (False, "zh", "uv 没能安装 requirements-dev.txt，改用 pip 安装"),
])
def test_pip_fetches_torch_and_uv_installs_everything_or_pip_does(monkeypatch, tmp_path, capsys,
                                                                 uv_works, lang, fallback):
    monkeypatch.setenv("MLP_COURSE_LANG", lang)
    env = _env_module(monkeypatch, tmp_path)
    calls, fetched = [], []

    def run(command, **kwargs):
        command = [str(part) for part in command]
        if command[1] == "-c":                          # which torch the environment has
            return subprocess.CompletedProcess(command, 1, stdout="", stderr="not found")
        calls.append(command)
        wheel = _download(command)
        if wheel is not None:
            fetched.append(wheel)
        failed = command[0].endswith("uv") and not uv_works
        return subprocess.CompletedProcess(command, 1 if failed else 0)

    monkeypatch.setattr(env.subprocess, "run", run)
    env._install("requirements-dev.txt")
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.startswith("torch==")]
    assert pins and env._pins("torch") == pins
    installs = [call for call in calls if _pip(call) and _pip(call)[1] == "install"]
    assert installs and all("--no-compile" in call for call in installs)
    # this Python's pip, on the environment: no pip of the environment's own is made first
    mine = ["this Python's", "install"]
    assert list(_pip(calls[0])) == mine and calls[0][0] == sys.executable
    assert calls[0][4] == str(env.PYTHON) and calls[0][-1].startswith("uv")
    assert list(_pip(calls[1])) == ["this Python's", "download"] and "--no-deps" in calls[1]
    assert calls[1][-1] == pins[0]                      # the pinned torch, found by pip
    # uv installs everything, torch from the very file pip fetched, and pip itself
    assert calls[2][0].endswith("uv") and calls[2][-3:] == ["-r", "requirements-dev.txt",
                                                            str(fetched[0])]
    assert any(part.startswith("pip>=") for part in calls[2])
    assert not fetched[0].exists(), "the fetched file is not left behind"
    assert not any("--upgrade" in call for call in calls), "pip does not upgrade itself"
    said = capsys.readouterr().out
    if uv_works:
        assert len(calls) == 3 and said == ""
    else:           # uv failed: the environment's own pip (there, or made) installs it all
        own = [call for call in calls[3:] if _pip(call) == ("the environment's", "install")]
        assert [call[-1] for call in own[:1]] == pins
        assert own[1][-2:] == ["-r", "requirements-dev.txt"] and len(own) == 2
        assert fallback in said


@pytest.mark.parametrize("uv_there", [False, True])
def test_an_older_pip_gives_the_environment_its_own_first(monkeypatch, tmp_path, uv_there):
    """pip before 22.3 has no ``--python``: the environment gets its own pip (ensurepip),
    which then installs uv and fetches torch (only fetches it, where uv is there already)."""
    env = _env_module(monkeypatch, tmp_path)
    if uv_there:
        (tmp_path / "uv").write_bytes(b"")
    calls = []

    def run(command, **kwargs):
        command = [str(part) for part in command]
        if command[1] == "-c":
            return subprocess.CompletedProcess(command, 1, stdout="", stderr="not found")
        calls.append(command)
        if command[1:4] == ["-m", "pip", "--python"]:    # "no such option: --python"
            return subprocess.CompletedProcess(command, 2)
        if command[1:4] == ["-m", "pip", "--version"]:   # the environment has no pip yet
            return subprocess.CompletedProcess(command, 1)
        _download(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(env.subprocess, "run", run)
    env._install("requirements.txt")
    python = str(env.PYTHON)
    made = calls.index([python, "-m", "ensurepip", "--default-pip"])
    after = calls[made + 1:]
    expected = [("the environment's", "install")] * (not uv_there) + \
        [("the environment's", "download")]
    assert [_pip(call) for call in after[:-1]] == expected
    assert all(call[0] == python for call in after[:-1])
    assert uv_there or after[0][-1].startswith("uv")
    assert after[-1][0].endswith("uv") and len(after) == len(expected) + 1


@pytest.mark.parametrize("installed, fetched", [("2.13.0+cpu", False), ("2.13.0", False),
                                                ("2.12.1+cpu", True)])
def test_a_torch_already_there_is_not_fetched_again(monkeypatch, tmp_path, installed, fetched):
    """Set-up again after a requirements change: the pinned torch the environment already
    has (a local label aside) is neither fetched nor unpacked again; another version is."""
    env = _env_module(monkeypatch, tmp_path)
    pin = env._pins("torch")[0]
    assert pin.replace(" ", "") == "torch==2.13.0", "update the versions above with the pin"
    calls = []

    def run(command, **kwargs):
        command = [str(part) for part in command]
        if command[1] == "-c":
            assert command[-1] == "torch"
            return subprocess.CompletedProcess(command, 0, stdout=installed + "\n", stderr="")
        calls.append(command)
        _download(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(env.subprocess, "run", run)
    env._install("requirements.txt")
    downloads = [call for call in calls if _pip(call) and _pip(call)[1] == "download"]
    assert bool(downloads) == fetched
    uv = [call for call in calls if call[0].endswith("uv")]
    assert len(uv) == 1
    if fetched:     # uv installs the file pip fetched
        assert uv[0][-3:-1] == ["-r", "requirements.txt"] and uv[0][-1].endswith(".whl")
    else:           # the requirements alone, which the torch there satisfies
        assert uv[0][-2:] == ["-r", "requirements.txt"]
