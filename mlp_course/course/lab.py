"""Open the course in JupyterLab, in the learner's language.

在 JupyterLab 中打开课程（界面语言与课程语言一致）。

``python -m mlp_course lab [--lang zh|en] [--no-browser] [jupyter options...]``

* The course folder is the one holding ``lessons/`` (the current folder or one
  above it, else the checkout or release the package sits in), so the same
  command works in a clone, in an unpacked class release and with an installed
  package.
* The learner works on copies of the student notebooks in ``workspace/<lang>/``
  (created on first use, never overwritten), so regenerating ``lessons/`` or
  pulling a new version of the course never loses their work. The copies carry
  this Python's ``language_info``, exactly what the kernel reports, so a lesson
  does not open as "unsaved".
* JupyterLab's own interface follows the same language setting (the zh_CN
  language pack), through a settings folder kept per language. The language is
  ``--lang``, else ``MLP_COURSE_LANG``, else a release's own, else Chinese.
* JupyterLab opens at the course's start page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from .notebooks import LANGUAGE_INFO
from .syllabus import COURSE, ROOT
from ..i18n import CourseValueError, get_language, language_option, set_language, text

LOCALE = {"zh": "zh_CN", "en": "en"}


def course_folder(start: Path | None = None) -> Path:
    """The folder with ``lessons/``: ``start`` (default: here) or a parent, else the
    checkout or release the package sits in.

    课程文件夹：含 ``lessons/`` 的当前文件夹（或其上级），否则为包所在的课程副本。
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents, ROOT):
        if any((folder / "lessons" / lang).is_dir() for lang in LOCALE):
            return folder
    raise CourseValueError(
        zh="在 {here} 及其上级文件夹中找不到课程（lessons/ 文件夹）：请在解压后的课程文件夹中运行。",
        en="No course (a lessons/ folder) in {here} or above it: run this in the unpacked "
           "course folder.", here=here)


def kernel_language_info() -> dict:
    """What this Python's kernel (ipykernel) reports as ``language_info``: the
    notebooks' own, with this Python's version."""
    return {**LANGUAGE_INFO, "codemirror_mode": dict(LANGUAGE_INFO["codemirror_mode"]),
            "version": platform.python_version()}


def _copy_lesson(source: Path, destination: Path) -> None:
    try:
        notebook = json.loads(source.read_text(encoding="utf-8"))
        notebook.setdefault("metadata", {})["language_info"] = kernel_language_info()
    except (ValueError, AttributeError):  # not a notebook we can read: copy it as it is
        shutil.copy2(source, destination)
        return
    destination.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False)
                           + "\n", encoding="utf-8")


def prepare_workspace(lang: str, workspace: Path, lessons: Path) -> list[Path]:
    """Copy student notebooks the learner does not have yet; return the copies made.

    把学习者还没有的学生版笔记本复制到工作区，已有的文件绝不覆盖。
    """
    target = workspace / lang
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted((lessons / lang).glob("*.ipynb")):
        destination = target / source.name
        if not destination.exists():
            _copy_lesson(source, destination)
            copied.append(destination)
    return copied


def newer_lessons(lang: str, workspace: Path, lessons: Path) -> list[str]:
    """Lessons whose published version is newer than the learner's copy."""
    newer = []
    for source in sorted((lessons / lang).glob("*.ipynb")):
        mine = workspace / lang / source.name
        if mine.exists() and source.stat().st_mtime > mine.stat().st_mtime + 1:
            newer.append(source.name)
    return newer


def write_settings(lang: str, settings: Path) -> Path:
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


def lab_command(lang: str, extra: list[str], start: Path,
                root: Path | None = None) -> tuple[list[str], dict]:
    """The command line and environment that start JupyterLab for ``lang`` in ``root``."""
    root = root or course_folder()
    relative = start.relative_to(root).as_posix()
    command = [sys.executable, "-m", "jupyterlab", *server_options(root),
               f"--LabApp.default_url=/lab/tree/{relative}", *extra]
    env = dict(os.environ)
    env["MLP_COURSE_LANG"] = lang
    env["JUPYTERLAB_SETTINGS_DIR"] = str(write_settings(lang, root / ".jupyter-settings"))
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
    root = course_folder()
    lessons, workspace = root / "lessons", root / "workspace"
    if not any((lessons / lang).glob("*.ipynb")):
        present = [other for other in LOCALE if any((lessons / other).glob("*.ipynb"))]
        raise CourseValueError(
            zh="{folder} 中没有 {lang} 语言的课程，只有：{present}。请用 --lang {first}。",
            en="{folder} has no lessons in {lang}, only in: {present}. Use --lang {first}.",
            folder=lessons, lang=lang, present=", ".join(present) or "-",
            first=present[0] if present else lang)
    copied = prepare_workspace(lang, workspace, lessons)
    if copied:
        print(text(zh="已把 {n} 课复制到 {folder}/，你的作业保存在这里。",
                   en="Copied {n} lessons to {folder}/; your work is saved there.",
                   n=len(copied), folder=(workspace / lang).relative_to(root)))
    for name in newer_lessons(lang, workspace, lessons):
        print(text(zh="ℹ️ {name} 有新版本（lessons/{lang}/{name}）；你的副本保持不变。",
                   en="ℹ️ A newer {name} is in lessons/{lang}/{name}; your copy is unchanged.",
                   name=name, lang=lang))
    start = workspace / lang / f"{COURSE[0].id}.ipynb"
    command, env = lab_command(lang, extra, start, root)
    print(text(zh="正在启动 JupyterLab（按 Ctrl+C 退出）……",
               en="Starting JupyterLab (press Ctrl+C to stop)...") , flush=True)
    try:
        return subprocess.call(command, cwd=root, env=env)
    except KeyboardInterrupt:
        return 0
