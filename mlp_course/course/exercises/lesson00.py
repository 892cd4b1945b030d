"""Lesson 00 exercise: a warm-up that shows how a check works.

第 00 课练习：一道热身题，演示检查是如何工作的。

``row_mean(X)`` returns the mean of each row of an (N, D) array, shape (N,).
It is deliberately easy: the point is to see a passing and a failing check.
"""

from __future__ import annotations

import numpy as np

from ...i18n import Message
from .core import Case, Exercise, Symptom, register
from .symptoms import close, scaled

__all__ = ["row_mean", "WARMUP_MEAN"]


def row_mean(X) -> np.ndarray:
    r"""The mean of each row: :math:`m_i = \frac{1}{D}\sum_{j=1}^{D} X_{ij}`.

    每一行的平均值。

    Parameters
    ----------
    X : numpy.ndarray, shape (N, D)

    Returns
    -------
    numpy.ndarray, shape (N,), dtype of ``X``

    Examples
    --------
    >>> row_mean(np.array([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]))
    array([2., 6.])
    """
    X = np.asarray(X)
    return X.sum(axis=1) / X.dtype.type(X.shape[1])


def _cases(rng: np.random.Generator) -> list[Case]:
    def normal(n, d, dtype=np.float64, scale=1.0):
        return (rng.standard_normal((n, d)) * scale).astype(dtype)

    wrong_axis = Message(
        zh="每一行求一个平均值：N 行的矩阵应得到 N 个数，形状为 (N,)。回到推导任务 1：沿哪个轴走才是走过一行？",
        en="One mean per row: a matrix of N rows gives N numbers, shape (N,). Back to "
           "derivation task 1: along which axis do you walk through a row?")
    return [
        Case((normal(4, 3),), Message(zh="一个 4×3 的小矩阵", en="a small 4×3 matrix"),
             hint=wrong_axis),
        Case((normal(int(rng.integers(2, 9)), int(rng.integers(2, 9))),),
             Message(zh="形状随机的矩阵（行数与列数不同）",
                     en="a matrix of random shape (rows and columns differ)"), hint=wrong_axis),
        Case((normal(1, 5),), Message(zh="只有一行的矩阵（N=1）", en="a matrix with one row (N=1)"),
             hint=Message(zh="N=1 时结果仍应是形状 (1,) 的数组，而不是一个标量。",
                          en="With N=1 the result is still an array of shape (1,), not a scalar.")),
        Case((normal(6, 1),), Message(zh="只有一列的矩阵（D=1）", en="a matrix with one column (D=1)"),
             hint=wrong_axis),
        Case((normal(3, 4, scale=1e3) - 5e3,),
             Message(zh="数值较大且为负的矩阵", en="a matrix of large negative numbers")),
        Case((normal(5, 7, dtype=np.float32),),
             Message(zh="float32 矩阵", en="a float32 matrix"),
             hint=Message(zh="结果的 dtype 应与输入一致：float32 输入应得到 float32 输出。",
                          en="Keep the input's dtype: float32 in, float32 out.")),
    ]


def _expected(X):
    import torch

    return torch.from_numpy(np.ascontiguousarray(X)).mean(dim=1).numpy()


WARMUP_MEAN = register(Exercise(
    id="warmup_mean",
    lesson="00_start_here",
    function="row_mean",
    points=1,
    title=Message(zh="热身：按行求平均", en="Warm-up: the mean of each row"),
    cases=_cases,
    expected=_expected,
    reference=row_mean,
    forbidden=("torch",),
    hint=Message(zh="np.mean 或 X.mean 的 axis 参数决定沿哪个方向求平均。",
                 en="The axis argument of np.mean / X.mean decides which direction is averaged."),
    symptoms=(
        Symptom(lambda got, expected, case: close(got, np.mean(case.args[0], axis=0), case,
                                                  like=expected),
                Message(zh="你的结果是每一列的平均值（每列一个数），而要的是每一行一个：换另一个轴。",
                        en="Your result holds the mean of every column (one number per column); "
                           "one per row is wanted: use the other axis.")),
        Symptom(lambda got, expected, case: close(got, np.mean(case.args[0]), case,
                                                  like=expected),
                Message(zh="你的结果是整个矩阵的平均值（一个数）：不指定轴时会对所有元素求平均。",
                        en="Your result is the mean of the whole matrix (one number): without an "
                           "axis every entry is averaged.")),
        Symptom(scaled(lambda case: np.shape(case.args[0])[1]),
                Message(zh="你的结果正好是正确值的 D 倍（D 为列数）：求了和，还没有除以个数。",
                        en="Your result is exactly D times the right one (D columns): a sum, not "
                           "yet divided by the count.")),
    ),
))
