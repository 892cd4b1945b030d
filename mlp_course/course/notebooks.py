"""One bilingual source per lesson; student notebooks generated from it.

每课只有一个双语源笔记本（solutions/），学生版笔记本（lessons/zh、lessons/en）由它生成。

Source format (``solutions/NN_id.ipynb``):

* prose is a pair of markdown cells, Chinese then English, tagged ``lang-zh`` /
  ``lang-en`` and sharing ``metadata.mlp_course.pair``; the Chinese cell keeps
  ``metadata.mlp_course.reviewed = {"zh": hash, "en": hash}``, the fingerprints
  of both texts when the pair was last reviewed together (the drift guard);
* code cells are shared, unless tagged ``lang-zh`` / ``lang-en``; their comments
  and docstrings are paired (``# zh: …`` / ``# en: …``, ``[zh]`` / ``[en]``
  docstring sections, see :mod:`.bilingual_code`) and resolved per language;
* exercise code sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
  in a cell with nbgrader metadata (``solution: true``); its check cell has
  ``grade: true`` and ``points``.

``build`` writes ``lessons/<lang>/NN_id.ipynb``: one language, each solution
replaced by a stub, outputs cleared, a first cell that installs the package
where it is missing (Colab), and the kernel's metadata (``kernelspec``,
``language_info``) so a lesson does not open as "unsaved". ``review``
records that a pair was read side by side. ``drift`` lists the pairs whose texts changed since.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import bilingual_code
from .syllabus import (COURSE, LESSONS, PACKAGE_NAME, PACKAGE_SOURCE, Lesson,
                       checkout, get_lesson)
from ..i18n import LANGUAGES, CourseValueError, Message

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = {
    "zh": ["# 在这里写你的代码", "raise NotImplementedError()"],
    "en": ["# YOUR CODE HERE", "raise NotImplementedError()"],
}
LANG_TAG = {lang: f"lang-{lang}" for lang in LANGUAGES}
LANGUAGE_NAME = {"zh": Message(zh="中文", en="Chinese"), "en": Message(zh="英文", en="English")}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# what the Python kernel reports about itself, less the version (the learner's
# own; `lab` fills it in for the copies it makes, see lab.prepare_workspace)
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}
INSTALL_TAG = "mlp-course-install"
INSTALL_COMMENT = {
    "zh": ["# 如果还没有安装课程包 mlp_course（例如在 Colab 中），这个单元格会先安装它；",
           "# 已经安装时它什么也不做。"],
    "en": ["# Installs the course's package mlp_course where it is missing (on Colab, say);",
           "# where it is installed, this cell does nothing."],
}


# What the install cell says when pip could not install the package: the learner's way out.
INSTALL_FAILED = {
    "zh": ("没能安装课程包（来源：{source}）。请把课程文件夹（发布包解压后的文件夹）上传到这里并在其中打开课程，"
           "或者先设置环境变量 MLP_COURSE_SOURCE 为老师给出的安装地址，再运行这个单元格。"),
    "en": ("Could not install the course's package (from {source}). Upload the course folder (the "
           "unpacked release) and open the lesson inside it, or set the environment variable "
           "MLP_COURSE_SOURCE to the address your teacher gives, then run this cell again."),
}


def _nbformat():
    import nbformat  # imported here: the numeric core must not need it

    return nbformat


def read(path: Path):
    nbformat = _nbformat()
    try:
        return nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise CourseValueError(zh="找不到笔记本文件 {path}。", en="Notebook file {path} not found.",
                               path=path) from None
    except Exception as error:
        raise CourseValueError(zh="无法读取笔记本 {path}：{error}",
                               en="Cannot read notebook {path}: {error}",
                               path=path, error=error) from None


def write(notebook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_nbformat().writes(notebook) + "\n", encoding="utf-8")


def cell_lang(cell) -> str | None:
    tags = cell.get("metadata", {}).get("tags", [])
    for lang, tag in LANG_TAG.items():
        if tag in tags:
            return lang
    return None


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def fingerprint(source: str) -> str:
    """A short hash of a text, blind to trailing spaces and line-ending style."""
    normal = "\n".join(line.rstrip() for line in source.replace("\r\n", "\n").strip().split("\n"))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------
# Pairs and the drift guard

@dataclass
class Pair:
    id: str
    zh: object | None
    en: object | None
    index: int  # position of the first cell of the pair in the notebook


def pairs(notebook) -> list[Pair]:
    """The prose pairs of a source notebook, in order."""
    found: dict[str, Pair] = {}
    order: list[str] = []
    for index, cell in enumerate(notebook.cells):
        lang = cell_lang(cell)
        if cell.cell_type != "markdown" or lang is None:
            continue
        pair_id = cell.metadata.get("mlp_course", {}).get("pair") or f"cell-{index}"
        if pair_id not in found:
            found[pair_id] = Pair(pair_id, None, None, index)
            order.append(pair_id)
        setattr(found[pair_id], lang, cell)
    return [found[pair_id] for pair_id in order]


def drift(notebook, name: str = "") -> list[Message]:
    """Problems of the zh/en pairs: a missing side, or a side changed since review.

    返回中英文段落对的问题：缺少一方，或某一方在上次对照审阅后被改动。
    """
    problems: list[Message] = []
    for pair in pairs(notebook):
        for lang, other in (("zh", "en"), ("en", "zh")):
            if getattr(pair, lang) is None:
                problems.append(Message(
                    zh="{name} 段落对 {pair}（第 {index} 个单元格）：缺少{side}版本。",
                    en="{name} pair {pair} (cell {index}): the {side} side is missing.",
                    name=name, pair=pair.id, index=pair.index, side=LANGUAGE_NAME[lang]))
        if pair.zh is None or pair.en is None:
            continue
        reviewed = pair.zh.metadata.get("mlp_course", {}).get("reviewed") or {}
        changed = [lang for lang in LANGUAGES
                   if reviewed.get(lang) != fingerprint(getattr(pair, lang).source)]
        if len(changed) == 1:
            side, other = changed[0], "en" if changed[0] == "zh" else "zh"
            problems.append(Message(
                zh="{name} 段落对 {pair}（第 {index} 个单元格）：{side}文本在上次审阅后改过，"
                   "{other}文本没有跟着审阅。请对照修改，然后运行 "
                   "`python -m mlp_course review {path} --pair {pair}`。",
                en="{name} pair {pair} (cell {index}): the {side} text changed since the pair "
                   "was last reviewed, but the {other} text was not reviewed with it. Bring "
                   "them in line, then run `python -m mlp_course review {path} --pair {pair}`.",
                name=name, pair=pair.id, index=pair.index, path=name,
                side=LANGUAGE_NAME[side], other=LANGUAGE_NAME[other]))
        elif len(changed) == 2:
            problems.append(Message(
                zh="{name} 段落对 {pair}（第 {index} 个单元格）：两种语言都没有审阅记录（或都改过）。"
                   "对照审阅后运行 `python -m mlp_course review {path} --pair {pair}`。",
                en="{name} pair {pair} (cell {index}): neither side matches its review record "
                   "(new pair, or both changed). Review them side by side, then run "
                   "`python -m mlp_course review {path} --pair {pair}`.",
                name=name, pair=pair.id, index=pair.index, path=name))
    return problems


def review(path: Path, pair_ids: Iterable[str] | None = None) -> list[str]:
    """Record that pairs were read side by side: store both texts' fingerprints.

    记录段落对已对照审阅：保存两种语言文本的指纹。Returns the pair ids marked.
    """
    notebook = read(path)
    wanted = set(pair_ids) if pair_ids else None
    marked = []
    for pair in pairs(notebook):
        if wanted is not None and pair.id not in wanted:
            continue
        if pair.zh is None or pair.en is None:
            raise CourseValueError(
                zh="段落对 {pair} 缺少一方，无法标记为已审阅。",
                en="Pair {pair} has only one side, so it cannot be marked reviewed.",
                pair=pair.id)
        meta = pair.zh.metadata.setdefault("mlp_course", {})
        meta["reviewed"] = {lang: fingerprint(getattr(pair, lang).source) for lang in LANGUAGES}
        marked.append(pair.id)
    if wanted is not None and set(marked) != wanted:
        raise CourseValueError(zh="{path} 中没有这些段落对：{missing}。",
                               en="{path} has no pairs named {missing}.",
                               path=path, missing=", ".join(sorted(wanted - set(marked))))
    write(notebook, path)
    return marked


# ---------------------------------------------------------------------------
# Generating student notebooks

_SOLUTION = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[^\n]*\n.*?^[ \t]*{re.escape(END)}[^\n]*$",
                       re.MULTILINE | re.DOTALL)


def stub_solutions(source: str, lang: str) -> str:
    """Replace every solution region by a stub in the learner's language."""
    def replace(match: re.Match) -> str:
        indent = match.group(1)
        return "\n".join(indent + line for line in STUB[lang])

    if source.count(BEGIN) != source.count(END):
        raise CourseValueError(
            zh="单元格中的 {begin} 与 {end} 数量不一致。", en="Unbalanced {begin} / {end} markers.",
            begin=BEGIN, end=END)
    return _SOLUTION.sub(replace, source)


def install_source(lang: str) -> str:
    """The first cell of a student notebook: install the package only when it is missing.

    It installs from the course folder the notebook sits in when there is one (a
    release or a checkout: the package travels with the lessons), else from the
    project's repository (:data:`~mlp_course.course.syllabus.PACKAGE_SOURCE`),
    with the lessons' own libraries only if one of them is missing too.
    """
    lines = [
        *INSTALL_COMMENT[lang],
        "import importlib, importlib.util, pathlib, subprocess, sys",
        'if importlib.util.find_spec("mlp_course") is None:',
        "    _here = pathlib.Path.cwd()",
        "    _local = [p for p in (_here, *_here.parents)",
        '              if (p / "pyproject.toml").exists() and (p / "mlp_course" / "__init__.py").exists()]',
        '    _libraries = ("torch", "matplotlib", "ipywidgets")',
        '    _extras = "" if all(importlib.util.find_spec(m) for m in _libraries) else "[course]"',
        "    import os",
        f'    _remote = os.environ.get("MLP_COURSE_SOURCE") or "{PACKAGE_SOURCE}"',
        f'    _source = str(_local[0]) + _extras if _local else "{PACKAGE_NAME}" + _extras + " @ " + _remote',
        '    if subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", _source]).returncode:',
        f'        raise SystemExit({INSTALL_FAILED[lang]!r}.format(source=_source))',
        "    importlib.invalidate_caches()",
    ]
    return "\n".join(lines)


def install_cell(lang: str, with_id: bool = True):
    cell = _nbformat().v4.new_code_cell(install_source(lang))
    cell.metadata["tags"] = [INSTALL_TAG]
    if with_id:
        cell.id = INSTALL_TAG  # a fixed id: rebuilding gives the same file
    else:
        cell.pop("id", None)
    return cell


def student_notebook(source, lang: str, lesson: Lesson | None = None):
    """The student version of a source notebook in one language."""
    nbformat = _nbformat()
    notebook = nbformat.from_dict(source)
    cells = []
    for cell in notebook.cells:
        tagged = cell_lang(cell)
        if tagged is not None and tagged != lang:
            continue
        cell = nbformat.from_dict(cell)
        meta = cell.metadata
        meta.pop("mlp_course", None)
        meta.pop("execution", None)
        meta.pop("widgets", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.source = bilingual_code.localize(cell.source, lang)  # `# zh:` / `# en:` pairs
            if nbgrader(cell).get("solution"):
                cell.source = stub_solutions(cell.source, lang)
        cells.append(cell)
    with_ids = (notebook.nbformat, notebook.nbformat_minor) >= (4, 5)
    notebook.cells = [install_cell(lang, with_ids), *cells]
    meta = notebook.metadata
    meta.pop("widgets", None)
    course_meta = dict(meta.get("mlp_course", {}))
    course_meta["lang"] = lang
    if lesson is not None:
        course_meta["lesson"] = lesson.id
    meta["mlp_course"] = course_meta
    meta["kernelspec"] = dict(KERNELSPEC)
    meta["language_info"] = {**LANGUAGE_INFO,
                             "codemirror_mode": dict(LANGUAGE_INFO["codemirror_mode"])}
    return notebook


def build(lessons: Iterable[Lesson] = COURSE, out: Path = LESSONS, check_only: bool = False) -> list[Path]:
    """Generate (or, with ``check_only``, list the stale) student notebooks.

    生成学生版笔记本；``check_only`` 时只列出与源不一致的文件。
    """
    checkout("build")
    nbformat = _nbformat()
    stale = []
    for lesson in lessons:
        if not lesson.source.exists():
            continue
        source = read(lesson.source)
        for lang in LANGUAGES:
            target = out / lang / lesson.source.name
            wanted = nbformat.writes(student_notebook(source, lang, lesson)) + "\n"
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if current != wanted:
                stale.append(target)
                if not check_only:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(wanted, encoding="utf-8")
    return stale


def strip_source(notebook) -> None:
    """Remove what must not be saved in a source notebook: widget state, timings."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("data", {}).pop("application/vnd.jupyter.widget-state+json", None)


def execute(path: Path, timeout: int = 300) -> None:
    """Run a source notebook top to bottom and save its outputs (for nbval).

    从头到尾运行源笔记本并保存输出（供 nbval 比较）。
    """
    from nbclient import NotebookClient

    notebook = read(path)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    strip_source(notebook)
    write(notebook, path)


def lessons_from_args(names: list[str], command: str = "build") -> list[Lesson]:
    checkout(command)
    return [get_lesson(name) for name in names] if names else list(COURSE)
