"""Lesson 05 exercises: the pieces of an MLP's forward pass, checked against PyTorch.

第 05 课练习：多层感知机前向传播的各个部件，与 PyTorch 对比检查。

``linear_forward`` (a batch through ``torch.nn.Linear``), the activations
``relu``, ``sigmoid`` and ``tanh`` (stable for ±1e4 and ±inf), and the whole
network ``mlp_forward`` (``torch.nn.Sequential(Linear, ReLU, Linear, Softmax)``
with the same parameters). The cases mix random shapes with the inputs that
expose the usual slips: a forgotten transpose hidden by square shapes, a bias
added along the wrong axis, ``-inf * 0 = nan`` in a masked ReLU, ``inf/inf``
in a textbook tanh, a softmax taken over the batch axis.
"""

from __future__ import annotations

import numpy as np

from ...nn import activations, layers, probability
from ...i18n import Message
from .core import Case, Exercise, Symptom, register
from .symptoms import all_of, looks_like, negated, sums_along

__all__ = ["LINEAR_FORWARD", "RELU", "SIGMOID", "TANH", "MLP_FORWARD",
           "linear_forward_reference", "mlp_forward_reference"]

LESSON = "05_mlp_forward"

# Ready-made layers and activations: the exercise is to write them.
_FRAMEWORKS = ("torch", "scipy", "jax", "tensorflow", "sklearn", "keras")
_LIBRARY_LAYERS = ("mlp_course.linear_forward", "mlp_course.nn.layers", "mlp_course.MLP",
                   "mlp_course.nn.mlp")
_LIBRARY_ACTIVATIONS = ("mlp_course.relu", "mlp_course.sigmoid", "mlp_course.tanh",
                        "mlp_course.activation_forward", "mlp_course.nn.activations")


# ---------------------------------------------------------------------------
# References (the library, with the exercise's signature) and expected values

def linear_forward_reference(X, W, b):
    r"""The library's linear layer, returning only :math:`Z = X W^\top + b`.

    库中线性层的参考实现，只返回 :math:`Z = X W^\top + b`。
    """
    return layers.linear_forward(X, W, b)[0]


def mlp_forward_reference(X, W1, b1, W2, b2):
    r"""Probabilities of a one-hidden-layer ReLU network, built from the library.

    由库函数搭成的单隐藏层 ReLU 网络，返回概率。

    .. math::
        \hat Y = \mathrm{softmax}\bigl(\mathrm{relu}(X W_1^\top + b_1) W_2^\top + b_2\bigr)
    """
    Z1 = linear_forward_reference(X, W1, b1)
    Z2 = linear_forward_reference(activations.relu(Z1), W2, b2)
    return probability.softmax(Z2, axis=1)


def _tensor(array):
    import torch

    return torch.from_numpy(np.ascontiguousarray(array))


def _expected_linear(X, W, b):
    import torch

    with torch.no_grad():
        return torch.nn.functional.linear(_tensor(X), _tensor(W), _tensor(b)).numpy()


def _expected_relu(z):
    import torch

    return torch.relu(_tensor(z)).numpy()


def _expected_sigmoid(z):
    import torch

    return torch.sigmoid(_tensor(z)).numpy()


def _expected_tanh(z):
    import torch

    return torch.tanh(_tensor(z)).numpy()


def _expected_mlp(X, W1, b1, W2, b2):
    import torch

    (hidden, inputs), classes = W1.shape, W2.shape[0]
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    model = torch.nn.Sequential(
        torch.nn.Linear(inputs, hidden, dtype=dtype), torch.nn.ReLU(),
        torch.nn.Linear(hidden, classes, dtype=dtype), torch.nn.Softmax(dim=1))
    with torch.no_grad():
        for layer, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
            layer.weight.copy_(_tensor(W))
            layer.bias.copy_(_tensor(b))
        return model(_tensor(X)).numpy()


# ---------------------------------------------------------------------------
# linear_forward

_TRANSPOSE = Message(
    zh="W 的形状是 (H, D) = (out_features, in_features)，与 torch.nn.Linear 相同。回到推导任务 1："
       "为什么会出现转置？对照形状：X 是 (N, D)，结果应为 (N, H)。",
    en="W has shape (H, D) = (out_features, in_features), as in torch.nn.Linear. Back to "
       "derivation task 1: why does a transpose appear? Compare shapes: X is (N, D) and the "
       "result is (N, H).")
_BIAS_AXIS = Message(
    zh="偏置 b 的形状是 (H,)，每个输出一个，每个样本加的都是同一个 b。看看广播后 b 是沿哪个方向加上去的："
       "结果的每一行都应加上同一个 b。",
    en="The bias b has shape (H,), one per output, and every example gets the same b. Look at "
       "the direction broadcasting adds b along: every row of the result gets the same b.")
_KEEP_DTYPE = Message(
    zh="保持输入的 dtype：float32 输入应得到 float32 输出（不要转换成 float64）。",
    en="Keep the input's dtype: float32 in, float32 out (do not convert to float64).")


def _linear_args(rng: np.random.Generator, n: int, d: int, h: int, dtype=np.float64,
                 scale: float = 1.0):
    X = (rng.standard_normal((n, d)) * scale).astype(dtype)
    W = (rng.standard_normal((h, d)) / np.sqrt(d)).astype(dtype)
    b = rng.standard_normal(h).astype(dtype)
    return X, W, b


def _linear_cases(rng: np.random.Generator) -> list[Case]:
    d = int(rng.integers(2, 6))
    h = d + int(rng.integers(1, 4))  # H != D: a forgotten transpose cannot go unnoticed
    n = h + int(rng.integers(1, 5))
    square = int(rng.integers(3, 6))
    return [
        Case(_linear_args(rng, n, d, h), Message(
            zh="形状随机的一批输入 X (N, D)、W (H, D)、b (H,)",
            en="a batch X (N, D) with W (H, D) and b (H,) of random shapes"), hint=_TRANSPOSE),
        Case(_linear_args(rng, 1, d, h), Message(
            zh="只有一个样本的批量 (1, D)", en="a batch of one example (1, D)"), hint=_TRANSPOSE),
        Case(_linear_args(rng, n, 1, h), Message(
            zh="每个样本只有一个特征（D = 1）", en="a single input feature (D = 1)"),
            hint=_TRANSPOSE),
        Case(_linear_args(rng, n, d, 1), Message(
            zh="只有一个输出（H = 1）", en="a single output (H = 1)"), hint=_BIAS_AXIS),
        Case(_linear_args(rng, square, square, square), Message(
            zh="批大小、输入数和输出数都相等（方阵）",
            en="batch size, inputs and outputs all equal (square matrices)"),
            hint=_BIAS_AXIS),
        Case(_linear_args(rng, n, d, h, scale=1e4), Message(
            zh="数值很大的输入（约 10⁴）", en="large inputs (about 10⁴)"), hint=_TRANSPOSE),
        Case(_linear_args(rng, n, d, h, dtype=np.float32), Message(
            zh="float32 的输入和参数", en="float32 inputs and parameters"), hint=_KEEP_DTYPE),
    ]


def _without_bias(expected, case):
    return np.asarray(expected, dtype=np.float64) - np.asarray(case.args[2], dtype=np.float64)


def _untransposed(expected, case):
    X, W, b = (np.asarray(a, dtype=np.float64) for a in case.args)
    return X @ W + b


_LINEAR_SYMPTOMS = (
    Symptom(looks_like(_without_bias),
            Message(zh="你的结果与正确值恰好差一个偏置 b：别忘了加上它。",
                    en="Your result differs from the right one by exactly the bias b: do not "
                       "forget to add it.")),
    Symptom(looks_like(_untransposed),
            Message(zh="形状碰巧对了，数值却不对：你乘的是 W 本身。回到推导任务 1，看 W 的哪一维对应输入。",
                    en="The shape happens to fit but the values do not: you multiplied by W "
                       "itself. Back to derivation task 1: which axis of W matches the input?")),
)


LINEAR_FORWARD = register(Exercise(
    id="linear_forward",
    lesson=LESSON,
    function="linear_forward",
    points=2,
    title=Message(zh="一批样本通过线性层", en="A batch through a linear layer"),
    cases=_linear_cases,
    expected=_expected_linear,
    reference=linear_forward_reference,
    forbidden=_FRAMEWORKS + _LIBRARY_LAYERS,
    hint=_TRANSPOSE,
    symptoms=_LINEAR_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# relu, sigmoid, tanh

_RELU_MASK = Message(
    zh="用掩码相乘（z * (z > 0)）时 −inf × 0 = nan。换一种不做乘法的写法，并且不要原地修改 z。",
    en="Multiplying by a mask (z * (z > 0)) gives −inf × 0 = nan. Write it without that "
       "multiplication, and do not modify z in place.")
_SIGMOID_OVERFLOW = Message(
    zh="exp(z) 在 z ≈ 710 以上溢出为 inf，inf/inf = nan。回到推导任务 4：分 z ≥ 0 与 z < 0 两种情况，"
       "各写出一个不会上溢的式子。",
    en="exp(z) overflows to inf above z ≈ 710, and inf/inf = nan. Back to derivation task 4: "
       "for z ≥ 0 and for z < 0 write an expression that cannot overflow.")
_TANH_OVERFLOW = Message(
    zh="教科书上的 tanh 公式在 |z| 很大时得到 inf/inf = nan。回到推导任务 3 和 4：tanh 与 σ 有什么关系？"
       "而 σ 你已经会稳定地计算了。",
    en="The textbook formula for tanh gives inf/inf = nan for large |z|. Back to derivation "
       "tasks 3 and 4: how is tanh related to σ? And σ you can already compute stably.")


def _out_of_range(low: float, high: float):
    def seen(got, expected, case):
        got = np.asarray(got, dtype=np.float64)
        return bool(np.any((got < low) | (got > high)))
    return seen


_SIGMOID_SYMPTOMS = (
    Symptom(looks_like(lambda expected, case: 1.0 - np.asarray(expected, dtype=np.float64)),
            Message(zh="你的结果正好是 1 − σ(z)，也就是 σ(−z)：检查指数的符号。",
                    en="Your result is exactly 1 − σ(z), that is σ(−z): check the sign in the "
                       "exponent.")),
    Symptom(_out_of_range(0.0, 1.0),
            Message(zh="你的结果有落在 [0, 1] 之外的值，而 σ 的值总在 0 和 1 之间。",
                    en="Some of your values lie outside [0, 1], but σ always lies between 0 "
                       "and 1.")),
)
_TANH_SYMPTOMS = (
    Symptom(negated(),
            Message(zh="你的结果正好是 −tanh(z)：检查符号。",
                    en="Your result is exactly −tanh(z): check the sign.")),
    Symptom(_out_of_range(-1.0, 1.0),
            Message(zh="你的结果有落在 [−1, 1] 之外的值，而 tanh 的值总在 −1 和 1 之间。",
                    en="Some of your values lie outside [−1, 1], but tanh always lies between "
                       "−1 and 1.")),
)


def _elementwise_cases(rng: np.random.Generator, hint: Message, moderate: float) -> list[Case]:
    """Inputs shared by the three activations; ``moderate`` scales the random values."""
    n, h = int(rng.integers(2, 7)), int(rng.integers(2, 9))
    extreme = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
    rng.shuffle(extreme)
    with_zeros = rng.standard_normal((n, h)) * moderate
    with_zeros.flat[rng.choice(with_zeros.size, size=max(1, with_zeros.size // 3),
                               replace=False)] = 0.0
    infinite = np.array([[-np.inf, -1.0, 0.5], [2.0, np.inf, -3.0]])
    return [
        Case((rng.standard_normal((n, h)) * moderate,), Message(
            zh="形状随机的一批预激活值 Z (N, H)", en="a batch of pre-activations Z (N, H) of random shape"),
            hint=hint),
        Case((rng.standard_normal(int(rng.integers(1, 9))) * moderate,), Message(
            zh="一维向量 (H,)", en="a 1-D vector (H,)"), hint=hint),
        Case((rng.standard_normal((2, 3, 4)) * moderate,), Message(
            zh="三维数组（函数应逐元素作用于任意形状）",
            en="a 3-D array (the function acts element-wise on any shape)"), hint=hint),
        Case((with_zeros,), Message(zh="含有恰好为 0 的元素", en="entries exactly equal to 0"),
             hint=hint),
        Case((extreme,), Message(zh="绝对值极大的输入（可达 ±10⁴）",
                                 en="inputs of huge magnitude (up to ±10⁴)"), hint=hint),
        Case((infinite,), Message(zh="含有 ±inf 的输入", en="inputs containing ±inf"), hint=hint),
        Case((extreme.astype(np.float32),), Message(
            zh="绝对值极大的 float32 输入", en="float32 inputs of huge magnitude"), hint=hint),
        Case(((rng.standard_normal((n, h)) * moderate).astype(np.float32),), Message(
            zh="普通大小的 float32 输入", en="float32 inputs of ordinary size"), hint=_KEEP_DTYPE),
    ]


RELU = register(Exercise(
    id="relu",
    lesson=LESSON,
    function="relu",
    points=1,
    title=Message(zh="ReLU 激活函数", en="The ReLU activation"),
    cases=lambda rng: _elementwise_cases(rng, _RELU_MASK, moderate=3.0),
    expected=_expected_relu,
    reference=activations.relu,
    forbidden=_FRAMEWORKS + _LIBRARY_ACTIVATIONS,
    hint=Message(zh="ReLU 逐元素作用：正数原样保留，其余变成 0；输出与输入形状、dtype 相同。",
                 en="ReLU acts entry by entry: positive entries stay as they are, the rest "
                    "become 0; the output has the input's shape and dtype."),
    symptoms=(
        Symptom(_out_of_range(0.0, np.inf),
                Message(zh="你的结果里有负数，而 ReLU 的输出从不为负。",
                        en="Your result has negative entries, but ReLU never outputs a "
                           "negative number.")),
    ),
))

SIGMOID = register(Exercise(
    id="sigmoid",
    lesson=LESSON,
    function="sigmoid",
    points=2,
    title=Message(zh="数值稳定的 sigmoid", en="A numerically stable sigmoid"),
    cases=lambda rng: _elementwise_cases(rng, _SIGMOID_OVERFLOW, moderate=4.0),
    expected=_expected_sigmoid,
    reference=activations.sigmoid,
    forbidden=_FRAMEWORKS + _LIBRARY_ACTIVATIONS + ("scipy.special.expit", "expit"),
    hint=_SIGMOID_OVERFLOW,
    symptoms=_SIGMOID_SYMPTOMS,
))

TANH = register(Exercise(
    id="tanh",
    lesson=LESSON,
    function="tanh",
    points=2,
    title=Message(zh="不用 np.tanh 写出稳定的 tanh", en="A stable tanh without np.tanh"),
    cases=lambda rng: _elementwise_cases(rng, _TANH_OVERFLOW, moderate=2.0),
    expected=_expected_tanh,
    reference=activations.tanh,
    forbidden=_FRAMEWORKS + _LIBRARY_ACTIVATIONS + ("np.tanh", "numpy.tanh", "math.tanh",
                                                    "cmath.tanh"),
    hint=_TANH_OVERFLOW,
    symptoms=_TANH_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# mlp_forward

_SOFTMAX_AXIS = Message(
    zh="每个样本（每一行）的概率要各自归一化，每行之和为 1；logits 很大时要用第 01 课的稳定 softmax。",
    en="Each example's (each row's) probabilities are normalised on their own and sum to 1; "
       "with huge logits use lesson 01's stable softmax.")
_ORDER = Message(
    zh="沿着本课的网络图从输入走到输出：线性层、ReLU、线性层、softmax，每一步都可以用你前面写好的函数。"
       "输出形状应为 (N, C)。",
    en="Follow the lesson's network diagram from input to output: linear layer, ReLU, linear "
       "layer, softmax; each step can use a function you wrote above. The output has shape "
       "(N, C).")
_MLP_SYMPTOMS = (
    Symptom(all_of(lambda got, expected, case: np.ndim(got) == 2 and np.shape(got)[0] > 1,
                   sums_along(0, 1.0), sums_along(-1, 1.0, want=False)),
            Message(zh="你的输出每一列加起来等于 1，每一行却不是：softmax 沿错了轴，应对每个样本（每一行）"
                       "各自归一化。",
                    en="Your output's columns sum to 1 but its rows do not: the softmax runs "
                       "along the wrong axis; each example (each row) is normalised on its own.")),
    Symptom(sums_along(-1, 1.0, want=False),
            Message(zh="你的输出每一行加起来不等于 1，所以还不是概率：最后一步的 softmax 做了吗？",
                    en="Your output's rows do not sum to 1, so they are not probabilities yet: "
                       "did the last step apply softmax?")),
)


def _mlp_args(rng: np.random.Generator, n: int, d: int, h: int, c: int, dtype=np.float64,
              out_scale: float = 1.0):
    X = rng.standard_normal((n, d)).astype(dtype)
    W1 = (rng.standard_normal((h, d)) / np.sqrt(d)).astype(dtype)
    b1 = (rng.standard_normal(h) * 0.5).astype(dtype)
    W2 = (rng.standard_normal((c, h)) / np.sqrt(h) * out_scale).astype(dtype)
    b2 = (rng.standard_normal(c) * 0.5).astype(dtype)
    return X, W1, b1, W2, b2


def _mlp_cases(rng: np.random.Generator) -> list[Case]:
    d = int(rng.integers(2, 5))
    h = d + int(rng.integers(1, 4))
    c = int(rng.integers(2, 5))
    n = max(h, c) + int(rng.integers(1, 4))
    dead = _mlp_args(rng, n, d, h, c)
    dead[2][:] = -100.0  # every hidden unit negative: A¹ = 0, the logits are b²
    square = int(rng.integers(3, 6))
    return [
        Case(_mlp_args(rng, n, d, h, c), Message(
            zh="形状随机的一批输入与参数", en="a batch with parameters of random shapes"),
            hint=_ORDER),
        Case(_mlp_args(rng, 1, d, h, c), Message(
            zh="只有一个样本的批量 (1, D)", en="a batch of one example (1, D)"),
            hint=_SOFTMAX_AXIS),
        Case(_mlp_args(rng, square, square, square, square), Message(
            zh="N = D = H = C（方阵，转置错误不会引起形状报错）",
            en="N = D = H = C (square matrices: a wrong transpose raises no shape error)"),
            hint=_ORDER),
        Case(_mlp_args(rng, n, d, h, c, out_scale=1e4), Message(
            zh="输出层权重极大，logits 约为 ±10⁴", en="huge output weights: logits of about ±10⁴"),
            hint=_SOFTMAX_AXIS),
        Case(dead, Message(zh="所有隐藏单元都处于 ReLU 的负半轴（输出为 0）",
                           en="every hidden unit on the negative side of ReLU (output 0)"),
             hint=_ORDER),
        Case(_mlp_args(rng, n, d, h, 1), Message(zh="只有一个类别（C = 1）",
                                                 en="a single class (C = 1)"),
             hint=Message(zh="只有一个类别时它的概率必然是 1。",
                          en="With one class its probability must be 1.")),
        Case(_mlp_args(rng, 3, d, 4, 1000), Message(zh="很多类别（C = 1000）",
                                                    en="many classes (C = 1000)"),
             hint=_SOFTMAX_AXIS),
        Case(_mlp_args(rng, n, d, h, c, dtype=np.float32), Message(
            zh="float32 的输入和参数", en="float32 inputs and parameters"), hint=_KEEP_DTYPE),
    ]


MLP_FORWARD = register(Exercise(
    id="mlp_forward",
    lesson=LESSON,
    function="mlp_forward",
    points=3,
    title=Message(zh="两层 MLP 的前向传播：从输入到概率",
                  en="The forward pass of a two-layer MLP: from inputs to probabilities"),
    cases=_mlp_cases,
    expected=_expected_mlp,
    reference=mlp_forward_reference,
    forbidden=_FRAMEWORKS + ("mlp_course.MLP", "mlp_course.nn.mlp", "MLP"),
    hint=_ORDER,
    symptoms=_MLP_SYMPTOMS,
))
