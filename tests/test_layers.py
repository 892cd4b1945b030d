"""linear_forward / linear_backward against torch.nn.functional.linear and autograd."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course import CourseTypeError, CourseValueError
from mlp_course.nn.gradcheck import gradient_check
from mlp_course.nn.layers import (LinearCache, _linear_backward, _linear_forward, linear_backward,
                               linear_forward)

DTYPES = [np.float64, np.float32]
SHAPES = [(1, 1, 1), (4, 3, 5), (16, 784, 10), (3, 64, 128)]  # (N, D, H)


def torch_linear(torch, X, W, b, dout):
    Xt, Wt = (torch.from_numpy(a).requires_grad_() for a in (X, W))
    bt = None if b is None else torch.from_numpy(b).requires_grad_()
    out = torch.nn.functional.linear(Xt, Wt, bt)
    out.backward(torch.from_numpy(dout))
    return out.detach(), Xt.grad, Wt.grad, None if bt is None else bt.grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_matches_torch(rng, torch, assert_close, bias, shape, dtype):
    n, d, h = shape
    X = rng.standard_normal((n, d)).astype(dtype)
    W = (rng.standard_normal((h, d)) / np.sqrt(d)).astype(dtype)
    b = rng.standard_normal(h).astype(dtype) if bias else None
    dout = rng.standard_normal((n, h)).astype(dtype)
    expected = torch_linear(torch, X, W, b, dout)
    out, cache = linear_forward(X, W, b)
    dX, dW, db = linear_backward(dout, cache)
    assert out.shape == (n, h) and dX.shape == X.shape and dW.shape == W.shape
    for ours in (out, dX, dW):
        assert ours.dtype == dtype
    assert_close(out, expected[0])
    assert_close(dX, expected[1])
    assert_close(dW, expected[2])
    if bias:
        assert db.shape == (h,) and db.dtype == dtype
        assert_close(db, expected[3])
    else:
        assert db is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_fast_paths(rng, torch, assert_close, dtype):
    X = rng.standard_normal((8, 5)).astype(dtype)
    W = rng.standard_normal((3, 5)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    dout = rng.standard_normal((8, 3)).astype(dtype)
    expected = torch_linear(torch, X, W, b, dout)
    out = _linear_forward(X, W, b)
    dX, dW, db = _linear_backward(dout, X, W)
    for ours, reference in zip((out, dX, dW, db), expected):
        assert ours.dtype == dtype
        assert_close(ours, reference)


def test_cache_keeps_the_inputs(rng):
    X, W, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), np.zeros(4)
    _, cache = linear_forward(X, W, b)
    assert isinstance(cache, LinearCache)
    assert cache.X is X and cache.W is W and cache.b is b


def test_gradients_pass_a_numerical_check(rng):
    X, W, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    G = rng.standard_normal((4, 2))  # L = sum(G * out), so dL/dout = G

    def loss():
        return float(np.sum(G * linear_forward(X, W, b)[0]))

    dX, dW, db = linear_backward(G, linear_forward(X, W, b)[1])
    for param, grad in ((X, dX), (W, dW), (b, db)):
        result = gradient_check(lambda _: loss(), param, grad)
        assert result.ok, str(result)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 5), d=st.integers(1, 5), h=st.integers(1, 5),
       seed=st.integers(0, 2**32 - 1))
def test_random_shapes_match_torch(torch, assert_close, n, d, h, seed):
    rng = np.random.default_rng(seed)
    X, W = rng.standard_normal((n, d)), rng.standard_normal((h, d))
    b, dout = rng.standard_normal(h), rng.standard_normal((n, h))
    expected = torch_linear(torch, X, W, b, dout)
    out, cache = linear_forward(X, W, b)
    for ours, reference in zip((out, *linear_backward(dout, cache)), expected):
        assert_close(ours, reference)


def test_mixed_dtypes_promote_to_float64(rng):
    X = rng.standard_normal((2, 3)).astype(np.float32)
    W = rng.standard_normal((4, 3))
    out, cache = linear_forward(X, W, np.zeros(4, dtype=np.float32))
    assert out.dtype == np.float64
    assert all(g.dtype == np.float64 for g in linear_backward(np.ones((2, 4)), cache))


def test_feature_mismatch_names_both_shapes(bilingual_error):
    X, W, b = np.zeros((2, 5)), np.zeros((3, 4)), np.zeros(3)
    bilingual_error(CourseValueError, lambda: linear_forward(X, W, b),
                    en=["X has 5 features but W expects 4",
                        "(W has shape (3, 4) = (out_features, in_features)", "(2, 5)"],
                    zh=["X 有 5 个特征", "W 需要 4 个", "(3, 4)", "(out_features, in_features)"])


def test_transposed_weights_get_a_hint(bilingual_error):
    X, W = np.zeros((2, 4)), np.zeros((4, 3))
    bilingual_error(CourseValueError, lambda: linear_forward(X, W, np.zeros(3)),
                    en=["W looks transposed", "W.T"], zh=["转置", "W.T"])


def test_other_shape_errors(bilingual_error):
    W = np.zeros((3, 4))
    bilingual_error(CourseValueError, lambda: linear_forward(np.zeros(4), W, np.zeros(3)),
                    en=["X", "(N, D)", "X.reshape(1, -1)"], zh=["X", "(N, D)", "X.reshape(1, -1)"])
    bilingual_error(CourseValueError, lambda: linear_forward(np.zeros((2, 4)), np.zeros(4), None),
                    en=["W", "(H, D)", "(4,)"], zh=["W", "(H, D)", "(4,)"])
    bilingual_error(CourseValueError, lambda: linear_forward(np.zeros((2, 4)), W, np.zeros(4)),
                    en=["b", "(3,)", "(4,)"], zh=["b", "(3,)", "(4,)"])
    bilingual_error(CourseValueError, lambda: linear_forward(np.zeros((0, 4)), W, np.zeros(3)),
                    en=["X", "empty"], zh=["X", "空"])
    bilingual_error(CourseTypeError, lambda: linear_forward(np.zeros((2, 4), dtype=bool), W, None),
                    en=["X", "boolean"], zh=["X", "布尔"])


def test_backward_errors(bilingual_error):
    _, cache = linear_forward(np.zeros((2, 4)), np.zeros((3, 4)), np.zeros(3))
    bilingual_error(CourseValueError, lambda: linear_backward(np.zeros((2, 4)), cache),
                    en=["dout", "(2, 3)", "(2, 4)"], zh=["dout", "(2, 3)", "(2, 4)"])
    bilingual_error(CourseTypeError, lambda: linear_backward(np.zeros((2, 3)), "cache"),
                    en=["cache", "linear_forward"], zh=["cache", "linear_forward"])


def test_docstring_examples(run_doctests):
    import mlp_course.nn.layers as module
    assert run_doctests(module) >= 3
