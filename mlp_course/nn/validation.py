"""Input checks that turn learner input into arrays or raise a clear bilingual error.

输入检查：把学习者给的输入变成数组，出错时给出清楚的中英文提示。

Every public function of the course calls these helpers first and the private
fast path second, so a mistake is reported where the learner made it (naming
the argument, what it was and what was expected) instead of deep inside numpy.

One rule, one checker: integer arguments (seeds, sizes, counts, indices) go
through :func:`check_integer`, activation names through :func:`check_activation`,
wherever the course takes them.

Dtype policy (documented once, used everywhere):

* ``float64`` and ``float32`` are kept as they are;
* Python numbers, lists and integer arrays become ``float64``;
* ``float16`` becomes ``float32`` (numpy has no fast float16 arithmetic and its
  precision is too low for the course's comparisons with PyTorch);
* ``bool``, complex, ``object`` and string data are rejected with
  :class:`~mlp_course.i18n.CourseTypeError`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..i18n import CourseTypeError, CourseValueError

__all__ = ["as_float_array", "check_axis", "as_labels", "check_same_rows",
           "check_same_shape", "check_probabilities", "check_reduction",
           "check_positive_number", "check_fraction", "check_integer", "check_activation",
           "check_float_dtype", "describe", "ACTIVATIONS"]

REDUCTIONS = ("mean", "sum", "none")
ACTIVATIONS = ("relu", "sigmoid", "tanh")


def describe(x) -> str:
    """A short description of a value for error messages: shape and dtype, or the value.

    用于错误信息的简短描述：数组给出形状和 dtype，其他值给出它本身。

    >>> describe(np.zeros((2, 3)))
    'shape (2, 3), dtype float64'
    >>> describe("abc")
    "'abc' (str)"
    """
    if isinstance(x, np.ndarray):
        return f"shape {tuple(x.shape)}, dtype {x.dtype}"
    shown = repr(x)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{shown} ({type(x).__name__})"


def _from_tensor(x):
    """A PyTorch tensor becomes its numpy array (same dtype), without importing torch."""
    if type(x).__module__.startswith("torch") and hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return x


def _reject_dtype(arr: np.ndarray, name: str, original) -> None:
    kind = arr.dtype.kind
    if kind == "b":
        raise CourseTypeError(
            zh="参数 {name} 应为实数数组，收到的是布尔数组（{got}）。"
               "如果你想把 True/False 当作 1/0，请先写 {name}.astype(float)。",
            en="{name} must hold real numbers, got a boolean array ({got}). "
               "To use True/False as 1/0, convert first: {name}.astype(float).",
            name=name, got=describe(arr))
    if kind == "c":
        raise CourseTypeError(
            zh="参数 {name} 应为实数数组，收到的是复数数组（{got}）。",
            en="{name} must hold real numbers, got a complex array ({got}).",
            name=name, got=describe(arr))
    if kind not in "iuf":
        raise CourseTypeError(
            zh="参数 {name} 应为数值数组（float32 或 float64），收到的是 {got}。",
            en="{name} must be a numeric array (float32 or float64), got {got}.",
            name=name, got=describe(original if not isinstance(original, np.ndarray)
                                    else arr))


def as_float_array(x, name: str, ndim: int | None = None, min_ndim: int | None = None,
                   allow_empty: bool = False) -> np.ndarray:
    """Turn ``x`` into a float32/float64 array, or raise a clear error naming ``name``.

    把 ``x`` 转成 float32/float64 数组；不合要求时抛出点名参数 ``name`` 的错误。

    Parameters
    ----------
    x : array_like
        Numbers, nested lists, a numpy array or a PyTorch tensor. float32 and
        float64 are kept (no copy); integers become float64; float16 becomes
        float32.
    name : str
        The argument's name as the learner wrote it, used in messages.
    ndim : int, optional
        Required number of dimensions.
    min_ndim : int, optional
        Minimum number of dimensions.
    allow_empty : bool, default False
        Whether an array with no elements is acceptable.

    Returns
    -------
    numpy.ndarray
        float32 or float64.

    Raises
    ------
    CourseTypeError
        bool, complex, object or string data.
    CourseValueError
        Wrong number of dimensions, ragged lists, or an empty array.

    Examples
    --------
    >>> as_float_array([1, 2, 3], "z")
    array([1., 2., 3.])
    >>> as_float_array(np.ones(2, dtype=np.float32), "z").dtype
    dtype('float32')
    """
    x = _from_tensor(x)
    if isinstance(x, np.ndarray) and x.dtype in (np.float64, np.float32):
        arr = x
    else:
        if isinstance(x, (str, bytes)):
            raise CourseTypeError(
                zh="参数 {name} 应为数值数组，收到的是字符串 {got}。",
                en="{name} must be a numeric array, got the string {got}.",
                name=name, got=repr(x)[:60])
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as err:
            raise CourseValueError(
                zh="参数 {name} 无法转换成数组：{reason}。嵌套列表的每一行必须一样长。",
                en="{name} could not be turned into an array: {reason}. "
                   "Every row of a nested list must have the same length.",
                name=name, reason=str(err).split("\n")[0]) from None
        _reject_dtype(arr, name, x)
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        elif arr.dtype not in (np.float64, np.float32):
            # integers, and exotic floats such as longdouble
            arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise CourseValueError(
            zh="参数 {name} 应为 {ndim} 维数组，收到的是 {got_ndim} 维（{got}）。",
            en="{name} must be a {ndim}-D array, got {got_ndim}-D ({got}).",
            name=name, ndim=ndim, got_ndim=arr.ndim, got=describe(arr))
    if min_ndim is not None and arr.ndim < min_ndim:
        raise CourseValueError(
            zh="参数 {name} 至少应为 {ndim} 维数组，收到的是 {got_ndim} 维（{got}）。",
            en="{name} must have at least {ndim} dimension(s), got {got_ndim} ({got}).",
            name=name, ndim=min_ndim, got_ndim=arr.ndim, got=describe(arr))
    if not allow_empty and arr.size == 0:
        raise CourseValueError(
            zh="参数 {name} 是空数组（{got}），至少需要一个元素；空的批量无法计算。",
            en="{name} is empty ({got}); at least one element is needed "
               "(an empty batch cannot be used).",
            name=name, got=describe(arr))
    return arr


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    r"""Check that ``axis`` is an integer valid for ``ndim`` dimensions; return it as non-negative.

    检查 ``axis`` 是否是对 ``ndim`` 维数组有效的整数，返回非负形式。

    Valid values satisfy :math:`-\mathrm{ndim} \le \mathrm{axis} < \mathrm{ndim}`.

    >>> check_axis(-1, 2)
    1
    """
    axis = check_integer(axis, name)
    if not -ndim <= axis < ndim:
        # the range depends on the array, so the message names its dimensions
        raise CourseValueError(
            zh="参数 {name}={axis} 超出范围：数组有 {ndim} 维，{name} 应在 {lo} 到 {hi} 之间。",
            en="{name}={axis} is out of range for an array with {ndim} dimension(s); "
               "expected {lo} <= {name} <= {hi}.",
            name=name, axis=axis, ndim=ndim, lo=-ndim, hi=ndim - 1)
    return axis % ndim


def as_labels(y, name: str, num_classes: int, n: int | None = None,
              ignore_index: int | None = None, ndim: int | None = 1) -> np.ndarray:
    """Check class labels: integers with ``0 <= y < num_classes`` (or ``ignore_index``).

    检查类别标签：必须是整数，且 ``0 <= y < num_classes``（或等于 ``ignore_index``）。

    Parameters
    ----------
    y : array_like of int, shape (N,)
        ``y[i] = c`` means example ``i`` belongs to class ``c``.
    name : str
        The argument's name, used in messages.
    num_classes : int
        C, the number of classes.
    n : int, optional
        Required number of labels (the batch size N).
    ignore_index : int, optional
        A label value that is allowed even outside ``[0, C)``.
    ndim : int or None, default 1
        Required number of dimensions (``None``: any).

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> as_labels([0, 2, 1], "y", num_classes=3)
    array([0, 2, 1])
    """
    y = _from_tensor(y)
    if isinstance(y, (str, bytes)):
        raise CourseTypeError(
            zh="参数 {name} 应为整数类别标签，收到的是字符串 {got}。",
            en="{name} must hold integer class labels, got the string {got}.",
            name=name, got=repr(y)[:60])
    try:
        arr = np.asarray(y)
    except (ValueError, TypeError) as err:
        raise CourseValueError(
            zh="参数 {name} 无法转换成数组：{reason}。",
            en="{name} could not be turned into an array: {reason}.",
            name=name, reason=str(err).split("\n")[0]) from None
    kind = arr.dtype.kind
    if kind == "f":
        whole = bool(arr.size) and bool(np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))
        hint_zh = "这些值都是整数形式的浮点数，请用 {name}.astype(int) 转换。" if whole else ""
        hint_en = "They look whole; convert with {name}.astype(int). " if whole else ""
        raise CourseTypeError(
            zh="参数 {name} 应为整数类别索引（如 0, 1, 2），收到的是浮点数组（{got}）。"
               + hint_zh + "如果你的目标是概率分布，它的形状应与 logits 相同 (N, C)。",
            en="{name} must be integer class indices (like 0, 1, 2), got a float array "
               "({got}). " + hint_en + "If your targets are probability distributions, "
               "they must have the same shape as the logits, (N, C).",
            name=name, got=describe(arr))
    if kind not in "iu":
        raise CourseTypeError(
            zh="参数 {name} 应为整数类别索引，收到的是 {got}。",
            en="{name} must be integer class indices, got {got}.",
            name=name, got=describe(arr))
    if ndim is not None and arr.ndim != ndim:
        raise CourseValueError(
            zh="参数 {name} 应为 {ndim} 维的标签数组，收到的是 {got_ndim} 维（{got}）。",
            en="{name} must be a {ndim}-D array of labels, got {got_ndim}-D ({got}).",
            name=name, ndim=ndim, got_ndim=arr.ndim, got=describe(arr))
    if n is not None and arr.ndim >= 1 and arr.shape[0] != n:
        raise CourseValueError(
            zh="参数 {name} 有 {got_n} 个标签，但批量中有 N={n} 个样本；两者必须一致。",
            en="{name} has {got_n} labels but the batch has N={n} examples; they must match.",
            name=name, got_n=arr.shape[0], n=n)
    arr = arr.astype(np.int64, copy=False)
    if arr.size:
        valid = (arr >= 0) & (arr < num_classes)
        if ignore_index is not None:
            valid |= arr == ignore_index
        if not valid.all():
            bad_pos = np.argwhere(~valid)[0]
            bad = int(arr[tuple(bad_pos)])
            extra_zh = "（或 ignore_index={ignore}）" if ignore_index is not None else ""
            extra_en = " (or ignore_index={ignore})" if ignore_index is not None else ""
            raise CourseValueError(
                zh="参数 {name} 中有超出范围的标签 {bad}（位置 {pos}）：类别数 C={C}，"
                   "标签应满足 0 <= 标签 < {C}" + extra_zh + "。",
                en="{name} has a label out of range: {bad} at position {pos}; with "
                   "C={C} classes a label must satisfy 0 <= label < {C}" + extra_en + ".",
                name=name, bad=bad, pos=tuple(int(i) for i in bad_pos), C=num_classes,
                ignore=ignore_index)
    return arr


def check_same_rows(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Check that two arrays have the same number of rows (the batch size N).

    检查两个数组的行数（批大小 N）是否相同。

    Parameters
    ----------
    a, b : numpy.ndarray, shapes (N, ...) and (N, ...)
    name_a, name_b : str
        Argument names for the message.

    Examples
    --------
    >>> check_same_rows(np.zeros((3, 2)), np.zeros(3), "X", "y")  # fine: N = 3
    """
    if a.shape[:1] != b.shape[:1]:
        raise CourseValueError(
            zh="{name_a} 有 {n_a} 行，{name_b} 有 {n_b} 行；它们的批大小 N 必须相同"
               "（{name_a}: {shape_a}，{name_b}: {shape_b}）。",
            en="{name_a} has {n_a} rows but {name_b} has {n_b}; the batch size N must "
               "match ({name_a}: {shape_a}, {name_b}: {shape_b}).",
            name_a=name_a, name_b=name_b, n_a=a.shape[0] if a.ndim else "no",
            n_b=b.shape[0] if b.ndim else "no",
            shape_a=tuple(a.shape), shape_b=tuple(b.shape))


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Check that two arrays have the same shape.

    检查两个数组形状是否相同。

    >>> check_same_shape(np.zeros(2), np.ones(2), "dout", "z")
    """
    if a.shape != b.shape:
        raise CourseValueError(
            zh="{name_a} 的形状是 {shape_a}，{name_b} 的形状是 {shape_b}；两者必须相同。",
            en="{name_a} has shape {shape_a} but {name_b} has shape {shape_b}; "
               "they must be the same.",
            name_a=name_a, name_b=name_b, shape_a=tuple(a.shape), shape_b=tuple(b.shape))


def probability_tolerance(dtype) -> float:
    """How far a sum of probabilities may drift from 1: ``sqrt(eps)`` of the dtype, at least 1e-6.

    概率之和允许偏离 1 的幅度：dtype 机器精度的平方根，但不小于 1e-6
    （float64 为 1e-6，float32 约 3.5e-4）。The floor lets float32
    probabilities converted to float64 still pass.

    >>> probability_tolerance(np.float64)
    1e-06
    """
    return max(float(np.sqrt(np.finfo(dtype).eps)), 1e-6)


def check_probabilities(p, name: str, axis: int = -1) -> np.ndarray:
    """Check that ``p`` holds probability distributions along ``axis``.

    检查 ``p`` 沿 ``axis`` 是否为概率分布：非负、有限、和为 1。

    Each slice along ``axis`` must be non-negative, finite, and sum to 1 within
    :func:`probability_tolerance` (1e-6 for float64, about 3.5e-4 for
    float32, so a softmax output passes while ``[0.3, 0.3, 0.3]`` does not).

    Returns
    -------
    numpy.ndarray
        ``p`` as a float array.

    Examples
    --------
    >>> check_probabilities([0.25, 0.75], "p")
    array([0.25, 0.75])
    """
    arr = as_float_array(p, name, min_ndim=1)
    axis = check_axis(axis, arr.ndim)
    if not np.all(np.isfinite(arr)):
        raise CourseValueError(
            zh="参数 {name} 含有 nan 或 inf，不是概率分布（{got}）。",
            en="{name} contains nan or inf, so it is not a probability distribution ({got}).",
            name=name, got=describe(arr))
    if np.any(arr < 0):
        where = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise CourseValueError(
            zh="参数 {name} 中有负数 {value}（位置 {pos}）；概率必须非负。",
            en="{name} has a negative entry {value} at position {pos}; "
               "probabilities must be non-negative.",
            name=name, value=float(arr[where]), pos=where)
    sums = arr.sum(axis=axis, dtype=np.float64)
    tol = probability_tolerance(arr.dtype) * max(1.0, np.sqrt(arr.shape[axis]) / 10)
    off = np.abs(sums - 1.0) > tol
    if np.any(off):
        if sums.ndim == 0:
            raise CourseValueError(
                zh="参数 {name} 的和应为 1，实际是 {total:.10g}（允许误差 {tol:.1e}）。",
                en="{name} must sum to 1, but it sums to {total:.10g} (tolerance {tol:.1e}).",
                name=name, total=float(sums), tol=tol)
        where = tuple(int(i) for i in np.argwhere(off)[0])
        raise CourseValueError(
            zh="参数 {name} 沿 axis={axis} 的和应为 1，但位置 {pos} 处的和是 {total:.10g}"
               "（允许误差 {tol:.1e}）。",
            en="{name} must sum to 1 along axis={axis}, but the slice at {pos} sums to "
               "{total:.10g} (tolerance {tol:.1e}).",
            name=name, axis=axis, pos=where, total=float(sums[where]), tol=tol)
    return arr


def check_reduction(reduction) -> str:
    """Check ``reduction`` is one of ``"mean"``, ``"sum"``, ``"none"``.

    检查 ``reduction`` 是否为 ``"mean"``、``"sum"`` 或 ``"none"``。

    >>> check_reduction("sum")
    'sum'
    """
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise CourseValueError(
            zh="参数 reduction 应为 'mean'、'sum' 或 'none' 之一，收到的是 {got}。",
            en="reduction must be one of 'mean', 'sum' or 'none', got {got}.",
            got=repr(reduction))
    return reduction


def _as_real_scalar(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray)):
        raise CourseTypeError(
            zh="参数 {name} 应为一个实数，收到的是 {got}。",
            en="{name} must be a real number, got {got}.",
            name=name, got=describe(value))
    if isinstance(value, np.ndarray):
        if value.shape != () or value.dtype.kind not in "iuf":
            raise CourseTypeError(
                zh="参数 {name} 应为一个实数，收到的是 {got}。",
                en="{name} must be a real number, got {got}.",
                name=name, got=describe(value))
        value = value.item()
    return float(value)


def check_positive_number(value, name: str) -> float:
    """Check ``value`` is a finite real number > 0; return it as float.

    检查 ``value`` 是否为大于 0 的有限实数。

    >>> check_positive_number(2, "temperature")
    2.0
    """
    number = _as_real_scalar(value, name)
    if not (np.isfinite(number) and number > 0):
        raise CourseValueError(
            zh="参数 {name} 必须是大于 0 的有限数，收到的是 {got}。",
            en="{name} must be a finite number greater than 0, got {got}.",
            name=name, got=number)
    return number


def check_fraction(value, name: str) -> float:
    """Check ``value`` is a real number with ``0 <= value <= 1``.

    检查 ``value`` 是否为 0 到 1 之间（含两端）的实数。

    >>> check_fraction(0.1, "label_smoothing")
    0.1
    """
    number = _as_real_scalar(value, name)
    if not 0.0 <= number <= 1.0:
        raise CourseValueError(
            zh="参数 {name} 应在 0 到 1 之间（含两端），收到的是 {got}。",
            en="{name} must be between 0 and 1 (inclusive), got {got}.",
            name=name, got=number)
    return number


def check_float_dtype(dtype) -> np.dtype:
    """Check that ``dtype`` is float32 or float64 and return it as a numpy dtype.

    检查 ``dtype`` 是否为 float32 或 float64，并返回对应的 numpy dtype。
    """
    try:
        chosen = np.dtype(dtype)
    except TypeError:
        chosen = None
    if chosen is None or chosen.type not in (np.float32, np.float64):
        raise CourseTypeError(
            zh="参数 dtype 应为 np.float32 或 np.float64，收到的是 {got!r}。",
            en="dtype must be np.float32 or np.float64, got {got!r}.",
            got=dtype)
    return chosen


def check_integer(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[minimum, maximum]``; return it as a Python int.

    检查 ``value`` 是否为范围内的整数，返回 Python int。

    The one rule for every integer argument of the course (seeds, layer sizes,
    counts, class indices, steps):

    * Python ``int`` and numpy integers are accepted; ``bool`` is not (``True``
      is an ``int`` to Python, but ``seed=True`` is surely a mistake), nor are
      floats, even whole ones (``3.0``), nor strings;
    * the wrong type raises :class:`~mlp_course.i18n.CourseTypeError`, a value
      out of range :class:`~mlp_course.i18n.CourseValueError`; both name the
      argument, the value and what was expected.

    >>> check_integer(np.int64(3), "seed", minimum=0)
    3
    >>> check_integer(2, "step", minimum=0, maximum=5)
    2
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise CourseTypeError(
            zh="参数 {name} 应为整数，收到的是 {got}。",
            en="{name} must be an integer, got {got}.",
            name=name, got=describe(value))
    value = int(value)
    if minimum is not None and maximum is not None and not minimum <= value <= maximum:
        raise CourseValueError(
            zh="参数 {name} 应为 {minimum} 到 {maximum} 之间的整数，收到的是 {got}。",
            en="{name} must be an integer from {minimum} to {maximum}, got {got}.",
            name=name, minimum=minimum, maximum=maximum, got=value)
    if minimum is not None and value < minimum:
        raise CourseValueError(
            zh="参数 {name} 应为不小于 {minimum} 的整数，收到的是 {got}。",
            en="{name} must be an integer >= {minimum}, got {got}.",
            name=name, minimum=minimum, got=value)
    if maximum is not None and value > maximum:
        raise CourseValueError(
            zh="参数 {name} 应为不大于 {maximum} 的整数，收到的是 {got}。",
            en="{name} must be an integer <= {maximum}, got {got}.",
            name=name, maximum=maximum, got=value)
    return value


def check_activation(value, name: str = "activation") -> str:
    """Check an activation's name; return it lower-case: ``"relu"``, ``"sigmoid"`` or ``"tanh"``.

    检查激活函数的名字，返回小写形式。

    The one rule for activation names everywhere in the course: case and
    surrounding spaces do not matter (``" ReLU "`` is ``"relu"``); a value that
    is not a string raises :class:`~mlp_course.i18n.CourseTypeError`, an
    unknown name :class:`~mlp_course.i18n.CourseValueError`.

    >>> check_activation(" ReLU ")
    'relu'
    """
    choices = ", ".join(repr(key) for key in ACTIVATIONS)
    if not isinstance(value, str):
        raise CourseTypeError(
            zh="参数 {name} 应为激活函数的名字（{choices} 之一），收到的是 {got}。",
            en="{name} must be the name of an activation (one of {choices}), got {got}.",
            name=name, choices=choices, got=describe(value))
    key = value.strip().lower()
    if key not in ACTIVATIONS:
        raise CourseValueError(
            zh="未知的激活函数 {got!r}：参数 {name} 应为 {choices} 之一。",
            en="unknown activation {got!r}: {name} must be one of {choices}.",
            name=name, choices=choices, got=value)
    return key
