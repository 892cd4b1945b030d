r"""The fully connected (linear) layer, forward and backward.

全连接（线性）层的前向与反向传播。

Weights are stored as in ``torch.nn.Linear``: ``W`` has shape
(out_features, in_features) = (H, D), so a batch ``X`` of shape (N, D) maps to

.. math::
    Z = X W^\top + b \in \mathbb{R}^{N \times H}
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..i18n import CourseTypeError, CourseValueError
from .validation import as_float_array, describe

__all__ = ["linear_forward", "linear_backward", "LinearCache"]


# ---------------------------------------------------------------- fast paths

def _linear_forward(X: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    out = X @ W.T
    if b is not None:
        out += b
    return out


def _linear_backward(dout: np.ndarray, X: np.ndarray, W: np.ndarray):
    # Transposed views go straight to BLAS (no copies). db sums over the batch
    # because the same bias is added to every row; as 1^T dout it is a BLAS
    # matrix-vector product, 2-3x faster than dout.sum(axis=0).
    ones = np.ones(dout.shape[0], dtype=dout.dtype)
    return dout @ W, dout.T @ X, ones @ dout


# ---------------------------------------------------------------- public API

class LinearCache(NamedTuple):
    """What :func:`linear_backward` needs from the forward pass.  反向传播所需的前向量。"""

    X: np.ndarray
    W: np.ndarray
    b: np.ndarray | None


def _check_linear(X, W, b):
    X = as_float_array(X, "X")
    W = as_float_array(W, "W")
    if X.ndim != 2:
        hint_zh = "单个样本请写成 X.reshape(1, -1)。" if X.ndim == 1 else ""
        hint_en = " For a single example use X.reshape(1, -1)." if X.ndim == 1 else ""
        raise CourseValueError(
            zh="参数 X 应为形状 (N, D) 的二维数组（N 个样本，每个 D 个特征），收到的是 {got}。"
               + hint_zh,
            en="X must be a 2-D array of shape (N, D) (N examples with D features each), "
               "got {got}." + hint_en,
            got=describe(X))
    if W.ndim != 2:
        raise CourseValueError(
            zh="参数 W 应为形状 (H, D) = (out_features, in_features) 的二维数组，收到的是 {got}。",
            en="W must be a 2-D array of shape (H, D) = (out_features, in_features), "
               "got {got}.",
            got=describe(W))
    n_features, (out_features, in_features) = X.shape[1], W.shape
    if n_features != in_features:
        transposed = W.shape[0] == n_features
        hint_zh = "W 看起来是转置过的 (D, H)；本课程与 torch.nn.Linear 一样使用 (H, D)，可以试试 W.T。" \
            if transposed else ""
        hint_en = " W looks transposed, (D, H); this course uses (H, D) like " \
            "torch.nn.Linear, so try W.T." if transposed else ""
        raise CourseValueError(
            zh="X 有 {D} 个特征，但 W 需要 {in_features} 个（W 的形状是 {W_shape} = "
               "(out_features, in_features)；X 的形状是 {X_shape}）。" + hint_zh,
            en="X has {D} features but W expects {in_features} (W has shape {W_shape} = "
               "(out_features, in_features); X has shape {X_shape})." + hint_en,
            D=n_features, in_features=in_features, W_shape=tuple(W.shape),
            X_shape=tuple(X.shape))
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (out_features,):
            raise CourseValueError(
                zh="参数 b 的形状应为 ({H},)，与 W 的输出维度一致（W 的形状 {W_shape}），"
                   "收到的是 {b_shape}。",
                en="b must have shape ({H},), one bias per output of W (W has shape "
                   "{W_shape}), got shape {b_shape}.",
                H=out_features, W_shape=tuple(W.shape), b_shape=tuple(b.shape))
    # Mixed float32/float64 input is promoted to float64, as numpy would.
    dtype = np.result_type(X, W, *(() if b is None else (b,)))
    X, W = X.astype(dtype, copy=False), W.astype(dtype, copy=False)
    b = None if b is None else b.astype(dtype, copy=False)
    return X, W, b


def linear_forward(X, W, b):
    r"""Affine map of a batch: every row of X times :math:`W^\top`, plus the bias.

    对一批样本做仿射变换：X 的每一行乘以 :math:`W^\top` 再加偏置。

    .. math::
        Z = X W^\top + b, \qquad Z_{nh} = \sum_{d=1}^{D} X_{nd} W_{hd} + b_h

    Parameters
    ----------
    X : array_like, shape (N, D)
        A batch of N inputs with D features.
    W : array_like, shape (H, D)
        Weights, (out_features, in_features) as in ``torch.nn.Linear``.
    b : array_like, shape (H,), or None
        Bias (``None`` for a layer without bias).

    Returns
    -------
    out : numpy.ndarray, shape (N, H)
    cache : LinearCache
        ``(X, W, b)``, kept for :func:`linear_backward`.

    Examples
    --------
    >>> out, cache = linear_forward([[1.0, 2.0]], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 0.0, 1.0])
    >>> out
    array([[1., 2., 4.]])
    """
    X, W, b = _check_linear(X, W, b)
    return _linear_forward(X, W, b), LinearCache(X, W, b)


def linear_backward(dout, cache):
    r"""Gradients of the linear layer from the upstream gradient ``dout``.

    由上游梯度 ``dout`` 求线性层的各个梯度。

    .. math::
        \frac{\partial L}{\partial X} = G W, \qquad
        \frac{\partial L}{\partial W} = G^\top X, \qquad
        \frac{\partial L}{\partial b} = \sum_{n=1}^{N} G_{n,:}, \qquad
        G = \frac{\partial L}{\partial Z}

    Parameters
    ----------
    dout : array_like, shape (N, H)
        :math:`G = \partial L / \partial Z`.
    cache : LinearCache
        The second output of :func:`linear_forward`.

    Returns
    -------
    dX : numpy.ndarray, shape (N, D)
    dW : numpy.ndarray, shape (H, D)
    db : numpy.ndarray, shape (H,), or None when the layer has no bias

    Examples
    --------
    >>> out, cache = linear_forward([[1.0, 2.0]], [[3.0, 4.0]], [0.5])
    >>> dX, dW, db = linear_backward([[1.0]], cache)
    >>> dX, dW, db
    (array([[3., 4.]]), array([[1., 2.]]), array([1.]))
    """
    if not (isinstance(cache, tuple) and len(cache) == 3):
        raise CourseTypeError(
            zh="参数 cache 应为 linear_forward 返回的第二个值 (X, W, b)，收到的是 {got}。",
            en="cache must be the second value returned by linear_forward, (X, W, b); "
               "got {got}.",
            got=describe(cache))
    X, W, b = cache
    X, W, b = _check_linear(X, W, b)
    dout = as_float_array(dout, "dout")
    expected = (X.shape[0], W.shape[0])
    if dout.shape != expected:
        raise CourseValueError(
            zh="参数 dout 的形状应为 (N, H) = {expected}，与前向输出相同，收到的是 {got}。",
            en="dout must have shape (N, H) = {expected}, like the forward output; "
               "got {got}.",
            expected=expected, got=tuple(dout.shape))
    dtype = np.result_type(dout, X)
    dout, X, W = (a.astype(dtype, copy=False) for a in (dout, X, W))
    dX, dW, db = _linear_backward(dout, X, W)
    return dX, dW, (None if b is None else db)
