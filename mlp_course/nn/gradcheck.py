r"""Gradient checking: compare an analytic gradient with centred finite differences.

梯度检验：把解析梯度与中心差分得到的数值梯度作比较。

.. math::
    \frac{\partial f}{\partial x_k} \approx
    \frac{f(x + h e_k) - f(x - h e_k)}{2h}

The centred difference has error :math:`O(h^2)`, so with ``h = 1e-5`` in
float64 a correct gradient agrees to about 1e-8 or better, while a
mistake (a missing term, a wrong sign, a transposed matrix) shows up as a
relative error near 1.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ..i18n import CourseTypeError, CourseValueError, Message
from .validation import as_float_array, check_positive_number, check_same_shape, describe

__all__ = ["numerical_gradient", "rel_error", "gradient_check", "GradientCheckResult"]


def _scalar_value(value) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    try:
        arr = np.asarray(value)
    except Exception:  # e.g. a tensor that still requires grad
        arr = None
    if arr is not None and arr.shape == () and arr.dtype.kind in "iuf":
        return float(arr)
    raise CourseTypeError(
        zh="函数 f 应返回一个实数（标量损失），收到的是 {got}。"
           "如果它返回数组，请先求和或取平均。",
        en="f must return a single real number (a scalar loss), got {got}. "
           "If it returns an array, sum or average it first.",
        got=describe(value))


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    r"""Estimate the gradient of a scalar function by nudging each entry of ``x`` both ways.

    把 ``x`` 的每个元素分别向两侧微调，估计标量函数的梯度。

    .. math::
        g_k = \frac{f(x + h e_k) - f(x - h e_k)}{2h}

    ``x`` is changed in place while ``f`` is evaluated (so ``f`` may read
    it through a closure, e.g. a weight matrix of a model) and is restored
    exactly afterwards, even if ``f`` raises.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a real number.
    x : numpy.ndarray, any shape, float64
        The point. It must be a writable float64 array: float32 rounding
        (about 1e-7) would swamp differences of size ``h``.
    h : float, default 1e-5
        Step size.

    Returns
    -------
    numpy.ndarray, same shape as ``x``, float64

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> numerical_gradient(lambda v: float(np.sum(v ** 2)), x).round(6)
    array([2., 4.])
    """
    if not callable(f):
        raise CourseTypeError(
            zh="参数 f 应为一个函数（输入数组、返回一个数），收到的是 {got}。",
            en="f must be a function (array in, number out), got {got}.",
            got=describe(f))
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise CourseTypeError(
            zh="参数 x 应为 float64 的 numpy 数组（会被原地微调后复原），收到的是 {got}。"
               "请用 x = np.asarray(x, dtype=np.float64) 转换后再传入。",
            en="x must be a float64 numpy array (it is nudged in place and restored), "
               "got {got}. Convert it first: x = np.asarray(x, dtype=np.float64).",
            got=describe(x))
    if not x.flags.writeable:
        raise CourseValueError(
            zh="参数 x 是只读数组，无法原地微调；请传入 x.copy()。",
            en="x is read-only and cannot be nudged in place; pass x.copy().")
    if x.size == 0:
        raise CourseValueError(
            zh="参数 x 是空数组（{got}），没有可求导的元素。",
            en="x is empty ({got}); there is nothing to differentiate.",
            got=describe(x))
    h = check_positive_number(h, "h")
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + h
            f_plus = _scalar_value(f(x))
            x[index] = original - h
            f_minus = _scalar_value(f(x))
        finally:
            x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b) -> float:
    r"""Relative error between two arrays, as one number: largest difference over largest size.

    两个数组之间的相对误差（一个数）：最大差值除以最大量级。

    .. math::
        \mathrm{rel\_error}(a, b) = \frac{\max_k |a_k - b_k|}
        {\max\bigl(\max_k (|a_k| + |b_k|),\ \text{tiny}\bigr)}

    where tiny is the smallest positive float64, so two all-zero arrays give
    0 instead of 0/0. Dividing by the largest magnitude of the whole array
    (rather than entry by entry) keeps entries that are both nearly zero,
    where finite differences are pure noise, from dominating. The value is
    at most 1; about 1e-7 or less means "agree", near 1 means "unrelated".

    Parameters
    ----------
    a, b : array_like, same shape

    Returns
    -------
    float
        ``nan`` if either array contains nan.

    Examples
    --------
    >>> rel_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> rel_error([1.0], [-1.0])
    1.0
    """
    a = as_float_array(a, "a").astype(np.float64, copy=False)
    b = as_float_array(b, "b").astype(np.float64, copy=False)
    check_same_shape(a, b, "a", "b")
    with np.errstate(invalid="ignore"):
        scale = float(np.max(np.abs(a) + np.abs(b)))
        diff = float(np.max(np.abs(a - b)))
    if np.isnan(scale) or np.isnan(diff):
        return float("nan")
    if np.isinf(diff):
        return float("inf") if not np.isinf(scale) else 1.0
    return diff / max(scale, np.finfo(np.float64).tiny)


@dataclass
class GradientCheckResult:
    """The outcome of :func:`gradient_check`, printable in the active language.

    :func:`gradient_check` 的结果，按当前语言打印。

    Attributes
    ----------
    ok : bool
        ``max_rel_error <= tol``.
    max_rel_error : float
        :func:`rel_error` of the numeric and analytic gradients.
    worst_index : tuple of int
        Where :math:`|g_{\\text{numeric}} - g_{\\text{analytic}}|` is largest.
    numeric_value, analytic_value : float
        The two gradients at ``worst_index``.
    tol : float
        The tolerance used.
    numeric, analytic : numpy.ndarray
        The full gradients, for a closer look.
    """

    ok: bool
    max_rel_error: float
    worst_index: tuple
    numeric_value: float
    analytic_value: float
    tol: float
    numeric: np.ndarray = field(repr=False)
    analytic: np.ndarray = field(repr=False)

    def message(self) -> Message:
        """The report as a bilingual :class:`~mlp_course.i18n.Message`.  双语报告。"""
        fields = dict(err=self.max_rel_error, tol=self.tol, idx=self.worst_index,
                      num=self.numeric_value, ana=self.analytic_value)
        if self.ok:
            return Message(
                zh="梯度检验通过：相对误差 {err:.2e} <= 容差 {tol:.0e}。"
                   "（差别最大处 {idx}：数值梯度 {num:.6g}，解析梯度 {ana:.6g}）",
                en="Gradient check passed: relative error {err:.2e} <= tolerance "
                   "{tol:.0e}. (Largest difference at {idx}: numeric {num:.6g}, "
                   "analytic {ana:.6g})",
                **fields)
        return Message(
            zh="梯度检验未通过：相对误差 {err:.2e} > 容差 {tol:.0e}。"
               "差别最大处 {idx}：数值梯度 {num:.6g}，解析梯度 {ana:.6g}。"
               "请检查这个元素对应的求导步骤（符号、缺项、转置、除以 N）。",
            en="Gradient check FAILED: relative error {err:.2e} > tolerance {tol:.0e}. "
               "Largest difference at {idx}: numeric {num:.6g}, analytic {ana:.6g}. "
               "Check the derivative step behind this entry (sign, missing term, "
               "transpose, division by N).",
            **fields)

    def report(self, lang: str | None = None) -> str:
        """The report as text, in ``lang`` or the active language.  报告文本。"""
        return self.message().render(lang)

    def __str__(self) -> str:
        return self.report()


def gradient_check(f, x: np.ndarray, analytic_grad, h: float = 1e-5,
                   tol: float = 1e-6) -> GradientCheckResult:
    r"""Check an analytic gradient of ``f`` at ``x`` against finite differences.

    在 ``x`` 处用有限差分检验 ``f`` 的解析梯度。

    .. math::
        \mathrm{rel\_error}\bigl(g_{\text{numeric}}, g_{\text{analytic}}\bigr) \le \mathrm{tol}

    Parameters
    ----------
    f : callable
        Scalar function of ``x``.
    x : numpy.ndarray, float64
        The point (nudged in place and restored; see :func:`numerical_gradient`).
    analytic_grad : array_like or callable
        The gradient to check, same shape as ``x``, or a function ``x -> gradient``.
    h : float, default 1e-5
    tol : float, default 1e-6

    Returns
    -------
    GradientCheckResult
        ``result.ok`` says whether it passed; ``print(result)`` explains.

    Examples
    --------
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> gradient_check(lambda v: float(np.sum(v ** 3)), x, 3 * x ** 2).ok
    True
    >>> gradient_check(lambda v: float(np.sum(v ** 3)), x, 2 * x ** 2).ok
    False
    """
    tol = check_positive_number(tol, "tol")
    numeric = numerical_gradient(f, x, h)
    analytic = analytic_grad(x.copy()) if callable(analytic_grad) else analytic_grad
    analytic = as_float_array(analytic, "analytic_grad").astype(np.float64, copy=False)
    check_same_shape(analytic, x, "analytic_grad", "x")
    with np.errstate(invalid="ignore"):
        diff = np.abs(numeric - analytic)
    # nan differences count as the worst of all.
    worst_flat = int(np.argmax(np.where(np.isnan(diff), np.inf, diff)))
    worst = tuple(int(i) for i in np.unravel_index(worst_flat, x.shape))
    error = rel_error(numeric, analytic)
    return GradientCheckResult(
        ok=bool(error <= tol), max_rel_error=error, worst_index=worst,
        numeric_value=float(numeric[worst]), analytic_value=float(analytic[worst]),
        tol=tol, numeric=numeric, analytic=analytic)
