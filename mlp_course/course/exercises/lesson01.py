"""Lesson 01 exercises: ``softmax`` and ``log_softmax``, checked against PyTorch.

第 01 课练习：``softmax`` 与 ``log_softmax``，与 PyTorch 对比检查。

The cases mix random batches of varying shape with the inputs that break the
textbook formula: logits around ±1e4 (overflow and underflow of ``exp``),
``-inf`` entries, a single class, a thousand classes, float32.
"""

from __future__ import annotations

import numpy as np

from ...nn import probability
from ...i18n import Message
from .core import Case, Exercise, Symptom, register
from .symptoms import all_of, looks_like, sums_along

__all__ = ["SOFTMAX", "LOG_SOFTMAX"]

# Anything that already is a softmax: the exercise is to write one.
_SHORTCUTS = ("torch", "scipy", "jax", "tensorflow", "sklearn", "mlp_course.softmax",
              "mlp_course.log_softmax", "mlp_course.logsumexp", "mlp_course.nn.probability",
              "mlp_course.nn.losses", "mlp_course.cross_entropy")

_KEEP_DIMS = Message(
    zh="同一段代码要同时处理一维的 (C,) 和二维的 (N, C)：沿最后一个轴归约，并让归约的结果保留这一维，"
       "它才能和原数组正确地广播（第 00 课推导任务 1）。",
    en="The same code must handle a 1-D (C,) and a 2-D (N, C): reduce along the last axis and "
       "keep that axis in the result, so that it broadcasts back against the input (lesson 00, "
       "derivation task 1).")
_OVERFLOW = Message(
    zh="e 的 10⁴ 次方超出浮点数范围变成 inf，inf/inf 得到 nan。回到推导任务 1：softmax 允许把一行的"
       "所有 logit 平移同一个量，选哪个量才能保证没有一个指数会溢出？",
    en="e to the power 10⁴ is beyond floating point and becomes inf, and inf/inf is nan. Back "
       "to derivation task 1: softmax lets you shift all logits of a row by the same amount; "
       "which amount guarantees that no exponential overflows?")
_UNDERFLOW = Message(
    zh="所有 logit 都很负时，每一项指数都下溢为 0，分母也是 0，0/0 得到 nan。"
       "你在推导任务 1 中选的平移，是否也保证了分母至少为 1？",
    en="When every logit is very negative, every exponential underflows to 0, so does the "
       "denominator, and 0/0 is nan. Does the shift you chose in derivation task 1 also "
       "guarantee a denominator of at least 1?")
_MINUS_INF = Message(
    zh="logit 为 −inf 表示这一类的概率为 0（对数概率为 −inf），其他类别照常。结果里出现 nan，"
       "说明某一步算出了 inf − inf、0 × inf 或 0/0 这样的式子：找出是哪一步。"
       "平移的量是有限数时，−inf 平移后仍是 −inf。",
    en="A logit of −inf means that class has probability 0 (log-probability −inf) and the "
       "other classes are as usual. A nan in your result means some step computed something "
       "like inf − inf, 0 × inf or 0/0: find which. Shifted by a finite amount, −inf stays −inf.")
_FLOAT32 = Message(
    zh="保持输入的 dtype：float32 输入应得到 float32 输出（不要用 np.float64 或 dtype=float 转换）。",
    en="Keep the input's dtype: float32 in, float32 out (no np.float64 or dtype=float conversion).")
_LOG_OF_ZERO = Message(
    zh="先算出概率再取对数，会把下溢为 0 的概率变成 log 0 = −inf。回到推导任务 2：把平移后的式子在对数域里"
       "化简，整个计算都不需要先得到概率。",
    en="Taking the log of probabilities turns those that underflowed to 0 into log 0 = −inf. "
       "Back to derivation task 2: simplify the shifted expression in the log domain, so that "
       "no step needs the probabilities themselves.")

# What a wrong output shows (checked in this order; the first one seen gives the hint).
_SOFTMAX_SYMPTOMS = (
    Symptom(looks_like(lambda expected, case: np.log(expected)),
            Message(zh="你返回的是对数概率，而这里要的是概率本身。",
                    en="You returned log-probabilities; this exercise wants the probabilities.")),
    Symptom(all_of(lambda got, expected, case: np.ndim(got) == 2 and np.shape(got)[0] > 1,
                   sums_along(0, 1.0), sums_along(-1, 1.0, want=False)),
            Message(zh="你的结果每一列加起来等于 1，每一行却不是：归一化沿错了轴，每个样本（每一行）"
                       "应各自归一化。",
                    en="Your columns sum to 1 but your rows do not: you normalised along the "
                       "wrong axis; each example (each row) is normalised on its own.")),
    Symptom(sums_along(-1, 1.0, want=False),
            Message(zh="你的结果每一行加起来不等于 1，所以还不是概率分布：检查分母是否正好是同一行所有"
                       "分子之和。",
                    en="Your rows do not sum to 1, so they are not yet distributions: check that "
                       "each denominator is exactly the sum of that row's numerators.")),
)
_LOG_SOFTMAX_SYMPTOMS = (
    Symptom(looks_like(lambda expected, case: np.exp(expected)),
            Message(zh="你返回的是概率，而这里要的是对数概率。",
                    en="You returned probabilities; this exercise wants log-probabilities.")),
    Symptom(lambda got, expected, case: bool(np.any(np.isneginf(got) & np.isfinite(expected))),
            Message(zh="你的结果在正确值有限的位置出现了 −inf：那里的概率下溢成了 0，又被取了对数。"
                        "回到推导任务 2，在对数域里化简。",
                    en="Your result has −inf where the right one is finite: a probability there "
                       "underflowed to 0 and was then logged. Back to derivation task 2: "
                       "simplify in the log domain.")),
    Symptom(lambda got, expected, case: sums_along(-1, 1.0, want=False)(
                np.exp(np.asarray(got)), expected, case),
            Message(zh="把你的结果取 exp 后，每一行加起来不等于 1：这些还不是一个分布的对数。",
                    en="Exponentiated, your rows do not sum to 1: these are not yet the logs "
                       "of a distribution.")),
)


def _logit_cases(rng: np.random.Generator, log: bool) -> list[Case]:
    """The inputs shared by both exercises; ``log`` picks the hints for log_softmax."""
    n, c = int(rng.integers(2, 9)), int(rng.integers(2, 11))
    random_batch = rng.standard_normal((n, c)) * 3
    vector = rng.standard_normal(int(rng.integers(2, 8))) * 3
    huge = rng.uniform(-1, 1, (3, 5)) * 1e4
    huge[0, :2] = 1e4  # a tie at the very top
    tiny = -1e4 + rng.standard_normal((2, 4))
    with_minus_inf = rng.standard_normal((3, 6)) * 2
    with_minus_inf[0, 1] = with_minus_inf[1, [0, 5]] = with_minus_inf[2, 3] = -np.inf
    many = rng.standard_normal((2, 1000)) * 10
    float32_big = (rng.uniform(-1, 1, (4, 6)) * 200).astype(np.float32)
    constant = np.full((2, 5), rng.uniform(-5, 5))
    return [
        Case((random_batch,), Message(zh="形状随机的一批 logits (N, C)",
                                      en="a batch of logits (N, C) of random shape"),
             hint=_KEEP_DIMS),
        Case((vector,), Message(zh="单个样本：一维 logit 向量 (C,)",
                                en="a single example: a 1-D vector of logits (C,)"),
             hint=_KEEP_DIMS),
        Case((rng.standard_normal((1, 4)),), Message(zh="只有一个样本的批量 (1, C)",
                                                     en="a batch of one example (1, C)"),
             hint=_KEEP_DIMS),
        Case((huge,), Message(zh="绝对值约为 10⁴ 的巨大 logits（正负都有）",
                              en="huge logits of magnitude about 10⁴ (both signs)"),
             hint=_LOG_OF_ZERO if log else _OVERFLOW),
        Case((tiny,), Message(zh="全都非常负的 logits（约 −10⁴）",
                              en="logits that are all very negative (about −10⁴)"),
             hint=_UNDERFLOW),
        Case((with_minus_inf,), Message(zh="含有 −inf 的 logits（被屏蔽的类别）",
                                        en="logits containing −inf (masked classes)"),
             hint=_MINUS_INF),
        Case((rng.standard_normal((3, 1)) * 5,), Message(zh="只有一个类别（C = 1）",
                                                         en="a single class (C = 1)"),
             hint=Message(zh="只有一个类别时它的概率必然是 1（对数概率是 0）。",
                          en="With one class its probability must be 1 (log-probability 0).")),
        Case((many,), Message(zh="很多类别（C = 1000）", en="many classes (C = 1000)"),
             hint=_KEEP_DIMS),
        Case((float32_big,), Message(zh="数值较大的 float32 logits",
                                     en="float32 logits with large values"),
             hint=_FLOAT32),
        Case((constant,), Message(zh="每一行所有 logit 都相等", en="rows whose logits are all equal"),
             hint=Message(zh="所有 logit 相等时每个类别的概率都是 1/C。",
                          en="When all logits are equal every class has probability 1/C.")),
    ]


def _softmax_cases(rng):
    return _logit_cases(rng, log=False)


def _log_softmax_cases(rng):
    return _logit_cases(rng, log=True)


def _expected_softmax(z):
    import torch

    return torch.softmax(torch.from_numpy(np.ascontiguousarray(z)), dim=-1).numpy()


def _expected_log_softmax(z):
    import torch

    return torch.log_softmax(torch.from_numpy(np.ascontiguousarray(z)), dim=-1).numpy()


SOFTMAX = register(Exercise(
    id="softmax",
    lesson="01_softmax",
    function="softmax",
    points=2,
    title=Message(zh="数值稳定的 softmax", en="A numerically stable softmax"),
    cases=_softmax_cases,
    expected=_expected_softmax,
    reference=probability.softmax,
    forbidden=_SHORTCUTS,
    hint=Message(zh="回到推导任务 1：softmax 在平移下有什么不变性？选一个平移，使任何指数都不会上溢，"
                    "分母也不会变成 0。",
                 en="Go back to derivation task 1: what is softmax invariant to? Choose a shift "
                    "so that no exponential overflows and the denominator cannot become 0."),
    symptoms=_SOFTMAX_SYMPTOMS,
))

LOG_SOFTMAX = register(Exercise(
    id="log_softmax",
    lesson="01_softmax",
    function="log_softmax",
    points=2,
    title=Message(zh="用 log-sum-exp 计算 log_softmax", en="log_softmax via log-sum-exp"),
    cases=_log_softmax_cases,
    expected=_expected_log_softmax,
    reference=probability.log_softmax,
    forbidden=_SHORTCUTS,
    hint=Message(zh="回到推导任务 2：在对数域里写出结果，整个计算都不先算出概率。",
                 en="Go back to derivation task 2: write the result in the log domain, without "
                    "ever forming the probabilities."),
    symptoms=_LOG_SOFTMAX_SYMPTOMS,
))
