r"""Softmax and its relatives: log-softmax, log-sum-exp, one-hot, entropy, KL divergence.

Softmax 及其相关函数：log-softmax、log-sum-exp、one-hot、熵与 KL 散度。

All of them subtract the maximum before exponentiating, because
:math:`\mathrm{softmax}(z) = \mathrm{softmax}(z - c)` for any constant
:math:`c`, and :math:`e^{z - \max z} \le 1` never overflows. The output dtype
is the input dtype (float32 stays float32).

The functions with a leading underscore are the unchecked fast paths used by
the MLP's training loop; they assume a valid float32/float64 array.
"""

from __future__ import annotations

import numpy as np

from ..i18n import CourseValueError
from .validation import (as_float_array, as_labels, check_axis, check_integer,
                         check_positive_number, check_probabilities, check_same_shape)

__all__ = ["softmax", "log_softmax", "logsumexp", "one_hot", "entropy", "kl_divergence"]


# ---------------------------------------------------------------- fast paths

# The fast paths do not silence numpy's floating-point warnings: np.errstate
# costs about 2 us, as much as a whole softmax of a small batch. The public
# functions silence them where the special values are expected (-inf logits).

def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    # A row that is all -inf gives -inf - (-inf) = nan, which is what torch returns.
    e = z - z.max(axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = z - z.max(axis=axis, keepdims=True)
    # The sum is >= 1 (the max term is exp(0)), so its log never hits -inf.
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def _logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    m = z.max(axis=axis, keepdims=True)
    # An all -inf slice has max -inf; shifting by 0 instead keeps the answer -inf
    # (log 0) rather than nan, as torch.logsumexp does. Same for +inf.
    m = np.where(np.isfinite(m), m, 0).astype(z.dtype, copy=False)
    out = np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    out += m
    if not keepdims:
        out = out.squeeze(axis=axis)
    return out


# ---------------------------------------------------------------- public API

def softmax(z, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r"""Turn scores (logits) into probabilities that are positive and sum to 1.

    把分数（logits）变成为正且和为 1 的概率。

    .. math::
        \mathrm{softmax}(z)_i = \frac{e^{z_i / T}}{\sum_{j=1}^{C} e^{z_j / T}}

    computed as :math:`e^{z_i/T - m} / \sum_j e^{z_j/T - m}` with
    :math:`m = \max_j z_j/T`, so no exponential overflows.

    Parameters
    ----------
    z : array_like, shape (N, C) or (C,) or any shape
        Logits; ``-inf`` means probability 0.
    axis : int, default -1
        The class axis, along which the probabilities sum to 1.
    temperature : float, default 1.0
        :math:`T > 0`. Large T flattens the distribution, small T sharpens it.

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``
        A slice whose logits are all ``-inf`` has no distribution and gives
        ``nan``, as in PyTorch.

    Examples
    --------
    >>> softmax([0.0, 0.0])
    array([0.5, 0.5])
    >>> softmax([[1.0, 1.0, 1.0]]).sum(axis=1)
    array([1.])
    """
    z = as_float_array(z, "z", min_ndim=1)
    axis = check_axis(axis, z.ndim)
    temperature = check_positive_number(temperature, "temperature")
    if temperature != 1.0:
        z = z / z.dtype.type(temperature)
    with np.errstate(invalid="ignore"):
        return _softmax(z, axis=axis)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    r"""The logarithm of the softmax, computed without ever forming the softmax.

    softmax 的对数；不先算 softmax 再取对数，因而不会出现 log 0。

    .. math::
        \log \mathrm{softmax}(z)_i = z_i - \log \sum_{j=1}^{C} e^{z_j}
        = (z_i - m) - \log \sum_j e^{z_j - m}, \quad m = \max_j z_j

    Parameters
    ----------
    z : array_like, shape (N, C) or (C,)
        Logits.
    axis : int, default -1
        The class axis.

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``
        All entries are :math:`\le 0`. An all ``-inf`` slice gives ``nan``,
        as in PyTorch.

    Examples
    --------
    >>> log_softmax([0.0, 0.0])
    array([-0.69314718, -0.69314718])
    """
    z = as_float_array(z, "z", min_ndim=1)
    axis = check_axis(axis, z.ndim)
    with np.errstate(invalid="ignore"):
        return _log_softmax(z, axis=axis)


def logsumexp(z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""The log of a sum of exponentials, a smooth maximum: :math:`\log\sum_j e^{z_j}`.

    指数和的对数，一个"平滑的最大值"：:math:`\log\sum_j e^{z_j}`。

    .. math::
        \mathrm{logsumexp}(z) = m + \log \sum_{j} e^{z_j - m}, \quad m = \max_j z_j

    Parameters
    ----------
    z : array_like, shape (N, C) or (C,)
    axis : int, default -1
        The axis that is summed over.
    keepdims : bool, default False
        Keep the summed axis with length 1 (handy for broadcasting).

    Returns
    -------
    numpy.ndarray, shape (N,) (or (N, 1) with ``keepdims``), dtype of ``z``
        An all ``-inf`` slice gives ``-inf`` (the log of 0), as in PyTorch.

    Examples
    --------
    >>> float(logsumexp([0.0, 0.0]))  # log 2
    0.6931471805599453
    >>> float(logsumexp([1e4, 1e4]))  # no overflow
    10000.69314718056
    """
    z = as_float_array(z, "z", min_ndim=1)
    axis = check_axis(axis, z.ndim)
    with np.errstate(divide="ignore"):
        return _logsumexp(z, axis=axis, keepdims=bool(keepdims))


def one_hot(y, num_classes: int, dtype=np.float64) -> np.ndarray:
    r"""Encode class indices as one-hot rows: row i has a 1 in column ``y[i]``.

    把类别索引编码成 one-hot 行：第 i 行只在第 ``y[i]`` 列为 1。

    .. math::
        Y_{ic} = [\, y_i = c \,] \quad (1 \text{ if } y_i = c \text{ else } 0)

    Parameters
    ----------
    y : array_like of int, shape (N,) or scalar
        Labels with ``0 <= y[i] < C``.
    num_classes : int
        C, the number of classes.
    dtype : numpy dtype, default float64
        A float dtype, so the result can be used directly as a target
        distribution (``torch.nn.functional.one_hot`` returns int64).

    Returns
    -------
    numpy.ndarray, shape (N, C) (or (C,) for a scalar label)

    Examples
    --------
    >>> one_hot([2, 0], num_classes=3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    num_classes = check_integer(num_classes, "num_classes", minimum=1)
    labels = as_labels(y, "y", num_classes=num_classes, ndim=None)
    if labels.ndim > 1:
        raise CourseValueError(
            zh="参数 y 应为标量或一维标签数组，收到的是 {ndim} 维（形状 {shape}）。",
            en="y must be a scalar or a 1-D array of labels, got {ndim}-D (shape {shape}).",
            ndim=labels.ndim, shape=tuple(labels.shape))
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise CourseValueError(
            zh="参数 dtype 应为浮点类型（如 np.float64），收到的是 {got}。",
            en="dtype must be a floating type (such as np.float64), got {got}.",
            got=str(dtype))
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x * log(y) with 0 * log(anything) = 0, computed without warnings."""
    out = np.zeros(np.broadcast(x, y).shape, dtype=np.result_type(x, y))
    positive = x > 0
    with np.errstate(divide="ignore"):
        np.multiply(x, np.log(y, where=positive, out=np.zeros_like(out)), out=out,
                    where=positive)
    return out


def entropy(p, axis: int = -1) -> np.ndarray:
    r"""The Shannon entropy of a distribution, in nats: the average surprise :math:`-\log p`.

    分布的香农熵（单位：奈特），即"意外程度" :math:`-\log p` 的平均值。

    .. math::
        H(p) = -\sum_{i=1}^{C} p_i \log p_i, \qquad 0 \log 0 = 0

    Parameters
    ----------
    p : array_like, shape (N, C) or (C,)
        Probabilities: non-negative, summing to 1 along ``axis``.
    axis : int, default -1

    Returns
    -------
    numpy.ndarray, shape (N,) (or a 0-d array for a single distribution)
        Between 0 (certain) and :math:`\log C` (uniform).

    Examples
    --------
    >>> float(entropy([0.5, 0.5]))  # log 2
    0.6931471805599453
    >>> float(entropy([1.0, 0.0]))
    0.0
    """
    p = check_probabilities(p, "p", axis=axis)
    axis = check_axis(axis, p.ndim)
    # + 0.0 turns the -0.0 of a certain outcome into 0.0.
    return -_xlogy(p, p).sum(axis=axis) + 0.0


def kl_divergence(p, q, axis: int = -1) -> np.ndarray:
    r"""How many extra nats it costs to code samples of ``p`` with a code built for ``q``.

    KL 散度：用为 ``q`` 设计的编码去编码来自 ``p`` 的样本时，平均多花的奈特数。

    .. math::
        D_{\mathrm{KL}}(p \,\|\, q) = \sum_{i=1}^{C} p_i \log \frac{p_i}{q_i}
        = \underbrace{-\sum_i p_i \log q_i}_{\text{cross-entropy}} - H(p)

    with :math:`0 \log (0/q) = 0`, and :math:`+\infty` wherever
    :math:`p_i > 0` but :math:`q_i = 0`. Note the argument order: the true
    distribution first (``torch.nn.functional.kl_div`` takes ``log q`` first).

    Parameters
    ----------
    p, q : array_like, shape (N, C) or (C,)
        Probability distributions along ``axis``, of the same shape.
    axis : int, default -1

    Returns
    -------
    numpy.ndarray, shape (N,) (or 0-d)
        Non-negative; 0 exactly when ``p == q``.

    Examples
    --------
    >>> float(kl_divergence([0.5, 0.5], [0.5, 0.5]))
    0.0
    >>> float(kl_divergence([1.0, 0.0], [0.0, 1.0]))
    inf
    """
    p = check_probabilities(p, "p", axis=axis)
    q = check_probabilities(q, "q", axis=axis)
    check_same_shape(p, q, "p", "q")
    axis = check_axis(axis, p.ndim)
    dtype = np.result_type(p, q)
    p, q = p.astype(dtype, copy=False), q.astype(dtype, copy=False)
    # Rounding can leave -1e-17 where p == q; KL is never negative.
    return np.maximum((_xlogy(p, p) - _xlogy(p, q)).sum(axis=axis), 0)
