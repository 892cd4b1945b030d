"""Lesson 02 exercise: the negative log-likelihood loss, checked against ``torch.nn.NLLLoss``.

第 02 课练习：负对数似然损失，与 ``torch.nn.NLLLoss`` 对比检查。

``nll_loss(log_probs, target)`` takes log-probabilities of shape (N, C) and
class indices of shape (N,) and returns the mean over the batch of
:math:`-\\log p_{i, y_i}`, a scalar in the input's dtype.
"""

from __future__ import annotations

import numpy as np

from ...nn import losses
from ...i18n import Message
from ...nn.probability import _log_softmax
from .core import Case, Exercise, Symptom, register
from .symptoms import batch_size, looks_like, negated, scaled

__all__ = ["NLL_LOSS"]

_SHORTCUTS = ("torch", "scipy", "jax", "tensorflow", "sklearn", "mlp_course.nll_loss",
              "mlp_course.cross_entropy", "mlp_course.nn.losses")

_PICK = Message(
    zh="每个样本只用到真实类别那一项的对数概率：先把这 N 个数取出来（形状 (N,)，推导任务 2），"
       "再对照本课对损失的定义，检查符号和批量平均。",
    en="Each example uses only the log-probability of its true class: pick those N numbers "
       "out first (shape (N,), derivation task 2), then compare with the lesson's definition "
       "of the loss and check the sign and the batch mean.")
_ZERO_TIMES_INF = Message(
    zh="结果是 nan：乘以独热矩阵会在被屏蔽的类别处算出 0 × (−inf) = nan。只取出真实类别那一项，"
       "就不会碰到别处的 −inf。",
    en="A nan result: multiplying by a one-hot matrix computes 0 × (−inf) = nan at the masked "
       "classes. Pick only the true class's entry and the −inf elsewhere is never touched.")
_SCALAR = Message(
    zh="N = 1 时损失仍是一个标量（0 维），而不是形状为 (1,) 的数组。",
    en="With N = 1 the loss is still a scalar (0-d), not an array of shape (1,).")

# What a wrong output shows (checked in this order; the first one seen gives the hint).
_SYMPTOMS = (
    Symptom(lambda got, expected, case: np.shape(got) == np.shape(case.args[1])
            and np.size(got) > 1,
            Message(zh="你返回了每个样本各自的损失（形状 (N,)）；这里要的是整个批量的一个数。",
                    en="You returned every example's own loss (shape (N,)); one number for the "
                       "whole batch is wanted.")),
    Symptom(negated(),
            Message(zh="你的损失符号反了：对数概率不大于 0，损失不会是负数。",
                    en="Your loss has the wrong sign: log-probabilities are at most 0, so the "
                       "loss is never negative.")),
    Symptom(scaled(batch_size()),
            Message(zh="你的损失正好是正确值的 N 倍（N 为批量大小）：这里要的是批量平均，不是总和。",
                    en="Your loss is exactly N times the right one (N is the batch size): the "
                       "batch mean is wanted, not the sum.")),
    Symptom(looks_like(lambda expected, case: -np.mean(case.args[0])),
            Message(zh="你的损失用到了每个类别的对数概率，而不只是真实类别那一项。",
                    en="Your loss uses the log-probabilities of every class, not only the "
                       "true class's.")),
)


def _log_probs(rng, n, c, scale=3.0, dtype=np.float64):
    return _log_softmax((rng.standard_normal((n, c)) * scale).astype(dtype))


def _cases(rng: np.random.Generator) -> list[Case]:
    n, c = int(rng.integers(3, 9)), int(rng.integers(2, 11))
    # Masking happens on the logits, so every row stays a distribution.
    masked_logits = rng.standard_normal((4, 5)) * 3
    masked_target = rng.integers(0, 5, 4)
    for row, label in enumerate(masked_target):
        masked_logits[row, (label + 1) % 5] = -np.inf  # a masked class that is not the answer
    masked = _log_softmax(masked_logits)
    confident = _log_softmax(rng.uniform(-1, 1, (5, 4)) * 1e4)
    dead_logits = rng.standard_normal((3, 4)) * 3
    dead_target = np.array([0, 1, 2])
    dead_logits[1, 1] = -np.inf
    dead = _log_softmax(dead_logits)
    return [
        Case((_log_probs(rng, n, c), rng.integers(0, c, n)),
             Message(zh="形状随机的一批对数概率 (N, C) 与标签 (N,)",
                     en="a batch of log-probabilities (N, C) of random shape with labels (N,)"),
             hint=_PICK),
        Case((_log_probs(rng, 1, 6), rng.integers(0, 6, 1)),
             Message(zh="只有一个样本的批量（N = 1）", en="a batch of one example (N = 1)"),
             hint=_SCALAR),
        Case((np.zeros((4, 1)), np.zeros(4, dtype=np.int64)),
             Message(zh="只有一个类别（C = 1，概率都是 1）", en="a single class (C = 1, every probability is 1)"),
             hint=Message(zh="log 1 = 0，所以损失是 0。", en="log 1 = 0, so the loss is 0.")),
        Case((_log_probs(rng, 3, 1000), rng.integers(0, 1000, 3)),
             Message(zh="很多类别（C = 1000）", en="many classes (C = 1000)"), hint=_PICK),
        Case((_log_probs(rng, 6, 4, dtype=np.float32), rng.integers(0, 4, 6)),
             Message(zh="float32 的对数概率", en="float32 log-probabilities"),
             hint=Message(zh="保持输入的 dtype：float32 输入应得到 float32 的损失（不要用 float() 转换）。",
                          en="Keep the input's dtype: float32 in, a float32 loss out (no float() "
                             "conversion).")),
        Case((confident, rng.integers(0, 4, 5)),
             Message(zh="非常自信的预测（对数概率可达约 −10⁴）",
                     en="very confident predictions (log-probabilities down to about −10⁴)"),
             hint=Message(zh="直接使用给定的对数概率；先 exp 再 log 会下溢成 log 0 = −inf。",
                          en="Use the given log-probabilities directly: exp followed by log "
                             "underflows to log 0 = −inf.")),
        Case((masked, masked_target),
             Message(zh="某些非真实类别的对数概率为 −inf（被屏蔽的类别）",
                     en="some log-probabilities of wrong classes are −inf (masked classes)"),
             hint=_ZERO_TIMES_INF),
        Case((_log_probs(rng, 5, 3), rng.integers(0, 3, 5).astype(np.int32)),
             Message(zh="以 int32 存储的标签", en="labels stored as int32"), hint=_PICK),
        Case((dead, dead_target),
             Message(zh="模型给某个真实类别的概率为 0（对数概率 −inf）",
                     en="the model gave one true class probability 0 (log-probability −inf)"),
             hint=Message(zh="−log 0 = +inf：损失应为 +inf，这正是似然为 0 的含义。",
                          en="−log 0 = +inf: the loss should be +inf, which is what a likelihood "
                             "of 0 means.")),
    ]


def _expected(log_probs, target):
    import torch

    loss = torch.nn.NLLLoss()(torch.from_numpy(np.ascontiguousarray(log_probs)),
                              torch.from_numpy(np.asarray(target, dtype=np.int64)))
    return loss.numpy()


NLL_LOSS = register(Exercise(
    id="nll_loss",
    lesson="02_nll",
    function="nll_loss",
    points=2,
    title=Message(zh="负对数似然损失（批量平均）", en="The negative log-likelihood loss (batch mean)"),
    cases=_cases,
    expected=_expected,
    reference=losses.nll_loss,
    forbidden=_SHORTCUTS,
    hint=Message(zh="回到推导任务 2：损失只用到这个矩阵中的哪些元素？",
                 en="Go back to derivation task 2: which entries of the matrix does the loss "
                    "use?"),
    symptoms=_SYMPTOMS,
))
