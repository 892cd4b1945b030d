"""For instructors: a lesson as slides, and a class release as one archive.

供教师使用：把一课渲染成幻灯片；把一种语言的学生材料打包成一个压缩包。

``python -m mlp_course slides LESSON [--lang zh|en] [--out DIR]``
    renders the lesson (from its one bilingual source, with the saved outputs)
    as reveal.js slides; slide boundaries come from the cells' ``slideshow``
    metadata. The deck works offline: reveal.js is copied next to it.

``python -m mlp_course release --lang zh|en [--out FILE]``
    packs the student notebooks of one language, the ``mlp_course`` package,
    the glossary, the requirements and a short how-to into one ``.zip``.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import zipfile
from pathlib import Path

from .syllabus import COURSE, ROOT, get_lesson
from ..i18n import LANGUAGES, CourseValueError, language, text
from . import notebooks

TEMPLATES = Path(__file__).resolve().parent / "templates"


def reveal_assets() -> Path:
    """The folder of reveal.js files shipped inside the ``sphinx-revealjs`` package."""
    spec = importlib.util.find_spec("sphinx_revealjs")
    if spec is None or not spec.submodule_search_locations:
        raise CourseValueError(
            zh="需要 sphinx-revealjs 包提供的 reveal.js 文件：请运行 `make setup`。",
            en="reveal.js files come from the sphinx-revealjs package: run `make setup`.")
    folder = Path(list(spec.submodule_search_locations)[0]) / "_static" / "revealjs"
    if not (folder / "dist" / "reveal.js").exists():
        raise CourseValueError(zh="在 {folder} 中找不到 reveal.js。",
                               en="reveal.js not found in {folder}.", folder=folder)
    return folder


def one_language(source, lang: str):
    """The source notebook in one language, solutions and outputs kept (for slides)."""
    import nbformat

    notebook = nbformat.from_dict(source)
    notebook.cells = [cell for cell in notebook.cells
                      if notebooks.cell_lang(cell) in (None, lang)]
    seen_prose = False
    for cell in notebook.cells:
        cell.metadata.pop("mlp_course", None)
        seen_prose = seen_prose or cell.cell_type == "markdown"
        if not seen_prose:  # the set-up cells before the title are not slides
            cell.metadata.setdefault("slideshow", {"slide_type": "skip"})
    notebook.metadata.pop("widgets", None)
    return notebook


def slides(lesson_key: str, lang: str, out: Path | None = None) -> Path:
    """Render one lesson as a reveal.js deck; return the HTML file's path."""
    from nbconvert import SlidesExporter

    lesson = get_lesson(lesson_key)
    out = out or ROOT / "slides" / lang
    out.mkdir(parents=True, exist_ok=True)
    notebook = one_language(notebooks.read(lesson.source), lang)
    exporter = SlidesExporter(extra_template_basedirs=[str(TEMPLATES)],
                              template_name="mlp_slides", reveal_url_prefix="reveal.js",
                              reveal_theme="white", reveal_scroll=True)
    resources = {"metadata": {"name": lesson.title(lang)}}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    assets = out / "reveal.js"
    if not assets.exists():
        shutil.copytree(reveal_assets(), assets)
    target = out / f"{lesson.id}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


HOWTO = {
    "zh": """# MLP 课程：学生使用说明

1. 安装 Python 3.10 或更新版本。
2. 在本文件夹中运行 `make lab`（没有 make 时运行 `python3 tools/env.py lab`）。
   第一次运行会创建 `.venv` 并安装所需的包，然后在 JupyterLab 中打开课程。
3. 从 `00_start_here.ipynb` 开始。你的作业保存在 `workspace/zh/` 中。
4. 每道练习后面的检查单元格会立即告诉你是否通过；`progress("01")` 显示一课的进度。
5. 查术语：`python -m mlp_course glossary 交叉熵`。
""",
    "en": """# The MLP course: how to use it

1. Install Python 3.10 or newer.
2. In this folder, run `make lab` (without make: `python3 tools/env.py lab`).
   The first run creates `.venv`, installs what is needed and opens the course
   in JupyterLab.
3. Start with `00_start_here.ipynb`. Your work is saved in `workspace/en/`.
4. The check cell after each exercise tells you at once whether it passes;
   `progress("01")` shows a lesson's progress.
5. Look a term up: `python -m mlp_course glossary "cross entropy"`.
""",
}

RELEASE_FILES = ("requirements.txt", "pyproject.toml", "Makefile",
                 "tools/env.py", "LICENSE")


def release(lang: str, out: Path | None = None) -> Path:
    """Pack one language's student material into a zip; return its path."""
    if lang not in LANGUAGES:
        raise CourseValueError(zh="语言应为 zh 或 en，收到 {lang!r}。",
                               en="The language must be zh or en, got {lang!r}.", lang=lang)
    stale = notebooks.build(check_only=True)
    if stale:
        raise CourseValueError(
            zh="学生版笔记本已过期（{files}）：先运行 `python -m mlp_course build`。",
            en="The student notebooks are out of date ({files}): run "
               "`python -m mlp_course build` first.", files=", ".join(p.name for p in stale))
    out = out or ROOT / "release" / f"mlp-course-{lang}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    top = f"mlp-course-{lang}"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for lesson in COURSE:
            path = lesson.student(lang)
            if path.exists():
                archive.write(path, f"{top}/lessons/{lang}/{path.name}")
        for path in sorted((ROOT / "mlp_course").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, f"{top}/{path.relative_to(ROOT).as_posix()}")
        for name in RELEASE_FILES:
            if (ROOT / name).exists():
                archive.write(ROOT / name, f"{top}/{name}")
        archive.writestr(f"{top}/README.md", HOWTO[lang])
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlp_course",
                                     description="slides / release (幻灯片 / 发布)")
    commands = parser.add_subparsers(dest="command", required=True)
    deck = commands.add_parser("slides", help="render a lesson as reveal.js slides")
    deck.add_argument("lesson")
    deck.add_argument("--lang", choices=list(LANGUAGES), default=None)
    deck.add_argument("--out", type=Path, default=None)
    pack = commands.add_parser("release", help="pack the student notebooks for a class")
    pack.add_argument("--lang", choices=list(LANGUAGES), required=True)
    pack.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from ..i18n import get_language

    lang = args.lang or get_language()
    with language(lang):
        if args.command == "slides":
            path = slides(args.lesson, lang, args.out)
            print(text(zh="幻灯片已生成：{path}", en="Slides written to {path}", path=path))
        else:
            path = release(lang, args.out)
            print(text(zh="发布包已生成：{path}", en="Release written to {path}", path=path))
    return 0
