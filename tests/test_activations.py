"""ReLU, sigmoid, tanh and their backward passes against PyTorch autograd."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlp_course import CourseTypeError, CourseValueError
from mlp_course.nn.activations import (BACKWARD, FORWARD, activation_backward, activation_forward,
                                    relu, relu_backward, sigmoid, sigmoid_backward, tanh,
                                    tanh_backward)

DTYPES = [np.float64, np.float32]
SHAPES = [(1,), (4, 5), (2, 3, 4), ()]
NAMES = ["relu", "sigmoid", "tanh"]
PUBLIC = {"relu": (relu, relu_backward), "sigmoid": (sigmoid, sigmoid_backward),
          "tanh": (tanh, tanh_backward)}


def torch_forward_backward(torch, name, z, dout):
    zt = torch.from_numpy(z).requires_grad_()
    out = getattr(torch, name)(zt)
    out.backward(torch.from_numpy(dout))
    return out.detach(), zt.grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_autograd(rng, torch, assert_close, name, shape, dtype):
    z = np.asarray(rng.standard_normal(shape) * 3, dtype=dtype)
    dout = np.asarray(rng.standard_normal(shape), dtype=dtype)
    expected_out, expected_grad = torch_forward_backward(torch, name, z, dout)
    forward, backward = PUBLIC[name]
    out, grad = forward(z), backward(dout, z)
    assert out.dtype == dtype and grad.dtype == dtype
    assert out.shape == shape and grad.shape == shape
    assert_close(out, expected_out)
    assert_close(grad, expected_grad)
    assert_close(activation_forward(name, z), expected_out)
    assert_close(activation_backward(name, dout, z), expected_grad)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_fast_paths_keep_dtype_and_input(rng, torch, assert_close, name, dtype):
    z = (rng.standard_normal((16, 8)) * 3).astype(dtype)
    dout = rng.standard_normal((16, 8)).astype(dtype)
    z_before, dout_before = z.copy(), dout.copy()
    expected_out, expected_grad = torch_forward_backward(torch, name, z, dout)
    out, grad = FORWARD[name](z), BACKWARD[name](dout, z)
    assert out.dtype == dtype and grad.dtype == dtype
    assert_close(out, expected_out)
    assert_close(grad, expected_grad)
    np.testing.assert_array_equal(z, z_before)
    np.testing.assert_array_equal(dout, dout_before)


def test_dictionaries_cover_the_same_names():
    assert set(FORWARD) == set(BACKWARD) == set(NAMES)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_without_warnings(torch, assert_close, name, dtype):
    z = np.array([-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4, -np.inf, np.inf], dtype=dtype)
    dout = np.ones_like(z)
    expected_out, expected_grad = torch_forward_backward(torch, name, z, dout)
    forward, backward = PUBLIC[name]
    assert_close(forward(z), expected_out)
    assert_close(backward(dout, z), expected_grad)


def test_sigmoid_tails_are_accurate(torch):
    z = np.array([-700.0, -40.0, 40.0])
    s = sigmoid(z)
    # relative accuracy in the lower tail, where 1/(1+exp(-z)) would overflow
    np.testing.assert_allclose(s[:2], np.exp(z[:2]), rtol=1e-14)
    assert s[2] == 1.0
    # sigma'(z) = sigma(z) sigma(-z) is symmetric, even where 1 - sigma(z) rounds to 0
    d = sigmoid_backward(np.ones(3), z)
    assert d[1] == d[2] > 0


def test_relu_derivative_at_zero_is_zero_like_torch(torch):
    z = np.zeros(3)
    _, expected_grad = torch_forward_backward(torch, "relu", z, np.ones(3))
    assert (expected_grad == 0).all()
    np.testing.assert_array_equal(relu_backward(np.ones(3), z), 0.0)


def test_nan_propagates_like_torch(torch):
    z = np.array([np.nan, 1.0])
    for name in NAMES:
        expected_out, _ = torch_forward_backward(torch, name, z, np.ones(2))
        out = PUBLIC[name][0](z)
        assert np.isnan(out[0]) == bool(expected_out[0].isnan())
        assert not np.isnan(out[1])


@settings(max_examples=40, deadline=None)
@given(z=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=6),
                    elements=st.floats(-1e3, 1e3)),
       name=st.sampled_from(NAMES))
def test_properties(torch, assert_close, z, name):
    dout = np.ones_like(z)
    forward, backward = PUBLIC[name]
    expected_out, expected_grad = torch_forward_backward(torch, name, z, dout)
    assert_close(forward(z), expected_out)
    assert_close(backward(dout, z), expected_grad)
    if name == "sigmoid":
        # sigma(-z) = 1 - sigma(z)
        np.testing.assert_allclose(sigmoid(-z), 1 - sigmoid(z), atol=1e-15)
    if name == "tanh":
        np.testing.assert_allclose(tanh(z), 2 * sigmoid(2 * z) - 1, atol=1e-14)


def test_mixed_dtypes_promote():
    out = relu_backward(np.ones(2, dtype=np.float32), np.array([1.0, -1.0]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, 0.0])


def test_lists_and_ints_are_accepted():
    np.testing.assert_array_equal(relu([-1, 2]), [0.0, 2.0])
    assert relu([-1, 2]).dtype == np.float64


def test_unknown_name(bilingual_error):
    bilingual_error(CourseValueError, lambda: activation_forward("softplus", [1.0]),
                    en=["unknown activation", "'softplus'", "'relu'", "'sigmoid'", "'tanh'"],
                    zh=["未知的激活函数", "'softplus'", "'relu'", "'sigmoid'", "'tanh'"])
    bilingual_error(CourseValueError, lambda: activation_backward("ReLu6", [1.0], [1.0]),
                    en=["'ReLu6'", "'relu'"], zh=["'ReLu6'", "'relu'"])
    bilingual_error(CourseTypeError, lambda: activation_forward(np.tanh, [1.0]),
                    en=["name", "one of"], zh=["name", "之一"])
    # names are forgiving about case and spaces
    np.testing.assert_array_equal(activation_forward(" ReLU ", [-1.0]), [0.0])


def test_bad_input(bilingual_error):
    bilingual_error(CourseValueError, lambda: relu_backward(np.ones(3), np.ones(4)),
                    en=["dout", "z", "(3,)", "(4,)"], zh=["dout", "z", "(3,)", "(4,)"])
    bilingual_error(CourseTypeError, lambda: sigmoid(np.array(["a", "b"])),
                    en=["z", "numeric"], zh=["z", "数值"])
    bilingual_error(CourseTypeError, lambda: tanh_backward(np.array([True]), np.ones(1)),
                    en=["dout", "boolean"], zh=["dout", "布尔"])
    bilingual_error(CourseValueError, lambda: tanh(np.zeros((0, 2))),
                    en=["z", "empty"], zh=["z", "空"])


def test_docstring_examples(run_doctests):
    import mlp_course.nn.activations as module
    assert run_doctests(module) >= 3
