"""Lesson 02 exercise (nll_loss): cases, expected values against torch.nn.NLLLoss, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course.course.exercises import (ERROR, FAILED, FORBIDDEN, NOT_IMPLEMENTED, PASSED, evaluate,
                                  get_exercise)
from mlp_course.i18n import language
from exercise_helpers import verdict

EXERCISE = get_exercise("nll_loss")


def _verdict(fn, seed=0):
    return verdict(EXERCISE, fn, seed)


@pytest.mark.parametrize("seed", range(4))
def test_reference_passes(seed):
    outcome, shown = _verdict(EXERCISE.reference, seed)
    assert outcome.status == PASSED, shown
    assert outcome.cases_run == 9


def test_number_of_cases_does_not_depend_on_the_seed():
    counts = {len(EXERCISE.cases(np.random.default_rng(seed))) for seed in range(10)}
    assert counts == {9}


def test_cases_are_valid_log_probabilities_with_adversarial_ones():
    cases = EXERCISE.cases(np.random.default_rng(0))
    for case in cases:
        log_probs, target = case.args
        assert log_probs.ndim == 2 and target.shape == (log_probs.shape[0],)
        assert np.all(log_probs <= 0)
        # every row is a distribution: its probabilities sum to 1
        np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, rtol=1e-5)
        assert np.all((0 <= target) & (target < log_probs.shape[1]))
    shapes = [case.args[0].shape for case in cases]
    assert (1, 6) in [(s[0], s[1]) for s in shapes]
    assert any(s[1] == 1 for s in shapes) and any(s[1] >= 1000 for s in shapes)
    assert any(case.args[0].dtype == np.float32 for case in cases)
    assert any(case.args[1].dtype == np.int32 for case in cases)
    assert any(np.isneginf(case.args[0]).any() for case in cases)
    assert any(np.min(case.args[0][np.isfinite(case.args[0])]) < -1e3 for case in cases)


def test_expected_is_torch_nll_in_the_input_dtype():
    for case in EXERCISE.cases(np.random.default_rng(2)):
        log_probs, target = case.args
        expected = EXERCISE.expected(log_probs, target)
        assert expected.shape == () and expected.dtype == log_probs.dtype
        truth = torch.nn.functional.nll_loss(torch.from_numpy(log_probs.astype(np.float64)),
                                             torch.from_numpy(target.astype(np.int64))).item()
        rows = np.arange(len(target))
        assert truth == pytest.approx(-np.mean(log_probs.astype(np.float64)[rows, target]),
                                      rel=1e-12)
        tol = 1e-5 if log_probs.dtype == np.float32 else 1e-12
        assert float(expected) == pytest.approx(truth, rel=tol, abs=tol)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 30), st.sampled_from([np.float32, np.float64]),
       st.floats(0.1, 1e4), st.integers(0, 2**32 - 1))
def test_reference_agrees_with_torch_on_random_batches(n, c, dtype, scale, seed):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, c)) * scale).astype(dtype)
    log_probs = torch.log_softmax(torch.from_numpy(logits), dim=1).numpy()
    target = rng.integers(0, c, n)
    got, want = EXERCISE.reference(log_probs, target), EXERCISE.expected(log_probs, target)
    assert np.asarray(got).dtype == want.dtype
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert float(got) == pytest.approx(float(want), rel=tol, abs=tol)


# ----------------------------------------------------------------- wrong solutions

def test_forgetting_the_minus_sign_fails():
    def nll_loss(log_probs, target):
        return np.mean(log_probs[np.arange(len(target)), target])

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FAILED and "values are wrong" in shown


def test_sum_instead_of_mean_fails():
    def nll_loss(log_probs, target):
        return -np.sum(log_probs[np.arange(len(target)), target])

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FAILED and "values are wrong" in shown


def test_per_example_losses_fail_on_shape():
    def nll_loss(log_probs, target):
        return -log_probs[np.arange(len(target)), target]

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FAILED and "wrong shape" in shown


def test_column_indexing_mistake_fails():
    def nll_loss(log_probs, target):
        return -np.mean(log_probs[:, target])

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FAILED


def test_one_hot_product_fails_with_nan_on_masked_classes():
    def nll_loss(log_probs, target):
        one_hot = np.eye(log_probs.shape[1], dtype=log_probs.dtype)[target]
        return -(one_hot * log_probs).sum(axis=1).mean()

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FAILED and "nan" in shown
    assert "0 × (−inf)" in shown


def test_exp_then_log_fails_on_confident_predictions():
    def nll_loss(log_probs, target):
        probs = np.exp(log_probs)
        return -np.mean(np.log(probs[np.arange(len(target)), target]))

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FAILED and "10⁴" in shown


def test_python_float_fails_on_float32_dtype():
    def nll_loss(log_probs, target):
        return float(-np.mean(log_probs[np.arange(len(target)), target]))

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FAILED and "float32" in shown


def test_stub_is_not_implemented():
    def nll_loss(log_probs, target):
        raise NotImplementedError()

    assert _verdict(nll_loss)[0].status == NOT_IMPLEMENTED


def test_a_raising_function_is_an_error():
    def nll_loss(log_probs, target):
        return -log_probs[target]["oops"]

    assert _verdict(nll_loss)[0].status == ERROR


def test_torch_nll_is_forbidden():
    def nll_loss(log_probs, target):
        import torch
        return torch.nn.NLLLoss()(torch.from_numpy(log_probs), torch.from_numpy(target)).numpy()

    outcome, shown = _verdict(nll_loss)
    assert outcome.status == FORBIDDEN and "torch" in shown


def test_messages_exist_in_both_languages():
    for case in EXERCISE.cases(np.random.default_rng(0)):
        assert case.kind.render("zh") != case.kind.render("en")
        assert case.hint is not None and case.hint.render("zh") != case.hint.render("en")
