"""Lesson 03 exercises (entropy, cross_entropy): cases, expected values, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course.course.exercises import (ERROR, FAILED, FORBIDDEN, NOT_IMPLEMENTED, PASSED, evaluate,
                                  get_exercise)
from mlp_course.i18n import language
from exercise_helpers import verdict as _verdict

ENTROPY = get_exercise("entropy")
CROSS_ENTROPY = get_exercise("cross_entropy")
BOTH = [ENTROPY, CROSS_ENTROPY]
CASE_COUNT = {"entropy": 8, "cross_entropy": 13}


def _stable_log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def learner_cross_entropy(logits, target):
    """A correct learner solution, written as the lesson's solution cell is."""
    log_q = _stable_log_softmax(logits)
    if np.issubdtype(target.dtype, np.integer):
        return -log_q[np.arange(len(target)), target].mean()
    terms = np.where(target > 0, target * np.where(target > 0, log_q, 0), 0)
    return -terms.sum(axis=1).mean()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_reference_passes(exercise, seed):
    outcome, shown = _verdict(exercise, exercise.reference, seed)
    assert outcome.status == PASSED, shown
    assert outcome.cases_run == CASE_COUNT[exercise.id]


@pytest.mark.parametrize("seed", range(3))
def test_a_plain_numpy_solution_passes(seed):
    outcome, shown = _verdict(CROSS_ENTROPY, learner_cross_entropy, seed)
    assert outcome.status == PASSED, shown


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_number_of_cases_does_not_depend_on_the_seed(exercise):
    counts = {len(exercise.cases(np.random.default_rng(seed))) for seed in range(10)}
    assert counts == {CASE_COUNT[exercise.id]}


def test_entropy_cases_cover_the_adversarial_inputs():
    arrays = [case.args[0] for case in ENTROPY.cases(np.random.default_rng(0))]
    assert all(np.allclose(a.sum(axis=1), 1.0, atol=1e-6) and np.all(a >= 0) for a in arrays)
    assert any((a == 0).any() and a.dtype == np.float64 for a in arrays)
    assert any((a == 0).any() and a.dtype == np.float32 for a in arrays)
    assert any(a.shape[1] == 1 for a in arrays)
    assert any(a.shape[1] >= 1000 for a in arrays)
    assert any(a.shape[0] == 1 for a in arrays)


def test_cross_entropy_cases_cover_both_target_kinds_and_extremes():
    cases = CROSS_ENTROPY.cases(np.random.default_rng(0))
    logits = [case.args[0] for case in cases]
    targets = [case.args[1] for case in cases]
    assert any(t.dtype.kind == "i" for t in targets) and any(t.dtype.kind == "f" for t in targets)
    assert any(np.max(np.abs(z[np.isfinite(z)])) >= 1e4 and t.dtype.kind == "i"
               for z, t in zip(logits, targets))
    assert any(np.max(np.abs(z[np.isfinite(z)])) >= 1e4 and t.dtype.kind == "f"
               for z, t in zip(logits, targets))
    # -inf where the target puts probability 0: the 0·log 0 trap
    assert any(t.dtype.kind == "f" and np.isneginf(z).any() and np.all(t[np.isneginf(z)] == 0)
               for z, t in zip(logits, targets))
    assert any(z.shape[1] == 1 for z in logits) and any(z.shape[1] >= 1000 for z in logits)
    assert any(z.shape[0] == 1 for z in logits) and any(z.dtype == np.float32 for z in logits)
    for z, t in zip(logits, targets):
        if t.dtype.kind == "f":
            assert t.shape == z.shape and t.dtype == z.dtype
            np.testing.assert_allclose(t.sum(axis=1), 1.0, rtol=1e-6)
        else:
            assert t.shape == z.shape[:1] and np.all((0 <= t) & (t < z.shape[1]))


def test_entropy_expected_is_torch_categorical_entropy():
    for case in ENTROPY.cases(np.random.default_rng(5)):
        (p,) = case.args
        expected = ENTROPY.expected(p)
        assert expected.dtype == p.dtype and expected.shape == (p.shape[0],)
        truth = torch.distributions.Categorical(probs=torch.from_numpy(p.astype(np.float64)))
        tol = 1e-5 if p.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(expected, truth.entropy().numpy(), rtol=tol, atol=tol)
        assert not np.signbit(expected).any()  # no "-0." shown to the learner


def test_cross_entropy_expected_is_torch_cross_entropy():
    for case in CROSS_ENTROPY.cases(np.random.default_rng(7)):
        z, t = case.args
        expected = CROSS_ENTROPY.expected(z, t)
        assert expected.shape == () and expected.dtype == z.dtype
        if np.isneginf(z).any() and t.dtype.kind == "f":
            # torch gives nan for 0·log 0; the course counts it as 0 (tested below)
            continue
        truth = F.cross_entropy(torch.from_numpy(z.astype(np.float64)),
                                torch.from_numpy(t.astype(np.float64) if t.dtype.kind == "f"
                                                 else t))
        tol = 1e-5 if z.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(expected, truth.numpy(), rtol=tol, atol=tol)


def test_cross_entropy_expected_counts_zero_log_zero_as_zero():
    z = np.array([[-np.inf, 1.0, 2.0]])
    t = np.array([[0.0, 0.25, 0.75]])
    truth = F.cross_entropy(torch.tensor(z[:, 1:]), torch.tensor(t[:, 1:])).numpy()
    np.testing.assert_allclose(CROSS_ENTROPY.expected(z, t), truth, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 12), st.sampled_from([np.float32, np.float64]),
       st.floats(0.1, 1e4), st.integers(0, 2**32 - 1))
def test_one_hot_targets_give_the_nll_of_the_labels(n, c, dtype, scale, seed):
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((n, c)) * scale).astype(dtype)
    y = rng.integers(0, c, size=n)
    with_labels = CROSS_ENTROPY.expected(z, y)
    with_one_hot = CROSS_ENTROPY.expected(z, np.eye(c, dtype=dtype)[y])
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(with_labels, with_one_hot, rtol=tol, atol=tol)
    np.testing.assert_allclose(learner_cross_entropy(z, y), with_labels, rtol=tol, atol=tol)


# ----------------------------------------------------------------- wrong solutions

def test_naive_entropy_fails_with_nan_on_zero_probabilities():
    def entropy(p):
        return -(p * np.log(p)).sum(axis=1)

    outcome, shown = _verdict(ENTROPY, entropy)
    assert outcome.status == FAILED and "nan" in shown
    assert "entries exactly 0" in shown and "0·log 0 = 0" in shown


@pytest.mark.parametrize("seed", range(3))
def test_entropy_over_the_wrong_axis_fails_with_the_axis_hint(seed):
    def entropy(p):
        return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0).sum(axis=0)

    outcome, shown = _verdict(ENTROPY, entropy, seed)
    # a square batch gives the right shape but wrong values; either way the hint names the axis
    assert outcome.status == FAILED and "shape (N,)" in shown and "axis=1" not in shown
    assert "wrong shape" in shown or "values are wrong" in shown


def test_entropy_in_bits_fails_on_values():
    def entropy(p):
        return -np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0).sum(axis=1)

    outcome, shown = _verdict(ENTROPY, entropy)
    assert outcome.status == FAILED and "values are wrong" in shown


def test_entropy_upcasting_float32_fails_on_dtype():
    def entropy(p):
        p = p.astype(np.float64)
        return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0).sum(axis=1)

    outcome, shown = _verdict(ENTROPY, entropy)
    assert outcome.status == FAILED and "dtype" in shown and "float32" in shown


def test_naive_cross_entropy_fails_on_huge_logits():
    def cross_entropy(logits, target):
        q = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        if np.issubdtype(target.dtype, np.integer):
            return -np.log(q[np.arange(len(target)), target]).mean()
        return -np.where(target > 0, target * np.log(q), 0).sum(axis=1).mean()

    outcome, shown = _verdict(CROSS_ENTROPY, cross_entropy)
    assert outcome.status == FAILED and "nan" in shown
    assert "±1e4" in shown and "overflows" in shown


def test_cross_entropy_for_labels_only_is_an_error_on_probability_targets():
    def cross_entropy(logits, target):
        log_q = _stable_log_softmax(logits)
        return -log_q[np.arange(len(target)), target].mean()

    outcome, shown = _verdict(CROSS_ENTROPY, cross_entropy)
    assert outcome.status == ERROR and "IndexError" in shown
    assert "probability" in shown and "np.issubdtype" in shown


def test_cross_entropy_falling_into_zero_times_minus_infinity_fails():
    def cross_entropy(logits, target):
        log_q = _stable_log_softmax(logits)
        if np.issubdtype(target.dtype, np.integer):
            return -log_q[np.arange(len(target)), target].mean()
        return -(target * log_q).sum(axis=1).mean()

    outcome, shown = _verdict(CROSS_ENTROPY, cross_entropy)
    assert outcome.status == FAILED and "nan" in shown
    assert "target probability 0" in shown and "np.where" in shown


def test_cross_entropy_sum_instead_of_mean_fails():
    def cross_entropy(logits, target):
        return learner_cross_entropy(logits, target) * len(logits)

    outcome, shown = _verdict(CROSS_ENTROPY, cross_entropy)
    assert outcome.status == FAILED and "values are wrong" in shown
    assert "exactly N times the right one" in shown


def test_cross_entropy_returning_per_example_losses_fails_on_shape():
    def cross_entropy(logits, target):
        log_q = _stable_log_softmax(logits)
        if np.issubdtype(target.dtype, np.integer):
            return -log_q[np.arange(len(target)), target]
        return -np.where(target > 0, target * np.where(target > 0, log_q, 0), 0).sum(axis=1)

    outcome, shown = _verdict(CROSS_ENTROPY, cross_entropy)
    assert outcome.status == FAILED and "wrong shape" in shown


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_stub_is_not_implemented(exercise):
    def stub(*args):
        raise NotImplementedError()

    outcome, _ = _verdict(exercise, stub)
    assert outcome.status == NOT_IMPLEMENTED and outcome.points == 0


def test_shortcuts_are_forbidden():
    def entropy(p):
        from scipy.stats import entropy as scipy_entropy
        return scipy_entropy(p, axis=1)

    def cross_entropy(logits, target):
        import torch.nn.functional as F
        return F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target)).numpy()

    def library_cross_entropy(logits, target):
        import mlp_course
        return mlp_course.cross_entropy(logits, target)

    shown = _verdict(ENTROPY, entropy)
    assert shown[0].status == FORBIDDEN and "scipy.stats" in shown[1]
    assert _verdict(CROSS_ENTROPY, cross_entropy)[0].status == FORBIDDEN
    assert _verdict(CROSS_ENTROPY, library_cross_entropy)[0].status == FORBIDDEN


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_every_case_speaks_both_languages(exercise):
    for case in exercise.cases(np.random.default_rng(0)):
        for message in (case.kind, case.hint or exercise.hint):
            zh, en = message.render("zh"), message.render("en")
            assert zh and en and zh != en
    assert exercise.title.render("zh") != exercise.title.render("en")


def test_a_failure_is_reported_in_chinese_too():
    def entropy(p):
        return -(p * np.log(p)).sum(axis=1)

    with language("zh"):
        shown = evaluate(ENTROPY, entropy, seed=0).render()
    assert "nan" in shown and "出错的输入类型" in shown and "0·log 0 = 0" in shown
