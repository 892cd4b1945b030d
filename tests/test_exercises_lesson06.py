"""Lesson 06 exercises (output_delta, linear_grads, hidden_delta, mlp_backward): cases, expected, verdicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course.course.exercises import (ERROR, FAILED, FORBIDDEN, NOT_IMPLEMENTED, PASSED, evaluate,
                                  get_exercise)
from mlp_course.course.exercises.lesson06 import mlp_backward_torch
from mlp_course.i18n import CourseValueError, language
from exercise_helpers import verdict as _verdict

OUTPUT_DELTA = get_exercise("output_delta")
LINEAR_GRADS = get_exercise("linear_grads")
HIDDEN_DELTA = get_exercise("hidden_delta")
MLP_BACKWARD = get_exercise("mlp_backward")
ALL = [OUTPUT_DELTA, LINEAR_GRADS, HIDDEN_DELTA, MLP_BACKWARD]
CASE_COUNTS = {"output_delta": 7, "linear_grads": 7, "hidden_delta": 12, "mlp_backward": 8}


def _stable_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, e) / (1 + e)


def _derivative(activation, Z):
    if activation == "relu":
        return (Z > 0).astype(Z.dtype)
    if activation == "sigmoid":
        s = _stable_sigmoid(Z)
        return s * (1 - s)
    return 1 - np.tanh(Z) ** 2


def test_all_belong_to_lesson_06():
    assert {exercise.lesson for exercise in ALL} == {"06_backprop"}


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


def test_cases_cover_every_activation_and_float32():
    for exercise in (HIDDEN_DELTA, MLP_BACKWARD):
        cases = exercise.cases(np.random.default_rng(1))
        assert {case.args[-1] for case in cases} == {"relu", "sigmoid", "tanh"}
        assert any(case.args[0].dtype == np.float32 for case in cases)
    z_values = [case.args[2] for case in HIDDEN_DELTA.cases(np.random.default_rng(1))]
    assert any(np.abs(z).max() >= 1e3 for z in z_values)
    assert any((z == 0).any() for z in z_values)


def test_output_delta_cases_include_certain_and_single_class_predictions():
    cases = OUTPUT_DELTA.cases(np.random.default_rng(2))
    assert any(((P == 0) | (P == 1)).all() and P.shape[1] > 1 for P, _ in
               (case.args for case in cases))
    assert any(P.shape[1] == 1 for P, _ in (case.args for case in cases))
    assert any(P.shape[1] >= 1000 for P, _ in (case.args for case in cases))
    for case in cases:
        P, y = case.args
        assert y.shape == (P.shape[0],) and y.dtype == np.int64 and y.max() < P.shape[1]
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-5)


# ----------------------------------------------------------------- expected = autograd

@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_intermediates_follow_the_backprop_formulas(activation, dtype):
    """The closed forms of the lesson equal autograd's retained gradients."""
    rng = np.random.default_rng(7)
    N, D, H, C = 5, 3, 4, 3
    X, W1, b1 = rng.standard_normal((N, D)), rng.standard_normal((H, D)), rng.standard_normal(H)
    W2, b2 = rng.standard_normal((C, H)), rng.standard_normal(C)
    X, W1, b1, W2, b2 = (a.astype(dtype) for a in (X, W1, b1, W2, b2))
    y = rng.integers(0, C, N)
    t = mlp_backward_torch(X, y, W1, b1, W2, b2, activation)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    Y = np.eye(C, dtype=dtype)[y]
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=tol, atol=tol)  # noqa: E731
    close(t["dZ2"], (t["Y_hat"] - Y) / N)
    close(t["dW2"], t["dZ2"].T @ t["A1"])
    close(t["db2"], t["dZ2"].sum(axis=0))
    close(t["dA1"], t["dZ2"] @ W2)
    close(t["dZ1"], t["dA1"] * _derivative(activation, t["Z1"]))
    close(t["dW1"], t["dZ1"].T @ X)
    close(t["db1"], t["dZ1"].sum(axis=0))
    for name in ("dW1", "db1", "dW2", "db2", "dZ1", "dA1", "dZ2"):
        assert t[name].dtype == dtype


def test_mlp_backward_torch_rejects_an_unknown_activation():
    with language("en"), pytest.raises(CourseValueError, match="activation"):
        mlp_backward_torch(np.ones((1, 2)), [0], np.ones((2, 2)), np.ones(2), np.ones((2, 2)),
                           np.ones(2), activation="softplus")


def test_expected_output_delta_is_the_gradient_at_the_logits():
    for case in OUTPUT_DELTA.cases(np.random.default_rng(3)):
        P, y = case.args
        expected = OUTPUT_DELTA.expected(P, y)
        assert expected.dtype == P.dtype and np.isfinite(expected).all()
        tol = 1e-6 if P.dtype == np.float32 else 1e-14
        Y = np.eye(P.shape[1])[y]
        np.testing.assert_allclose(expected, (P - Y) / P.shape[0], atol=tol)


def test_expected_linear_grads_is_autograd_of_a_linear_layer():
    for case in LINEAR_GRADS.cases(np.random.default_rng(4)):
        delta, A = case.args
        dW, db = LINEAR_GRADS.expected(delta, A)
        assert dW.shape == (delta.shape[1], A.shape[1]) and db.shape == (delta.shape[1],)
        assert dW.dtype == db.dtype == A.dtype
        W = torch.randn(delta.shape[1], A.shape[1], dtype=torch.float64, requires_grad=True)
        b = torch.randn(delta.shape[1], dtype=torch.float64, requires_grad=True)
        out = torch.nn.functional.linear(torch.from_numpy(A.astype(np.float64)), W, b)
        (out * torch.from_numpy(delta.astype(np.float64))).sum().backward()
        tol = 1e-4 if A.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(dW, W.grad.numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(db, b.grad.numpy(), rtol=tol, atol=tol)


def test_expected_hidden_delta_matches_the_closed_form():
    for case in HIDDEN_DELTA.cases(np.random.default_rng(5)):
        W2, delta2, Z1, activation = case.args
        expected = HIDDEN_DELTA.expected(*case.args)
        assert expected.dtype == Z1.dtype and expected.shape == Z1.shape
        assert np.isfinite(expected).all()
        wide = [a.astype(np.float64) for a in (W2, delta2, Z1)]
        closed = (wide[1] @ wide[0]) * _derivative(activation, wide[2])
        tol = 1e-5 if Z1.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(expected, closed, rtol=tol, atol=tol)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4),
       st.sampled_from(["relu", "sigmoid", "tanh"]), st.sampled_from([np.float32, np.float64]),
       st.integers(0, 2**32 - 1))
def test_mlp_backward_reference_agrees_with_autograd(n, d, h, c, activation, dtype, seed):
    rng = np.random.default_rng(seed)
    X, W1, b1, W2, b2 = (rng.standard_normal(shape).astype(dtype) for shape in
                         ((n, d), (h, d), (h,), (c, h), (c,)))
    y = rng.integers(0, c, n)
    got = MLP_BACKWARD.reference(X, y, W1, b1, W2, b2, activation)
    want = MLP_BACKWARD.expected(X, y, W1, b1, W2, b2, activation)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


# ----------------------------------------------------------------- wrong solutions

def test_output_delta_without_division_by_n_fails():
    def output_delta(Y_hat, y):
        return Y_hat - np.eye(Y_hat.shape[1], dtype=Y_hat.dtype)[y]

    outcome, shown = _verdict(OUTPUT_DELTA, output_delta)
    assert outcome.status == FAILED and "values are wrong" in shown
    assert "exactly N times the right one" in shown and "batch mean" in shown
    assert "(Ŷ − Y) / N" not in shown


def test_output_delta_subtracting_the_labels_fails():
    def output_delta(Y_hat, y):
        return (Y_hat - y) / len(y)

    outcome, shown = _verdict(OUTPUT_DELTA, output_delta)
    assert outcome.status in (FAILED, ERROR) and "one-hot" in shown


def test_output_delta_with_a_float64_one_hot_fails_on_dtype():
    def output_delta(Y_hat, y):
        return (Y_hat - np.eye(Y_hat.shape[1])[y]) / len(y)

    outcome, shown = _verdict(OUTPUT_DELTA, output_delta)
    assert outcome.status == FAILED and "float32" in shown and "one-hot matrix" in shown


def test_output_delta_from_torch_is_forbidden():
    def output_delta(Y_hat, y):
        import torch.nn.functional as F
        return F.one_hot(torch.from_numpy(y)).numpy()

    outcome, _ = _verdict(OUTPUT_DELTA, output_delta)
    assert outcome.status == FORBIDDEN


def test_linear_grads_with_a_transposed_dw_fails():
    def linear_grads(delta, A_prev):
        return A_prev.T @ delta, delta.sum(axis=0)

    outcome, shown = _verdict(LINEAR_GRADS, linear_grads)
    assert outcome.status == FAILED and "wrong shape" in shown


def test_linear_grads_transposed_only_when_square_is_caught():
    def linear_grads(delta, A_prev):
        dW = A_prev.T @ delta if delta.shape[1] == A_prev.shape[1] else delta.T @ A_prev
        return dW, delta.sum(axis=0)

    outcome, shown = _verdict(LINEAR_GRADS, linear_grads)
    assert outcome.status == FAILED and "square" in shown


def test_linear_grads_averaging_again_fails():
    def linear_grads(delta, A_prev):
        return delta.T @ A_prev / len(delta), delta.mean(axis=0)

    outcome, shown = _verdict(LINEAR_GRADS, linear_grads)
    assert outcome.status == FAILED and "do not divide by N again" in shown


def test_linear_grads_returning_one_array_fails():
    def linear_grads(delta, A_prev):
        return delta.T @ A_prev

    outcome, shown = _verdict(LINEAR_GRADS, linear_grads)
    assert outcome.status == FAILED and "tuple of 2" in shown


def test_library_linear_backward_is_forbidden():
    def linear_grads(delta, A_prev):
        import mlp_course
        return mlp_course.linear_backward(delta, (A_prev, None, None))[1:]

    outcome, shown = _verdict(LINEAR_GRADS, linear_grads)
    assert outcome.status == FORBIDDEN and "linear_backward" in shown


def test_relu_derivative_of_one_at_zero_fails():
    def hidden_delta(W2, delta2, Z1, activation="relu"):
        dA1 = delta2 @ W2
        if activation == "relu":
            return dA1 * (Z1 >= 0)
        s = _stable_sigmoid(Z1)
        return dA1 * (s * (1 - s) if activation == "sigmoid" else 1 - np.tanh(Z1) ** 2)

    outcome, shown = _verdict(HIDDEN_DELTA, hidden_delta)
    assert outcome.status == FAILED and "ReLU′(0) = 0" in shown


def test_hidden_delta_with_w2_transposed_fails():
    def hidden_delta(W2, delta2, Z1, activation="relu"):
        return (delta2 @ W2.T) * _derivative(activation, Z1)

    outcome, _ = _verdict(HIDDEN_DELTA, hidden_delta)
    assert outcome.status in (FAILED, ERROR)


def test_hidden_delta_using_the_activation_instead_of_its_derivative_fails():
    def hidden_delta(W2, delta2, Z1, activation="relu"):
        return (delta2 @ W2) * np.maximum(Z1, 0)

    outcome, _ = _verdict(HIDDEN_DELTA, hidden_delta)
    assert outcome.status == FAILED


def test_hidden_delta_with_an_overflowing_sigmoid_fails_with_nan():
    def hidden_delta(W2, delta2, Z1, activation="relu"):
        dA1 = delta2 @ W2
        if activation == "sigmoid":
            e = np.exp(Z1)
            return dA1 * e / (1 + e) ** 2  # inf / inf for large Z1
        return dA1 * _derivative(activation, Z1)

    outcome, shown = _verdict(HIDDEN_DELTA, hidden_delta)
    assert outcome.status == FAILED and "nan" in shown and "saturated" in shown


def test_library_activation_backward_is_forbidden():
    def hidden_delta(W2, delta2, Z1, activation="relu"):
        from mlp_course import activation_backward
        return activation_backward(activation, delta2 @ W2, Z1)

    outcome, _ = _verdict(HIDDEN_DELTA, hidden_delta)
    assert outcome.status == FORBIDDEN


def _backward_with(delta1_of, normalise=True, stable=True):
    """An mlp_backward whose pieces can be broken one at a time."""
    def mlp_backward(X, y, W1, b1, W2, b2, activation="relu"):
        Z1 = X @ W1.T + b1
        A1 = {"relu": lambda z: np.maximum(z, 0), "sigmoid": _stable_sigmoid,
              "tanh": np.tanh}[activation](Z1)
        Z2 = A1 @ W2.T + b2
        shifted = Z2 - Z2.max(axis=1, keepdims=True) if stable else Z2
        P = np.exp(shifted)
        P /= P.sum(axis=1, keepdims=True)
        delta2 = P - np.eye(W2.shape[0], dtype=X.dtype)[y]
        if normalise:
            delta2 /= len(X)
        delta1 = delta1_of(delta2, W2, Z1, activation)
        return delta1.T @ X, delta1.sum(axis=0), delta2.T @ A1, delta2.sum(axis=0)
    return mlp_backward


def test_a_correct_hand_written_backward_passes():
    fn = _backward_with(lambda d2, W2, Z1, act: (d2 @ W2) * _derivative(act, Z1))
    outcome, shown = _verdict(MLP_BACKWARD, fn)
    assert outcome.status == PASSED, shown


def test_backward_without_the_activation_derivative_fails():
    fn = _backward_with(lambda d2, W2, Z1, act: d2 @ W2)
    outcome, shown = _verdict(MLP_BACKWARD, fn)
    assert outcome.status == FAILED and "[0]" in shown  # dW1 is the first wrong output


def test_backward_with_a_sum_loss_instead_of_the_mean_fails():
    fn = _backward_with(lambda d2, W2, Z1, act: (d2 @ W2) * _derivative(act, Z1),
                        normalise=False)
    outcome, _ = _verdict(MLP_BACKWARD, fn)
    assert outcome.status == FAILED


def test_backward_with_a_naive_softmax_fails_with_nan():
    fn = _backward_with(lambda d2, W2, Z1, act: (d2 @ W2) * _derivative(act, Z1), stable=False)
    outcome, shown = _verdict(MLP_BACKWARD, fn)
    assert outcome.status == FAILED and "nan" in shown and "10⁴" in shown


def test_backward_through_torch_autograd_is_forbidden():
    def mlp_backward(X, y, W1, b1, W2, b2, activation="relu"):
        params = [torch.tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
        hidden = torch.relu(torch.from_numpy(X) @ params[0].T + params[1])
        logits = hidden @ params[2].T + params[3]
        torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
        return tuple(p.grad.numpy() for p in params)

    outcome, _ = _verdict(MLP_BACKWARD, mlp_backward)
    assert outcome.status == FORBIDDEN


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.id)
def test_stub_is_not_implemented(exercise):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    outcome, _ = _verdict(exercise, stub)
    assert outcome.status == NOT_IMPLEMENTED and outcome.points == 0


def test_a_raising_function_is_an_error_not_a_crash():
    def mlp_backward(X, y, W1, b1, W2, b2, activation="relu"):
        return X @ W2  # shapes do not fit

    outcome, shown = _verdict(MLP_BACKWARD, mlp_backward)
    assert outcome.status == ERROR and "ValueError" in shown


def test_verdict_in_chinese():
    def output_delta(Y_hat, y):
        return Y_hat - np.eye(Y_hat.shape[1], dtype=Y_hat.dtype)[y]

    with language("zh"):
        shown = evaluate(OUTPUT_DELTA, output_delta).render()
    assert "数值不对" in shown and "批量平均" in shown


# ----------------------------------------------------------------- log_softmax_steps

LOG_SOFTMAX_STEPS = get_exercise("log_softmax_steps")
DEEP_BACKWARD = get_exercise("deep_backward")
NEW = [LOG_SOFTMAX_STEPS, DEEP_BACKWARD]
NEW_CASE_COUNTS = {"log_softmax_steps": 8, "deep_backward": 11}


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("exercise", NEW, ids=lambda e: e.id)
def test_new_references_pass_with_a_fixed_number_of_cases(exercise, seed):
    assert exercise.lesson == "06_backprop"
    outcome, shown = _verdict(exercise, exercise.reference, seed)
    assert outcome.status == PASSED, shown
    assert outcome.cases_run == NEW_CASE_COUNTS[exercise.id]
    assert len(exercise.cases(np.random.default_rng(seed + 10))) == NEW_CASE_COUNTS[exercise.id]


@pytest.mark.parametrize("exercise", NEW, ids=lambda e: e.id)
def test_new_cases_are_described_and_hinted_in_both_languages(exercise):
    for case in exercise.cases(np.random.default_rng(0)):
        assert case.kind.render("zh") != case.kind.render("en")
        assert case.hint is not None and case.hint.render("zh") != case.hint.render("en")


def _steps(Z, y, route_max=True):
    """A hand-written atomic backward pass (independent of the reference)."""
    N = Z.shape[0]
    rows = np.arange(N)
    m = Z.max(axis=1, keepdims=True)
    S = Z - m
    E = np.exp(S)
    s = E.sum(axis=1, keepdims=True)
    dlogp = np.zeros_like(Z)
    dlogp[rows, y] = -1 / N
    dS = dlogp + E / s * (-dlogp.sum(axis=1, keepdims=True))
    dm = -dS.sum(axis=1, keepdims=True)
    dZ = dS.copy()
    if route_max:
        dZ[rows, Z.argmax(axis=1)] += dm[:, 0]
    return dlogp, dS, dm, dZ


def test_expected_steps_show_a_zero_gradient_at_the_maximum():
    rng = np.random.default_rng(3)
    Z, y = rng.standard_normal((6, 4)) * 3, rng.integers(0, 4, 6)
    dlogp, dS, dm, dZ = get_exercise("log_softmax_steps").expected(Z, y)
    assert dm.shape == (6, 1) and np.abs(dm).max() < 1e-15
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dZ, (P - np.eye(4)[y]) / 6, rtol=0, atol=1e-15)
    np.testing.assert_allclose(dS, dZ, rtol=0, atol=1e-15)
    for ours, theirs in zip(_steps(Z, y), (dlogp, dS, dm, dZ)):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)


def test_a_hand_written_atomic_backward_passes():
    outcome, shown = _verdict(LOG_SOFTMAX_STEPS, lambda Z, y: _steps(Z, y))
    assert outcome.status == PASSED, shown


def test_steps_without_the_mean_fail():
    def log_softmax_steps(Z, y):
        return tuple(g * Z.shape[0] for g in _steps(Z, y))

    outcome, shown = _verdict(LOG_SOFTMAX_STEPS, log_softmax_steps)
    assert outcome.status == FAILED and "values are wrong" in shown


def test_steps_forgetting_the_path_through_lse_fail():
    def log_softmax_steps(Z, y):
        dlogp, _, _, _ = _steps(Z, y)
        dm = -dlogp.sum(axis=1, keepdims=True)   # dS = dlogp: the path through lse is lost
        dZ = dlogp.copy()
        dZ[np.arange(len(y)), Z.argmax(axis=1)] += dm[:, 0]
        return dlogp, dlogp, dm, dZ

    outcome, shown = _verdict(LOG_SOFTMAX_STEPS, log_softmax_steps)
    assert outcome.status == FAILED and "[1]" in shown


def test_steps_with_a_flat_dm_fail_on_shape():
    def log_softmax_steps(Z, y):
        dlogp, dS, dm, dZ = _steps(Z, y)
        return dlogp, dS, dm[:, 0], dZ

    outcome, shown = _verdict(LOG_SOFTMAX_STEPS, log_softmax_steps)
    assert outcome.status == FAILED and "wrong shape" in shown


def test_steps_without_the_shift_overflow_to_nan():
    def log_softmax_steps(Z, y):
        N = Z.shape[0]
        rows = np.arange(N)
        E = np.exp(Z)                                   # no shift: overflows for large logits
        s = E.sum(axis=1, keepdims=True)
        dlogp = np.zeros_like(Z)
        dlogp[rows, y] = -1 / N
        dS = dlogp + E / s * (1 / N)
        return dlogp, dS, np.zeros((N, 1), dtype=Z.dtype), dS

    outcome, shown = _verdict(LOG_SOFTMAX_STEPS, log_softmax_steps)
    assert outcome.status == FAILED and "10⁴" in shown and "nan" in shown


def test_steps_with_the_library_softmax_are_forbidden():
    def log_softmax_steps(Z, y):
        from mlp_course import softmax
        P = softmax(Z, axis=1)
        return P, P, P, P

    outcome, _ = _verdict(LOG_SOFTMAX_STEPS, log_softmax_steps)
    assert outcome.status == FORBIDDEN


# ----------------------------------------------------------------- deep_backward

def _deep(X, y, params, activation="relu", slope=True, mean=True):
    """A hand-written L-layer backward pass (independent of the reference)."""
    f = {"relu": lambda z: np.maximum(z, 0), "sigmoid": _stable_sigmoid, "tanh": np.tanh}[activation]
    weights, biases = params[0::2], params[1::2]
    inputs, zs, a = [], [], X
    for layer, (W, b) in enumerate(zip(weights, biases)):
        inputs.append(a)
        z = a @ W.T + b
        zs.append(z)
        a = f(z) if layer < len(weights) - 1 else z
    P = np.exp(z - z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    delta = (P - np.eye(P.shape[1], dtype=P.dtype)[y]) / (len(y) if mean else 1)
    grads = [None] * len(params)
    for layer in reversed(range(len(weights))):
        grads[2 * layer], grads[2 * layer + 1] = delta.T @ inputs[layer], delta.sum(axis=0)
        if layer:
            delta = delta @ weights[layer]
            if slope:
                delta = delta * _derivative(activation, zs[layer - 1]).astype(delta.dtype)
    return grads


def test_a_hand_written_deep_backward_passes():
    outcome, shown = _verdict(DEEP_BACKWARD, _deep)
    assert outcome.status == PASSED, shown


def test_deep_backward_without_the_activation_derivative_fails():
    outcome, shown = _verdict(DEEP_BACKWARD, lambda *a: _deep(*a, slope=False))
    assert outcome.status == FAILED and "values are wrong" in shown


def test_deep_backward_with_a_sum_loss_fails():
    outcome, _ = _verdict(DEEP_BACKWARD, lambda *a: _deep(*a, mean=False))
    assert outcome.status == FAILED


def test_deep_backward_with_only_two_layers_fails():
    def deep_backward(X, y, params, activation="relu"):
        if len(params) != 4:
            return [np.zeros_like(p) for p in params]
        return _deep(X, y, params, activation)

    outcome, _ = _verdict(DEEP_BACKWARD, deep_backward)
    assert outcome.status == FAILED


def test_deep_backward_in_the_wrong_order_is_named():
    outcome, shown = _verdict(DEEP_BACKWARD, lambda *a: _deep(*a)[::-1])
    assert outcome.status == FAILED and "grads[0]" in shown


def test_deep_backward_with_autograd_is_forbidden():
    def deep_backward(X, y, params, activation="relu"):
        import torch
        tensors = [torch.tensor(p, requires_grad=True) for p in params]
        return [t.detach().numpy() for t in tensors]

    outcome, _ = _verdict(DEEP_BACKWARD, deep_backward)
    assert outcome.status == FORBIDDEN


def test_deep_backward_reference_equals_mlp_backward_for_two_layers():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    W1, b1, W2, b2 = rng.standard_normal((4, 3)), rng.standard_normal(4), \
        rng.standard_normal((3, 4)), rng.standard_normal(3)
    for activation in ("relu", "sigmoid", "tanh"):
        deep = DEEP_BACKWARD.reference(X, y, [W1, b1, W2, b2], activation)
        two = MLP_BACKWARD.reference(X, y, W1, b1, W2, b2, activation)
        for a, b in zip(deep, two):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)


@pytest.mark.parametrize("exercise", NEW, ids=lambda e: e.id)
def test_new_stubs_are_not_implemented(exercise):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    outcome, _ = _verdict(exercise, stub)
    assert outcome.status == NOT_IMPLEMENTED and outcome.points == 0
