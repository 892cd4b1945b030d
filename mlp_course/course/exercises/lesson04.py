r"""Lesson 04 exercises: the softmax Jacobian and the gradient of softmax + cross-entropy.

第 04 课练习：softmax 的雅可比矩阵，以及 softmax + 交叉熵对 logits 的梯度。

* ``softmax_jacobian(z)``: :math:`J_{ij} = \partial \hat y_i / \partial z_j
  = \hat y_i(\delta_{ij} - \hat y_j)`, i.e. :math:`J = \mathrm{diag}(\hat y) - \hat y \hat y^\top`,
  for one logit vector of shape (C,).
* ``softmax_ce_grad(logits, target)``: :math:`\partial L / \partial Z = (\hat Y - Y) / N`
  for the mean cross-entropy of a batch, shape (N, C).

The expected values come from ``torch.autograd``; nothing in them uses the
closed forms the learner is asked to derive.
"""

from __future__ import annotations

import numpy as np

from ...i18n import Message
from ...nn.losses import cross_entropy_grad as _library_cross_entropy_grad
from ...nn.probability import softmax as _library_softmax
from ...nn.validation import as_float_array
from .core import Case, Exercise, Symptom, register
from .symptoms import all_of, batch_size, close, negated, scaled, sums_along

__all__ = ["softmax_jacobian", "SOFTMAX_JACOBIAN", "SOFTMAX_CE_GRAD"]

_FORBIDDEN = ("torch", "jax", "autograd", "scipy", "sklearn", "mlp_course")


def softmax_jacobian(z) -> np.ndarray:
    r"""The Jacobian of softmax at ``z``: how each probability moves with each logit.

    softmax 在 ``z`` 处的雅可比矩阵：每个概率随每个 logit 的变化率。

    .. math::
        J_{ij} = \frac{\partial \hat y_i}{\partial z_j} = \hat y_i(\delta_{ij} - \hat y_j),
        \qquad J = \mathrm{diag}(\hat y) - \hat y \hat y^\top,
        \qquad \hat y = \mathrm{softmax}(z)

    Parameters
    ----------
    z : array_like, shape (C,)
        One vector of logits.

    Returns
    -------
    numpy.ndarray, shape (C, C), dtype of ``z``
        Symmetric, and every row sums to 0.

    Examples
    --------
    >>> softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    z = as_float_array(z, "z", ndim=1)
    y_hat = _library_softmax(z)
    return np.diag(y_hat) - np.outer(y_hat, y_hat)


def _logits(rng: np.random.Generator, shape, dtype=np.float64, scale=2.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(dtype)


# ---------------------------------------------------------------- softmax_jacobian

_STABLE = Message(
    zh="np.exp(1e4) 溢出为 inf，inf/inf = nan。先用第 01 课的稳定 softmax 算出 ŷ，后面的计算只用 ŷ。",
    en="np.exp(1e4) overflows to inf and inf/inf = nan. Get ŷ from lesson 01's stable softmax "
       "first, and use only ŷ after that.")
_DIAGONAL = Message(
    zh="回到推导任务 1：分 i = j 与 i ≠ j 两种情况写出 ∂ŷ_i/∂z_j——对角线上多出来的那一项"
       "来自分子对 z_i 的导数；再把两种情况合成一个矩阵。",
    en="Go back to derivation task 1: write ∂ŷ_i/∂z_j for i = j and for i ≠ j (the diagonal's "
       "extra term comes from the numerator's derivative in z_i), then put both cases into "
       "one matrix.")
_KEEP_DTYPE = Message(
    zh="结果的 dtype 应与输入一致：float32 输入得到 float32 输出。",
    en="Keep the input's dtype: float32 in, float32 out.")


_JACOBIAN_SYMPTOMS = (
    Symptom(negated(),
            Message(zh="你的 J 正好是正确值的相反数：检查求导时的符号。",
                    en="Your J is exactly the negative of the right one: check the signs of "
                       "your derivatives.")),
    Symptom(lambda got, expected, case: close(np.diag(got), np.diag(expected), case)
            and not close(got, expected, case),
            Message(zh="对角线上的元素都对了，非对角线的不对：i ≠ j 时，分子不依赖 z_j，只有分母依赖。",
                    en="Your diagonal is right and the off-diagonal entries are not: for i ≠ j "
                       "the numerator does not depend on z_j, only the denominator does.")),
    Symptom(lambda got, expected, case: close(got - np.diag(np.diag(got)),
                                              expected - np.diag(np.diag(expected)), case)
            and not close(got, expected, case),
            Message(zh="非对角线上的元素都对了，只有对角线不对：i = j 时，分子和分母都依赖 z_i。",
                    en="Your off-diagonal entries are right and only the diagonal is wrong: for "
                       "i = j both the numerator and the denominator depend on z_i.")),
    Symptom(all_of(lambda got, expected, case: np.all(np.isfinite(got)),
                   sums_along(0, 0.0, want=False)),
            Message(zh="你的 J 每一列加起来不为 0。但对任何 z 都有 Σ_i ŷ_i = 1，对 z_j 求导后每一列之和"
                       "都必须是 0：用这一点检查你的式子。",
                    en="Your J has columns that do not sum to 0. But Σ_i ŷ_i = 1 for every z, so "
                       "differentiating in z_j makes every column sum to 0: use that to check "
                       "your expression.")),
)


def _jacobian_cases(rng: np.random.Generator) -> list[Case]:
    c = int(rng.integers(2, 9))
    huge = _logits(rng, 4)
    huge[0], huge[2] = 1e4, -1e4
    masked = _logits(rng, 5)
    masked[rng.permutation(5)[:2]] = -np.inf
    return [
        Case((_logits(rng, c),),
             Message(zh="随机 logits（float64）", en="random logits (float64)"), hint=_DIAGONAL),
        Case((_logits(rng, 6, np.float32),),
             Message(zh="float32 类型的 logits", en="float32 logits"), hint=_KEEP_DTYPE),
        Case((np.zeros(5),),
             Message(zh="全部相等的 logits（均匀分布）", en="equal logits (a uniform distribution)"),
             hint=_DIAGONAL),
        Case((np.array([1.5]),),
             Message(zh="只有一个类别（C=1）", en="a single class (C=1)"),
             hint=Message(zh="C=1 时 ŷ 恒为 [1]，不随 z 变化，所以 J 是形状为 (1, 1) 的 [[0]]。",
                          en="With C=1, ŷ is always [1] whatever z is, so J is [[0]], of shape "
                             "(1, 1).")),
        Case((huge,),
             Message(zh="含 ±1e4 的极端 logits", en="extreme logits (±1e4)"), hint=_STABLE),
        Case((masked,),
             Message(zh="部分 logit 为 -inf", en="some logits are -inf"),
             hint=Message(zh="logit 为 −inf 的类别概率为 0，它在 J 中对应的行和列都应为 0。",
                          en="A class with logit −inf has probability 0, so its row and its "
                             "column of J are 0.")),
        Case((np.array([30.0, 0.0, -5.0, 1.0]),),
             Message(zh="一个类别占绝对优势（ŷ 接近 one-hot）",
                     en="one class dominates (ŷ is nearly one-hot)"), hint=_DIAGONAL),
        Case((_logits(rng, 200, scale=3.0),),
             Message(zh="200 个类别", en="200 classes"), hint=_DIAGONAL),
    ]


def _jacobian_expected(z):
    import torch

    t = torch.from_numpy(np.ascontiguousarray(z))
    # one backward pass per row; vectorize=True would be faster per call but costs
    # seconds of warm-up the first time, which a learner waits for in check()
    jacobian = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=0), t)
    return jacobian.numpy()


SOFTMAX_JACOBIAN = register(Exercise(
    id="softmax_jacobian",
    lesson="04_softmax_gradient",
    function="softmax_jacobian",
    points=2,
    title=Message(zh="softmax 的雅可比矩阵", en="The Jacobian of softmax"),
    cases=_jacobian_cases,
    expected=_jacobian_expected,
    reference=softmax_jacobian,
    forbidden=_FORBIDDEN,
    hint=_DIAGONAL,
    symptoms=_JACOBIAN_SYMPTOMS,
))


# ---------------------------------------------------------------- softmax_ce_grad

_DIVIDE_BY_N = Message(
    zh="损失是 N 个样本的平均值。回到推导任务 3：这个平均会怎样出现在 ∂L/∂Z 里？",
    en="The loss is the mean over N examples. Back to derivation task 3: how does that mean "
       "show up in ∂L/∂Z?")
_ONE_HOT = Message(
    zh="target 是类别索引，形状 (N,)；推导任务 2 的结果里用到的是独热向量 y，每行只在真实类别处为 1。"
       "检查你用到 y 的地方是不是正好这些位置。",
    en="target holds class indices, shape (N,); the result of derivation task 2 uses the "
       "one-hot vector y, 1 only at each row's true class. Check that your code uses exactly "
       "those places.")

_CE_GRAD_SYMPTOMS = (
    Symptom(negated(),
            Message(zh="你的梯度正好是正确值的相反数：梯度指向损失增大的方向，检查符号。",
                    en="Your gradient is exactly the negative of the right one: a gradient "
                       "points to where the loss grows; check the sign.")),
    Symptom(scaled(batch_size()),
            Message(zh="你的梯度正好是正确值的 N 倍（N 为批量大小）：损失是批量平均，这个平均在梯度里"
                       "也在（推导任务 3）。",
                    en="Your gradient is exactly N times the right one (N is the batch size): the "
                       "loss is a batch mean, and that mean stays in its gradient (derivation "
                       "task 3).")),
    Symptom(sums_along(-1, 0.0, want=False),
            Message(zh="你的梯度有的行加起来不为 0。推导任务 2 的结果每一行之和都是 0——想一想为什么，"
                       "再检查真实类别处的那一项。",
                    en="Some rows of your gradient do not sum to 0. Every row of the result of "
                       "derivation task 2 sums to 0: work out why, then check the entry at the "
                       "true class.")),
)


def _ce_grad_cases(rng: np.random.Generator) -> list[Case]:
    def labels(n, c):
        return rng.integers(0, c, size=n).astype(np.int64)

    n, c = int(rng.integers(2, 9)), int(rng.integers(2, 11))
    huge = _logits(rng, (5, 4))
    huge[:, 0], huge[:, 1] = 1e4, -1e4
    masked = _logits(rng, (4, 5))
    masked_target = labels(4, 5)
    for row, label in enumerate(masked_target):
        masked[row, [k for k in range(5) if k != label][:2]] = -np.inf
    confident = np.zeros((3, 4))
    confident_target = labels(3, 4)
    confident[np.arange(3), confident_target] = 40.0
    return [
        Case((_logits(rng, (n, c)), labels(n, c)),
             Message(zh="随机 logits 与整数标签（float64）",
                     en="random logits with integer labels (float64)"), hint=_DIVIDE_BY_N),
        Case((_logits(rng, (6, 3), np.float32), labels(6, 3)),
             Message(zh="float32 类型的 logits", en="float32 logits"), hint=_KEEP_DTYPE),
        Case((_logits(rng, (1, 5)), labels(1, 5)),
             Message(zh="只有一个样本（N=1）", en="a batch of one (N=1)"), hint=_ONE_HOT),
        Case((huge, labels(5, 4)),
             Message(zh="含 ±1e4 的极端 logits", en="extreme logits (±1e4)"), hint=_STABLE),
        Case((masked, masked_target),
             Message(zh="非目标类别的 logit 为 -inf", en="logits of -inf on non-target classes"),
             hint=Message(zh="logit 为 −inf 的类别概率为 0，梯度也为 0；用第 01 课的稳定 softmax 就不会出现 nan。",
                          en="A class with logit −inf has probability 0 and gradient 0; lesson 01's "
                             "stable softmax never produces nan here.")),
        Case((confident, confident_target),
             Message(zh="模型对正确类别极有把握", en="the model is very confident and right"),
             hint=_STABLE),
        Case((_logits(rng, (4, 1)), np.zeros(4, dtype=np.int64)),
             Message(zh="只有一个类别（C=1）", en="a single class (C=1)"), hint=_ONE_HOT),
        Case((_logits(rng, (3, 1000), scale=4.0), labels(3, 1000)),
             Message(zh="1000 个类别", en="1000 classes"), hint=_STABLE),
        Case((_logits(rng, (64, 10)), labels(64, 10)),
             Message(zh="较大的批量（N=64）", en="a larger batch (N=64)"), hint=_DIVIDE_BY_N),
    ]


def _ce_grad_expected(logits, target):
    import torch
    import torch.nn.functional as F

    z = torch.from_numpy(np.ascontiguousarray(logits)).requires_grad_(True)
    loss = F.cross_entropy(z, torch.from_numpy(np.ascontiguousarray(target)))
    (grad,) = torch.autograd.grad(loss, z)
    return grad.numpy()


SOFTMAX_CE_GRAD = register(Exercise(
    id="softmax_ce_grad",
    lesson="04_softmax_gradient",
    function="softmax_ce_grad",
    points=2,
    title=Message(zh="softmax + 交叉熵对 logits 的梯度（批量平均）",
                  en="The gradient of softmax + cross-entropy w.r.t. the logits (batch mean)"),
    cases=_ce_grad_cases,
    expected=_ce_grad_expected,
    reference=_library_cross_entropy_grad,
    forbidden=_FORBIDDEN,
    hint=_DIVIDE_BY_N,
    symptoms=_CE_GRAD_SYMPTOMS,
))
