"""Learners derive before they code: every lesson has derivation tasks with folded answers.

每课都有推导任务，参考答案折叠在 ``<details>`` 里，中英文一一对应。

A derivation task is introduced as “推导任务 k” in Chinese and “Derivation task k” in
English; its worked answer is a ``<details>`` block whose ``<summary>`` comes right after
it and is followed by a blank line (JupyterLab renders Markdown inside the block only then).
"""

from __future__ import annotations

import re

import pytest

from mlp_course.course import notebooks
from mlp_course.course.syllabus import COURSE

SOURCES = [lesson for lesson in COURSE if lesson.source.exists()]
IDS = [lesson.id for lesson in SOURCES]
REVIEW = "08_review"  # the review lesson asks quiz questions instead

TASK = {"zh": re.compile(r"推导任务\s*(\d+)"), "en": re.compile(r"[Dd]erivation task\s*(\d+)")}
BLOCK = re.compile(r"<details>[ \t]*\n?<summary>[^\n]*</summary>[ \t]*\n[ \t]*\n.*?</details>", re.DOTALL)


def details_problems(markdown: str) -> list[str]:
    """What is wrong with the <details> blocks of one cell."""
    problems = []
    opened, closed = markdown.count("<details>"), markdown.count("</details>")
    if opened != closed:
        problems.append(f"{opened} <details> but {closed} </details>")
    if len(BLOCK.findall(markdown)) != opened:
        problems.append("a <details> block needs `<summary>…</summary>` right after it and a blank "
                        "line after the summary (or the Markdown inside is not rendered)")
    return problems


def test_the_block_rule_on_examples():
    good = "task\n\n<details>\n<summary>参考答案</summary>\n\n$$x$$\n\n</details>\n"
    assert details_problems(good) == []
    assert details_problems(good.replace("</summary>\n\n", "</summary>\n")) != []
    assert details_problems(good.replace("</details>", "")) != []
    assert details_problems("<details><summary>答案</summary>\n\n文字\n</details>") == []


@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_folded_answers_render_and_match_across_languages(lesson):
    notebook = notebooks.read(lesson.source)
    problems = []
    for pair in notebooks.pairs(notebook):
        if pair.zh is None or pair.en is None:
            continue
        for lang in ("zh", "en"):
            problems += [f"{lesson.id} pair {pair.id} ({lang}): {p}"
                         for p in details_problems(getattr(pair, lang).source)]
        if pair.zh.source.count("<details>") != pair.en.source.count("<details>"):
            problems.append(f"{lesson.id} pair {pair.id}: the Chinese and English cells fold "
                            "a different number of answers")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", [s for s in SOURCES if s.id != REVIEW],
                         ids=[i for i in IDS if i != REVIEW])
def test_every_lesson_has_derivation_tasks_with_folded_answers(lesson):
    notebook = notebooks.read(lesson.source)
    tasks, folded = {}, {}
    for lang in ("zh", "en"):
        text = "\n".join(cell.source for cell in notebook.cells
                         if cell.cell_type == "markdown" and notebooks.cell_lang(cell) == lang)
        tasks[lang] = {int(k) for k in TASK[lang].findall(text)}
        folded[lang] = text.count("<details>")
    assert len(tasks["zh"]) >= 2, f"{lesson.id}: fewer than two derivation tasks"
    assert tasks["zh"] == tasks["en"], f"{lesson.id}: tasks {tasks['zh']} in Chinese, {tasks['en']} in English"
    assert tasks["zh"] == set(range(1, len(tasks["zh"]) + 1)), f"{lesson.id}: tasks numbered {tasks['zh']}"
    assert folded["zh"] >= len(tasks["zh"]), f"{lesson.id}: a derivation task without a folded answer"
