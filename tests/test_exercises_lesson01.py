"""Lesson 01 exercises (softmax, log_softmax): cases, expected values, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlp_course.course.exercises import (ERROR, FAILED, FORBIDDEN, NOT_IMPLEMENTED, PASSED, evaluate,
                                  get_exercise)
from mlp_course.i18n import language
from exercise_helpers import verdict as _verdict

SOFTMAX = get_exercise("softmax")
LOG_SOFTMAX = get_exercise("log_softmax")
BOTH = [SOFTMAX, LOG_SOFTMAX]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_reference_passes(exercise, seed):
    outcome, shown = _verdict(exercise, exercise.reference, seed)
    assert outcome.status == PASSED, shown
    assert outcome.cases_run == 10


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_number_of_cases_does_not_depend_on_the_seed(exercise):
    counts = {len(exercise.cases(np.random.default_rng(seed))) for seed in range(10)}
    assert counts == {10}


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_cases_cover_the_adversarial_inputs(exercise):
    cases = exercise.cases(np.random.default_rng(0))
    arrays = [case.args[0] for case in cases]
    assert any(np.max(np.abs(a[np.isfinite(a)])) >= 1e3 for a in arrays)
    assert any(np.isneginf(a).any() for a in arrays)
    assert any(a.shape[-1] == 1 for a in arrays)
    assert any(a.shape[-1] >= 1000 for a in arrays)
    assert any(a.ndim == 1 for a in arrays)
    assert any(a.dtype == np.float32 for a in arrays)
    assert any(a.ndim == 2 and a.shape[0] == 1 for a in arrays)


@pytest.mark.parametrize("exercise, op", [(SOFTMAX, torch.softmax),
                                          (LOG_SOFTMAX, torch.log_softmax)],
                         ids=["softmax", "log_softmax"])
def test_expected_is_torch_in_the_input_dtype(exercise, op):
    for case in exercise.cases(np.random.default_rng(3)):
        (z,) = case.args
        expected = exercise.expected(z)
        assert expected.dtype == z.dtype and expected.shape == z.shape
        # torch in float64 on the same input is the ground truth
        truth = op(torch.from_numpy(z.astype(np.float64)), dim=-1).numpy()
        tol = 1e-5 if z.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(expected, truth, rtol=tol, atol=tol)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]),
                  hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=12),
                  elements=st.floats(-1e4, 1e4, width=32)))
def test_references_agree_with_expected_on_any_finite_logits(z):
    for exercise in BOTH:
        got, want = exercise.reference(z), exercise.expected(z)
        assert got.dtype == want.dtype
        tol = (1e-4, 1e-4) if z.dtype == np.float32 else (1e-9, 1e-9)
        np.testing.assert_allclose(got, want, rtol=tol[0], atol=tol[1])


# ----------------------------------------------------------------- wrong solutions

def test_naive_softmax_fails_with_nan_on_huge_logits():
    def softmax(z):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status == FAILED
    assert "nan" in shown and "10⁴" in shown
    assert "derivation task 1" in shown and "no exponential overflows" in shown


def test_softmax_over_the_wrong_axis_fails():
    def softmax(z):
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status == FAILED and "values are wrong" in shown


def test_softmax_without_keepdims_breaks_on_a_batch():
    def softmax(z):
        e = np.exp(z - z.max(axis=-1))
        return e / e.sum(axis=-1)

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status in (FAILED, ERROR)
    # an error on a batch points at the kept axis; values that pass the shapes show rows
    # that do not sum to 1
    assert "keep that axis" in shown or "rows do not sum to 1" in shown


def test_returning_the_wrong_shape_fails():
    def softmax(z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e.sum(axis=-1)

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status == FAILED and "wrong shape" in shown


def test_upcasting_float32_fails_on_dtype():
    def softmax(z):
        z = np.asarray(z, dtype=np.float64)
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status == FAILED and "dtype" in shown and "float32" in shown


def test_in_place_modification_is_reported():
    def softmax(z):
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
        return z

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status == FAILED and "in place" in shown


def test_a_raising_function_is_an_error_not_a_crash():
    def softmax(z):
        return z[:, 0] / undefined_name  # noqa: F821

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status == ERROR and "NameError" in shown


@pytest.mark.parametrize("exercise", BOTH, ids=lambda e: e.id)
def test_stub_is_not_implemented(exercise):
    def stub(z):
        raise NotImplementedError()

    outcome, _ = _verdict(exercise, stub)
    assert outcome.status == NOT_IMPLEMENTED and outcome.points == 0


def test_torch_softmax_is_forbidden():
    def softmax(z):
        import torch.nn.functional as F
        return F.softmax(torch.from_numpy(z), dim=-1).numpy()

    outcome, shown = _verdict(SOFTMAX, softmax)
    assert outcome.status == FORBIDDEN and "torch.nn.functional" in shown


def test_scipy_and_library_shortcuts_are_forbidden():
    def log_softmax(z):
        from scipy.special import logsumexp
        return z - logsumexp(z, axis=-1, keepdims=True)

    def softmax(z):
        from mlp_course import softmax as library_softmax
        return library_softmax(z)

    assert _verdict(LOG_SOFTMAX, log_softmax)[0].status == FORBIDDEN
    assert _verdict(SOFTMAX, softmax)[0].status == FORBIDDEN


def test_log_of_stable_softmax_fails_on_huge_logits():
    def log_softmax(z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return np.log(e / e.sum(axis=-1, keepdims=True))

    outcome, shown = _verdict(LOG_SOFTMAX, log_softmax)
    assert outcome.status == FAILED and "values are wrong" in shown
    assert "10⁴" in shown and "−inf where the right one is finite" in shown


def test_log_softmax_without_max_shift_fails_on_huge_logits():
    def log_softmax(z):
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    outcome, shown = _verdict(LOG_SOFTMAX, log_softmax)
    # log(inf) = inf turns every entry of the row into -inf
    assert outcome.status == FAILED and "values are wrong" in shown and "10⁴" in shown


def test_messages_exist_in_both_languages():
    def softmax(z):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    outcome = evaluate(SOFTMAX, softmax, seed=0)
    zh, en = outcome.render("zh"), outcome.render("en")
    assert "nan" in zh and "nan" in en and "提示" in zh and "Hint" in en
    for exercise in BOTH:
        for case in exercise.cases(np.random.default_rng(0)):
            assert case.kind.render("zh") != case.kind.render("en")
            assert case.hint is not None and case.hint.render("zh") != case.hint.render("en")
