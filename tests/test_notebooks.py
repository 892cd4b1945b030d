"""The lesson sources and their generated student notebooks stay in step."""

from __future__ import annotations

import copy

import nbformat
import pytest

from mlp_course.course import notebooks
from mlp_course.course.syllabus import COURSE
from mlp_course.course.exercises import get_exercise
from mlp_course.i18n import language

SOURCES = [lesson for lesson in COURSE if lesson.source.exists()]
IDS = [lesson.id for lesson in SOURCES]


def test_every_lesson_of_the_course_has_a_source():
    missing = [lesson.id for lesson in COURSE if not lesson.source.exists()]
    assert not missing, f"lessons without a source notebook in solutions/: {missing}"


def test_student_notebooks_are_what_build_generates():
    stale = notebooks.build(check_only=True)
    assert not stale, ("lessons/ differs from what `python -m mlp_course build` generates: "
                       + ", ".join(map(str, stale)))


@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_zh_and_en_texts_were_reviewed_together(lesson):
    problems = notebooks.drift(notebooks.read(lesson.source), f"solutions/{lesson.source.name}")
    assert not problems, "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_pairs_are_adjacent_chinese_first(lesson):
    notebook = notebooks.read(lesson.source)
    cells = notebook.cells
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            lang = notebooks.cell_lang(cell)
            assert lang is not None, f"{lesson.id} cell {index}: markdown without lang-zh/lang-en tag"
            if lang == "zh":
                partner = cells[index + 1] if index + 1 < len(cells) else None
                assert partner is not None and notebooks.cell_lang(partner) == "en", \
                    f"{lesson.id} cell {index}: the Chinese cell is not followed by its English pair"
                assert (partner.metadata["mlp_course"]["pair"]
                        == cell.metadata["mlp_course"]["pair"])


@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_exercises_are_registered_and_gradable(lesson):
    notebook = notebooks.read(lesson.source)
    solution_ids, check_ids = [], []
    for cell in notebook.cells:
        meta = notebooks.nbgrader(cell)
        if not meta:
            continue
        assert meta.get("schema_version") == 3
        if meta.get("solution"):
            assert notebooks.BEGIN in cell.source and notebooks.END in cell.source
            solution_ids.append(meta["grade_id"])
        if meta.get("grade"):
            assert meta.get("points", 0) > 0 and meta.get("locked") is True
            check_ids.append(meta["grade_id"])
    assert len(set(solution_ids + check_ids)) == len(solution_ids + check_ids), "grade_id reused"
    for exercise_id in solution_ids:
        exercise = get_exercise(exercise_id)
        assert exercise.lesson == lesson.id
        assert f"{exercise_id}_check" in check_ids, f"{exercise_id} has no check cell"


def test_a_drifted_pair_is_reported_naming_the_cell():
    lesson = SOURCES[0] if SOURCES else pytest.skip("no lesson yet")
    notebook = notebooks.read(lesson.source)
    changed = copy.deepcopy(notebook)
    pair = notebooks.pairs(changed)[0]
    pair.zh.source += "\n\n多出来的一句话。"
    with language("en"):
        problems = [str(p) for p in notebooks.drift(changed, "x.ipynb")]
    assert len(problems) == 1
    assert pair.id in problems[0] and "Chinese text changed" in problems[0]


def test_a_pair_missing_one_side_is_reported():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell("只有中文")
    cell.metadata["tags"] = ["lang-zh"]
    cell.metadata["mlp_course"] = {"pair": "lonely"}
    notebook.cells = [cell]
    with language("en"):
        problems = [str(p) for p in notebooks.drift(notebook, "x.ipynb")]
    assert any("lonely" in p and "English side is missing" in p for p in problems)


def test_review_records_both_fingerprints(tmp_path):
    notebook = nbformat.v4.new_notebook()
    for lang, text in (("zh", "你好"), ("en", "Hello")):
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["tags"] = [f"lang-{lang}"]
        cell.metadata["mlp_course"] = {"pair": "greeting"}
        notebook.cells.append(cell)
    path = tmp_path / "n.ipynb"
    notebooks.write(notebook, path)
    assert notebooks.drift(notebooks.read(path))
    assert notebooks.review(path) == ["greeting"]
    assert notebooks.drift(notebooks.read(path)) == []


def test_stub_replaces_only_the_solution_and_keeps_indentation():
    source = ("def f(x):\n    \"\"\"doc\"\"\"\n    ### BEGIN SOLUTION\n    return x + 1\n"
              "    ### END SOLUTION\n\nprint('kept')")
    zh = notebooks.stub_solutions(source, "zh")
    en = notebooks.stub_solutions(source, "en")
    assert "return x + 1" not in zh and "return x + 1" not in en
    assert "    # 在这里写你的代码\n    raise NotImplementedError()" in zh
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in en
    assert "print('kept')" in en and '"""doc"""' in en
    compile(en, "<stub>", "exec")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_student_notebook_is_one_language_without_answers_or_outputs(lesson, lang):
    student = notebooks.read(lesson.student(lang))
    other = "en" if lang == "zh" else "zh"
    assert student.metadata["mlp_course"]["lang"] == lang
    for cell in student.cells:
        assert notebooks.cell_lang(cell) in (None, lang)
        assert notebooks.BEGIN not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert not any(f"lang-{other}" in c.metadata.get("tags", []) for c in student.cells)


@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_sources_keep_no_widget_state_and_stay_small(lesson):
    raw = lesson.source.read_text(encoding="utf-8")
    notebook = notebooks.read(lesson.source)
    assert "widgets" not in notebook.metadata, "widget state saved in the notebook"
    assert "application/vnd.jupyter.widget-state+json" not in raw
    assert len(raw.encode()) < 2_500_000, f"{lesson.id} is {len(raw) // 1000} kB"
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            for mime, data in output.get("data", {}).items():
                assert len(str(data)) < 400_000, f"{lesson.id} cell {index}: a {mime} output too large"


def _code_without_words(source: str) -> str:
    """A code cell as Python sees it, without its comments and docstrings (the parts
    written in the learner's language); IPython's % and ! lines kept as they are."""
    import ast

    magics = [line.strip() for line in source.splitlines() if line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(line for line in source.splitlines()
                               if not line.lstrip().startswith(("%", "!"))))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)
                and not isinstance(node, ast.Module)):
            body[0] = ast.Pass()
    return "\n".join(magics) + "\n" + ast.dump(tree)


@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_both_languages_run_the_same_code(lesson):
    """Outside the cells tagged for one language, a lesson's zh and en student notebooks
    differ only in comments and docstrings: the same statements run in both. (The
    install cell is each language's own, whole: ``notebooks.install_source``.)"""
    shared = {}
    for lang in ("zh", "en"):
        cells = [cell for cell in notebooks.read(lesson.student(lang)).cells
                 if cell.cell_type == "code" and notebooks.cell_lang(cell) is None]
        [install] = [cell for cell in cells if notebooks.INSTALL_TAG in cell.metadata.get("tags", [])]
        assert install.source == notebooks.install_source(lang)
        shared[lang] = [cell.source for cell in cells if cell is not install]
    assert len(shared["zh"]) == len(shared["en"])
    for index, (zh, en) in enumerate(zip(shared["zh"], shared["en"])):
        assert _code_without_words(zh) == _code_without_words(en), \
            f"{lesson.id}: shared code cell {index} differs beyond comments and docstrings"
