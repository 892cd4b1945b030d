"""Open the course in JupyterLab, in the learner's language.

在 JupyterLab 中打开课程（界面语言与课程语言一致）。

``python -m mlp_course lab [--lang zh|en] [--no-browser] [jupyter options...]``

* The learner works on copies of the student notebooks in ``workspace/<lang>/``
  (created on first use, never overwritten), so regenerating ``lessons/`` or
  pulling a new version of the course never loses their work.
* JupyterLab's own interface follows the same language setting (the zh_CN
  language pack), through a settings folder kept per language.
* JupyterLab opens at the course's start page.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .syllabus import COURSE, LESSONS, ROOT
from ..i18n import get_language, language_option, set_language, text

WORKSPACE = ROOT / "workspace"
SETTINGS = ROOT / ".jupyter-settings"
LOCALE = {"zh": "zh_CN", "en": "en"}


def prepare_workspace(lang: str, workspace: Path = WORKSPACE, lessons: Path = LESSONS) -> list[Path]:
    """Copy student notebooks the learner does not have yet; return the copies made.

    把学习者还没有的学生版笔记本复制到工作区，已有的文件绝不覆盖。
    """
    target = workspace / lang
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted((lessons / lang).glob("*.ipynb")):
        destination = target / source.name
        if not destination.exists():
            shutil.copy2(source, destination)
            copied.append(destination)
    return copied


def newer_lessons(lang: str, workspace: Path = WORKSPACE, lessons: Path = LESSONS) -> list[str]:
    """Lessons whose published version is newer than the learner's copy."""
    newer = []
    for source in sorted((lessons / lang).glob("*.ipynb")):
        mine = workspace / lang / source.name
        if mine.exists() and source.stat().st_mtime > mine.stat().st_mtime + 1:
            newer.append(source.name)
    return newer


def write_settings(lang: str, settings: Path = SETTINGS) -> Path:
    """A JupyterLab user-settings folder whose interface language is ``lang``."""
    folder = settings / lang
    for plugin, values in (
        ("translation-extension/plugin", {"locale": LOCALE[lang]}),
        # the course runs offline: no news or update checks that would fail
        ("apputils-extension/notification", {"fetchNews": "false", "checkForUpdates": False}),
        # lessons are short: keep every cell in the page, so find-in-page and
        # screen readers see the whole lesson; start the course's kernel without
        # asking which one
        ("notebook-extension/tracker", {"windowingMode": "none",
                                        "autoStartDefaultKernel": True}),
    ):
        path = folder / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    return folder


def server_options(root: Path) -> list[str]:
    """JupyterLab options the course always uses: its root, and nothing fetched
    from the network (the extension manager only lists what is installed)."""
    options = [f"--ServerApp.root_dir={root}", "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.append("--allow-root")  # containers and CI machines often run as root
    return options


def lab_command(lang: str, extra: list[str], start: Path) -> tuple[list[str], dict]:
    """The command line and environment that start JupyterLab for ``lang``."""
    relative = start.relative_to(ROOT).as_posix()
    command = [sys.executable, "-m", "jupyterlab", *server_options(ROOT),
               f"--LabApp.default_url=/lab/tree/{relative}", *extra]
    env = dict(os.environ)
    env["MLP_COURSE_LANG"] = lang
    env["JUPYTERLAB_SETTINGS_DIR"] = str(write_settings(lang))
    return command, env


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlp_course lab",
        description="Open the course in JupyterLab / 在 JupyterLab 中打开课程")
    parser.add_argument("--lang", choices=["zh", "en"], default=None,
                        help="course and interface language / 课程与界面语言")
    requested, argv = language_option(argv)
    args, extra = parser.parse_known_args(argv)
    lang = set_language(requested or get_language())
    copied = prepare_workspace(lang)
    if copied:
        print(text(zh="已把 {n} 课复制到 {folder}/，你的作业保存在这里。",
                   en="Copied {n} lessons to {folder}/; your work is saved there.",
                   n=len(copied), folder=(WORKSPACE / lang).relative_to(ROOT)))
    for name in newer_lessons(lang):
        print(text(zh="ℹ️ {name} 有新版本（lessons/{lang}/{name}）；你的副本保持不变。",
                   en="ℹ️ A newer {name} is in lessons/{lang}/{name}; your copy is unchanged.",
                   name=name, lang=lang))
    start = WORKSPACE / lang / f"{COURSE[0].id}.ipynb"
    command, env = lab_command(lang, extra, start)
    print(text(zh="正在启动 JupyterLab（按 Ctrl+C 退出）……",
               en="Starting JupyterLab (press Ctrl+C to stop)...") , flush=True)
    try:
        return subprocess.call(command, cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 0
