r"""Activation functions and their derivatives: ReLU, sigmoid, tanh.

激活函数及其导数：ReLU、sigmoid、tanh。

Each ``*_backward(dout, z)`` takes the upstream gradient
:math:`\partial L / \partial a` and the pre-activation :math:`z` (what the
forward pass received) and returns :math:`\partial L / \partial z =
\partial L / \partial a \odot f'(z)`. Forward and backward sit next to each
other, and the unchecked fast paths (leading underscore) are collected in
:data:`FORWARD` and :data:`BACKWARD` for the MLP.
"""

from __future__ import annotations

import numpy as np

from .validation import as_float_array, check_activation, check_same_shape

__all__ = ["relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
           "activation_forward", "activation_backward", "FORWARD", "BACKWARD"]


# ---------------------------------------------------------------- fast paths

_ZERO_ROWS: dict = {}


def _zero_row(z: np.ndarray) -> np.ndarray:
    # np.maximum against an array of zeros broadcast along the rows runs 2-3x
    # faster than against the scalar 0 (numpy's vectorised array-array loop).
    key = (z.dtype.str, z.shape[-1])
    row = _ZERO_ROWS.get(key)
    if row is None:
        if len(_ZERO_ROWS) > 64:
            _ZERO_ROWS.clear()
        row = _ZERO_ROWS[key] = np.zeros(z.shape[-1], dtype=z.dtype)
        row.flags.writeable = False
    return row


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, _zero_row(z))


def _relu_backward(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    # Derivative 0 at z == 0, the convention PyTorch uses. Multiplying by the
    # boolean mask is branch-free; np.where is ~10x slower on random signs.
    return np.multiply(dout, z > 0)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 1/(1+exp(-z)) is accurate in both tails; for z < -88 (float32) or -709
    # (float64) exp(-z) overflows to inf and the result is the correct limit 0,
    # so the overflow warning is silenced rather than avoided.
    with np.errstate(over="ignore"):
        out = np.negative(z)
        np.exp(out, out=out)
    out += 1
    np.divide(1, out, out=out)
    return out


def _sigmoid_backward(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    # sigma'(z) = sigma(z) sigma(-z) = e / (1+e)^2 with e = exp(-|z|): accurate in
    # both tails, where sigma(1 - sigma) loses the upper one to rounding.
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = e + 1
    d *= d
    e /= d
    e *= dout
    return e


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _tanh_backward(dout: np.ndarray, z: np.ndarray) -> np.ndarray:
    t = np.tanh(z)
    t *= t
    np.subtract(1, t, out=t)
    t *= dout
    return t


FORWARD = {"relu": _relu, "sigmoid": _sigmoid, "tanh": _tanh}
BACKWARD = {"relu": _relu_backward, "sigmoid": _sigmoid_backward, "tanh": _tanh_backward}


# ---------------------------------------------------------------- public API

def _elementwise(fast, *arrays):
    # The fast paths write into their temporaries with out=, which needs real
    # arrays; numpy turns 0-d arrays into scalars, so lift them to 1-D and back.
    if arrays[0].ndim == 0:
        return fast(*(a.reshape(1) for a in arrays)).reshape(())
    return fast(*arrays)


def _checked_forward(fast, z):
    return _elementwise(fast, as_float_array(z, "z"))


def _checked_backward(fast, dout, z):
    z = as_float_array(z, "z")
    dout = as_float_array(dout, "dout")
    check_same_shape(dout, z, "dout", "z")
    dtype = np.result_type(dout, z)
    return _elementwise(fast, dout.astype(dtype, copy=False), z.astype(dtype, copy=False))


def relu(z) -> np.ndarray:
    r"""Rectified linear unit: keep positive values, replace negative ones by 0.

    线性整流函数：正数保留，负数变为 0。

    .. math::
        \mathrm{relu}(z) = \max(z, 0)

    Parameters
    ----------
    z : array_like, any shape, e.g. (N, H)

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    return _checked_forward(_relu, z)


def relu_backward(dout, z) -> np.ndarray:
    r"""Gradient through ReLU: pass ``dout`` where :math:`z > 0`, block it elsewhere.

    ReLU 的反向传播：:math:`z > 0` 处让梯度通过，其余处置 0。

    .. math::
        \frac{\partial L}{\partial z} = \frac{\partial L}{\partial a} \odot [z > 0]

    The derivative at exactly 0 is taken as 0, as in PyTorch.

    Parameters
    ----------
    dout : array_like, shape like ``z``
        Upstream gradient :math:`\partial L / \partial a`.
    z : array_like, e.g. (N, H)
        The input of the forward pass.

    Returns
    -------
    numpy.ndarray, same shape as ``z``

    Examples
    --------
    >>> relu_backward([1.0, 1.0, 1.0], [-1.0, 0.0, 2.0])
    array([0., 0., 1.])
    """
    return _checked_backward(_relu_backward, dout, z)


def sigmoid(z) -> np.ndarray:
    r"""Logistic sigmoid: squash any real number into (0, 1).

    逻辑 sigmoid：把任意实数压缩到 (0, 1)。

    .. math::
        \sigma(z) = \frac{1}{1 + e^{-z}}

    For very negative z, :math:`e^{-z}` overflows to ``inf`` and the result
    is the correct limit 0 (the warning is silenced), so ``z = ±1e4`` gives
    0 and 1 quietly.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Examples
    --------
    >>> sigmoid([0.0])
    array([0.5])
    >>> sigmoid([-1e4, 1e4])
    array([0., 1.])
    """
    return _checked_forward(_sigmoid, z)


def sigmoid_backward(dout, z) -> np.ndarray:
    r"""Gradient through the sigmoid.

    sigmoid 的反向传播。

    .. math::
        \frac{\partial L}{\partial z} = \frac{\partial L}{\partial a} \odot
        \sigma(z)\,\bigl(1 - \sigma(z)\bigr)

    Parameters
    ----------
    dout : array_like, shape like ``z``
    z : array_like
        The input of the forward pass (not the output).

    Returns
    -------
    numpy.ndarray, same shape as ``z``

    Examples
    --------
    >>> sigmoid_backward([1.0], [0.0])
    array([0.25])
    """
    return _checked_backward(_sigmoid_backward, dout, z)


def tanh(z) -> np.ndarray:
    r"""Hyperbolic tangent: squash any real number into (-1, 1).

    双曲正切：把任意实数压缩到 (-1, 1)。

    .. math::
        \tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Examples
    --------
    >>> tanh([0.0])
    array([0.])
    """
    return _checked_forward(_tanh, z)


def tanh_backward(dout, z) -> np.ndarray:
    r"""Gradient through tanh.

    tanh 的反向传播。

    .. math::
        \frac{\partial L}{\partial z} = \frac{\partial L}{\partial a} \odot
        \bigl(1 - \tanh^2(z)\bigr)

    Parameters
    ----------
    dout : array_like, shape like ``z``
    z : array_like
        The input of the forward pass.

    Returns
    -------
    numpy.ndarray, same shape as ``z``

    Examples
    --------
    >>> tanh_backward([2.0], [0.0])
    array([2.])
    """
    return _checked_backward(_tanh_backward, dout, z)


_PUBLIC_FORWARD = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}
_PUBLIC_BACKWARD = {"relu": relu_backward, "sigmoid": sigmoid_backward,
                    "tanh": tanh_backward}


def activation_forward(name: str, z) -> np.ndarray:
    r"""Apply the activation called ``name`` ("relu", "sigmoid" or "tanh").

    按名字（"relu"、"sigmoid" 或 "tanh"）应用激活函数。

    .. math::
        a = f_{\text{name}}(z)

    Parameters
    ----------
    name : {"relu", "sigmoid", "tanh"}
        Case and surrounding spaces are ignored.
    z : array_like, e.g. (N, H)

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``

    Examples
    --------
    >>> activation_forward("relu", [-1.0, 2.0])
    array([0., 2.])
    """
    return _PUBLIC_FORWARD[check_activation(name, "name")](z)


def activation_backward(name: str, dout, z) -> np.ndarray:
    r"""Backward pass of the activation called ``name``: :math:`dout \odot f'(z)`.

    按名字求激活函数的反向传播：:math:`dout \odot f'(z)`。

    .. math::
        \frac{\partial L}{\partial z} = \frac{\partial L}{\partial a} \odot f_{\text{name}}'(z)

    Parameters
    ----------
    name : {"relu", "sigmoid", "tanh"}
    dout : array_like, shape like ``z``
        Upstream gradient :math:`\partial L / \partial a`.
    z : array_like, e.g. (N, H)
        The input of the forward pass.

    Returns
    -------
    numpy.ndarray, same shape as ``z``

    Examples
    --------
    >>> activation_backward("relu", [1.0, 1.0], [-1.0, 2.0])
    array([0., 1.])
    """
    return _PUBLIC_BACKWARD[check_activation(name, "name")](dout, z)
