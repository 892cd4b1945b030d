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


@pytest.mark.parametrize("uv_works, lang, fallback", [
    (True, "en", None),
    (False, "en", "uv could not install requirements-dev.txt; pip installs it instead"),
    (False, "zh", "uv 没能安装 requirements-dev.txt，改用 pip 安装"),
])
def test_torch_comes_from_pip_then_uv_installs_the_rest_or_pip_does(monkeypatch, tmp_path,
                                                                  capsys, uv_works, lang,
                                                                  fallback):
    monkeypatch.setenv("MLP_COURSE_LANG", lang)
    env = _env_module(monkeypatch, tmp_path)
    calls = []

    def run(command, **kwargs):
        calls.append([str(part) for part in command])
        failed = str(command[0]).endswith("uv") and not uv_works
        return subprocess.CompletedProcess(command, 1 if failed else 0)

    monkeypatch.setattr(env.subprocess, "run", run)
    env._install("requirements-dev.txt")
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.startswith("torch==")]
    assert pins and env._pins("torch") == pins
    by_pip = [call for call in calls if call[1:3] == ["-m", "pip"]]
    assert by_pip and all("--no-compile" in call for call in by_pip)
    assert calls[0][-1] == pins[0]                      # torch, by pip, before anything else
    assert calls[1][-1].startswith("uv")                # then uv, by pip
    assert calls[2][0].endswith("uv") and calls[2][-2:] == ["-r", "requirements-dev.txt"]
    assert not any("--upgrade" in call for call in calls), "pip does not upgrade itself"
    said = capsys.readouterr().out
    if uv_works:
        assert len(calls) == 3 and said == ""
    else:                                               # uv failed: pip installs the rest
        assert calls[3][1:3] == ["-m", "pip"] and calls[3][-2:] == ["-r", "requirements-dev.txt"]
        assert fallback in said
