r"""Lesson 06 exercises: backpropagation through a two-layer MLP, step by step.

第 06 课练习：逐步实现两层 MLP 的反向传播。

Each step is checked against the matching intermediate gradient of
``torch.autograd`` (``retain_grad()`` on :math:`Z^1`, :math:`A^1`, :math:`Z^2`),
as in Karpathy's "backprop ninja": the output error
:math:`\Delta^2 = (\hat Y - Y)/N` (``output_delta``), the gradients of a
linear layer from its error and input (``linear_grads``), the hidden error
:math:`\Delta^1 = (\Delta^2 W^2) \odot f'(Z^1)` (``hidden_delta``) and the
whole backward pass (``mlp_backward``). Mean reduction throughout, as
``torch.nn.functional.cross_entropy`` does by default.
"""

from __future__ import annotations

import numpy as np

from ...nn import activations, layers, probability
from ...i18n import CourseValueError, Message
from ...nn.validation import ACTIVATIONS, check_activation
from .core import Case, Exercise, Symptom, register
from .symptoms import (all_of, batch_size, close, looks_like, negated, part, parts_right, scaled,
                       sums_along, transposed)

__all__ = ["OUTPUT_DELTA", "LINEAR_GRADS", "HIDDEN_DELTA", "MLP_BACKWARD",
           "output_delta_reference", "linear_grads_reference", "hidden_delta_reference",
           "mlp_backward_reference", "mlp_backward_torch", "LOG_SOFTMAX_STEPS", "DEEP_BACKWARD",
           "log_softmax_steps_reference", "deep_backward_reference"]

LESSON = "06_backprop"

_FRAMEWORKS = ("torch", "scipy", "jax", "tensorflow", "sklearn", "keras")
# The library's own backward pieces would answer the exercise in one call.
_LIBRARY_BACKWARD = ("mlp_course.linear_backward", "mlp_course.nn.layers.linear_backward",
                     "mlp_course.activation_backward", "mlp_course.relu_backward",
                     "mlp_course.sigmoid_backward", "mlp_course.tanh_backward",
                     "mlp_course.nn.activations.activation_backward",
                     "mlp_course.cross_entropy_grad", "mlp_course.nn.losses.cross_entropy_grad",
                     "mlp_course.MLP", "mlp_course.nn.mlp", "MLP",
                     # this lesson's own references and PyTorch helpers (mlp_backward_torch)
                     "mlp_course.course.exercises.lesson06", "mlp_backward_torch")


# ---------------------------------------------------------------------------
# References: the library, with the exercises' signatures

def output_delta_reference(Y_hat, y):
    r"""Error at the logits for mean cross-entropy: :math:`\Delta^2 = (\hat Y - Y) / N`.

    平均交叉熵在 logits 处的误差：:math:`\Delta^2 = (\hat Y - Y) / N`。
    """
    Y_hat = np.asarray(Y_hat)
    Y = probability.one_hot(y, Y_hat.shape[1], dtype=Y_hat.dtype)
    return (Y_hat - Y) / Y_hat.shape[0]


def linear_grads_reference(delta, A_prev):
    r"""Gradients of a linear layer: :math:`dW = \Delta^\top A`, :math:`db = \sum_n \Delta_n`.

    线性层参数的梯度：:math:`dW = \Delta^\top A`，:math:`db = \sum_n \Delta_n`。
    """
    delta, A_prev = np.asarray(delta), np.asarray(A_prev)
    W = np.zeros((delta.shape[1], A_prev.shape[1]), dtype=A_prev.dtype)
    b = np.zeros(delta.shape[1], dtype=A_prev.dtype)
    _, cache = layers.linear_forward(A_prev, W, b)
    _, dW, db = layers.linear_backward(delta, cache)
    return dW, db


def hidden_delta_reference(W2, delta2, Z1, activation="relu"):
    r"""Error of the hidden layer: :math:`\Delta^1 = (\Delta^2 W^2) \odot f'(Z^1)`.

    隐藏层误差：:math:`\Delta^1 = (\Delta^2 W^2) \odot f'(Z^1)`。
    """
    return activations.activation_backward(check_activation(activation),
                                           np.asarray(delta2) @ np.asarray(W2), Z1)


def mlp_backward_reference(X, y, W1, b1, W2, b2, activation="relu"):
    r"""All four gradients of the mean cross-entropy of a two-layer MLP.

    两层 MLP 平均交叉熵损失对四个参数的梯度。

    Returns
    -------
    dW1 : (H, D), db1 : (H,), dW2 : (C, H), db2 : (C,)
    """
    activation = check_activation(activation)
    Z1, cache1 = layers.linear_forward(X, W1, b1)
    A1 = activations.activation_forward(activation, Z1)
    Z2, cache2 = layers.linear_forward(A1, W2, b2)
    delta2 = output_delta_reference(probability.softmax(Z2, axis=1), y)
    dA1, dW2, db2 = layers.linear_backward(delta2, cache2)
    delta1 = activations.activation_backward(activation, dA1, Z1)
    _, dW1, db1 = layers.linear_backward(delta1, cache1)
    return dW1, db1, dW2, db2


# ---------------------------------------------------------------------------
# Expected values from torch.autograd

def _tensor(array):
    import torch

    return torch.from_numpy(np.ascontiguousarray(array))


def _torch_activation(activation: str):
    import torch

    return {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]


def mlp_backward_torch(X, y, W1, b1, W2, b2, activation="relu") -> dict:
    r"""Run the network in PyTorch and return every intermediate and its gradient.

    用 PyTorch 运行同一个网络，返回每个中间量及其梯度（numpy 数组）。

    ``retain_grad()`` keeps :math:`\partial L/\partial Z^1`, :math:`\partial
    L/\partial A^1` and :math:`\partial L/\partial Z^2`, which autograd would
    otherwise free: the keys are ``"Z1", "A1", "Z2", "Y_hat", "loss"`` and
    ``"dZ1", "dA1", "dZ2", "dW1", "db1", "dW2", "db2"``.
    """
    import torch

    activation = check_activation(activation)
    params = [_tensor(p).clone().requires_grad_() for p in (W1, b1, W2, b2)]
    tW1, tb1, tW2, tb2 = params
    Z1 = torch.nn.functional.linear(_tensor(X), tW1, tb1)
    A1 = _torch_activation(activation)(Z1)
    Z2 = torch.nn.functional.linear(A1, tW2, tb2)
    for tensor in (Z1, A1, Z2):
        tensor.retain_grad()
    loss = torch.nn.functional.cross_entropy(Z2, _tensor(np.asarray(y, dtype=np.int64)))
    loss.backward()
    out = {"Z1": Z1, "A1": A1, "Z2": Z2, "Y_hat": torch.softmax(Z2, dim=1), "loss": loss,
           "dZ1": Z1.grad, "dA1": A1.grad, "dZ2": Z2.grad, "dW1": tW1.grad, "db1": tb1.grad,
           "dW2": tW2.grad, "db2": tb2.grad}
    return {name: value.detach().numpy() for name, value in out.items()}


def _expected_output_delta(Y_hat, y):
    import torch

    # log Ŷ is a valid vector of logits for Ŷ (softmax(log Ŷ) = Ŷ), so the
    # gradient of cross-entropy at these logits is exactly ∂L/∂Z² of the network.
    with np.errstate(divide="ignore"):
        logits = _tensor(np.log(Y_hat)).requires_grad_()
    loss = torch.nn.functional.cross_entropy(logits, _tensor(np.asarray(y, dtype=np.int64)))
    loss.backward()
    return logits.grad.numpy()


def _expected_linear_grads(delta, A_prev):
    import torch

    W = torch.zeros((delta.shape[1], A_prev.shape[1]), dtype=_tensor(A_prev).dtype,
                    requires_grad=True)
    b = torch.zeros(delta.shape[1], dtype=W.dtype, requires_grad=True)
    Z = torch.nn.functional.linear(_tensor(A_prev), W, b)
    Z.backward(_tensor(delta))
    return W.grad.numpy(), b.grad.numpy()


def _expected_hidden_delta(W2, delta2, Z1, activation="relu"):
    Z1_t = _tensor(Z1).clone().requires_grad_()
    Z2 = _torch_activation(activation)(Z1_t) @ _tensor(W2).T
    Z2.backward(_tensor(delta2))
    return Z1_t.grad.numpy()


def _expected_mlp_backward(X, y, W1, b1, W2, b2, activation="relu"):
    grads = mlp_backward_torch(X, y, W1, b1, W2, b2, activation)
    return grads["dW1"], grads["db1"], grads["dW2"], grads["db2"]


# ---------------------------------------------------------------------------
# Inputs

def _softmax_rows(logits: np.ndarray) -> np.ndarray:
    return probability.softmax(logits, axis=1)


def _labels(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    return rng.integers(0, c, size=n).astype(np.int64)


def _network(rng: np.random.Generator, n: int, d: int, h: int, c: int, dtype=np.float64,
             out_scale: float = 1.0):
    X = rng.standard_normal((n, d)).astype(dtype)
    y = _labels(rng, n, c)
    W1 = (rng.standard_normal((h, d)) / np.sqrt(d)).astype(dtype)
    b1 = (rng.standard_normal(h) * 0.5).astype(dtype)
    W2 = (rng.standard_normal((c, h)) / np.sqrt(h) * out_scale).astype(dtype)
    b2 = (rng.standard_normal(c) * 0.5).astype(dtype)
    return X, y, W1, b1, W2, b2


_KEEP_DTYPE = Message(
    zh="保持输入的 dtype：float32 输入应得到 float32 输出。中间若要构造新数组（例如独热矩阵），"
       "也用输入的 dtype。",
    en="Keep the input's dtype: float32 in, float32 out. Any array you build along the way (a "
       "one-hot matrix, say) takes the input's dtype too.")


# ---------------------------------------------------------------------------
# output_delta

_DIVIDE_BY_N = Message(
    zh="损失是批量的平均值 L = (1/N) Σ Lₙ。回到推导任务 1：这个平均会怎样出现在 ∂L/∂Z² 里？",
    en="The loss is the batch mean L = (1/N) Σ Lₙ. Back to derivation task 1: how does that "
       "mean show up in ∂L/∂Z²?")
_ONE_HOT = Message(
    zh="y 是类别索引，形状 (N,)，不是独热矩阵；直接拿 Y_hat 和 y 做运算会按错误的方式广播。"
       "推导任务 1 的结果里用到的 y 是哪种形式？",
    en="y holds class indices, shape (N,), not a one-hot matrix; combining Y_hat and y directly "
       "broadcasts the wrong way. In which form does y appear in the result of derivation "
       "task 1?")
_DELTA_TASK = Message(
    zh="回到推导任务 1：先求一个样本的 ∂Lₙ/∂zₙ（第 04 课推导任务 2），再看批量平均带来什么变化。",
    en="Back to derivation task 1: find one example's ∂Lₙ/∂zₙ first (lesson 04, derivation "
       "task 2), then see what the batch mean changes.")
_OUTPUT_DELTA_SYMPTOMS = (
    Symptom(negated(),
            Message(zh="你的 Δ² 正好是正确值的相反数：检查符号。",
                    en="Your Δ² is exactly the negative of the right one: check the sign.")),
    Symptom(scaled(batch_size()),
            Message(zh="你的 Δ² 正好是正确值的 N 倍（N 为批量大小）：损失是批量平均，这个平均在梯度里也在。",
                    en="Your Δ² is exactly N times the right one (N is the batch size): the loss "
                       "is a batch mean, and that mean stays in its gradient.")),
    Symptom(sums_along(-1, 0.0, want=False),
            Message(zh="你的 Δ² 有的行加起来不为 0，而正确结果每一行之和都是 0——想一想为什么，"
                       "再检查真实类别处的那一项。",
                    en="Some rows of your Δ² do not sum to 0, while every row of the right one "
                       "does: work out why, then check the entry at the true class.")),
)


def _output_delta_cases(rng: np.random.Generator) -> list[Case]:
    n, c = int(rng.integers(3, 9)), int(rng.integers(2, 7))
    if n == c:
        n += 1
    square = int(rng.integers(3, 7))
    single = int(rng.integers(2, 6))
    confident = np.full((4, 5), -1e4)
    confident[np.arange(4), [0, 2, 0, 3]] = 1e4  # one certain class per row; 3 of 4 wrong
    return [
        Case((_softmax_rows(rng.standard_normal((n, c)) * 2), _labels(rng, n, c)), Message(
            zh="形状随机的一批概率 Ŷ (N, C) 和标签 y (N,)",
            en="a batch of probabilities Ŷ (N, C) with labels y (N,) of random shape"),
            hint=_ONE_HOT),
        Case((_softmax_rows(rng.standard_normal((1, c))), _labels(rng, 1, c)), Message(
            zh="只有一个样本的批量", en="a batch of one example"), hint=_ONE_HOT),
        Case((_softmax_rows(rng.standard_normal((square, square))), _labels(rng, square, square)),
             Message(zh="样本数与类别数相等（N = C）", en="as many examples as classes (N = C)"),
             hint=_ONE_HOT),
        Case((_softmax_rows(confident), np.array([1, 2, 0, 4])), Message(
            zh="极其自信的预测（概率恰好为 0 或 1），大多是错的",
            en="extremely confident predictions (probabilities exactly 0 or 1), mostly wrong"),
            hint=_DIVIDE_BY_N),
        Case((np.ones((single, 1)), np.zeros(single, dtype=np.int64)), Message(
            zh="只有一个类别（C = 1）", en="a single class (C = 1)"), hint=_ONE_HOT),
        Case((_softmax_rows(rng.standard_normal((3, 1000)) * 3), _labels(rng, 3, 1000)),
             Message(zh="很多类别（C = 1000）", en="many classes (C = 1000)"), hint=_ONE_HOT),
        Case((_softmax_rows(rng.standard_normal((n, c)).astype(np.float32) * 2),
              _labels(rng, n, c)), Message(zh="float32 的概率", en="float32 probabilities"),
             hint=_KEEP_DTYPE),
    ]


OUTPUT_DELTA = register(Exercise(
    id="output_delta",
    lesson=LESSON,
    function="output_delta",
    points=2,
    title=Message(zh="输出层误差 Δ²：损失对 logits 的梯度",
                  en="The output error Δ²: the gradient at the logits"),
    cases=_output_delta_cases,
    expected=_expected_output_delta,
    reference=output_delta_reference,
    forbidden=_FRAMEWORKS + _LIBRARY_BACKWARD,
    hint=_DELTA_TASK,
    symptoms=_OUTPUT_DELTA_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# linear_grads

_SUM_OVER_BATCH = Message(
    zh="所有样本共用同一个 W 和 b，每个样本都贡献一份梯度（推导任务 2：从单个样本的外积出发）。"
       "Δ 里已经含有批量平均的 1/N。",
    en="All examples share the same W and b, and every example contributes to their gradients "
       "(derivation task 2: start from one example's outer product). Δ already holds the 1/N "
       "of the batch mean.")
_TRANSPOSED_DW = Message(
    zh="dW 的形状必须和 W 一样，是 (H_out, H_in) = (out_features, in_features)。对照形状，"
       "想一想矩阵乘法里谁在左边、谁需要转置。",
    en="dW must have the shape of W, (H_out, H_in) = (out_features, in_features). Compare the "
       "shapes to see which factor goes on the left and which needs a transpose.")
_LINEAR_GRADS_SYMPTOMS = (
    Symptom(part(0, transposed()),
            Message(zh="你的 dW 是正确结果的转置：它的形状必须与 W 相同，(H_out, H_in)。",
                    en="Your dW is the transpose of the right one: it must have the shape of W, "
                       "(H_out, H_in).")),
    Symptom(all_of(part(0, scaled(lambda case: 1.0 / np.shape(case.args[0])[0])),
                   part(1, scaled(lambda case: 1.0 / np.shape(case.args[0])[0]))),
            Message(zh="你的 dW 和 db 都只有正确值的 1/N：Δ 里已经含有批量平均，不要再除一次 N。",
                    en="Your dW and db are both 1/N of the right ones: Δ already holds the batch "
                       "mean; do not divide by N again.")),
    Symptom(all_of(parts_right([0]), parts_right([1], seen_right=False)),
            Message(zh="dW 对了，db 不对：偏置对每个样本的贡献是什么？db 的形状应为 (H_out,)。",
                    en="dW is right and db is not: what does each example contribute to the "
                       "bias gradient? db has shape (H_out,).")),
)
def _linear_grads_args(rng, n, h_in, h_out, dtype=np.float64):
    return (rng.standard_normal((n, h_out)).astype(dtype),
            rng.standard_normal((n, h_in)).astype(dtype))


def _linear_grads_cases(rng: np.random.Generator) -> list[Case]:
    h_in = int(rng.integers(2, 6))
    h_out = h_in + int(rng.integers(1, 4))
    n = h_out + int(rng.integers(1, 5))
    square = int(rng.integers(3, 6))
    return [
        Case(_linear_grads_args(rng, n, h_in, h_out), Message(
            zh="形状随机的误差 Δ (N, H_out) 和层输入 A (N, H_in)",
            en="an error Δ (N, H_out) and layer input A (N, H_in) of random shapes"),
            hint=_SUM_OVER_BATCH),
        Case(_linear_grads_args(rng, 1, h_in, h_out), Message(
            zh="只有一个样本的批量", en="a batch of one example"), hint=_TRANSPOSED_DW),
        Case(_linear_grads_args(rng, square, square, square), Message(
            zh="N = H_in = H_out（方阵：转置的 dW 形状也对）",
            en="N = H_in = H_out (square: a transposed dW has the right shape)"),
            hint=_TRANSPOSED_DW),
        Case(_linear_grads_args(rng, n, 1, h_out), Message(
            zh="层输入只有一个特征（H_in = 1）", en="a layer input with one feature (H_in = 1)"),
            hint=_TRANSPOSED_DW),
        Case(_linear_grads_args(rng, n, h_in, 1), Message(
            zh="只有一个输出（H_out = 1）", en="a single output (H_out = 1)"),
            hint=_SUM_OVER_BATCH),
        Case(_linear_grads_args(rng, 64, h_in, h_out), Message(
            zh="较大的批量（N = 64）", en="a larger batch (N = 64)"), hint=_SUM_OVER_BATCH),
        Case(_linear_grads_args(rng, n, h_in, h_out, dtype=np.float32), Message(
            zh="float32 的误差和输入", en="float32 error and input"), hint=_KEEP_DTYPE),
    ]


LINEAR_GRADS = register(Exercise(
    id="linear_grads",
    lesson=LESSON,
    function="linear_grads",
    points=2,
    title=Message(zh="线性层的参数梯度 dW、db", en="The parameter gradients dW, db of a linear layer"),
    cases=_linear_grads_cases,
    expected=_expected_linear_grads,
    reference=linear_grads_reference,
    forbidden=_FRAMEWORKS + _LIBRARY_BACKWARD,
    hint=_SUM_OVER_BATCH,
    symptoms=_LINEAR_GRADS_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# hidden_delta

_HADAMARD = Message(
    zh="分两步（推导任务 3）：先把误差经过 W² 传回隐藏层的输出 A¹，形状 (N, H)；再经过激活函数传到 Z¹，"
       "这一步是逐元素的。各激活函数的导数见第 05 课推导任务 2、3。",
    en="Two steps (derivation task 3): carry the error back through W² to the hidden layer's "
       "output A¹, shape (N, H); then through the activation to Z¹, which acts entry by entry. "
       "The activations' derivatives are lesson 05's derivation tasks 2 and 3.")
_RELU_AT_ZERO = Message(
    zh="ReLU 在 0 处不可导；PyTorch 约定 ReLU′(0) = 0。检查你的导数在 Z¹ 恰好为 0 的位置取了什么值。",
    en="ReLU has no derivative at 0; PyTorch takes ReLU′(0) = 0. Check which value your "
       "derivative takes where Z¹ is exactly 0.")
_SATURATED = Message(
    zh="|z| 很大时 σ′ 和 tanh′ 趋于 0。结果出现 nan，说明导数的计算中有 inf/inf 或 0 × inf："
       "只用稳定算出的 σ(z) 或 tanh(z) 来表示导数（第 05 课推导任务 2、3）。",
    en="For large |z| both σ′ and tanh′ go to 0. A nan means the derivative met inf/inf or "
       "0 × inf: express the derivative through a stably computed σ(z) or tanh(z) alone "
       "(lesson 05, derivation tasks 2 and 3).")


def _error_at_a1(expected, case):
    W2, delta2 = (np.asarray(a, dtype=np.float64) for a in case.args[:2])
    return delta2 @ W2


_HIDDEN_DELTA_SYMPTOMS = (
    Symptom(looks_like(_error_at_a1),
            Message(zh="你的结果是传回到 A¹ 的误差：还差经过激活函数回到 Z¹ 的那一步。",
                    en="Your result is the error carried back to A¹: the step through the "
                       "activation to Z¹ is still missing.")),
    Symptom(lambda got, expected, case: np.any(np.asarray(case.args[2]) == 0)
            and not close(got, expected, case) and close(
                np.asarray(got)[np.asarray(case.args[2]) != 0],
                np.asarray(expected)[np.asarray(case.args[2]) != 0], case),
            Message(zh="只有 Z¹ 恰好为 0 的位置不对：PyTorch 约定 ReLU′(0) = 0。",
                    en="Only the places where Z¹ is exactly 0 are wrong: PyTorch takes "
                       "ReLU′(0) = 0.")),
)


def _hidden_args(rng, n, h, c, activation, dtype=np.float64, z_scale=2.0):
    W2 = (rng.standard_normal((c, h)) / np.sqrt(h)).astype(dtype)
    delta2 = (rng.standard_normal((n, c)) / n).astype(dtype)
    Z1 = (rng.standard_normal((n, h)) * z_scale).astype(dtype)
    return W2, delta2, Z1, activation


def _hidden_delta_cases(rng: np.random.Generator) -> list[Case]:
    h = int(rng.integers(2, 7))
    c = h + int(rng.integers(1, 3))
    n = c + int(rng.integers(1, 4))
    square = int(rng.integers(3, 6))
    zeros = _hidden_args(rng, n, h, c, "relu")
    zeros[2].flat[rng.choice(zeros[2].size, size=max(1, zeros[2].size // 3), replace=False)] = 0.0
    cases = [
        Case(_hidden_args(rng, n, h, c, name), Message(
            zh="形状随机的输入，激活函数 {act}", en="inputs of random shape, activation {act}",
            act=name), hint=_HADAMARD)
        for name in ACTIVATIONS
    ]
    cases += [
        Case(zeros, Message(zh="ReLU，Z¹ 中有恰好为 0 的元素",
                            en="ReLU with entries of Z¹ exactly 0"), hint=_RELU_AT_ZERO),
        Case(_hidden_args(rng, n, h, c, "sigmoid", z_scale=1e4), Message(
            zh="sigmoid，Z¹ 绝对值约为 10⁴（饱和）",
            en="sigmoid with |Z¹| about 10⁴ (saturated)"), hint=_SATURATED),
        Case(_hidden_args(rng, n, h, c, "tanh", z_scale=1e4), Message(
            zh="tanh，Z¹ 绝对值约为 10⁴（饱和）", en="tanh with |Z¹| about 10⁴ (saturated)"),
            hint=_SATURATED),
        Case(_hidden_args(rng, square, square, square, "tanh"), Message(
            zh="N = H = C（方阵：W² 用错转置不会引起形状报错）",
            en="N = H = C (square: using W² with the wrong transpose raises no shape error)"),
            hint=_HADAMARD),
        Case(_hidden_args(rng, 1, h, c, "relu"), Message(
            zh="只有一个样本的批量", en="a batch of one example"), hint=_HADAMARD),
        Case(_hidden_args(rng, n, 1, c, "sigmoid"), Message(
            zh="只有一个隐藏单元（H = 1）", en="a single hidden unit (H = 1)"), hint=_HADAMARD),
    ]
    cases += [
        Case(_hidden_args(rng, n, h, c, name, dtype=np.float32), Message(
            zh="float32 的输入，激活函数 {act}", en="float32 inputs, activation {act}", act=name),
            hint=_KEEP_DTYPE)
        for name in ACTIVATIONS
    ]
    return cases


HIDDEN_DELTA = register(Exercise(
    id="hidden_delta",
    lesson=LESSON,
    function="hidden_delta",
    points=3,
    title=Message(zh="隐藏层误差 Δ¹：损失对 Z¹ 的梯度",
                  en="The hidden error Δ¹: the gradient at Z¹"),
    cases=_hidden_delta_cases,
    expected=_expected_hidden_delta,
    reference=hidden_delta_reference,
    forbidden=_FRAMEWORKS + _LIBRARY_BACKWARD,
    hint=_HADAMARD,
    symptoms=_HIDDEN_DELTA_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# mlp_backward

_CHAIN = Message(
    zh="按课中第 1–5 步的顺序：前向传播并保存 Z¹、A¹；输出层误差用推导任务 1 的结果，"
       "两层的 dW、db 用推导任务 2，隐藏层误差用推导任务 3。返回 (dW1, db1, dW2, db2)，"
       "每一项与对应的参数同形状。",
    en="Follow steps 1–5 of the lesson: the forward pass, keeping Z¹ and A¹; the output error "
       "from derivation task 1, both layers' dW, db from derivation task 2, the hidden error "
       "from derivation task 3. Return (dW1, db1, dW2, db2), each shaped like its parameter.")
_STABLE_FORWARD = Message(
    zh="logits 很大时，前向传播中的 softmax 要用第 01 课的稳定写法，否则 exp 溢出得到 nan。",
    en="With huge logits the forward softmax needs lesson 01's stable form, or exp overflows "
       "into nan.")
_MLP_BACKWARD_SYMPTOMS = (
    Symptom(all_of(parts_right([2, 3]), lambda got, expected, case: not parts_right([0, 1])(
                got, expected, case)),
            Message(zh="输出层的 dW2、db2 对了，第一层的 dW1、db1 不对：问题出在输出层之后的步骤，"
                       "即隐藏层误差（推导任务 3），或由它求第一层梯度的那一步（推导任务 2）。",
                    en="The output layer's dW2, db2 are right and the first layer's dW1, db1 are "
                       "not: the trouble lies after the output layer, in the hidden error "
                       "(derivation task 3) or in the first layer's gradients taken from it "
                       "(derivation task 2).")),
    Symptom(all_of(*(part(index, scaled(batch_size())) for index in range(4))),
            Message(zh="四个梯度都正好是正确值的 N 倍（N 为批量大小）：损失是批量平均（推导任务 1）。",
                    en="All four gradients are exactly N times the right ones (N is the batch "
                       "size): the loss is a batch mean (derivation task 1).")),
)


def _mlp_backward_cases(rng: np.random.Generator) -> list[Case]:
    d = int(rng.integers(2, 5))
    h = d + int(rng.integers(1, 4))
    c = int(rng.integers(2, 5))
    n = max(h, c) + int(rng.integers(1, 4))
    square = int(rng.integers(3, 6))
    cases = [
        Case(_network(rng, n, d, h, c) + (name,), Message(
            zh="形状随机的一批数据，激活函数 {act}", en="a batch of random shape, activation {act}",
            act=name), hint=_CHAIN)
        for name in ACTIVATIONS
    ]
    cases += [
        Case(_network(rng, 1, d, h, c) + ("relu",), Message(
            zh="只有一个样本的批量", en="a batch of one example"), hint=_CHAIN),
        Case(_network(rng, square, square, square, square) + ("tanh",), Message(
            zh="N = D = H = C（方阵：转置错误不会引起形状报错）",
            en="N = D = H = C (square: a wrong transpose raises no shape error)"), hint=_CHAIN),
        Case(_network(rng, n, d, h, c, out_scale=1e4) + ("relu",), Message(
            zh="输出层权重极大，logits 约为 ±10⁴", en="huge output weights: logits of about ±10⁴"),
            hint=_STABLE_FORWARD),
        Case(_network(rng, n, d, h, 1) + ("sigmoid",), Message(
            zh="只有一个类别（C = 1，损失恒为 0）", en="a single class (C = 1, the loss is always 0)"),
            hint=_CHAIN),
        Case(_network(rng, n, d, h, c, dtype=np.float32) + ("relu",), Message(
            zh="float32 的数据和参数", en="float32 data and parameters"), hint=_KEEP_DTYPE),
    ]
    return cases


MLP_BACKWARD = register(Exercise(
    id="mlp_backward",
    lesson=LESSON,
    function="mlp_backward",
    points=3,
    title=Message(zh="两层 MLP 的完整反向传播", en="The full backward pass of a two-layer MLP"),
    cases=_mlp_backward_cases,
    expected=_expected_mlp_backward,
    reference=mlp_backward_reference,
    forbidden=_FRAMEWORKS + _LIBRARY_BACKWARD,
    hint=_CHAIN,
    symptoms=_MLP_BACKWARD_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# log_softmax_steps: backpropagation through the stable log-softmax, one atom at a time

def log_softmax_steps_reference(Z, y):
    r"""Every intermediate gradient of the mean cross-entropy computed by the stable log-softmax.

    稳定 log-softmax 计算出的平均交叉熵：逐个原子运算反向传播，返回每个中间梯度。

    The forward pass is ``m = max(Z, axis=1, keepdims=True)``, ``S = Z − m``,
    ``E = exp(S)``, ``s = ΣE`` (per row), ``lse = log s``, ``logp = S − lse``,
    ``L = −mean(logp[n, y_n])``. Returns ``(dlogp, dS, dm, dZ)`` with the shapes of
    ``logp`` (N, C), ``S`` (N, C), ``m`` (N, 1) and ``Z`` (N, C).
    """
    Z = np.asarray(Z)
    N = Z.shape[0]
    rows = np.arange(N)
    m = Z.max(axis=1, keepdims=True)
    S = Z - m
    E = np.exp(S)
    s = E.sum(axis=1, keepdims=True)
    dlogp = np.zeros_like(Z)
    dlogp[rows, y] = -1.0 / N
    dlse = -dlogp.sum(axis=1, keepdims=True)
    dE = dlse / s
    dS = dlogp + E * dE
    dm = -dS.sum(axis=1, keepdims=True)
    dZ = dS.copy()
    dZ[rows, Z.argmax(axis=1)] += dm[:, 0]
    return dlogp, dS, dm, dZ


def _expected_log_softmax_steps(Z, y):
    import torch

    Z_t = _tensor(Z).clone().requires_grad_()
    m = Z_t.max(dim=1, keepdim=True).values
    S = Z_t - m
    lse = S.exp().sum(dim=1, keepdim=True).log()
    logp = S - lse
    for tensor in (m, S, logp):
        tensor.retain_grad()
    rows = torch.arange(Z_t.shape[0])
    loss = -logp[rows, _tensor(np.asarray(y, dtype=np.int64))].mean()
    loss.backward()
    return (logp.grad.numpy(), S.grad.numpy(), m.grad.numpy(), Z_t.grad.numpy())


_ATOMS = Message(
    zh="把前向传播倒过来走，一次只过一个原子运算（推导任务 4）：从 dlogp 开始，经过 logp = S − lse "
       "到 S 和 lse，再经过 log、求和与 exp 回到 S，最后经过 S = Z − m 到 Z 和 m。"
       "同一个量从两条路得到梯度时，两份要相加。",
    en="Walk the forward pass backwards, one atomic step at a time (derivation task 4): start "
       "from dlogp, go through logp = S − lse to S and lse, back through log, the sum and exp to "
       "S, and finally through S = Z − m to Z and m. A quantity reached along two paths gets "
       "the sum of both gradients.")
_MAX_GRADIENT = Message(
    zh="每一行的 m 只由这一行中的一个元素决定。最大值并列时，PyTorch 把梯度交给第一个最大值"
       "（与 np.argmax 选的相同）。dm 的形状是 (N, 1)，与 keepdims=True 的 m 相同。",
    en="Each row's m is decided by a single entry of that row. When the maximum is tied, "
       "PyTorch gives the gradient to the first maximum (the one np.argmax picks). dm has "
       "shape (N, 1), like m with keepdims=True.")
_STEPS_SYMPTOMS = (
    Symptom(all_of(parts_right([0]), parts_right([1], seen_right=False)),
            Message(zh="dlogp 对了，dS 不对：S 经过两条路影响损失（直接经过 logp，以及经过 lse），"
                       "两条路的梯度要相加。",
                    en="dlogp is right and dS is not: S reaches the loss along two paths "
                       "(directly through logp, and through lse); add the gradients of both.")),
    Symptom(all_of(parts_right([0, 1]), parts_right([2], seen_right=False)),
            Message(zh="dS 对了，dm 不对：m 只经过 S = Z − m 影响损失，每行的 m 影响这一行的每个元素。",
                    en="dS is right and dm is not: m reaches the loss only through S = Z − m, "
                       "and each row's m touches every entry of that row.")),
    Symptom(all_of(parts_right([0, 1, 2]), parts_right([3], seen_right=False)),
            Message(zh="dS 和 dm 都对了，dZ 不对：Z 既直接出现在 S = Z − m 中，也经过 m 影响损失；"
                       "第二条路只经过每行最大值所在的位置。",
                    en="dS and dm are right and dZ is not: Z appears directly in S = Z − m and "
                       "also reaches the loss through m; the second path passes only through "
                       "each row's maximum.")),
)
_STEPS_DTYPE = Message(
    zh="保持 Z 的 dtype：float32 进，四个结果都是 float32 出。",
    en="Keep the dtype of Z: float32 in, all four results float32 out.")


def _log_softmax_steps_cases(rng: np.random.Generator) -> list[Case]:
    n, c = int(rng.integers(3, 8)), int(rng.integers(2, 7))
    if n == c:
        n += 1
    ties = rng.standard_normal((4, 5))
    ties[:, 1] = ties[:, 3] = ties.max(axis=1) + 1.0   # two equal maxima in every row
    minus_inf = rng.standard_normal((3, 4))
    minus_inf[[0, 1, 2], [1, 3, 0]] = -np.inf
    y_inf = np.array([0, 1, 2])
    return [
        Case((rng.standard_normal((n, c)) * 2, _labels(rng, n, c)), Message(
            zh="形状随机的一批 logits Z (N, C) 和标签 y (N,)",
            en="a batch of logits Z (N, C) with labels y (N,) of random shape"), hint=_ATOMS),
        Case((rng.standard_normal((1, c)), _labels(rng, 1, c)), Message(
            zh="只有一个样本的批量", en="a batch of one example"), hint=_ATOMS),
        Case((rng.standard_normal((n, c)) * 1e4, _labels(rng, n, c)), Message(
            zh="绝对值约为 10⁴ 的 logits（不减去最大值就会上溢）",
            en="logits of about ±10⁴ (they overflow unless the maximum is subtracted)"),
            hint=_ATOMS),
        Case((ties, _labels(rng, 4, 5)), Message(
            zh="每一行的最大值都出现两次（并列最大）", en="every row's maximum occurs twice (a tie)"),
            hint=_MAX_GRADIENT),
        Case((minus_inf, y_inf), Message(
            zh="含有 −inf 的 logits（对应的概率恰好为 0）",
            en="logits containing −inf (their probabilities are exactly 0)"), hint=_ATOMS),
        Case((rng.standard_normal((n, 1)), np.zeros(n, dtype=np.int64)), Message(
            zh="只有一个类别（C = 1，损失恒为 0）", en="a single class (C = 1, the loss is always 0)"),
            hint=_MAX_GRADIENT),
        Case((rng.standard_normal((3, 1000)) * 3, _labels(rng, 3, 1000)), Message(
            zh="很多类别（C = 1000）", en="many classes (C = 1000)"), hint=_ATOMS),
        Case(((rng.standard_normal((n, c)) * 2).astype(np.float32), _labels(rng, n, c)),
             Message(zh="float32 的 logits", en="float32 logits"), hint=_STEPS_DTYPE),
    ]


_LIBRARY_PROBABILITY = ("mlp_course.softmax", "mlp_course.log_softmax", "mlp_course.logsumexp",
                        "mlp_course.cross_entropy", "mlp_course.nll_loss",
                        "mlp_course.nn.probability", "mlp_course.nn.losses")

LOG_SOFTMAX_STEPS = register(Exercise(
    id="log_softmax_steps",
    lesson=LESSON,
    function="log_softmax_steps",
    points=3,
    title=Message(zh="逐个原子运算穿过稳定的 log-softmax 反向传播",
                  en="Backpropagation through the stable log-softmax, one atomic step at a time"),
    cases=_log_softmax_steps_cases,
    expected=_expected_log_softmax_steps,
    reference=log_softmax_steps_reference,
    forbidden=_FRAMEWORKS + _LIBRARY_BACKWARD + _LIBRARY_PROBABILITY,
    hint=_ATOMS,
    symptoms=_STEPS_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# deep_backward: the backward pass of an MLP with any number of layers

def _check_params_list(params) -> list[np.ndarray]:
    if isinstance(params, np.ndarray) or not isinstance(params, (list, tuple)) \
            or len(params) < 2 or len(params) % 2:
        raise CourseValueError(
            zh="params 应为 [W1, b1, W2, b2, ...]：权重和偏置成对出现的列表。",
            en="params must be a list [W1, b1, W2, b2, ...] of weights and biases in pairs.")
    return [np.asarray(p) for p in params]


def deep_backward_reference(X, y, params, activation="relu"):
    r"""Gradients of the mean cross-entropy of an MLP with any number of layers.

    任意层数 MLP 的平均交叉熵对每个参数的梯度，顺序和形状与 ``params`` 相同。

    ``params = [W1, b1, ..., WL, bL]``; the activation acts after every layer but
    the last, whose output are the logits.
    """
    activation = check_activation(activation)
    params = _check_params_list(params)
    weights, biases = params[0::2], params[1::2]
    caches, pre_activations = [], []
    a = np.asarray(X)
    for layer, (W, b) in enumerate(zip(weights, biases)):
        z, cache = layers.linear_forward(a, W, b)
        caches.append(cache)
        pre_activations.append(z)
        if layer < len(weights) - 1:
            a = activations.activation_forward(activation, z)
    delta = output_delta_reference(probability.softmax(z, axis=1), y)
    grads: list = [None] * len(params)
    for layer in reversed(range(len(weights))):
        d_input, grads[2 * layer], grads[2 * layer + 1] = layers.linear_backward(delta, caches[layer])
        if layer > 0:
            delta = activations.activation_backward(activation, d_input,
                                                    pre_activations[layer - 1])
    return grads


def _expected_deep_backward(X, y, params, activation="relu"):
    import torch

    tensors = [_tensor(p).clone().requires_grad_() for p in params]
    a = _tensor(X)
    for index in range(0, len(tensors), 2):
        a = torch.nn.functional.linear(a, tensors[index], tensors[index + 1])
        if index + 2 < len(tensors):
            a = _torch_activation(activation)(a)
    loss = torch.nn.functional.cross_entropy(a, _tensor(np.asarray(y, dtype=np.int64)))
    return [gradient.numpy() for gradient in torch.autograd.grad(loss, tensors)]


def _deep_params(rng, sizes, dtype=np.float64, out_scale: float = 1.0):
    params = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        scale = out_scale if index == len(sizes) - 2 else 1.0
        params.append((rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in) * scale)
                      .astype(dtype))
        params.append((rng.standard_normal(fan_out) * 0.5).astype(dtype))
    return params


_LAYER_LOOP = Message(
    zh="前向时把每一层的输入和预激活值都存进列表；反向时从最后一层往前：本层的 dW、db 由本层误差和本层输入得到"
       "（推导任务 2），再用推导任务 5 的递推式把误差传给前一层。最后一层后面没有激活函数。",
    en="On the way forward keep every layer's input and pre-activation in lists; on the way "
       "back go from the last layer to the first: a layer's dW, db come from its error and its "
       "input (derivation task 2), then derivation task 5's recursion carries the error one "
       "layer down. The last layer has no activation after it.")
_GRAD_ORDER = Message(
    zh="返回的列表要与 params 同样长、同样顺序、每一项同样形状：[dW1, db1, dW2, db2, ...]。",
    en="Return a list as long as params, in its order and with its shapes: "
       "[dW1, db1, dW2, db2, ...].")


def _deep_cases(rng: np.random.Generator) -> list[Case]:
    d, c = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    h1, h2 = d + int(rng.integers(1, 4)), int(rng.integers(2, 6))
    n = max(h1, c) + int(rng.integers(1, 4))

    def data(n_rows, dtype=np.float64, classes=c):
        return rng.standard_normal((n_rows, d)).astype(dtype), _labels(rng, n_rows, classes)

    square = int(rng.integers(3, 6))
    X_sq = rng.standard_normal((square, square))
    rows = [
        (data(n), _deep_params(rng, [d, c]), "relu", Message(
            zh="没有隐藏层（L = 1，softmax 回归）", en="no hidden layer (L = 1, softmax regression)"),
         _GRAD_ORDER),
        (data(n), _deep_params(rng, [d, h1, c]), "relu", Message(
            zh="一个隐藏层（L = 2），ReLU", en="one hidden layer (L = 2), ReLU"), _LAYER_LOOP),
    ]
    rows += [
        (data(n), _deep_params(rng, [d, h1, h2, c]), name, Message(
            zh="两个隐藏层（L = 3），激活函数 {act}", en="two hidden layers (L = 3), activation {act}",
            act=name), _LAYER_LOOP)
        for name in ACTIVATIONS
    ]
    rows += [
        (data(n), _deep_params(rng, [d, h1, 4, h2, 3, c]), "tanh", Message(
            zh="四个隐藏层（L = 5）", en="four hidden layers (L = 5)"), _LAYER_LOOP),
        (data(1), _deep_params(rng, [d, h1, h2, c]), "relu", Message(
            zh="只有一个样本的批量", en="a batch of one example"), _LAYER_LOOP),
        ((X_sq, _labels(rng, square, square)), _deep_params(rng, [square] * 4), "sigmoid", Message(
            zh="所有维数都相等（方阵：转置错误不会引起形状报错）",
            en="every size equal (square: a wrong transpose raises no shape error)"), _LAYER_LOOP),
        (data(n), _deep_params(rng, [d, h1, h2, c], out_scale=1e4), "relu", Message(
            zh="输出层权重极大，logits 约为 ±10⁴", en="huge output weights: logits of about ±10⁴"),
         _STABLE_FORWARD),
        (data(n, classes=1), _deep_params(rng, [d, h1, h2, 1]), "tanh", Message(
            zh="只有一个类别（C = 1，梯度全为 0）", en="a single class (C = 1, every gradient is 0)"),
         _GRAD_ORDER),
        (data(n, dtype=np.float32), _deep_params(rng, [d, h1, h2, c], dtype=np.float32), "relu",
         Message(zh="float32 的数据和参数", en="float32 data and parameters"), _KEEP_DTYPE),
    ]
    return [Case((X, y, params, activation), kind, hint=hint)
            for (X, y), params, activation, kind, hint in rows]


def _last_layer_right_earlier_wrong(got, expected, case):
    last = len(expected) - 2
    return (len(expected) > 2 and close(got[last], expected[last], case)
            and close(got[last + 1], expected[last + 1], case)
            and not all(close(g, e, case) for g, e in zip(got[:last], expected[:last])))


_DEEP_SYMPTOMS = (
    Symptom(_last_layer_right_earlier_wrong,
            Message(zh="最后一层的梯度对了，前面某一层的不对：检查把误差往前传一层的递推式（推导任务 5），"
                       "尤其是用的是哪一层的权重和哪一层的预激活值。",
                    en="The last layer's gradients are right and an earlier layer's are not: "
                       "check the recursion that carries the error one layer down (derivation "
                       "task 5), above all whose weights and whose pre-activations it uses.")),
)


def _compare_grad_list(got, expected, case):
    from .core import compare_array_list

    return compare_array_list(got, expected, case, "grads")


DEEP_BACKWARD = register(Exercise(
    id="deep_backward",
    lesson=LESSON,
    function="deep_backward",
    points=3,
    title=Message(zh="任意层数 MLP 的反向传播", en="The backward pass of an MLP of any depth"),
    cases=_deep_cases,
    expected=_expected_deep_backward,
    reference=deep_backward_reference,
    forbidden=_FRAMEWORKS + _LIBRARY_BACKWARD,
    hint=_LAYER_LOOP,
    compare=_compare_grad_list,
    symptoms=_DEEP_SYMPTOMS,
))
