"""The review quiz: questions are well formed, grading is right, the widget gives feedback."""

from __future__ import annotations

import numpy as np
import pytest

from mlp_course.course.syllabus import BY_ID
from mlp_course.i18n import CourseTypeError, CourseValueError, language
from mlp_course.i18n import _fields
from mlp_course.course.widgets.quiz import (QUESTIONS, get_question, grade_answer, quiz_markdown,
                                     quiz_widget)

IDS = [question.id for question in QUESTIONS]


def test_six_to_ten_questions_with_unique_ids():
    assert 6 <= len(QUESTIONS) <= 10
    assert len(set(IDS)) == len(IDS)


def test_the_required_topics_are_covered():
    required = {"softmax_shift", "temperature", "nll_ce_same", "ce_differs", "output_delta",
                "dW_shape", "hadamard", "relu_derivative", "convexity"}
    assert required <= set(IDS)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_question_is_well_formed_in_both_languages(question):
    assert question.lesson in BY_ID
    assert question.answer in question.keys
    assert len(question.keys) >= 3 and len(set(question.keys)) == len(question.keys)
    for message in (question.prompt, question.explanation, *dict(question.choices).values()):
        assert message.zh.strip() and message.en.strip()
        assert _fields(message.zh) == _fields(message.en)
    # the Chinese text is Chinese, the English text is not
    assert any("\u4e00" <= ch <= "\u9fff" for ch in question.prompt.zh)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in question.prompt.en)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in question.explanation.en)
    # choices differ from one another
    assert len({choice.en for choice in dict(question.choices).values()}) == len(question.keys)


@pytest.mark.parametrize("question", QUESTIONS, ids=IDS)
def test_exactly_one_choice_is_graded_correct(question):
    verdicts = [grade_answer(question.id, key)[0] for key in question.keys]
    assert verdicts.count(True) == 1
    assert question.keys[verdicts.index(True)] == question.answer


@pytest.mark.parametrize("lang, right, wrong", [("zh", "正确", "不对"),
                                                ("en", "Right", "Not quite")])
def test_feedback_follows_the_language_and_names_the_answer(lang, right, wrong):
    question = get_question("output_delta")
    wrong_key = next(k for k in question.keys if k != question.answer)
    with language(lang):
        ok, message = grade_answer("output_delta", question.answer)
        assert ok and right in str(message) and question.explanation.render() in str(message)
        ok, message = grade_answer("output_delta", wrong_key)
        assert not ok and wrong in str(message) and f"({question.answer})" in str(message)


def test_choice_is_case_and_parenthesis_insensitive():
    assert grade_answer("softmax_shift", " (A) ")[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_ids_and_choices_raise_clear_errors(lang):
    with language(lang):
        with pytest.raises(CourseValueError, match="nope"):
            grade_answer("nope", "a")
        with pytest.raises(CourseValueError, match="'z'"):
            grade_answer("softmax_shift", "z")
        with pytest.raises(CourseTypeError, match="choice"):
            grade_answer("softmax_shift", 1)


def test_the_facts_behind_some_answers_hold_numerically():
    from mlp_course import cross_entropy_grad, softmax

    z = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(softmax(z + 7.0), softmax(z))                 # softmax_shift
    np.testing.assert_allclose(softmax(z / 1e6), np.full(3, 1 / 3), atol=1e-6)  # temperature
    y = 2
    np.testing.assert_allclose(cross_entropy_grad(z[None], [y])[0],
                               softmax(z) - np.eye(3)[y])                    # output_delta


@pytest.mark.parametrize("lang, word", [("zh", "答案"), ("en", "Answer")])
def test_markdown_lists_every_question_and_folds_the_answers(lang, word):
    with language(lang):
        plain = quiz_markdown()
        with_answers = quiz_markdown(answers=True)
        for number, question in enumerate(QUESTIONS, start=1):
            assert f"**{number}.**" in plain
        assert "<details>" not in plain and word not in plain
        assert with_answers.count("<details>") == len(QUESTIONS) and word in with_answers
    # subscripts are escaped so Markdown does not turn them into italics
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
