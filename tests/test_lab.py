"""`make lab`: the learner's workspace is never overwritten; the interface follows the language."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from mlp_course.course import lab
from mlp_course.course.syllabus import ROOT


def _lessons(tmp_path, names=("00_start_here.ipynb", "01_softmax.ipynb")):
    for lang in ("zh", "en"):
        (tmp_path / "lessons" / lang).mkdir(parents=True)
        for name in names:
            (tmp_path / "lessons" / lang / name).write_text(f'{{"v": "{lang}-new"}}')
    return tmp_path / "lessons"


def test_workspace_copies_missing_lessons_and_never_overwrites_work(tmp_path):
    lessons = _lessons(tmp_path)
    workspace = tmp_path / "workspace"
    (workspace / "zh").mkdir(parents=True)
    mine = workspace / "zh" / "01_softmax.ipynb"
    mine.write_text('{"v": "my answers"}')
    os.utime(mine, (0, 0))  # older than the published lesson

    copied = lab.prepare_workspace("zh", workspace, lessons)

    assert [p.name for p in copied] == ["00_start_here.ipynb"]
    assert mine.read_text() == '{"v": "my answers"}'
    assert json.loads((workspace / "zh" / "00_start_here.ipynb").read_text())["v"] == "zh-new"
    assert lab.newer_lessons("zh", workspace, lessons) == ["01_softmax.ipynb"]
    assert lab.prepare_workspace("zh", workspace, lessons) == []


def test_settings_choose_the_interface_language_and_stay_offline(tmp_path):
    for lang, locale in (("zh", "zh_CN"), ("en", "en")):
        folder = lab.write_settings(lang, tmp_path)
        plugin = folder / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
        assert json.loads(plugin.read_text())["locale"] == locale
        news = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        assert json.loads(news.read_text()) == {"fetchNews": "false", "checkForUpdates": False}
        tracker = folder / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        assert json.loads(tracker.read_text()) == {"windowingMode": "none",
                                                   "autoStartDefaultKernel": True}


def test_lab_opens_at_the_start_page_with_the_chosen_language(tmp_path):
    _lessons(tmp_path)
    start = tmp_path / "workspace" / "en" / "00_start_here.ipynb"
    command, env = lab.lab_command("en", ["--no-browser"], start, tmp_path)
    assert command[1:3] == ["-m", "jupyterlab"]
    assert "--LabApp.default_url=/lab/tree/workspace/en/00_start_here.ipynb" in command
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert command[-1] == "--no-browser"
    assert env["MLP_COURSE_LANG"] == "en"
    assert env["JUPYTERLAB_SETTINGS_DIR"] == str(tmp_path / ".jupyter-settings" / "en")


def test_the_course_folder_is_found_from_inside_it_and_refused_elsewhere(tmp_path, monkeypatch):
    from mlp_course.i18n import language

    _lessons(tmp_path / "course")
    inside = tmp_path / "course" / "workspace" / "zh"
    inside.mkdir(parents=True)
    assert lab.course_folder(inside) == tmp_path / "course"
    assert lab.course_folder(tmp_path / "course") == tmp_path / "course"
    monkeypatch.setattr(lab, "ROOT", tmp_path / "elsewhere")
    with language("en"), pytest.raises(ValueError, match="No course"):
        lab.course_folder(tmp_path)
    with language("zh"), pytest.raises(ValueError, match="找不到课程"):
        lab.course_folder(tmp_path)


def test_lab_refuses_a_language_the_folder_has_no_lessons_for(tmp_path, monkeypatch, capsys):
    (tmp_path / "lessons" / "en").mkdir(parents=True)
    (tmp_path / "lessons" / "en" / "00_start_here.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(lab.subprocess, "call", lambda *a, **k: pytest.fail("started anyway"))
    with pytest.raises(ValueError) as error:
        lab.main(["--lang", "zh"])
    assert "--lang en" in str(error.value) and "没有" in str(error.value)
    assert not (tmp_path / "workspace" / "zh").exists()


def test_workspace_copies_carry_exactly_the_kernels_language_info(tmp_path):
    """JupyterLab marks a notebook changed when the kernel's language_info differs from
    the saved one; the copies carry what this Python's kernel really reports."""
    from jupyter_client.manager import start_new_kernel

    lessons = tmp_path / "lessons"
    (lessons / "en").mkdir(parents=True)
    published = ROOT / "lessons" / "en" / "01_softmax.ipynb"
    shutil.copy2(published, lessons / "en" / published.name)
    [copy] = lab.prepare_workspace("en", tmp_path / "workspace", lessons)
    saved = json.loads(copy.read_text(encoding="utf-8"))
    original = json.loads(published.read_text(encoding="utf-8"))
    assert saved["cells"] == original["cells"]
    assert original["metadata"]["language_info"]["name"] == "python"
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        reply = client.kernel_info(reply=True, timeout=30)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert saved["metadata"]["language_info"] == reply["content"]["language_info"]


def test_the_chinese_language_pack_is_installed():
    import importlib.metadata

    assert importlib.metadata.version("jupyterlab-language-pack-zh-CN")
