"""For instructors: a lesson as slides, and a class release as one archive.

供教师使用：把一课渲染成幻灯片；把一种语言的学生材料打包成一个压缩包。

``python -m mlp_course slides LESSON [--lang zh|en] [--out DIR]``
    renders the lesson (from its one bilingual source, with the saved outputs)
    as reveal.js slides; slide boundaries come from the cells' ``slideshow``
    metadata. The deck works offline: reveal.js and MathJax are copied next to
    it from registry packages (``sphinx-revealjs``, ``django-static-mathjax``).

``python -m mlp_course release --lang zh|en [--out FILE]``
    packs what a learner needs and nothing else into one ``.zip``: the student
    notebooks of one language, the ``mlp_course`` package (with its glossary),
    the runtime requirements, ``tools/env.py`` and a how-to. The language is
    baked in (``mlp_course/release.json``): the release's ``make lab``, its
    glossary command and ``set_language``'s default all use it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import zipfile
from pathlib import Path

from .syllabus import COURSE, checkout, get_lesson
from ..i18n import LANGUAGES, RELEASE_SETTINGS, CourseValueError, language, require_language, text
from . import bilingual_code, notebooks

TEMPLATES = Path(__file__).resolve().parent / "templates"
# the MathJax 3 files a deck needs: one self-contained script (SVG output, no web
# fonts) and the TeX extensions it may load on demand
MATHJAX_FILES = ("tex-svg.js", "input/tex/extensions")


def _package_folder(module: str, inside: str, needed: str, install: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise CourseValueError(
            zh="幻灯片需要 {install} 包提供的文件：请运行 `pip install -r requirements-dev.txt`。",
            en="Slides need the files of the {install} package: run "
               "`pip install -r requirements-dev.txt`.", install=install)
    folder = Path(list(spec.submodule_search_locations)[0]) / inside
    if not (folder / needed).exists():
        raise CourseValueError(zh="在 {folder} 中找不到 {needed}。",
                               en="{needed} not found in {folder}.", folder=folder, needed=needed)
    return folder


def reveal_assets() -> Path:
    """The folder of reveal.js files shipped inside the ``sphinx-revealjs`` package."""
    return _package_folder("sphinx_revealjs", "_static/revealjs", "dist/reveal.js",
                           "sphinx-revealjs")


def mathjax_assets() -> Path:
    """The MathJax 3 ``es5`` folder shipped inside the ``django-static-mathjax`` package."""
    return _package_folder("mathjax", "static/mathjax/es5", "tex-svg.js", "django-static-mathjax")


def copy_mathjax(target: Path) -> Path:
    """Copy the MathJax files a deck loads into ``target`` (once)."""
    source = mathjax_assets()
    for name in MATHJAX_FILES:
        destination = target / name
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        if (source / name).is_dir():
            shutil.copytree(source / name, destination)
        else:
            shutil.copy2(source / name, destination)
    return target


def one_language(source, lang: str):
    """The source notebook in one language, solutions and outputs kept (for slides)."""
    import nbformat

    notebook = nbformat.from_dict(source)
    notebook.cells = [cell for cell in notebook.cells
                      if notebooks.cell_lang(cell) in (None, lang)]
    seen_prose = False
    for cell in notebook.cells:
        cell.metadata.pop("mlp_course", None)
        if cell.cell_type == "code":  # `# zh:` / `# en:` comments and docstring sections
            cell.source = bilingual_code.localize(cell.source, lang)
        seen_prose = seen_prose or cell.cell_type == "markdown"
        if not seen_prose:  # the set-up cells before the title are not slides
            cell.metadata.setdefault("slideshow", {"slide_type": "skip"})
    notebook.metadata.pop("widgets", None)
    return notebook


def slides(lesson_key: str, lang: str, out: Path | None = None) -> Path:
    """Render one lesson as a reveal.js deck; return the HTML file's path."""
    from nbconvert import SlidesExporter

    root = checkout("slides")
    lesson = get_lesson(lesson_key)
    out = out or root / "slides" / lang
    out.mkdir(parents=True, exist_ok=True)
    notebook = one_language(notebooks.read(lesson.source), lang)
    exporter = SlidesExporter(extra_template_basedirs=[str(TEMPLATES)],
                              template_name="mlp_slides", reveal_url_prefix="reveal.js",
                              reveal_theme="white", reveal_scroll=True,
                              mathjax_url="mathjax/tex-svg.js")
    resources = {"metadata": {"name": lesson.title(lang)}}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    assets = out / "reveal.js"
    if not assets.exists():
        shutil.copytree(reveal_assets(), assets)
    copy_mathjax(out / "mathjax")
    target = out / f"{lesson.id}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


HOWTO = {
    "zh": r"""# MLP 课程（中文版）：学生使用说明

这个文件夹就是整门课：`lessons/zh/` 里的笔记本、课程包 `mlp_course/` 和安装说明。
课程、检查结果、术语表和 JupyterLab 界面都是中文。

## 第一次使用

1. 安装 Python 3.10 或更新版本（Windows 上安装时勾选 “Add python.exe to PATH”）。
2. 在本文件夹中打开终端，运行：

   ```bash
   make lab                 # 没有 make 时：python3 tools/env.py lab
   ```

   Windows（PowerShell 或命令提示符）：

   ```
   py tools\env.py lab
   ```

   第一次运行会在本文件夹中创建 `.venv`，安装课程需要的包（约 1–2 分钟），
   然后在 JupyterLab 中打开课程。之后再运行同一条命令只需几秒。
3. 从 `00_start_here.ipynb` 开始。你的作业保存在 `workspace/zh/` 中，
   重新运行命令不会覆盖它。
4. 每道练习后面的检查单元格会立即告诉你是否通过；`progress("01")` 显示一课的进度。

## 查术语

使用本文件夹自己的环境（`.venv`）：

```bash
.venv/bin/python -m mlp_course glossary 交叉熵         # macOS / Linux
.venv\Scripts\python -m mlp_course glossary 交叉熵    # Windows
```

`--list` 列出全部术语，`--search 梯度` 搜索。

## 常见问题

- 图中的中文显示成方框：请安装一种中文字体（如 Noto Sans CJK），然后重启内核；
  没有中文字体时，图中文字会自动改用英文。
- 课程全程离线运行；第一次安装之后不再下载任何东西。
""",
    "en": r"""# The MLP course (English edition): how to use it

This folder is the whole course: the notebooks in `lessons/en/`, the course's
package `mlp_course/` and this how-to. The lessons, the checks, the glossary
and JupyterLab's interface are in English.

## The first time

1. Install Python 3.10 or newer (on Windows, tick "Add python.exe to PATH").
2. Open a terminal in this folder and run:

   ```bash
   make lab                 # without make: python3 tools/env.py lab
   ```

   On Windows (PowerShell or Command Prompt):

   ```
   py tools\env.py lab
   ```

   The first run creates `.venv` in this folder, installs what the course
   needs (a minute or two) and opens the course in JupyterLab. Later runs of
   the same command take seconds.
3. Start with `00_start_here.ipynb`. Your work is saved in `workspace/en/`;
   running the command again never overwrites it.
4. The check cell after each exercise tells you at once whether it passes;
   `progress("01")` shows a lesson's progress.

## Looking a term up

With this folder's own environment (`.venv`):

```bash
.venv/bin/python -m mlp_course glossary "cross entropy"        # macOS / Linux
.venv\Scripts\python -m mlp_course glossary "cross entropy"   # Windows
```

`--list` lists every term, `--search gradient` searches.

## Common questions

- Every lesson runs offline; nothing is downloaded after the first install.
- To see the Chinese name of a term, look it up: the glossary shows both.
""",
}

# the release's own Makefile: a learner's commands only (no tests, no authoring)
MAKEFILE = """# make lab    set up .venv in this folder if needed and open the course in JupyterLab
# Without make: python3 tools/env.py lab   (Windows: py tools\\env.py lab)
PYTHON ?= python3
ARGS ?=

.PHONY: lab setup clean

lab:
\t$(PYTHON) tools/env.py lab $(ARGS)

setup:
\t$(PYTHON) tools/env.py setup

clean:
\trm -rf .venv
"""

RELEASE_FILES = ("requirements.txt", "pyproject.toml", "tools/env.py", "LICENSE")


def _package_files(root: Path):
    """Every file of the package a learner needs: no caches, no release settings."""
    for path in sorted((root / "mlp_course").rglob("*")):
        if (path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
                and path != root / "mlp_course" / RELEASE_SETTINGS.name):
            yield path


def release(lang: str, out: Path | None = None) -> Path:
    """Pack one language's student material into a zip; return its path."""
    require_language(lang)
    root = checkout("release")
    stale = notebooks.build(check_only=True)
    if stale:
        raise CourseValueError(
            zh="学生版笔记本已过期（{files}）：先运行 `python -m mlp_course build`。",
            en="The student notebooks are out of date ({files}): run "
               "`python -m mlp_course build` first.", files=", ".join(p.name for p in stale))
    out = out or root / "release" / f"mlp-course-{lang}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    top = f"mlp-course-{lang}"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for lesson in COURSE:
            path = lesson.student(lang)
            if path.exists():
                archive.write(path, f"{top}/lessons/{lang}/{path.name}")
        for path in _package_files(root):
            archive.write(path, f"{top}/{path.relative_to(root).as_posix()}")
        archive.writestr(f"{top}/mlp_course/{RELEASE_SETTINGS.name}",
                         json.dumps({"language": lang}, indent=2) + "\n")
        for name in RELEASE_FILES:
            if (root / name).exists():
                archive.write(root / name, f"{top}/{name}")
        archive.writestr(f"{top}/Makefile", MAKEFILE)
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
