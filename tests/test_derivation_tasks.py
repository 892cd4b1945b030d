"""Lessons 05-08 ask the learner to derive before coding: numbered derivation tasks, a cell
to write in, a folded worked answer in both languages, and exercises that refer back to them."""

from __future__ import annotations

import re

import pytest

from mlp_course.course import notebooks
from mlp_course.course.syllabus import get_lesson

LESSONS = {"05_mlp_forward": 4, "06_backprop": 5, "07_training": 2, "08_review": 2}
TASK = {"zh": re.compile(r"推导任务\s*(\d+)"), "en": re.compile(r"derivation task (\d+)", re.IGNORECASE)}
WORK = {"zh": "你的推导", "en": "Your derivation"}


def _markdown(lesson_id: str, lang: str) -> list[str]:
    source = notebooks.read(get_lesson(lesson_id).source)
    return [cell.source for cell in source.cells
            if cell.cell_type == "markdown" and f"lang-{lang}" in cell.metadata.get("tags", [])]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("lesson_id, count", LESSONS.items())
def test_numbered_tasks_with_a_cell_to_write_in_and_a_folded_answer(lesson_id, count, lang):
    cells = _markdown(lesson_id, lang)
    posed = []
    for index, text in enumerate(cells):
        for match in TASK[lang].finditer(text):
            if "<summary>" not in text[max(0, match.start() - 40):match.start()]:
                posed.append((int(match.group(1)), index))
    numbers = sorted({number for number, _ in posed})
    assert numbers == list(range(1, count + 1)), (lesson_id, lang, numbers)
    assert any(WORK[lang] in text for text in cells)
    for number in numbers:
        first = min(index for n, index in posed if n == number)
        # a worked answer is folded in a <details> block at the task or soon after it
        window = "\n".join(cells[first:first + 6])
        assert "<details>" in window and "</details>" in window, (lesson_id, lang, number)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("lesson_id, least", [("05_mlp_forward", 2), ("06_backprop", 4),
                                              ("07_training", 1)])
def test_exercises_turn_the_learners_derivation_into_code(lesson_id, least, lang):
    """Exercise texts point back to the derivation task they turn into code."""
    heading = "### 练习" if lang == "zh" else "### Exercise"
    exercises = [text for text in _markdown(lesson_id, lang) if text.startswith(heading)]
    assert sum(bool(TASK[lang].search(text)) for text in exercises) >= least, lesson_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_details_block_is_never_left_open(lang):
    for lesson_id in LESSONS:
        for text in _markdown(lesson_id, lang):
            assert text.count("<details>") == text.count("</details>"), lesson_id
