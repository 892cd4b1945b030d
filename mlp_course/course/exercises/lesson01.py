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
from .core import Case, Exercise, register

__all__ = ["SOFTMAX", "LOG_SOFTMAX"]

# Anything that already is a softmax: the exercise is to write one.
_SHORTCUTS = ("torch", "scipy", "jax", "tensorflow", "sklearn", "mlp_course.softmax",
              "mlp_course.log_softmax", "mlp_course.logsumexp", "mlp_course.nn.probability",
              "mlp_course.nn.losses", "mlp_course.cross_entropy")

_KEEP_DIMS = Message(
    zh="用 axis=-1 并设 keepdims=True 求每行的最大值与和，同一段代码就能同时处理 (C,) 和 (N, C)。",
    en="Take the max and the sum with axis=-1 and keepdims=True: the same code then works "
       "for (C,) and (N, C).")
_OVERFLOW = Message(
    zh="e 的 10⁴ 次方超出浮点数范围变成 inf，inf/inf 得到 nan。先减去每一行的最大值"
       "（softmax 的结果不变），指数就不会溢出。",
    en="e to the power 10⁴ is beyond floating point and becomes inf, and inf/inf is nan. "
       "Subtract each row's maximum first (softmax does not change) so no exponential overflows.")
_UNDERFLOW = Message(
    zh="所有 logit 都很负时，每个 e^z 都下溢为 0，0/0 得到 nan。减去最大值后最大的一项变成 e^0 = 1，分母至少为 1。",
    en="When every logit is very negative each e^z underflows to 0, and 0/0 is nan. After "
       "subtracting the maximum the largest term is e^0 = 1, so the denominator is at least 1.")
_MINUS_INF = Message(
    zh="−inf 的 logit 表示概率为 0。减去（有限的）最大值后它仍是 −inf，exp 得到 0——不需要特殊处理。",
    en="A logit of −inf means probability 0. After subtracting the (finite) maximum it is still "
       "−inf and exp gives 0: no special case is needed.")
_FLOAT32 = Message(
    zh="保持输入的 dtype：float32 输入应得到 float32 输出（不要用 np.float64 或 dtype=float 转换）。",
    en="Keep the input's dtype: float32 in, float32 out (no np.float64 or dtype=float conversion).")
_LOG_OF_ZERO = Message(
    zh="log(softmax(z)) 会把下溢为 0 的概率变成 log 0 = −inf。直接算 "
       "z − max − log(∑ exp(z − max))，不要先算出概率再取对数。",
    en="log(softmax(z)) turns probabilities that underflowed to 0 into log 0 = −inf. Compute "
       "z − max − log(∑ exp(z − max)) directly instead of taking the log of probabilities.")


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
    hint=Message(zh="回到推导任务 1：利用平移不变性减去一个依赖于 z 的常数，让每个指数都 ≤ 0、"
                    "分母 ≥ 1；沿最后一个轴（keepdims=True）计算。",
                 en="Go back to derivation task 1: use shift invariance to subtract a constant that "
                    "depends on z, so that every exponent is <= 0 and the denominator >= 1; work "
                    "along the last axis (keepdims=True)."),
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
    hint=Message(zh="回到推导任务 2：把 e 的最大值次方从对数里的和中提出来，直接在对数域写出结果，"
                    "不要先算概率再取对数。",
                 en="Go back to derivation task 2: factor e to the maximum out of the sum inside the "
                    "log and write the result in the log domain, never forming probabilities."),
))
