"""Lesson 04 exercises (softmax_jacobian, softmax_ce_grad): cases, expected values, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlp_course.course.exercises import (ERROR, FAILED, FORBIDDEN, NOT_IMPLEMENTED, PASSED, evaluate,
                                  get_exercise)
from mlp_course.course.exercises.lesson04 import softmax_jacobian
from mlp_course.i18n import CourseValueError, language
from exercise_helpers import verdict as _verdict

JACOBIAN = get_exercise("softmax_jacobian")
CE_GRAD = get_exercise("softmax_ce_grad")
BOTH = [JACOBIAN, CE_GRAD]
CASE_COUNT = {"softmax_jacobian": 8, "softmax_ce_grad": 9}


def _stable_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def learner_ce_grad(logits, target):
    """A correct learner solution, written as the lesson's solution cell is."""
    n = logits.shape[0]
    grad = _stable_softmax(logits)
    grad[np.arange(n), target] -= 1
    return grad / n


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_reference_passes(exercise, seed):
    outcome, shown = _verdict(exercise, exercise.reference, seed)
    assert outcome.status == PASSED, shown
    assert outcome.cases_run == CASE_COUNT[exercise.id]


def test_a_plain_numpy_gradient_passes():
    outcome, shown = _verdict(CE_GRAD, learner_ce_grad)
    assert outcome.status == PASSED, shown


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_number_of_cases_does_not_depend_on_the_seed(exercise):
    counts = {len(exercise.cases(np.random.default_rng(seed))) for seed in range(10)}
    assert counts == {CASE_COUNT[exercise.id]}


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_cases_cover_the_adversarial_inputs(exercise):
    logits = [case.args[0] for case in exercise.cases(np.random.default_rng(0))]
    assert any(np.max(np.abs(z[np.isfinite(z)])) >= 1e4 for z in logits)
    assert any(np.isneginf(z).any() for z in logits)
    assert any(z.shape[-1] == 1 for z in logits)
    assert any(z.shape[-1] >= 200 for z in logits)
    assert any(z.dtype == np.float32 for z in logits)


def test_expected_jacobian_is_the_autograd_jacobian_in_the_input_dtype():
    for case in JACOBIAN.cases(np.random.default_rng(2)):
        (z,) = case.args
        expected = JACOBIAN.expected(z)
        assert expected.shape == (z.size, z.size) and expected.dtype == z.dtype
        # rows of the Jacobian from separate backward passes through one graph
        t = torch.from_numpy(z.astype(np.float64)).requires_grad_(True)
        probs = torch.softmax(t, dim=0)
        rows = [torch.autograd.grad(probs[i], t, retain_graph=True)[0].numpy()
                for i in range(min(z.size, 12))]
        tol = 1e-5 if z.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(expected[:len(rows)], np.array(rows), rtol=tol, atol=tol)


def test_expected_gradient_is_autograd_of_the_mean_cross_entropy():
    for case in CE_GRAD.cases(np.random.default_rng(4)):
        z, y = case.args
        expected = CE_GRAD.expected(z, y)
        assert expected.shape == z.shape and expected.dtype == z.dtype
        rows_sum = expected.sum(axis=1)
        np.testing.assert_allclose(rows_sum, 0.0, atol=1e-6 if z.dtype == np.float32 else 1e-12)
        t = torch.from_numpy(z.astype(np.float64)).requires_grad_(True)
        F.cross_entropy(t, torch.from_numpy(y), reduction="sum").backward()
        tol = 1e-5 if z.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(expected * len(z), t.grad.numpy(), rtol=tol, atol=tol)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]),
                  hnp.array_shapes(min_dims=1, max_dims=1, min_side=1, max_side=16),
                  elements=st.floats(-1e4, 1e4, width=32)))
def test_reference_jacobian_agrees_with_autograd_on_any_finite_logits(z):
    got, want = softmax_jacobian(z), JACOBIAN.expected(z)
    assert got.dtype == want.dtype == z.dtype
    tol = 1e-5 if z.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, got.T, atol=tol)
    np.testing.assert_allclose(got.sum(axis=1), 0.0, atol=tol * 10)


def test_reference_jacobian_rejects_a_batch_with_a_clear_error(bilingual_error):
    bilingual_error(CourseValueError, lambda: softmax_jacobian(np.zeros((2, 3))),
                    en=("z", "(2, 3)"), zh=("z",))


# ----------------------------------------------------------------- wrong solutions

def test_naive_jacobian_fails_with_nan_on_huge_logits():
    def softmax_jacobian(z):
        s = np.exp(z) / np.exp(z).sum()
        return np.diag(s) - np.outer(s, s)

    outcome, shown = _verdict(JACOBIAN, softmax_jacobian)
    assert outcome.status == FAILED and "nan" in shown and "±1e4" in shown
    assert "lesson 01's stable softmax" in shown


def test_jacobian_without_the_diagonal_term_fails():
    def softmax_jacobian(z):
        s = _stable_softmax(z)
        return -np.outer(s, s)

    outcome, shown = _verdict(JACOBIAN, softmax_jacobian)
    assert outcome.status == FAILED and "values are wrong" in shown
    # the hint sends the learner back to the derivation, without giving the matrix away
    assert "only the diagonal is wrong" in shown and "np.outer" not in shown


def test_jacobian_of_the_wrong_shape_fails():
    def softmax_jacobian(z):
        s = _stable_softmax(z)
        return s * (1 - s)

    outcome, shown = _verdict(JACOBIAN, softmax_jacobian)
    assert outcome.status == FAILED and "wrong shape" in shown


def test_gradient_without_dividing_by_n_fails_with_the_mean_hint():
    def softmax_ce_grad(logits, target):
        return learner_ce_grad(logits, target) * len(logits)

    outcome, shown = _verdict(CE_GRAD, softmax_ce_grad)
    assert outcome.status == FAILED and "values are wrong" in shown
    assert "exactly N times the right one" in shown and "/ N" not in shown


def test_naive_gradient_fails_with_nan_on_huge_logits():
    def softmax_ce_grad(logits, target):
        q = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        q[np.arange(len(target)), target] -= 1
        return q / len(logits)

    outcome, shown = _verdict(CE_GRAD, softmax_ce_grad)
    assert outcome.status == FAILED and "nan" in shown and "±1e4" in shown


def test_gradient_with_respect_to_probabilities_fails():
    def softmax_ce_grad(logits, target):
        q = _stable_softmax(logits)
        grad = np.zeros_like(q)
        grad[np.arange(len(target)), target] = -1 / q[np.arange(len(target)), target]
        return grad / len(logits)

    outcome, shown = _verdict(CE_GRAD, softmax_ce_grad)
    assert outcome.status == FAILED and "values are wrong" in shown


def test_a_raising_function_is_an_error_not_a_crash():
    def softmax_ce_grad(logits, target):
        return float(logits) - target  # a whole batch cannot become one float

    outcome, shown = _verdict(CE_GRAD, softmax_ce_grad)
    assert outcome.status == ERROR and "TypeError" in shown and "test 1" in shown


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_stub_is_not_implemented(exercise):
    def stub(*args):
        raise NotImplementedError()

    outcome, _ = _verdict(exercise, stub)
    assert outcome.status == NOT_IMPLEMENTED and outcome.points == 0


def test_autograd_and_library_shortcuts_are_forbidden():
    def softmax_jacobian(z):
        import torch
        return torch.autograd.functional.jacobian(torch.softmax, torch.from_numpy(z)).numpy()

    def softmax_ce_grad(logits, target):
        from mlp_course import cross_entropy_grad
        return cross_entropy_grad(logits, target)

    outcome, shown = _verdict(JACOBIAN, softmax_jacobian)
    assert outcome.status == FORBIDDEN and "torch" in shown
    outcome, shown = _verdict(CE_GRAD, softmax_ce_grad)
    assert outcome.status == FORBIDDEN and "mlp_course.cross_entropy_grad" in shown


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_every_case_speaks_both_languages(exercise):
    for case in exercise.cases(np.random.default_rng(0)):
        for message in (case.kind, case.hint or exercise.hint):
            zh, en = message.render("zh"), message.render("en")
            assert zh and en and zh != en
    assert exercise.title.render("zh") != exercise.title.render("en")
