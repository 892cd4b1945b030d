"""Write a lesson's bilingual source notebook from Python, in the course's format.

用 Python 按课程格式编写双语源笔记本。Editing ``solutions/*.ipynb`` in
JupyterLab works just as well; this helper is for writing a lesson in one go::

    from authoring import Lesson
    nb = Lesson("01_softmax")
    nb.setup()                                   # language cell + imports
    nb.md("intro", zh="# Softmax ……", en="# Softmax ...")
    nb.code("z = np.array([2.0, 1.0, 0.1])")
    nb.exercise("softmax", '''
    def softmax(z):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION
    ''', function="softmax", points=2)
    nb.save()            # writes solutions/01_softmax.ipynb, pairs marked reviewed

then ``python -m mlp_course run-solutions 01`` (saves outputs for nbval) and
``python -m mlp_course build 01`` (student notebooks).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat import v4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlp_course.course import notebooks  # noqa: E402
from mlp_course.course.syllabus import get_lesson  # noqa: E402


def _clean(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


class Lesson:
    def __init__(self, lesson_id: str):
        self.lesson = get_lesson(lesson_id)
        self.cells: list = []
        self._pairs: set[str] = set()

    # prose -----------------------------------------------------------------
    def md(self, pair: str, zh: str, en: str, slide: str | None = None) -> "Lesson":
        """A pair of markdown cells. ``slide``: reveal.js slide type of both cells
        ("slide", "subslide", "fragment", "skip", "notes")."""
        if pair in self._pairs:
            raise ValueError(f"pair id {pair!r} used twice")
        self._pairs.add(pair)
        for lang, source in (("zh", zh), ("en", en)):
            cell = v4.new_markdown_cell(_clean(source))
            cell.metadata["tags"] = [f"lang-{lang}"]
            cell.metadata["mlp_course"] = {"pair": pair}
            if slide:
                cell.metadata["slideshow"] = {"slide_type": slide}
            self.cells.append(cell)
        return self

    # code ------------------------------------------------------------------
    def code(self, source: str, tags: list[str] | None = None, slide: str | None = None) -> "Lesson":
        """A code cell shared by both languages. Tag ``nbval-ignore-output`` for
        widget cells or anything whose output may vary."""
        cell = v4.new_code_cell(_clean(source))
        if tags:
            cell.metadata["tags"] = list(tags)
        if slide:
            cell.metadata["slideshow"] = {"slide_type": slide}
        self.cells.append(cell)
        return self

    def lang_code(self, zh: str, en: str, tags: list[str] | None = None) -> "Lesson":
        """Two code cells, one per language (only the matching one reaches a student)."""
        for lang, source in (("zh", zh), ("en", en)):
            cell = v4.new_code_cell(_clean(source))
            cell.metadata["tags"] = [f"lang-{lang}", *(tags or [])]
            self.cells.append(cell)
        return self

    def setup(self, extra_imports: str = "") -> "Lesson":
        """The standard first code cells: the language, then imports and fonts."""
        self.lang_code(
            zh='import mlp_course\nmlp_course.set_language("zh")  # 改成 "en" 可切换为英文',
            en='import mlp_course\nmlp_course.set_language("en")  # use "zh" for Chinese',
        )
        self.code(_clean("""
            %matplotlib inline
            import numpy as np
            import matplotlib.pyplot as plt
            from mlp_course.course.plotting import setup_fonts, label
            from mlp_course.course.exercises import check, working, progress
            setup_fonts()
            np.set_printoptions(precision=4, suppress=True)
        """) + ("\n" + _clean(extra_imports) if extra_imports else ""))
        return self

    # exercises ---------------------------------------------------------------
    def exercise(self, exercise_id: str, solution: str, function: str, points: int,
                 check: str | None = None) -> "Lesson":
        """A solution cell (between ### BEGIN/END SOLUTION) and its check cell."""
        source = _clean(solution)
        if notebooks.BEGIN not in source:
            raise ValueError(f"exercise {exercise_id}: no {notebooks.BEGIN} marker")
        cell = v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": False, "grade_id": exercise_id, "locked": False,
                                     "schema_version": 3, "solution": True, "task": False}
        self.cells.append(cell)
        check_cell = v4.new_code_cell(_clean(check or f'check("{exercise_id}", {function})'))
        check_cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"{exercise_id}_check",
                                           "locked": True, "points": points,
                                           "schema_version": 3, "solution": False,
                                           "task": False}
        self.cells.append(check_cell)
        return self

    # output ----------------------------------------------------------------
    def save(self) -> Path:
        notebook = v4.new_notebook()
        notebook.cells = self.cells
        notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)",
                                           "language": "python", "name": "python3"}
        notebook.metadata["language_info"] = {"name": "python"}
        notebook.metadata["mlp_course"] = {"lesson": self.lesson.id}
        nbformat.validate(notebook)
        path = self.lesson.source
        notebooks.write(notebook, path)
        notebooks.review(path)
        return path
