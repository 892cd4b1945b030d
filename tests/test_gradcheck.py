"""numerical_gradient, rel_error and gradient_check: they pass right gradients and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from mlp_course import CourseTypeError, CourseValueError, language
from mlp_course.nn.activations import relu, relu_backward, tanh, tanh_backward
from mlp_course.nn.gradcheck import GradientCheckResult, gradient_check, numerical_gradient, rel_error
from mlp_course.nn.layers import linear_backward, linear_forward
from mlp_course.nn.losses import cross_entropy, cross_entropy_grad


# ---------------------------------------------------------------- numerical_gradient

@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 2, 2)])
def test_numerical_gradient_of_known_functions(rng, shape):
    x = np.asarray(rng.standard_normal(shape))
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(v ** 3)), x),
                               3 * x ** 2, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(np.sin(v))), x),
                               np.cos(x), atol=1e-9)


def test_numerical_gradient_restores_x_exactly(rng):
    x = rng.standard_normal((3, 4))
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(v * 0.1)), x, h=0.3)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_restores_x_when_f_fails(rng):
    x = rng.standard_normal(4)
    before = x.copy()
    calls = []

    def failing(v):
        calls.append(1)
        if len(calls) == 3:
            raise ZeroDivisionError("boom")
        return float(v.sum())

    with pytest.raises(ZeroDivisionError):
        numerical_gradient(failing, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_sees_x_through_a_closure(rng):
    W = rng.standard_normal((2, 3))
    X = rng.standard_normal((4, 3))
    # f ignores its argument and reads W directly, as a model's loss does
    grad = numerical_gradient(lambda _: float(np.sum(X @ W.T)), W)
    np.testing.assert_allclose(grad, np.tile(X.sum(axis=0), (2, 1)), atol=1e-8)


def test_numerical_gradient_bad_input(bilingual_error):
    x = np.zeros(3)
    bilingual_error(CourseTypeError, lambda: numerical_gradient(lambda v: v, x),
                    en=["f", "single real number", "(3,)"], zh=["f", "实数", "(3,)"])
    bilingual_error(CourseTypeError, lambda: numerical_gradient(lambda v: 0.0, [1.0, 2.0]),
                    en=["x", "float64", "np.asarray"], zh=["x", "float64", "np.asarray"])
    bilingual_error(CourseTypeError,
                    lambda: numerical_gradient(lambda v: 0.0, np.zeros(2, dtype=np.float32)),
                    en=["x", "float64", "float32"], zh=["x", "float64", "float32"])
    bilingual_error(CourseTypeError, lambda: numerical_gradient("f", x),
                    en=["f", "function"], zh=["f", "函数"])
    bilingual_error(CourseValueError, lambda: numerical_gradient(lambda v: 0.0, x, h=0),
                    en=["h", "greater than 0"], zh=["h", "大于 0"])
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    bilingual_error(CourseValueError, lambda: numerical_gradient(lambda v: 0.0, frozen),
                    en=["x", "read-only", "x.copy()"], zh=["x", "只读", "x.copy()"])


# ---------------------------------------------------------------- rel_error

def test_rel_error_values():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [-1.0]) == 1.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # largest difference over largest magnitude: max|a-b| / max(|a|+|b|)
    assert rel_error([1.0, 100.0], [1.5, 100.0]) == pytest.approx(0.5 / 200.0)
    # entries that are both tiny do not dominate (an entrywise ratio would give 1/3 here)
    assert rel_error([1.0, 1e-12], [1.0, 2e-12]) < 1e-11
    assert np.isnan(rel_error([np.nan, 1.0], [1.0, 1.0]))
    assert rel_error([np.inf], [0.0]) == 1.0
    assert isinstance(rel_error([1.0], [1.0]), float)


def test_rel_error_shape_mismatch(bilingual_error):
    bilingual_error(CourseValueError, lambda: rel_error(np.zeros(3), np.zeros((3, 1))),
                    en=["a", "b", "(3,)", "(3, 1)"], zh=["a", "b", "(3,)", "(3, 1)"])


# ---------------------------------------------------------------- gradient_check

OPTIONS = [dict(), dict(reduction="sum"), dict(label_smoothing=0.2),
           dict(weight=np.array([0.5, 2.0, 1.0]), ignore_index=1),
           dict(reduction="none", weight=np.array([0.5, 2.0, 1.0]))]


@pytest.mark.parametrize("options", OPTIONS)
def test_cross_entropy_grad_passes_the_check(rng, options):
    logits = rng.standard_normal((5, 3))
    target = np.array([0, 1, 2, 1, 0])

    def loss(z):
        return float(np.sum(cross_entropy(z, target, **options)))

    result = gradient_check(loss, logits, cross_entropy_grad(logits, target, **options))
    assert isinstance(result, GradientCheckResult)
    assert result.ok, str(result)
    assert result.max_rel_error < 1e-8


def test_planted_bug_is_caught(rng):
    """A classic mistake: forgetting to divide the mean loss's gradient by N."""
    logits = rng.standard_normal((4, 3))
    target = np.array([0, 2, 1, 1])
    wrong = cross_entropy_grad(logits, target, reduction="sum")
    result = gradient_check(lambda z: float(cross_entropy(z, target)), logits, wrong)
    assert not result.ok
    assert result.max_rel_error == pytest.approx(3 / 5)  # (N - 1) / (N + 1) with N = 4
    expected = np.unravel_index(np.argmax(np.abs(result.numeric - wrong)), logits.shape)
    assert result.worst_index == tuple(int(i) for i in expected)
    assert result.analytic_value == wrong[result.worst_index]
    assert result.numeric_value == pytest.approx(wrong[result.worst_index] / 4, abs=1e-8)


def two_layer_net(rng, activation, backward):
    X = rng.standard_normal((5, 4))
    y = np.array([0, 1, 2, 1, 0])
    W1, b1 = rng.standard_normal((6, 4)), rng.standard_normal(6)
    W2, b2 = rng.standard_normal((3, 6)), rng.standard_normal(3)

    def loss(_=None):
        z1, _c = linear_forward(X, W1, b1)
        logits, _c = linear_forward(activation(z1), W2, b2)
        return float(cross_entropy(logits, y))

    def grads(output_bug=False):
        z1, cache1 = linear_forward(X, W1, b1)
        a1 = activation(z1)
        logits, cache2 = linear_forward(a1, W2, b2)
        da1, dW2, db2 = linear_backward(cross_entropy_grad(logits, y), cache2)
        # the classic slip: differentiating at the layer's output instead of its input
        dz1 = backward(da1, a1 if output_bug else z1)
        dX, dW1, db1 = linear_backward(dz1, cache1)
        return dict(W1=dW1, b1=db1, W2=dW2, b2=db2)

    return dict(W1=W1, b1=b1, W2=W2, b2=b2), loss, grads


@pytest.mark.parametrize("activation,backward", [(tanh, tanh_backward), (relu, relu_backward)])
def test_backprop_through_a_two_layer_net(rng, activation, backward):
    params, loss, grads = two_layer_net(rng, activation, backward)
    analytic = grads()
    for name, param in params.items():
        result = gradient_check(loss, param, analytic[name])
        assert result.ok, f"{name}: {result}"


def test_wrong_backprop_is_caught(rng):
    params, loss, grads = two_layer_net(rng, tanh, tanh_backward)
    result = gradient_check(loss, params["W1"], grads(output_bug=True)["W1"])
    assert not result.ok and result.max_rel_error > 1e-2
    # the activation's derivative forgotten altogether
    params, loss, grads = two_layer_net(rng, tanh, lambda dout, z: dout)
    assert not gradient_check(loss, params["W1"], grads()["W1"]).ok


def test_analytic_gradient_may_be_a_function(rng):
    x = rng.standard_normal(3)
    result = gradient_check(lambda v: float(np.sum(v ** 2)), x, lambda v: 2 * v)
    assert result.ok


def test_report_in_both_languages(rng):
    x = np.array([1.0, 2.0])
    good = gradient_check(lambda v: float(np.sum(v ** 2)), x, 2 * x)
    bad = gradient_check(lambda v: float(np.sum(v ** 2)), x, np.array([2.0, -4.0]))
    with language("en"):
        assert str(good).startswith("Gradient check passed")
        assert "FAILED" in str(bad) and "(1,)" in str(bad) and "-4" in str(bad)
    with language("zh"):
        assert str(good).startswith("梯度检验通过")
        assert "未通过" in str(bad) and "(1,)" in str(bad)
    assert bad.report("en") != bad.report("zh")
    assert "numeric" in bad.report("en") and "数值梯度" in bad.report("zh")
    assert "GradientCheckResult(ok=False" in repr(bad)


def test_gradient_check_bad_input(bilingual_error):
    x = np.zeros(3)
    bilingual_error(CourseValueError,
                    lambda: gradient_check(lambda v: 0.0, x, np.zeros(4)),
                    en=["analytic_grad", "x", "(4,)", "(3,)"],
                    zh=["analytic_grad", "x", "(4,)", "(3,)"])
    bilingual_error(CourseValueError, lambda: gradient_check(lambda v: 0.0, x, x, tol=-1),
                    en=["tol"], zh=["tol"])


def test_docstring_examples(run_doctests):
    import mlp_course.nn.gradcheck as module
    assert run_doctests(module) >= 3
