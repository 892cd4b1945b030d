"""The warm-up exercise of lesson 00: its cases, its expected values and its verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mlp_course.course.exercises import (FAILED, FORBIDDEN, NOT_IMPLEMENTED, PASSED, evaluate,
                                  get_exercise)
from mlp_course.course.exercises.lesson00 import row_mean
from mlp_course.i18n import language
from exercise_helpers import verdict

EXERCISE = get_exercise("warmup_mean")


def _verdict(fn, seed=0):
    return verdict(EXERCISE, fn, seed)


@pytest.mark.parametrize("seed", range(5))
def test_reference_passes(seed):
    outcome, shown = _verdict(EXERCISE.reference, seed)
    assert outcome.status == PASSED, shown
    assert outcome.points == EXERCISE.points == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (7, 2)])
def test_reference_equals_torch(shape, dtype):
    X = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    got = row_mean(X)
    want = torch.from_numpy(X).mean(dim=1).numpy()
    assert got.dtype == dtype and got.shape == (shape[0],)
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12)


def test_expected_keeps_dtype_and_shape_for_every_case():
    for case in EXERCISE.cases(np.random.default_rng(0)):
        (X,) = case.args
        expected = EXERCISE.expected(X)
        assert expected.dtype == X.dtype and expected.shape == (X.shape[0],)


def test_number_of_cases_does_not_depend_on_the_seed():
    counts = {len(EXERCISE.cases(np.random.default_rng(seed))) for seed in range(10)}
    assert counts == {6}


def test_mean_over_the_wrong_axis_fails_on_shape():
    def row_mean(X):
        return X.mean(axis=0)

    outcome, shown = _verdict(row_mean)
    assert outcome.status == FAILED and "wrong shape" in shown
    # the hint says what the output shows, not which axis to write
    assert "mean of every column" in shown and "axis=1" not in shown


def test_a_sum_instead_of_a_mean_is_diagnosed():
    def row_mean(X):
        return X.sum(axis=1)

    outcome, shown = _verdict(row_mean)
    assert outcome.status == FAILED and "exactly D times the right one" in shown


def test_keepdims_fails_on_shape():
    def row_mean(X):
        return X.mean(axis=1, keepdims=True)

    outcome, shown = _verdict(row_mean)
    assert outcome.status == FAILED and "wrong shape" in shown


def test_casting_to_float64_fails_on_the_float32_case():
    def row_mean(X):
        return X.astype(np.float64).mean(axis=1)

    outcome, shown = _verdict(row_mean)
    assert outcome.status == FAILED and "dtype" in shown and "float32" in shown


def test_stub_is_not_implemented():
    def row_mean(X):
        raise NotImplementedError()

    outcome, shown = _verdict(row_mean)
    assert outcome.status == NOT_IMPLEMENTED and outcome.points == 0


def test_torch_is_forbidden():
    def row_mean(X):
        import torch
        return torch.from_numpy(X).mean(dim=1).numpy()

    outcome, shown = _verdict(row_mean)
    assert outcome.status == FORBIDDEN and "torch" in shown


def test_verdict_exists_in_both_languages():
    def row_mean(X):
        return X.mean(axis=0)

    outcome = evaluate(EXERCISE, row_mean, seed=0)
    zh, en = outcome.render("zh"), outcome.render("en")
    assert "形状" in zh and "shape" in en and zh != en
