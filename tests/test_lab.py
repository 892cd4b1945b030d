"""`make lab`: the learner's workspace is never overwritten; the interface follows the language."""

from __future__ import annotations

import json
import os

from mlp_course.course import lab


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
    assert (workspace / "zh" / "00_start_here.ipynb").read_text() == '{"v": "zh-new"}'
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


def test_lab_opens_at_the_start_page_with_the_chosen_language():
    start = lab.WORKSPACE / "en" / "00_start_here.ipynb"
    command, env = lab.lab_command("en", ["--no-browser"], start)
    assert command[1:3] == ["-m", "jupyterlab"]
    assert "--LabApp.default_url=/lab/tree/workspace/en/00_start_here.ipynb" in command
    assert command[-1] == "--no-browser"
    assert env["MLP_COURSE_LANG"] == "en"
    assert env["JUPYTERLAB_SETTINGS_DIR"].endswith(os.path.join(".jupyter-settings", "en"))


def test_the_chinese_language_pack_is_installed():
    import importlib.metadata

    assert importlib.metadata.version("jupyterlab-language-pack-zh-CN")
