"""The review quiz: questions well formed and tied to their lessons, answers spread over the
options, every distractor explained, written answers read tolerantly, feedback in both languages."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest

from mlp_course.course.syllabus import BY_ID
from mlp_course.i18n import CourseTypeError, CourseValueError, _fields, language
from mlp_course.course.widgets.quiz import (QUESTIONS, get_question, grade_answer, parse_numbers,
                                            quiz_markdown, quiz_widget)

IDS = [question.id for question in QUESTIONS]
CHOICE = [q for q in QUESTIONS if not q.written]
WRITTEN = [q for q in QUESTIONS if q.written]


def _messages(question):
    yield question.prompt
    yield question.explanation
    yield from dict(question.choices).values()
    yield from dict(question.why_not).values()
    yield from (why for _, why in question.mistakes)


def test_ids_are_unique_and_the_required_topics_are_covered():
    assert len(set(IDS)) == len(IDS) == len(QUESTIONS)
    required = {"softmax_shift", "temperature", "nll_ce_same", "ce_differs", "output_delta",
                "dW_shape", "hadamard", "relu_derivative", "convexity", "zero_init",
                "weight_decay", "early_stopping", "initial_loss"}
    assert required <= set(IDS)


def test_answers_are_spread_over_all_four_options():
    counts = Counter(q.answer for q in CHOICE)
    assert set(counts) == {"a", "b", "c", "d"}
    assert max(counts.values()) - min(counts.values()) <= 1
    # no long run of the same letter in the order shown
    letters = [q.answer for q in CHOICE]
    assert all(len(set(letters[i:i + 3])) > 1 for i in range(len(letters) - 2))


def test_there_are_written_questions_of_every_kind():
    assert len(WRITTEN) >= 3
    assert {q.kind for q in WRITTEN} == {"number", "shape", "vector"}


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_question_is_well_formed_in_both_languages(question):
    assert question.lesson in BY_ID
    for message in _messages(question):
        assert message.zh.strip() and message.en.strip()
        assert _fields(message.zh) == _fields(message.en)
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in message.en), message.en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in question.prompt.zh)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in question.explanation.zh)


@pytest.mark.parametrize("question", CHOICE, ids=[q.id for q in CHOICE])
def test_every_wrong_option_is_a_distinct_explained_mistake(question):
    assert question.keys == ("a", "b", "c", "d")
    assert question.answer in question.keys
    assert len({choice.en for choice in dict(question.choices).values()}) == 4
    wrong = set(question.keys) - {question.answer}
    assert {key for key, _ in question.why_not} == wrong
    why = {message.en for _, message in question.why_not}
    assert len(why) == 3 and question.explanation.en not in why


@pytest.mark.parametrize("question", CHOICE, ids=[q.id for q in CHOICE])
def test_exactly_one_option_is_graded_correct_and_a_wrong_one_gets_its_own_reason(question):
    verdicts = {key: grade_answer(question.id, key) for key in question.keys}
    assert [key for key, (ok, _) in verdicts.items() if ok] == [question.answer]
    for key, reason in question.why_not:
        with language("en"):
            assert reason.render() in str(verdicts[key][1])
        with language("zh"):
            assert reason.render() in str(verdicts[key][1])


def _lesson_text(lesson_id: str) -> str:
    notebook = json.loads(BY_ID[lesson_id].source.read_text(encoding="utf-8"))
    parts = []
    for cell in notebook["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code" or "lang-en" in tags:
            parts.append("".join(cell["source"]))
    return "\n".join(parts).lower()


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_each_question_is_tied_to_the_lesson_that_teaches_it(question):
    assert question.evidence.lower() in _lesson_text(question.lesson), (
        f"{question.id}: lesson {question.lesson} does not mention {question.evidence!r}")


@pytest.mark.parametrize("question", WRITTEN, ids=[q.id for q in WRITTEN])
def test_written_answer_as_shown_is_graded_right_and_known_mistakes_get_their_feedback(question):
    assert grade_answer(question.id, question.answer)[0]
    assert question.mistakes
    for wrong, why in question.mistakes:
        answer = ", ".join(f"{v:g}" for v in wrong)
        ok, feedback = grade_answer(question.id, answer)
        assert not ok
        for lang in ("zh", "en"):
            with language(lang):
                assert why.render() in str(feedback)


@pytest.mark.parametrize("question_id, answer", [
    ("initial_loss", "2.30"), ("initial_loss", "≈2.303"), ("initial_loss", "ln 10"),
    ("initial_loss", "log(10)"), ("initial_loss", "２．３０"), ("initial_loss", " 2.3026 "),
    ("sigmoid_max", "1/4"), ("sigmoid_max", "0.25"), ("sigmoid_max", "．２５"),
    ("dW_shape_written", "(128, 64)"), ("dW_shape_written", "128×64"),
    ("dW_shape_written", "（128，64）"), ("dW_shape_written", "[128 64]"),
    ("delta_batch_row", "-0.15, 0.1, 0.05"), ("delta_batch_row", "（−0.15，0.1，0.05）"),
    ("delta_batch_row", "[-.15 .1 .05]"), ("delta_batch_row", "-3/20; 1/10; 1/20"),
])
def test_written_answers_are_read_tolerantly(question_id, answer):
    assert grade_answer(question_id, answer)[0], answer


@pytest.mark.parametrize("question_id, answer", [
    ("initial_loss", "2.5"), ("initial_loss", "log 100"), ("sigmoid_max", "0.2"),
    ("dW_shape_written", "(128, 32)"), ("delta_batch_row", "-0.15, 0.1"),
])
def test_wrong_written_answers_are_wrong(question_id, answer):
    assert not grade_answer(question_id, answer)[0]


def test_parse_numbers():
    assert parse_numbers("（−0.15，0.1、0.05）") == (-0.15, 0.1, 0.05)
    assert parse_numbers("ln 10") == (math.log(10),)
    assert parse_numbers("-ln(2)") == (-math.log(2),)
    assert parse_numbers("1e-3") == (1e-3,)
    for bad in ("", "abc", "1/0", "ln 0", "2.3 nats", "( )"):
        assert parse_numbers(bad) is None, bad


@pytest.mark.parametrize("lang, right, wrong, count", [("zh", "正确", "不对", "应写 3 个数"),
                                                       ("en", "Right", "Not quite", "3 number")])
def test_written_feedback_follows_the_language(lang, right, wrong, count):
    with language(lang):
        ok, message = grade_answer("delta_batch_row", "-0.15, 0.1, 0.05")
        assert ok and right in str(message)
        ok, message = grade_answer("delta_batch_row", "1, 2, 3")
        assert not ok and wrong in str(message) and "-0.15" in str(message)
        ok, message = grade_answer("delta_batch_row", "1")
        assert not ok and count in str(message)


@pytest.mark.parametrize("lang, right, wrong", [("zh", "正确", "不对"),
                                                ("en", "Right", "Not quite")])
def test_choice_feedback_follows_the_language_and_names_the_answer(lang, right, wrong):
    question = get_question("output_delta")
    wrong_key = next(k for k in question.keys if k != question.answer)
    with language(lang):
        ok, message = grade_answer("output_delta", question.answer)
        assert ok and right in str(message) and question.explanation.render() in str(message)
        ok, message = grade_answer("output_delta", wrong_key)
        assert not ok and wrong in str(message) and f"({question.answer})" in str(message)


def test_choice_is_case_width_and_parenthesis_insensitive():
    assert grade_answer("softmax_shift", " (C) ")[0]
    assert grade_answer("softmax_shift", "（ｃ）")[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_ids_and_answers_raise_clear_errors(lang):
    with language(lang):
        with pytest.raises(CourseValueError, match="nope"):
            grade_answer("nope", "a")
        with pytest.raises(CourseValueError, match="'z'"):
            grade_answer("softmax_shift", "z")
        with pytest.raises(CourseTypeError, match="'a'"):
            grade_answer("softmax_shift", 1)
        with pytest.raises(CourseValueError, match="ln 10"):
            grade_answer("initial_loss", "about two")


def test_the_facts_behind_some_answers_hold_numerically():
    from mlp_course import cross_entropy, cross_entropy_grad, sigmoid, softmax

    z = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(softmax(z + 7.0), softmax(z))                     # softmax_shift
    np.testing.assert_allclose(softmax(z / 1e6), np.full(3, 1 / 3), atol=1e-6)   # temperature
    np.testing.assert_allclose(cross_entropy_grad(z[None], [2])[0],
                               softmax(z) - np.eye(3)[2])                        # output_delta
    grid = np.linspace(-5, 5, 10001)
    s = sigmoid(grid)
    assert abs((s * (1 - s)).max() - get_question("sigmoid_max").value[0]) < 1e-9
    assert abs(cross_entropy(np.zeros((4, 10)), [0, 3, 5, 9])
               - get_question("initial_loss").value[0]) < 1e-12
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]]))
    row = cross_entropy_grad(logits, [0, 2])[0]
    np.testing.assert_allclose(row, get_question("delta_batch_row").value, atol=1e-12)


@pytest.mark.parametrize("lang, word", [("zh", "答案"), ("en", "Answer")])
def test_markdown_lists_every_question_and_folds_the_answers(lang, word):
    with language(lang):
        plain = quiz_markdown()
        with_answers = quiz_markdown(answers=True)
        for number, question in enumerate(QUESTIONS, start=1):
            assert f"**{number}.**" in plain
        assert "<details>" not in plain and word not in plain
        assert with_answers.count("<details>") == len(QUESTIONS) and word in with_answers
    assert "z_i" not in with_answers and "z\\_i" in with_answers


def test_widget_feedback_after_click():
    with language("en"):
        quiz = quiz_widget()
        item = quiz.items[0]
        item.radio.value = item.question.answer
        item.button.click()
        assert "Right" in item.feedback.value and "1 of" in quiz.score.value
        wrong = next(k for k in item.question.keys if k != item.question.answer)
        item.radio.value = wrong
        item.button.click()
        assert "Not quite" in item.feedback.value and "0 of" in quiz.score.value


@pytest.mark.parametrize("lang, empty, unreadable, right", [
    ("zh", "请先写下答案", "没能", "正确"), ("en", "Write an answer first", "Could not read", "Right")])
def test_widget_text_box_for_written_questions(lang, empty, unreadable, right):
    with language(lang):
        quiz = quiz_widget(["initial_loss"])
        item = quiz.items[0]
        assert item.radio is None and item.entry is not None
        item.button.click()
        assert empty in item.feedback.value
        item.entry.value = "two point three"
        item.button.click()
        assert unreadable in item.feedback.value and "0/1" in quiz.score.value.replace(" of ", "/")
        item.entry.value = "ln 10"
        item.button.click()
        assert right in item.feedback.value


def test_widget_asks_for_a_choice_before_checking():
    with language("zh"):
        quiz = quiz_widget(["hadamard"])
        quiz.items[0].button.click()
        assert "请先选择" in quiz.items[0].feedback.value
        assert len(quiz.items) == 1


@pytest.mark.parametrize("lang, check, option", [("zh", "检查", "激活函数"),
                                                 ("en", "Check", "activation")])
def test_widget_labels_in_both_languages(lang, check, option):
    with language(lang):
        quiz = quiz_widget(["hadamard"])
    item = quiz.items[0]
    assert item.button.description == check
    assert any(option in label for label, _ in item.radio.options)
    assert item.radio.value is None


def test_feedback_html_is_escaped():
    with language("en"):
        quiz = quiz_widget(["dW_shape"])
        item = quiz.items[0]
        item.radio.value = "b"
        item.button.click()
    assert "<div" in item.feedback.value and "<script" not in item.feedback.value
