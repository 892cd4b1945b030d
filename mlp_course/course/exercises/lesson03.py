r"""Lesson 03 exercises: entropy, and cross-entropy from logits.

第 03 课练习：熵，以及从 logits 出发的交叉熵。

* ``entropy(p)``: :math:`H(p_n) = -\sum_c p_{nc} \log p_{nc}` for each row of
  an (N, C) array of distributions, with :math:`0 \log 0 = 0`.
* ``cross_entropy(logits, target)``: the mean cross-entropy between the
  targets and :math:`\mathrm{softmax}(z)`, for class-index targets (N,) *and*
  probability targets (N, C), computed stably from the logits.

The expected values come from PyTorch; the references are the library's
:func:`mlp_course.nn.probability.entropy` and :func:`mlp_course.nn.losses.cross_entropy`.
"""

from __future__ import annotations

import numpy as np

from ...i18n import Message
from ...nn.losses import cross_entropy as _library_cross_entropy
from ...nn.probability import entropy as _library_entropy
from .core import Case, Exercise, Symptom, register
from .symptoms import batch_size, negated, scaled

__all__ = ["ENTROPY", "CROSS_ENTROPY"]

# Shortcuts that would make either exercise a one-liner.
_FORBIDDEN = ("torch", "scipy.special", "scipy.stats", "sklearn", "mlp_course")


def _dirichlet(rng: np.random.Generator, n: int, c: int, dtype=np.float64) -> np.ndarray:
    return rng.dirichlet(np.ones(c), size=n).astype(dtype)


# ---------------------------------------------------------------- entropy

_ZERO_LOG_ZERO = Message(
    zh="约定 0·log 0 = 0（概率趋于 0 时，这一项的极限是 0）。但 np.log(0) = −inf，而 0 × (−inf) = nan。"
       "让概率为 0 的项直接贡献 0、不对它们取对数，例如用 np.where，或 np.log 的 where= 与 out= 参数。",
    en="By convention 0·log 0 = 0 (the term's limit as the probability goes to 0). But "
       "np.log(0) = −inf and 0 × (−inf) = nan. Let the entries with probability 0 contribute 0 "
       "without taking their log, e.g. with np.where or the where= and out= arguments of np.log.")
_ROW_AXIS = Message(
    zh="每一行是一个分布，各有一个熵：结果的形状为 (N,)，沿类别所在的轴归约。",
    en="Each row is one distribution with one entropy: the result has shape (N,), reduced "
       "along the class axis.")
_KEEP_DTYPE = Message(
    zh="结果的 dtype 应与输入一致：float32 输入得到 float32 输出。",
    en="Keep the input's dtype: float32 in, float32 out.")

# What a wrong entropy shows (checked in this order; the first one seen gives the hint).
_ENTROPY_SYMPTOMS = (
    Symptom(lambda got, expected, case: np.shape(got) == np.shape(case.args[0]),
            Message(zh="你返回了每个元素各自的贡献（形状 (N, C)），还要在每一行内把它们合起来。",
                    en="You returned every entry's own contribution (shape (N, C)); they still "
                       "have to be combined within each row.")),
    Symptom(negated(),
            Message(zh="你的熵是负数，而熵不会小于 0（推导任务 1）：检查符号。",
                    en="Your entropies are negative, but entropy is never below 0 (derivation "
                       "task 1): check the sign.")),
    Symptom(scaled(lambda case: 1.0 / np.log(2.0)),
            Message(zh="你的结果是正确值的 1/ln 2 倍：这里用自然对数（单位是奈特），不是以 2 为底的对数。",
                    en="Your result is 1/ln 2 times the right one: natural logarithms are used "
                       "here (nats), not base-2 logarithms.")),
)


def _entropy_cases(rng: np.random.Generator) -> list[Case]:
    n, c = int(rng.integers(2, 9)), int(rng.integers(2, 11))
    with_zeros = _dirichlet(rng, 5, 6)
    with_zeros[0] = np.eye(6)[int(rng.integers(6))]
    with_zeros[1, rng.permutation(6)[:3]] = 0.0
    with_zeros[1] /= with_zeros[1].sum()
    with_zeros[2, :] = 0.0
    with_zeros[2, :2] = 0.5
    tiny = _dirichlet(rng, 3, 4)
    tiny[:, 0] = 1e-300  # a surprise of about 690 nats, weighted by almost nothing
    tiny /= tiny.sum(axis=1, keepdims=True)
    sparse32 = np.zeros((4, 8), dtype=np.float32)
    for row in range(4):
        cols = rng.permutation(8)[:row + 1]
        sparse32[row, cols] = rng.dirichlet(np.ones(row + 1)).astype(np.float32)
    return [
        Case((_dirichlet(rng, n, c),),
             Message(zh="形状随机的一批分布（float64）", en="a batch of random distributions (float64)"),
             hint=_ROW_AXIS),
        Case((_dirichlet(rng, 6, 5, np.float32),),
             Message(zh="一批 float32 分布", en="a batch of float32 distributions"), hint=_KEEP_DTYPE),
        Case((with_zeros,),
             Message(zh="含有概率恰为 0 的分布（包括 one-hot 行）",
                     en="distributions with entries exactly 0 (including a one-hot row)"),
             hint=_ZERO_LOG_ZERO),
        Case((np.full((2, 1000), 1e-3),),
             Message(zh="1000 个类别上的均匀分布", en="uniform distributions over 1000 classes"),
             hint=_ROW_AXIS),
        Case((np.ones((3, 1)),),
             Message(zh="只有一个类别（C=1）", en="a single class (C=1)"), hint=_ZERO_LOG_ZERO),
        Case((_dirichlet(rng, 1, 7),),
             Message(zh="只有一个样本（N=1）", en="a batch of one (N=1)"),
             hint=Message(zh="N=1 时结果仍是形状 (1,) 的数组。",
                          en="With N=1 the result is still an array of shape (1,).")),
        Case((tiny,),
             Message(zh="含有极小概率（约 1e-300）的分布", en="distributions with tiny probabilities (about 1e-300)"),
             hint=_ZERO_LOG_ZERO),
        Case((sparse32,),
             Message(zh="含有 0 的 float32 分布", en="float32 distributions with zeros"),
             hint=_ZERO_LOG_ZERO),
    ]


def _entropy_expected(p):
    import torch

    t = torch.from_numpy(np.ascontiguousarray(p))
    # xlogy(0, 0) = 0: the same convention the exercise asks for;
    # adding 0.0 turns the -0.0 of a certain distribution into 0.0 for display
    return (-torch.special.xlogy(t, t).sum(dim=1) + 0.0).numpy()


ENTROPY = register(Exercise(
    id="entropy",
    lesson="03_cross_entropy",
    function="entropy",
    points=1,
    title=Message(zh="熵 H(p)（0·log 0 = 0）", en="Entropy H(p) (with 0·log 0 = 0)"),
    cases=_entropy_cases,
    expected=_entropy_expected,
    reference=_library_entropy,
    forbidden=_FORBIDDEN,
    hint=Message(zh="回到熵的定义：它是一个分布下“意外程度”的期望。注意 0·log 0 = 0 的约定，"
                    "以及熵不会是负数（推导任务 1）。",
                 en="Back to the definition: entropy is the expected surprise under a "
                    "distribution. Mind the convention 0·log 0 = 0, and that entropy is never "
                    "negative (derivation task 1)."),
    symptoms=_ENTROPY_SYMPTOMS,
))


# ---------------------------------------------------------------- cross-entropy

_OVERFLOW = Message(
    zh="np.exp(1e4) 溢出为 inf，inf/inf = nan。第 01 课的 log_softmax 已经解决了这个问题：在对数域里"
       "直接得到对数概率（第 01 课推导任务 2），不要先算 softmax 再取对数，也不要加 ε。",
    en="np.exp(1e4) overflows to inf, and inf/inf = nan. Lesson 01's log_softmax solved this: "
       "get the log-probabilities directly in the log domain (lesson 01, derivation task 2), "
       "never the log of a softmax, and no ε.")
_MEAN = Message(
    zh="返回一个标量：N 个样本各自损失的平均值。",
    en="Return one number: the mean of the N per-example losses.")
_TWO_KINDS = Message(
    zh="target 有两种：整数类别索引，形状 (N,)；或浮点概率分布，形状 (N, C)。"
       "可以用 np.issubdtype(target.dtype, np.integer) 区分。两种情况其实是同一个式子："
       "整数标签就是第 6 节中独热目标的情形，概率目标见第 7 节。",
    en="target comes in two kinds: integer class indices, shape (N,), or float probability "
       "distributions, shape (N, C). np.issubdtype(target.dtype, np.integer) tells them apart. "
       "Both kinds are really one expression: an integer label is section 6's one-hot case, "
       "and probability targets are section 7's.")
_ZERO_TARGET_INF = Message(
    zh="logit 为 −inf 的类别概率为 0，对数概率为 −inf；若该类的目标概率也是 0，0 × (−inf) 会得到 nan。"
       "按 0·log 0 = 0 的约定，目标概率为 0 的项贡献 0：用 np.where 跳过它们。",
    en="A class with logit −inf has probability 0 and log-probability −inf; if its target "
       "probability is 0 too, 0 × (−inf) gives nan. By the convention 0·log 0 = 0 a term with "
       "target probability 0 contributes 0: skip those terms with np.where.")
_NEG_INF = Message(
    zh="logit 为 −inf 表示该类概率为 0，这不影响其他类别。结果里出现 nan，说明某一步算出了 "
       "−inf − (−inf) 或 0 × (−inf) 这样的式子：找出是哪一步；真实类别那一项本身是有限的。",
    en="A logit of −inf means that class has probability 0; the other classes are unaffected. "
       "A nan in your result means some step computed something like −inf − (−inf) or "
       "0 × (−inf): find which; the true class's own term is finite.")

# What a wrong cross-entropy shows (checked in this order; the first one seen gives the hint).
_CROSS_ENTROPY_SYMPTOMS = (
    Symptom(lambda got, expected, case: np.shape(got) == (np.shape(case.args[0])[0],)
            and np.size(got) > 1,
            Message(zh="你返回了每个样本各自的损失（形状 (N,)）；这里要的是整个批量的一个数。",
                    en="You returned every example's own loss (shape (N,)); one number for the "
                       "whole batch is wanted.")),
    Symptom(negated(),
            Message(zh="你的损失符号反了：交叉熵不会是负数。",
                    en="Your loss has the wrong sign: cross-entropy is never negative.")),
    Symptom(scaled(batch_size()),
            Message(zh="你的损失正好是正确值的 N 倍（N 为批量大小）：这里要的是批量平均，不是总和。",
                    en="Your loss is exactly N times the right one (N is the batch size): the "
                       "batch mean is wanted, not the sum.")),
    Symptom(scaled(lambda case: 1.0 / np.shape(case.args[0])[1]),
            Message(zh="你的损失正好是正确值的 1/C 倍（C 为类别数）：每个样本的损失是各类别贡献的和，"
                       "不是它们的平均。",
                    en="Your loss is exactly 1/C times the right one (C classes): an example's "
                       "loss is the sum of its classes' terms, not their mean.")),
)


def _index_targets(rng, n, c):
    return rng.integers(0, c, size=n).astype(np.int64)


def _cross_entropy_cases(rng: np.random.Generator) -> list[Case]:
    def logits(n, c, dtype=np.float64, scale=2.0):
        return (rng.standard_normal((n, c)) * scale).astype(dtype)

    n, c = int(rng.integers(2, 9)), int(rng.integers(2, 11))
    huge = logits(5, 4, scale=1.0)
    huge[:, 0] = 1e4
    huge[:, 1] = -1e4
    huge[2, 2] = 1e4
    huge_target = _index_targets(rng, 5, 4)
    huge_probs = _dirichlet(rng, 5, 4)
    masked = logits(4, 5)
    masked_target = _index_targets(rng, 4, 5)
    for row, label in enumerate(masked_target):
        # -inf on every class but the target and one other
        others = [k for k in range(5) if k != label]
        masked[row, others[:-1]] = -np.inf
    masked_probs_logits = logits(4, 5)
    masked_probs_logits[:, :2] = -np.inf
    masked_probs = np.zeros((4, 5))
    masked_probs[:, 2:] = _dirichlet(rng, 4, 3)
    smooth_labels = _index_targets(rng, 6, 5)
    smoothed = np.full((6, 5), 0.1 / 5) + 0.9 * np.eye(5)[smooth_labels]
    onehot_labels = _index_targets(rng, 5, 6)
    return [
        Case((logits(n, c), _index_targets(rng, n, c)),
             Message(zh="随机 logits 与整数类别标签（float64）",
                     en="random logits with integer class labels (float64)"), hint=_MEAN),
        Case((logits(6, 4, np.float32), _index_targets(rng, 6, 4)),
             Message(zh="float32 logits 与整数类别标签", en="float32 logits with integer class labels"),
             hint=_KEEP_DTYPE),
        Case((logits(n, c), _dirichlet(rng, n, c)),
             Message(zh="随机 logits 与概率分布目标（float64）",
                     en="random logits with probability-distribution targets (float64)"),
             hint=_TWO_KINDS),
        Case((logits(5, 3, np.float32), _dirichlet(rng, 5, 3, np.float32)),
             Message(zh="float32 logits 与 float32 概率目标",
                     en="float32 logits with float32 probability targets"), hint=_KEEP_DTYPE),
        Case((logits(5, 6), np.eye(6)[onehot_labels]),
             Message(zh="one-hot 概率目标（应与整数标签的结果相同）",
                     en="one-hot probability targets (the same loss as integer labels)"),
             hint=_TWO_KINDS),
        Case((logits(6, 5), smoothed),
             Message(zh="标签平滑后的目标（ε = 0.1）", en="label-smoothed targets (ε = 0.1)"),
             hint=_TWO_KINDS),
        Case((huge, huge_target),
             Message(zh="含 ±1e4 的极端 logits，整数标签", en="extreme logits (±1e4) with integer labels"),
             hint=_OVERFLOW),
        Case((huge.copy(), huge_probs),
             Message(zh="含 ±1e4 的极端 logits，概率目标",
                     en="extreme logits (±1e4) with probability targets"), hint=_OVERFLOW),
        Case((masked, masked_target),
             Message(zh="非目标类别的 logit 为 -inf，整数标签",
                     en="logits of -inf on non-target classes, integer labels"), hint=_NEG_INF),
        Case((masked_probs_logits, masked_probs),
             Message(zh="logit 为 -inf 的类别目标概率为 0",
                     en="classes with logit -inf have target probability 0"),
             hint=_ZERO_TARGET_INF),
        Case((logits(4, 1), np.zeros(4, dtype=np.int64)),
             Message(zh="只有一个类别（C=1）", en="a single class (C=1)"), hint=_OVERFLOW),
        Case((logits(3, 1000, scale=5.0), _index_targets(rng, 3, 1000)),
             Message(zh="1000 个类别", en="1000 classes"), hint=_OVERFLOW),
        Case((logits(1, 4), _index_targets(rng, 1, 4)),
             Message(zh="只有一个样本（N=1）", en="a batch of one (N=1)"), hint=_MEAN),
    ]


def _cross_entropy_expected(logits, target):
    import torch
    import torch.nn.functional as F

    z = torch.from_numpy(np.ascontiguousarray(logits))
    t = torch.from_numpy(np.ascontiguousarray(target))
    if not t.is_floating_point():
        return F.cross_entropy(z, t).numpy()
    # F.cross_entropy gives nan where a target of 0 meets log q = -inf;
    # the course (like information theory) counts 0·log 0 as 0.
    log_q = F.log_softmax(z, dim=1)
    terms = torch.where(t > 0, t * log_q, torch.zeros_like(log_q))
    return (-terms.sum(dim=1).mean()).numpy()


CROSS_ENTROPY = register(Exercise(
    id="cross_entropy",
    lesson="03_cross_entropy",
    function="cross_entropy",
    points=3,
    title=Message(zh="从 logits 计算交叉熵（类别标签或概率目标）",
                  en="Cross-entropy from logits (class labels or probability targets)"),
    cases=_cross_entropy_cases,
    expected=_cross_entropy_expected,
    reference=_library_cross_entropy,
    forbidden=_FORBIDDEN,
    hint=_TWO_KINDS,
    symptoms=_CROSS_ENTROPY_SYMPTOMS,
))
