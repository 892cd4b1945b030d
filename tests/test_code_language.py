"""Code comments and docstrings reach each learner in their own language.

A Chinese student notebook has no English-only comment or docstring line; an
English one has no Chinese. Source cells write them as pairs (``# zh:`` /
``# en:``, ``[zh]`` / ``[en]`` docstring sections) that ``build`` resolves.
"""

from __future__ import annotations

import ast
import re

import pytest

from mlp_course.course import bilingual_code, notebooks
from mlp_course.course.bilingual_code import localize, unpaired, wrong_language
from mlp_course.course.syllabus import COURSE

SOURCES = [lesson for lesson in COURSE if lesson.source.exists()]
IDS = [lesson.id for lesson in SOURCES]

CELL = '''%matplotlib inline
# zh: 每一行减去它的最大值
# zh: 第二行说明
# en: subtract each row's maximum
# en: a second line
shifted = z - z.max()  # zh: 广播  # en: broadcasting
note = "# zh: a string, not a comment"
# (N, C) float64
def f(z):
    """
    [zh]
    沿最后一个轴计算。

    参数
    ----
    z : numpy.ndarray，形状 (N, C)
    [en]
    Along the last axis.

    Parameters
    ----------
    z : numpy.ndarray, shape (N, C)
    """
    return z  # zh: 原样返回
# zh: 最后一行
# en: the last line'''


def _parses(code: str) -> None:
    ast.parse(re.sub(r"(?m)^([ \t]*)[%!].*$", r"\1pass", code))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_localize_keeps_one_language_and_valid_code(lang):
    out = localize(CELL, lang)
    _parses(out)
    assert "%matplotlib inline" in out
    assert 'note = "# zh: a string, not a comment"' in out
    assert "# (N, C) float64" in out
    assert "zh:" not in out.replace('"# zh: a string', "") and "en:" not in out
    assert "[zh]" not in out and "[en]" not in out
    if lang == "zh":
        assert "# 每一行减去它的最大值\n# 第二行说明\nshifted" in out
        assert "shifted = z - z.max()  # 广播\n" in out
        assert '    """沿最后一个轴计算。\n\n    参数\n    ----\n' in out
        assert "return z  # 原样返回" in out
        assert out.endswith("# 最后一行")
        assert "Parameters" not in out and "subtract" not in out
    else:
        assert "# subtract each row's maximum\n# a second line\nshifted" in out
        assert "shifted = z - z.max()  # broadcasting\n" in out
        assert '    """Along the last axis.\n\n    Parameters\n' in out
        assert "    return z\n" in out
        assert out.endswith("# the last line")
        assert "参数" not in out and "最大值" not in out
    assert wrong_language(out, lang) == []


@pytest.mark.parametrize("lang", ["fr", "ZH", None])
def test_localize_names_a_wrong_language_in_both_languages(lang):
    from mlp_course.i18n import CourseValueError, language

    for shown in ("zh", "en"):
        with language(shown):
            with pytest.raises(CourseValueError) as caught:
                localize(CELL, lang)
            said = str(caught.value)  # a course error speaks the language active when shown
        assert repr(lang) in said and "zh" in said and "en" in said
        assert ("应为" in said) == (shown == "zh"), said


def test_code_without_pairs_is_left_exactly_as_it_is():
    source = "x = 1  # a plain comment\n\"\"\"[zh] inline, not a marker line\"\"\"\n"
    assert localize(source, "zh") == source and localize(source, "en") == source


def test_a_lone_or_misordered_comment_or_section_is_reported():
    source = ('x = 1  # zh: 只有中文\n# en: English first\n# zh: 然后中文\n'
              'def f():\n    """\n    [zh]\n    只有中文段落\n    """\n')
    problems = unpaired(source)
    assert [p.line for p in problems] == [1, 2, 5]  # lone trailing, en before zh, lone [zh]
    assert [p.line for p in unpaired(CELL)] == [24]  # the lone `# zh: 原样返回`


def test_the_language_test_itself_catches_both_directions():
    assert [r.text for r in wrong_language("y = 0  # the observed labels\n", "zh")] == \
        ["# the observed labels"]
    assert [r.text for r in wrong_language('def f():\n    """\n    Parameters\n    """\n', "zh")] \
        == ["    Parameters"]
    assert wrong_language("y = 0  # 观察到的标签（labels）\n", "zh") == []
    assert wrong_language("y = 0  # (N, C) float64\n", "zh") == []
    assert wrong_language("d = delta.T @ a  # delta · a^T, np.exp(z)\n", "zh") == []
    assert [r.text for r in wrong_language("P = f()  # 1000 random distributions\n", "zh")] == \
        ["# 1000 random distributions"]
    assert [r.text for r in wrong_language("y = 0  # 观察到的标签\n", "en")] == ["# 观察到的标签"]


@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_every_source_comment_and_docstring_pair_is_complete(lesson):
    notebook = notebooks.read(lesson.source)
    problems = [f"solutions/{lesson.source.name} cell {index} line {p.line}: {p.text.strip()}"
                for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
                for p in unpaired(cell.source)]
    assert not problems, ("a `# zh:` comment needs its `# en:` partner right after it (and a "
                          "[zh] docstring section its [en] one):\n" + "\n".join(problems))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_student_code_speaks_only_the_learners_language(lesson, lang):
    notebook = notebooks.read(lesson.student(lang))
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        _parses(cell.source)
        for remark in wrong_language(cell.source, lang):
            problems.append(f"lessons/{lang}/{lesson.source.name} cell {index} line {remark.line} "
                            f"({remark.kind}): {remark.text.strip()}")
    side = "English-only" if lang == "zh" else "Chinese"
    assert not problems, (f"{len(problems)} {side} comment/docstring line(s) in a {lang} lesson; "
                          "write them as `# zh: …` / `# en: …` pairs or [zh]/[en] docstring "
                          "sections in the source:\n" + "\n".join(problems))


def test_build_resolves_the_pairs():
    import nbformat

    source = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("def f(x):\n    # zh: 中文注释\n    # en: an English comment\n"
                                     "    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION")
    cell.metadata["nbgrader"] = {"solution": True, "grade_id": "x", "schema_version": 3}
    source.cells = [cell]
    zh = notebooks.student_notebook(source, "zh").cells[-1].source
    en = notebooks.student_notebook(source, "en").cells[-1].source
    assert zh == "def f(x):\n    # 中文注释\n    # 在这里写你的代码\n    raise NotImplementedError()"
    assert en == "def f(x):\n    # an English comment\n    # YOUR CODE HERE\n    raise NotImplementedError()"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_slides_show_code_in_one_language(lang):
    from mlp_course.course.publish import one_language

    lesson = next(lesson for lesson in SOURCES if lesson.id == "01_softmax")
    notebook = one_language(notebooks.read(lesson.source), lang)
    problems = [remark.text for cell in notebook.cells if cell.cell_type == "code"
                for remark in wrong_language(cell.source, lang)]
    assert not problems and not any("[zh]" in c.source or "# en:" in c.source
                                    for c in notebook.cells if c.cell_type == "code")
