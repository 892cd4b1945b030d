"""Lesson 05 exercises (linear_forward, relu, sigmoid, tanh, mlp_forward): cases, expected, verdicts."""

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

LINEAR = get_exercise("linear_forward")
RELU = get_exercise("relu")
SIGMOID = get_exercise("sigmoid")
TANH = get_exercise("tanh")
MLP = get_exercise("mlp_forward")
ALL = [LINEAR, RELU, SIGMOID, TANH, MLP]
ACTIVATIONS = [RELU, SIGMOID, TANH]
CASE_COUNTS = {"linear_forward": 7, "relu": 8, "sigmoid": 8, "tanh": 8, "mlp_forward": 8}


def test_all_belong_to_lesson_05():
    assert {exercise.lesson for exercise in ALL} == {"05_mlp_forward"}


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.id)
def test_reference_passes(exercise, seed):
    outcome, shown = _verdict(exercise, exercise.reference, seed)
    assert outcome.status == PASSED, shown
    assert outcome.cases_run == CASE_COUNTS[exercise.id]


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.id)
def test_number_of_cases_does_not_depend_on_the_seed(exercise):
    counts = {len(exercise.cases(np.random.default_rng(seed))) for seed in range(10)}
    assert counts == {CASE_COUNTS[exercise.id]}


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.id)
def test_case_descriptions_exist_in_both_languages(exercise):
    for case in exercise.cases(np.random.default_rng(0)):
        zh, en = case.kind.render("zh"), case.kind.render("en")
        assert zh and en and zh != en
        assert case.hint is not None and case.hint.render("zh") != case.hint.render("en")


@pytest.mark.parametrize("exercise", ACTIVATIONS, ids=lambda e: e.id)
def test_activation_cases_cover_the_adversarial_inputs(exercise):
    arrays = [case.args[0] for case in exercise.cases(np.random.default_rng(1))]
    assert any(np.max(np.abs(a[np.isfinite(a)])) >= 1e4 for a in arrays)
    assert any(np.isneginf(a).any() and np.isposinf(a).any() for a in arrays)
    assert any((a == 0).any() for a in arrays)
    assert any(a.dtype == np.float32 and np.max(np.abs(a)) >= 1e4 for a in arrays)
    assert {a.ndim for a in arrays} >= {1, 2, 3}


def test_mlp_cases_cover_the_adversarial_inputs():
    cases = MLP.cases(np.random.default_rng(2))
    classes = [case.args[3].shape[0] for case in cases]
    assert 1 in classes and 1000 in classes
    assert any(case.args[0].shape[0] == 1 for case in cases)
    assert any(case.args[0].dtype == np.float32 for case in cases)
    logits = [np.abs(MLP.reference(*case.args)) for case in cases]  # finite everywhere
    assert all(np.isfinite(p).all() for p in logits)
    huge = [case for case in cases if np.abs(case.args[3]).max() > 100]
    assert huge, "no case with logits large enough to overflow a naive softmax"


# ----------------------------------------------------------------- expected values

def _float64(*arrays):
    return [torch.from_numpy(np.asarray(a, dtype=np.float64)) for a in arrays]


def test_expected_linear_is_torch_nn_linear():
    for case in LINEAR.cases(np.random.default_rng(4)):
        X, W, b = case.args
        expected = LINEAR.expected(*case.args)
        assert expected.dtype == X.dtype and expected.shape == (X.shape[0], W.shape[0])
        layer = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(W.astype(np.float64)))
            layer.bias.copy_(torch.from_numpy(b.astype(np.float64)))
            truth = layer(torch.from_numpy(X.astype(np.float64))).numpy()
        tol = 1e-4 if X.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(expected, truth, rtol=tol, atol=tol * np.abs(truth).max())


@pytest.mark.parametrize("exercise, op", [(RELU, torch.relu), (SIGMOID, torch.sigmoid),
                                          (TANH, torch.tanh)], ids=["relu", "sigmoid", "tanh"])
def test_expected_activation_is_torch_in_the_input_dtype(exercise, op):
    for case in exercise.cases(np.random.default_rng(5)):
        (z,) = case.args
        expected = exercise.expected(z)
        assert expected.dtype == z.dtype and expected.shape == z.shape
        truth = op(*_float64(z)).numpy()
        np.testing.assert_allclose(expected, truth, rtol=1e-6, atol=1e-7)


def test_expected_mlp_is_a_torch_sequential_with_the_same_parameters():
    for case in MLP.cases(np.random.default_rng(6)):
        X, W1, b1, W2, b2 = case.args
        expected = MLP.expected(*case.args)
        assert expected.dtype == X.dtype and expected.shape == (X.shape[0], W2.shape[0])
        tX, tW1, tb1, tW2, tb2 = _float64(X, W1, b1, W2, b2)
        truth = torch.softmax(torch.relu(tX @ tW1.T + tb1) @ tW2.T + tb2, dim=1).numpy()
        tol = 1e-5 if X.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(expected, truth, rtol=tol, atol=tol)
        np.testing.assert_allclose(expected.sum(axis=1), 1.0, rtol=tol)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                  elements=st.floats(-1e4, 1e4, width=32)))
def test_activation_references_agree_with_torch_on_any_finite_input(z):
    for exercise in ACTIVATIONS:
        got, want = exercise.reference(z), exercise.expected(z)
        assert got.dtype == want.dtype
        tol = (1e-5, 1e-6) if z.dtype == np.float32 else (1e-12, 1e-14)
        np.testing.assert_allclose(got, want, rtol=tol[0], atol=tol[1])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 6), st.integers(1, 5),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**32 - 1))
def test_mlp_reference_agrees_with_torch_on_random_shapes(n, d, h, c, dtype, seed):
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(shape).astype(dtype) for shape in
            ((n, d), (h, d), (h,), (c, h), (c,))]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(MLP.reference(*args), MLP.expected(*args), rtol=tol, atol=tol)


# ----------------------------------------------------------------- wrong solutions

def test_forgotten_transpose_fails():
    def linear_forward(X, W, b):
        return X @ W + b

    outcome, shown = _verdict(LINEAR, linear_forward)
    assert outcome.status == ERROR and "why does a transpose appear" in shown
    assert "W.T" not in shown


def test_transpose_that_fits_square_shapes_only_is_caught():
    def linear_forward(X, W, b):
        return X @ W + b if W.shape[0] == W.shape[1] else X @ W.T + b

    outcome, shown = _verdict(LINEAR, linear_forward)
    assert outcome.status == FAILED and "values are wrong" in shown and "square" in shown


def test_bias_along_the_batch_axis_fails():
    def linear_forward(X, W, b):
        out = X @ W.T
        return out + b[:, None] if out.shape[0] == out.shape[1] else out + b

    outcome, shown = _verdict(LINEAR, linear_forward)
    assert outcome.status == FAILED and "every row of the result gets the same b" in shown


def test_forgotten_bias_fails():
    def linear_forward(X, W, b):
        return X @ W.T

    outcome, _ = _verdict(LINEAR, linear_forward)
    assert outcome.status == FAILED


def test_upcasting_linear_fails_on_dtype():
    def linear_forward(X, W, b):
        return X.astype(np.float64) @ W.T.astype(np.float64) + b

    outcome, shown = _verdict(LINEAR, linear_forward)
    assert outcome.status == FAILED and "float32" in shown


def test_masked_relu_gives_nan_on_minus_inf():
    def relu(z):
        return z * (z > 0)

    outcome, shown = _verdict(RELU, relu)
    assert outcome.status == FAILED and "nan" in shown and "±inf" in shown
    assert "without that multiplication" in shown and "np.maximum" not in shown


def test_in_place_relu_is_reported():
    def relu(z):
        z[z < 0] = 0
        return z

    outcome, shown = _verdict(RELU, relu)
    assert outcome.status == FAILED and "in place" in shown


def test_textbook_sigmoid_of_exp_over_one_plus_exp_fails_with_nan():
    def sigmoid(z):
        return np.exp(z) / (1 + np.exp(z))

    outcome, shown = _verdict(SIGMOID, sigmoid)
    assert outcome.status == FAILED and "nan" in shown and "10⁴" in shown


def test_textbook_tanh_fails_with_nan():
    def tanh(z):
        return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))

    outcome, shown = _verdict(TANH, tanh)
    assert outcome.status == FAILED and "nan" in shown and "how is tanh related to σ" in shown
    assert "2σ(2z) − 1" not in shown


def test_stable_tanh_through_sigmoid_passes():
    def tanh(z):
        e = np.exp(-2 * np.abs(z))
        return np.sign(z) * (1 - e) / (1 + e)

    outcome, shown = _verdict(TANH, tanh)
    assert outcome.status == PASSED, shown


def test_numpy_tanh_is_forbidden():
    def tanh(z):
        return np.tanh(z)

    def tanh_imported(z):
        import numpy
        return numpy.tanh(z)

    outcome, shown = _verdict(TANH, tanh)
    assert outcome.status == FORBIDDEN and "np.tanh" in shown
    outcome, shown = _verdict(TANH, tanh_imported)
    assert outcome.status == FORBIDDEN and "numpy.tanh" in shown


def test_library_activation_is_forbidden():
    def sigmoid(z):
        from mlp_course import sigmoid as library_sigmoid
        return library_sigmoid(z)

    outcome, shown = _verdict(SIGMOID, sigmoid)
    assert outcome.status == FORBIDDEN and "mlp_course.sigmoid" in shown


def test_torch_sequential_is_forbidden():
    def mlp_forward(X, W1, b1, W2, b2):
        return torch.softmax(torch.relu(torch.from_numpy(X) @ torch.from_numpy(W1).T), 1).numpy()

    outcome, shown = _verdict(MLP, mlp_forward)
    assert outcome.status == FORBIDDEN and "torch" in shown


def test_softmax_over_the_batch_axis_fails():
    def mlp_forward(X, W1, b1, W2, b2):
        Z2 = np.maximum(X @ W1.T + b1, 0) @ W2.T + b2
        e = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    outcome, shown = _verdict(MLP, mlp_forward)
    assert outcome.status == FAILED and "values are wrong" in shown


def test_naive_softmax_in_the_network_fails_on_huge_logits():
    def mlp_forward(X, W1, b1, W2, b2):
        e = np.exp(np.maximum(X @ W1.T + b1, 0) @ W2.T + b2)
        return e / e.sum(axis=1, keepdims=True)

    outcome, shown = _verdict(MLP, mlp_forward)
    assert outcome.status == FAILED and "nan" in shown and "10⁴" in shown


def test_returning_logits_instead_of_probabilities_fails():
    def mlp_forward(X, W1, b1, W2, b2):
        return np.maximum(X @ W1.T + b1, 0) @ W2.T + b2

    outcome, _ = _verdict(MLP, mlp_forward)
    assert outcome.status == FAILED


def test_returning_the_hidden_layer_has_the_wrong_shape():
    def mlp_forward(X, W1, b1, W2, b2):
        return np.maximum(X @ W1.T + b1, 0)

    outcome, shown = _verdict(MLP, mlp_forward)
    assert outcome.status == FAILED and "wrong shape" in shown


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.id)
def test_stub_is_not_implemented(exercise):
    def stub(*args):
        raise NotImplementedError()

    outcome, _ = _verdict(exercise, stub)
    assert outcome.status == NOT_IMPLEMENTED and outcome.points == 0


def test_a_raising_function_is_an_error_not_a_crash():
    def relu(z):
        return z[0, 0, 0, 0]

    outcome, shown = _verdict(RELU, relu)
    assert outcome.status == ERROR and "IndexError" in shown


def test_verdict_in_chinese():
    def sigmoid(z):
        return np.exp(z) / (1 + np.exp(z))

    with language("zh"):
        shown = evaluate(SIGMOID, sigmoid).render()
    assert "nan" in shown and "溢出" in shown
