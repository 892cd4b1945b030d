r"""Self-check quiz for the review lesson: questions as data, grading as a pure function.

复习课的自测题：题目是数据，判分是纯函数，小部件只是一层外壳。

Every question, choice and explanation is written in Chinese and English
(:class:`~mlp_course.i18n.Message`), so the quiz follows the language setting.
Two kinds of question:

* **choice** – four options (a)–(d); every wrong option is a mistake learners
  really make, and has its own explanation (``why_not``);
* **written** – a short answer typed in: a number (``"2.30"``, ``"ln 10"``,
  ``"1/4"``), a shape (``"(128, 64)"``, ``"128×64"``) or a few numbers
  (``"-0.15, 0.1, 0.05"``). Parsing is tolerant (full-width characters, Chinese
  commas, the Unicode minus, brackets of any kind); typical wrong values get
  their own feedback (``mistakes``).

Each question names the lesson that teaches it and a phrase (``evidence``) that
this lesson's English text contains, so a test can tie the two together.
:func:`grade_answer` says whether an answer is right and explains why;
:func:`quiz_markdown` prints the quiz as text (for a notebook read without a
kernel); :func:`quiz_widget` shows radio buttons or a text box, and a "check"
button, per question.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from dataclasses import dataclass, field
from types import SimpleNamespace

from ...i18n import CourseTypeError, CourseValueError, Message, text

__all__ = ["Question", "QUESTIONS", "get_question", "grade_answer", "parse_numbers",
           "quiz_markdown", "quiz_widget"]

CHOICE, NUMBER, SHAPE, VECTOR = "choice", "number", "shape", "vector"


@dataclass(frozen=True)
class Question:
    """One question of the quiz.  一道自测题。

    ``kind`` is ``"choice"`` (``choices``: ``(key, Message)`` pairs, ``answer``:
    the key, ``why_not``: key → why that option is wrong) or a written kind,
    ``"number"``, ``"shape"`` or ``"vector"`` (``value``: the expected value,
    ``tolerance``: the absolute tolerance, ``answer``: the answer as shown,
    ``mistakes``: ``(wrong value, feedback)`` pairs). ``lesson`` is the id of the
    lesson that teaches the idea; ``evidence`` is a phrase in its English text.
    """

    id: str
    lesson: str
    prompt: Message
    answer: str
    explanation: Message
    evidence: str
    kind: str = CHOICE
    choices: tuple = ()
    why_not: tuple = ()
    value: tuple = ()
    tolerance: float = 0.0
    mistakes: tuple = field(default=())

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.choices)

    @property
    def written(self) -> bool:
        return self.kind != CHOICE

    def choice(self, key: str) -> Message:
        return dict(self.choices)[key]


def _choices(*pairs: tuple[str, str]) -> tuple:
    return tuple((key, Message(zh=zh, en=en)) for key, (zh, en) in zip("abcd", pairs))


def _why_not(**reasons: tuple[str, str]) -> tuple:
    return tuple((key, Message(zh=zh, en=en)) for key, (zh, en) in sorted(reasons.items()))


def _mistake(value, zh: str, en: str) -> tuple:
    return (tuple(value) if isinstance(value, (tuple, list)) else (value,), Message(zh=zh, en=en))


QUESTIONS: tuple[Question, ...] = (
    Question(
        id="softmax_shift", lesson="01_softmax", evidence="shift invariance",
        prompt=Message(zh="给每个 logit 都加上同一个常数 c，softmax(z) 会怎样？",
                       en="You add the same constant c to every logit. What happens to "
                          "softmax(z)?"),
        choices=_choices(
            ("每个概率都增加 c", "Every probability grows by c"),
            ("每个概率都乘以 e^c", "Every probability is multiplied by e^c"),
            ("不变：softmax(z + c) = softmax(z)", "Nothing: softmax(z + c) = softmax(z)"),
            ("c > 0 时最大的概率变大，其余变小",
             "For c > 0 the largest probability grows and the others shrink")),
        answer="c",
        why_not=_why_not(
            a=("概率之和必须保持为 1；每个都加 c 就不再是概率分布了。",
               "The probabilities must still add up to 1; adding c to each would break that."),
            b=("分子确实乘了 e^c，但分母也乘了 e^c，两者约掉了。",
               "The numerator is indeed multiplied by e^c, but so is the denominator, and they cancel."),
            d=("这是把平移和缩放（温度）混为一谈：除以温度 T 才会改变分布的尖锐程度。",
               "That confuses a shift with a scaling: dividing by a temperature T changes the "
               "sharpness, adding c does not.")),
        explanation=Message(
            zh="e^(z_i + c) = e^c · e^(z_i)：公因子 e^c 同时出现在分子和分母中，约掉了。"
               "正因为如此，实现时可以先减去 max z：结果不变，指数却不会溢出。",
            en="e^(z_i + c) = e^c · e^(z_i): the common factor e^c appears in the numerator "
               "and in the denominator, and cancels. That is exactly why an implementation may "
               "subtract max z first: same result, and no exponential overflows.")),
    Question(
        id="temperature", lesson="01_softmax", evidence="temperature",
        prompt=Message(zh="softmax(z / T) 中的温度 T 变得非常大（T → ∞）时，概率分布趋向什么？",
                       en="In softmax(z / T), the temperature T grows very large (T → ∞). "
                          "What does the distribution approach?"),
        choices=_choices(
            ("最大 logit 处的独热分布", "A one-hot distribution on the largest logit"),
            ("均匀分布：每个类别都是 1/C", "The uniform distribution: 1/C for every class"),
            ("不变，与 T 无关", "It does not change: T has no effect"),
            ("按 logits 的比例分配：ŷ_i = z_i / Σ z_j", "Proportional to the logits: ŷ_i = z_i / Σ z_j")),
        answer="b",
        why_not=_why_not(
            a=("方向反了：T → 0 时分布才趋向最大 logit 处的独热分布。",
               "The wrong direction: the distribution becomes one-hot on the largest logit as T → 0."),
            c=("只有加一个常数不改变 softmax；除以 T 会改变 logits 之间的差。",
               "Only adding a constant leaves softmax unchanged; dividing by T changes the "
               "differences between the logits."),
            d=("logits 可以为负，这样的“比例”甚至不是概率；softmax 总是先取指数。",
               "Logits can be negative, so such ratios are not even probabilities; softmax "
               "always exponentiates first.")),
        explanation=Message(
            zh="T 很大时每个 z_i / T 都趋近 0，每个 e^(z_i/T) 都趋近 1，于是每个概率都趋近 1/C。"
               "反过来，T → 0 时分布趋向最大 logit 处的独热分布。对任何 T > 0，概率的大小顺序都不变。",
            en="For large T every z_i / T goes to 0, every e^(z_i/T) to 1, so every probability "
               "goes to 1/C. The other way round, T → 0 sharpens the distribution into a one-hot "
               "on the largest logit. For any T > 0 the order of the probabilities stays the same.")),
    Question(
        id="convexity", lesson="02_nll", evidence="convex",
        prompt=Message(zh="关于凸性（convexity），下列哪种说法正确？",
                       en="Which statement about convexity is true?"),
        choices=_choices(
            ("MLP 的交叉熵损失对全部参数是凸的，所以 SGD 总能找到全局最小值",
             "An MLP's cross-entropy loss is convex in all its parameters, so SGD always "
             "finds the global minimum"),
            ("−log p 对 p 是凹的，所以交叉熵在任何意义下都不是凸的",
             "−log p is concave in p, so the cross-entropy is not convex in any sense"),
            ("交叉熵对 logits 是凸的（因此 softmax 回归也是凸的），但有隐藏层的 MLP 的损失对参数不是凸的",
             "Cross-entropy is convex in the logits (so softmax regression is convex too), but "
             "an MLP's loss as a function of its parameters is not"),
            ("只要用 ReLU，MLP 的损失就是凸的", "With ReLU an MLP's loss is convex")),
        answer="c",
        why_not=_why_not(
            a=("有隐藏层时损失不是凸的：交换两个隐藏单元得到同样的损失，两组参数的中点却更差。"
               "即使对凸的 softmax 回归，可分的数据上也根本没有最小值点，损失只会越来越接近 0。",
               "With a hidden layer the loss is not convex: swapping two hidden units gives the "
               "same loss, yet the midpoint of the two settings is worse. Even for the convex "
               "softmax regression, separable data have no minimiser at all: the loss only "
               "creeps towards 0."),
            b=("log p 是凹的，加上负号 −log p 就是凸的（第 02 课）。",
               "log p is concave; with the minus sign, −log p is convex (lesson 02)."),
            d=("ReLU 本身是凸的，但凸函数的复合并不一定凸，交换隐藏单元的论证对 ReLU 同样成立。",
               "ReLU itself is convex, but a composition of convex functions need not be, and "
               "the argument of swapped hidden units holds for ReLU as well.")),
        explanation=Message(
            zh="logsumexp(z) − z_c 对 z 是凸的（它的 Hessian diag(ŷ) − ŷŷᵀ 半正定），"
               "复合一个线性映射仍是凸的，所以 softmax 回归是凸问题。有了隐藏层就不同了："
               "交换两个隐藏单元得到的网络损失完全相同，这两组参数的平均一般却更差——凸函数不会这样。",
            en="logsumexp(z) − z_c is convex in z (its Hessian diag(ŷ) − ŷŷᵀ is positive "
               "semi-definite), and composing with a linear map keeps it convex, so softmax "
               "regression is a convex problem. A hidden layer changes that: swapping two hidden "
               "units gives a network with exactly the same loss, yet the average of the two "
               "parameter settings is usually worse, which a convex function never allows.")),
    Question(
        id="nll_ce_same", lesson="03_cross_entropy", evidence="nll_loss",
        prompt=Message(zh="标签是类别索引时，F.cross_entropy(z, y) 与下面哪一个相等？",
                       en="With class-index labels, F.cross_entropy(z, y) equals which of these?"),
        choices=_choices(
            ("F.nll_loss(z, y)", "F.nll_loss(z, y)"),
            ("F.nll_loss(F.softmax(z, dim=1), y)", "F.nll_loss(F.softmax(z, dim=1), y)"),
            ("最大 softmax 概率的 −log 的平均", "The mean −log of the largest softmax probability"),
            ("F.nll_loss(F.log_softmax(z, dim=1), y)", "F.nll_loss(F.log_softmax(z, dim=1), y)")),
        answer="d",
        why_not=_why_not(
            a=("nll_loss 假定输入已经是对数概率，直接传 logits 得到的是 −z_c 的平均，不报错却是错的。",
               "nll_loss assumes log-probabilities: given raw logits it returns the mean of −z_c, "
               "without any error and wrong."),
            b=("传概率得到 −ŷ_c 的平均：少了一个 log，同样不报错。",
               "Given probabilities it returns the mean of −ŷ_c: a log is missing, again without "
               "an error."),
            c=("损失看的是正确类别的概率，而不是最大的那个。",
               "The loss looks at the correct class's probability, not at the largest one.")),
        explanation=Message(
            zh="交叉熵 = log_softmax + NLL。nll_loss 只是取出正确类别那一项再取负，它假定输入已经是"
               "对数概率。",
            en="Cross-entropy = log_softmax + NLL. nll_loss only picks the correct class's entry "
               "and negates it, assuming its input holds log-probabilities.")),
    Question(
        id="ce_differs", lesson="03_cross_entropy", evidence="label smoothing",
        prompt=Message(zh="什么时候交叉熵 H(p, q) 不只是正确类别的 −log q_c？",
                       en="When is the cross-entropy H(p, q) more than −log q_c of the correct "
                          "class?"),
        choices=_choices(
            ("目标分布 p 不是独热向量时（软标签、标签平滑）",
             "When the target p is not one-hot (soft labels, label smoothing)"),
            ("从不：两者总是相等", "Never: they are always equal"),
            ("类别多于两个时", "When there are more than two classes"),
            ("模型预测错误（argmax 不是正确类别）时",
             "When the prediction is wrong (the argmax is not the correct class)")),
        answer="a",
        why_not=_why_not(
            b=("标签平滑时两者确实不同：每个 p_i > 0 的类别都贡献一项。",
               "With label smoothing they do differ: every class with p_i > 0 adds a term."),
            c=("类别数无关紧要：独热目标下只剩一项，不论 C 是多少。",
               "The number of classes does not matter: with a one-hot target one term remains, "
               "whatever C is."),
            d=("损失的公式不看 argmax；预测错了只是 −log q_c 比较大。",
               "The formula never looks at the argmax; a wrong prediction only makes −log q_c "
               "large.")),
        explanation=Message(
            zh="H(p, q) = −∑ p_i log q_i。只有 p 是独热向量时，求和才只剩正确类别那一项，"
               "也就等于 NLL。使用软标签或标签平滑时，每个 p_i > 0 的类别都有贡献。",
            en="H(p, q) = −∑ p_i log q_i. Only for a one-hot p does the sum collapse to the "
               "correct class's term, which is the NLL. With soft labels or label smoothing "
               "every class with p_i > 0 contributes.")),
    Question(
        id="output_delta", lesson="04_softmax_gradient", evidence="Jacobian",
        prompt=Message(zh="对单个样本，softmax 之后接交叉熵，损失对 logits 的梯度 ∂L/∂z 是？",
                       en="For one example, softmax followed by cross-entropy: what is the "
                          "gradient of the loss with respect to the logits, ∂L/∂z?"),
        choices=_choices(
            ("y − ŷ", "y − ŷ"),
            ("−1 / ŷ_c（只在正确类别处）", "−1 / ŷ_c (at the correct class only)"),
            ("ŷ − y", "ŷ − y"),
            ("ŷ ∘ (1 − ŷ)", "ŷ ∘ (1 − ŷ)")),
        answer="c",
        why_not=_why_not(
            a=("符号反了：y − ŷ 是下降方向，即负梯度。",
               "The sign is flipped: y − ŷ is the descent direction, the negative gradient."),
            b=("这只是 ∂L/∂ŷ_c；还要乘上 softmax 的雅可比矩阵才到 logits。",
               "That is only ∂L/∂ŷ_c; the softmax Jacobian still has to be applied to reach "
               "the logits."),
            d=("这是把 sigmoid 的导数 σ(1 − σ) 搬到了 softmax 上；它只是雅可比矩阵的对角线。",
               "That carries the sigmoid's derivative σ(1 − σ) over to softmax; it is only the "
               "Jacobian's diagonal.")),
        explanation=Message(
            zh="−log softmax(z)_c 对 z_i 的导数是 ŷ_i − [i = c]：log 带来的 1/ŷ 与 softmax 的雅可比"
               "矩阵相消，只剩“预测减目标”。对一个批量取平均时还要再除以 N。",
            en="The derivative of −log softmax(z)_c with respect to z_i is ŷ_i − [i = c]: the "
               "1/ŷ from the log cancels against the softmax Jacobian, leaving prediction minus "
               "target. For the mean over a batch, divide by N as well.")),
    Question(
        id="relu_derivative", lesson="05_mlp_forward", evidence="PyTorch takes it to be 0",
        prompt=Message(zh="本课程（与 PyTorch 一致）中 ReLU′(z) 是什么？",
                       en="In this course (as in PyTorch), what is ReLU′(z)?"),
        choices=_choices(
            ("z > 0 时为 1，z ≤ 0 时为 0（z = 0 处不可导，约定取 0）",
             "1 for z > 0 and 0 for z ≤ 0 (no derivative at z = 0; 0 by convention)"),
            ("z ≥ 0 时为 1，z < 0 时为 0", "1 for z ≥ 0 and 0 for z < 0"),
            ("z > 0 时为 z，否则为 0", "z for z > 0, otherwise 0"),
            ("σ(z)(1 − σ(z))", "σ(z)(1 − σ(z))")),
        answer="a",
        why_not=_why_not(
            b=("写成 z >= 0 的掩码在 z 恰好为 0 时给出 1，与 PyTorch 的约定不同，检查会发现。",
               "A mask z >= 0 gives 1 where z is exactly 0, unlike PyTorch's convention; the "
               "check catches it."),
            c=("这是 ReLU 本身，不是它的导数。", "That is ReLU itself, not its derivative."),
            d=("这是 sigmoid 的导数。", "That is the sigmoid's derivative.")),
        explanation=Message(
            zh="ReLU(z) = max(0, z) 右边是斜率为 1 的直线，左边是常数 0。z = 0 处没有导数，"
               "PyTorch 约定取 0。所以反向传播时，梯度只从激活的单元通过，其余被挡住。",
            en="ReLU(z) = max(0, z) is a line of slope 1 on the right and the constant 0 on the "
               "left. At z = 0 there is no derivative and PyTorch takes 0. So backpropagation "
               "lets the gradient through the active units and blocks it at the others.")),
    Question(
        id="sigmoid_max", lesson="05_mlp_forward", evidence="\\sigma'(0)", kind=NUMBER,
        prompt=Message(zh="σ′(z) = σ(z)(1 − σ(z)) 的最大值是多少？（写一个数，例如 0.3 或 1/3）",
                       en="What is the largest value of σ′(z) = σ(z)(1 − σ(z))? (Write a number, "
                          "such as 0.3 or 1/3.)"),
        answer="1/4", value=(0.25,), tolerance=1e-3,
        mistakes=(
            _mistake(0.5, "0.5 是 σ(0) 本身，不是导数。", "0.5 is σ(0) itself, not the derivative."),
            _mistake(1.0, "斜率为 1 的是 ReLU（z > 0 时）；sigmoid 的导数小得多。",
                     "Slope 1 belongs to ReLU (for z > 0); the sigmoid's derivative is much smaller.")),
        explanation=Message(
            zh="s(1 − s) 在 s = 1/2 时最大，也就是 z = 0：σ′(0) = 1/2 · 1/2 = 1/4。"
               "所以每穿过一层 sigmoid，梯度至少缩小到 1/4，层数多时就会梯度消失。",
            en="s(1 − s) is largest at s = 1/2, that is at z = 0: σ′(0) = 1/2 · 1/2 = 1/4. So "
               "every sigmoid layer shrinks the gradient to a quarter at best, and many of them "
               "make it vanish.")),
    Question(
        id="dW_shape", lesson="06_backprop", evidence="outer product",
        prompt=Message(zh="某层的 W 形状为 (H, D)（与 torch.nn.Linear 相同），输入批量 X 的形状为 "
                          "(N, D)，Δ = ∂L/∂Z 的形状为 (N, H)。∂L/∂W 的形状和算法是？",
                       en="A layer has W of shape (H, D) (as in torch.nn.Linear), a batch X of "
                          "shape (N, D) and Δ = ∂L/∂Z of shape (N, H). What are the shape of "
                          "∂L/∂W and its formula?"),
        choices=_choices(
            ("(D, H)，Xᵀ Δ", "(D, H), Xᵀ Δ"),
            ("(N, D)，Δ W", "(N, D), Δ W"),
            ("(H, D)，Δᵀ X / N（平均还要再除一次）", "(H, D), Δᵀ X / N (divide once more for the mean)"),
            ("(H, D)，Δᵀ X", "(H, D), Δᵀ X")),
        answer="d",
        why_not=_why_not(
            a=("这是正确答案的转置；W 按 (输出, 输入) 存放时梯度也必须是 (H, D)。方阵时形状碰巧也对，只有数值错。",
               "The transpose of the answer; with W stored as (out, in) the gradient must be "
               "(H, D) too. With square shapes the shape even looks right and only the numbers "
               "are wrong."),
            b=("Δ W 的形状 (N, D) 是传给上一层的 ∂L/∂X，不是参数的梯度。",
               "Δ W, of shape (N, D), is ∂L/∂X, the gradient passed down to the layer below, "
               "not the parameter's gradient."),
            c=("1/N 已经在 Δ 里了（输出层误差除过一次），再除就成了 1/N²。",
               "The 1/N is already inside Δ (the output error divided once); dividing again "
               "gives 1/N².")),
        explanation=Message(
            zh="梯度总与它的参数同形：(H, D)。每个样本贡献一个外积 δ_n x_nᵀ，对批量求和正好是 Δᵀ X。",
            en="A gradient always has the shape of its parameter: (H, D). Each example adds the "
               "outer product δ_n x_nᵀ, and the sum over the batch is Δᵀ X.")),
    Question(
        id="hadamard", lesson="06_backprop", evidence="Hadamard",
        prompt=Message(zh="在 δ¹ = ((W²)ᵀ δ²) ∘ f′(z¹) 中，为什么用逐元素乘积（哈达玛积）∘，"
                          "而不是矩阵乘法？",
                       en="In δ¹ = ((W²)ᵀ δ²) ∘ f′(z¹), why an element-wise (Hadamard) product ∘ "
                          "rather than a matrix product?"),
        choices=_choices(
            ("为了省时间；换成矩阵乘法结果一样", "To save time; a matrix product gives the same result"),
            ("激活函数逐个作用于每个单元，它的雅可比矩阵是对角矩阵",
             "The activation acts on each unit separately, so its Jacobian is diagonal"),
            ("因为 f′ 是一个标量", "Because f′ is a scalar"),
            ("因为 W² 不是方阵", "Because W² is not square")),
        answer="b",
        why_not=_why_not(
            a=("f′(z¹) 是一个向量，与向量做矩阵乘法得到的是一个数（内积），结果完全不同。",
               "f′(z¹) is a vector; a matrix product of two vectors is a single number (an inner "
               "product), a completely different result."),
            c=("f′(z¹) 对每个隐藏单元各有一个值，是与 z¹ 同形的向量。",
               "f′(z¹) has one value per hidden unit: it is a vector shaped like z¹."),
            d=("形状不是原因；即使 W² 是方阵，∘ 也仍然是逐元素乘积。",
               "Shapes are not the reason; even with a square W², ∘ stays element-wise.")),
        explanation=Message(
            zh="a¹_j = f(z¹_j) 只依赖 z¹_j，所以 ∂a¹/∂z¹ = diag(f′(z¹))。乘以一个对角矩阵，"
               "就等于逐元素相乘——∘ 只是更省事的写法。",
            en="a¹_j = f(z¹_j) depends on z¹_j only, so ∂a¹/∂z¹ = diag(f′(z¹)). Multiplying by a "
               "diagonal matrix is the same as multiplying entry by entry: ∘ is the cheap way to "
               "write it.")),
    Question(
        id="delta_batch_row", lesson="06_backprop", evidence="Derivation task 1 (a batch)",
        kind=VECTOR,
        prompt=Message(zh="一个批量有 N = 2 个样本，损失取平均。第一个样本的 softmax 输出是 "
                          "ŷ = (0.7, 0.2, 0.1)，它的类别索引是 0。写出 Δ² = ∂L/∂Z² 的第一行（三个数）。",
                       en="A batch holds N = 2 examples and the loss is their mean. The first "
                          "example's softmax output is ŷ = (0.7, 0.2, 0.1) and its class index is "
                          "0. Write the first row of Δ² = ∂L/∂Z² (three numbers)."),
        answer="(-0.15, 0.1, 0.05)", value=(-0.15, 0.1, 0.05), tolerance=1e-6,
        mistakes=(
            _mistake((-0.3, 0.2, 0.1), "这是单个样本的 ŷ − y；损失取平均，还要除以 N = 2。",
                     "That is one example's ŷ − y; the loss is a mean, so divide by N = 2."),
            _mistake((0.15, -0.1, -0.05), "符号反了：是 ŷ − y，不是 y − ŷ。",
                     "The sign is flipped: it is ŷ − y, not y − ŷ."),
            _mistake((0.35, 0.1, 0.05), "这是 ŷ/N：忘了减去独热向量 y（正确类别处减 1）。",
                     "That is ŷ/N: the one-hot y (1 at the correct class) was not subtracted.")),
        explanation=Message(
            zh="每一行是 (ŷ_n − y_n)/N：正确类别处减 1，再除以批量大小，得到 "
               "(0.7 − 1, 0.2, 0.1)/2 = (−0.15, 0.1, 0.05)。",
            en="Every row is (ŷ_n − y_n)/N: subtract 1 at the correct class, then divide by "
               "the batch size: (0.7 − 1, 0.2, 0.1)/2 = (−0.15, 0.1, 0.05).")),
    Question(
        id="dW_shape_written", lesson="06_backprop", evidence="outer product", kind=SHAPE,
        prompt=Message(zh="第 07 课的手写数字网络是 64 → 128 → 10，批量大小 32。第一层权重的梯度 dW¹ "
                          "的形状是什么？（写成 (行, 列)）",
                       en="Lesson 07's digits network is 64 → 128 → 10 with batches of 32. What "
                          "is the shape of the first layer's weight gradient dW¹? (Write "
                          "(rows, columns).)"),
        answer="(128, 64)", value=(128, 64),
        mistakes=(
            _mistake((64, 128), "这是 W¹ᵀ 的形状；W 按 (输出, 输入) 存放，梯度与它同形。",
                     "That is the shape of W¹ᵀ; W is stored as (out, in) and its gradient has "
                     "the same shape."),
            _mistake((32, 128), "这是 Δ¹（或 Z¹）的形状：每个样本一行。参数的梯度里没有批量这一维。",
                     "That is the shape of Δ¹ (or Z¹), one row per example. A parameter's "
                     "gradient has no batch dimension."),
            _mistake((32, 64), "这是输入 X 的形状，不是权重的梯度。",
                     "That is the shape of the input X, not of the weight gradient.")),
        explanation=Message(
            zh="梯度与参数同形：W¹ 是 (128, 64)，dW¹ = Δ¹ᵀ X 是 (128, 32) × (32, 64) = (128, 64)。"
               "批量大小在矩阵乘法中被求和掉了。",
            en="A gradient has the shape of its parameter: W¹ is (128, 64), and dW¹ = Δ¹ᵀ X is "
               "(128, 32) × (32, 64) = (128, 64). The batch size is summed away in the product.")),
    Question(
        id="zero_init", lesson="07_training", evidence="symmetry",
        prompt=Message(zh="MLP（ReLU）的全部参数——权重和偏置——都初始化为 0，训练时会发生什么？",
                       en="Every parameter of a ReLU MLP, weights and biases, starts at zero. "
                          "What happens in training?"),
        choices=_choices(
            ("隐藏层输出一直是 0，W¹ 和 W² 的梯度都是 0，只有输出层的偏置在学",
             "The hidden outputs stay 0, the gradients of W¹ and W² are 0, and only the output "
             "bias learns"),
            ("和随机初始化训练得一样好，只是慢一些", "It trains as well as a random start, only slower"),
            ("损失一开始就是 0", "The loss is 0 from the start"),
            ("训练一定发散，损失变成 inf", "Training always diverges and the loss becomes inf")),
        answer="a",
        why_not=_why_not(
            b=("一模一样的单元得到一模一样的梯度，永远分不开；全零时连第一步都迈不出去。",
               "Identical units receive identical gradients and never separate; from all zeros "
               "not even the first step moves them."),
            c=("logits 全为 0 时 softmax 是均匀分布，初始损失是 log C，不是 0。",
               "With all logits 0 softmax is uniform and the initial loss is log C, not 0."),
            d=("梯度是 0 或很小，没有东西会发散；问题恰恰是几乎什么都不动。",
               "The gradients are zero or small and nothing diverges; the trouble is that almost "
               "nothing moves.")),
        explanation=Message(
            zh="全零时 Z¹ = 0，A¹ = ReLU(0) = 0，所以 dW² = Δ²ᵀA¹ = 0；又因为 W² = 0，Δ¹ = 0，dW¹ = 0。"
               "只有输出层的偏置在学，网络只能学到各类别的比例。随机初始化打破了这种对称。",
            en="From all zeros Z¹ = 0 and A¹ = ReLU(0) = 0, so dW² = Δ²ᵀA¹ = 0; and since W² = 0, "
               "Δ¹ = 0 and dW¹ = 0. Only the output bias learns, so the network can only learn the "
               "class proportions. A random start breaks the symmetry.")),
    Question(
        id="initial_loss", lesson="07_training", evidence="log C", kind=NUMBER,
        prompt=Message(zh="一个 10 类的网络刚初始化，所有 logits 都接近 0。平均交叉熵约为多少？"
                          "（写一个数，保留两位小数，或写成 ln 10 这样的式子）",
                       en="A 10-class network is freshly initialised and every logit is close to "
                          "0. About what is the mean cross-entropy? (Write a number with two "
                          "decimals, or an expression such as ln 10.)"),
        answer="2.303", value=(math.log(10),), tolerance=0.01,
        mistakes=(
            _mistake(0.1, "0.1 是每个类别的概率 1/C；损失是它的负对数。",
                     "0.1 is each class's probability 1/C; the loss is its negative log."),
            _mistake(1.0, "以 10 为底的对数给出 1；交叉熵用自然对数。",
                     "A base-10 log gives 1; the cross-entropy uses the natural log."),
            _mistake(0.0, "只有全部预测都完全正确时损失才是 0；均匀分布远非如此。",
                     "The loss is 0 only when every prediction is certain and right; a uniform "
                     "distribution is far from that.")),
        explanation=Message(
            zh="logits 全为 0 时 softmax 是均匀分布，ŷ_c = 1/10，损失 = −log(1/10) = ln 10 ≈ 2.303。"
               "训练前看一眼初始损失，能发现初始权重太大（损失远高于 ln C）等错误。",
            en="With all logits 0 softmax is uniform, ŷ_c = 1/10, and the loss is −log(1/10) = "
               "ln 10 ≈ 2.303. A look at the initial loss before training catches mistakes such "
               "as too large initial weights (a loss far above ln C).")),
    Question(
        id="weight_decay", lesson="07_training", evidence="weight_decay",
        prompt=Message(zh="torch.optim.SGD(params, lr, weight_decay=λ) 在每一步把 λ·p 加到梯度上。"
                          "它对应在损失中加入哪一项？",
                       en="torch.optim.SGD(params, lr, weight_decay=λ) adds λ·p to the gradient "
                          "at every step. Which term added to the loss does it correspond to?"),
        choices=_choices(
            ("λ ∑ p²", "λ ∑ p²"),
            ("(λ/2) ∑ p²，求和遍及传给它的所有参数——偏置也在内，除非放进 weight_decay=0 的参数组",
             "(λ/2) ∑ p² over every parameter it is given, biases included unless they sit in a "
             "parameter group with weight_decay=0"),
            ("λ ∑ |p|", "λ ∑ |p|"),
            ("(λ/2) ∑ W²，只包括权重；偏置自动排除",
             "(λ/2) ∑ W² over the weights only; biases are excluded automatically")),
        answer="b",
        why_not=_why_not(
            a=("λ ∑ p² 的导数是 2λp，比 weight_decay 加的多一倍。",
               "The derivative of λ ∑ p² is 2λp, twice what weight_decay adds."),
            c=("λ ∑ |p| 是 L1 正则化，导数是 λ·sign(p)。",
               "λ ∑ |p| is L1 regularization, with derivative λ·sign(p)."),
            d=("weight_decay 并不区分权重和偏置，它作用在传给它的每个参数上。",
               "weight_decay does not tell weights from biases; it acts on every parameter "
               "it is given.")),
        explanation=Message(
            zh="(λ/2) p² 的导数是 λp，正是 weight_decay 加上的那一项。只惩罚权重时，把偏置放进 "
               "weight_decay=0 的另一个参数组。",
            en="The derivative of (λ/2) p² is λp, exactly what weight_decay adds. To penalise "
               "the weights only, put the biases in a second parameter group with "
               "weight_decay=0.")),
    Question(
        id="early_stopping", lesson="07_training", evidence="early stopping",
        prompt=Message(zh="你想决定训练多少轮，并报告一个可信的准确率。应该怎么用数据？",
                       en="You want to decide how many epochs to train and report an accuracy "
                          "you can trust. How should the data be used?"),
        choices=_choices(
            ("在测试集上找准确率最高的那一轮，报告它的测试准确率",
             "Find the epoch with the best test accuracy and report that test accuracy"),
            ("一直训练到训练损失为 0，再报告测试准确率",
             "Train until the training loss reaches 0, then report the test accuracy"),
            ("用训练集上的准确率来选轮数，再报告训练准确率",
             "Choose the epoch by training accuracy and report the training accuracy"),
            ("从训练集中分出验证集，用验证损失选轮数（早停），最后只在测试集上算一次",
             "Split a validation set off the training set, choose the epoch by validation loss "
             "(early stopping), and use the test set once at the end")),
        answer="d",
        why_not=_why_not(
            a=("在测试集上挑选就等于用测试集训练了超参数，报告的准确率偏乐观。",
               "Choosing on the test set trains the hyperparameter on it, and the reported "
               "accuracy is optimistic."),
            b=("训练损失趋于 0 往往意味着已经过拟合；它不说明在新数据上的表现。",
               "A training loss near 0 often means overfitting; it says nothing about new data."),
            c=("训练准确率几乎总是越训越高，选不出该停的时候，也不反映泛化。",
               "Training accuracy almost always keeps rising, so it cannot tell when to stop, "
               "nor does it measure generalization.")),
        explanation=Message(
            zh="验证集只参与决定，不参与梯度；测试集在所有决定做完之后只看一次，它的准确率才是对新数据的诚实估计。",
            en="The validation set takes part in decisions, never in gradients; the test set is "
               "looked at once, after every decision is made, which is what makes its accuracy "
               "an honest estimate for new data.")),
)

_BY_ID = {question.id: question for question in QUESTIONS}


def get_question(question_id: str) -> Question:
    """The question with this id.  按 id 取出题目。"""
    if question_id not in _BY_ID:
        raise CourseValueError(
            zh="没有 id 为 {got!r} 的题目；可选：{known}。",
            en="There is no question {got!r}; known questions: {known}.",
            got=question_id, known=", ".join(_BY_ID))
    return _BY_ID[question_id]


# ---------------------------------------------------------------------------
# Reading a written answer

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"^(?:(?P<num>{_NUMBER})(?:\s*/\s*(?P<den>{_NUMBER}))?"
                   rf"|(?P<sign>[-+]?)(?:ln|log)\s*\(?\s*(?P<arg>{_NUMBER})\s*\)?)$")


def _normalise(answer: str) -> str:
    answer = unicodedata.normalize("NFKC", answer)          # full-width digits, brackets, commas
    for minus in ("−", "–", "—"):
        answer = answer.replace(minus, "-")
    answer = answer.replace("，", ",").replace("、", ",").replace("；", ",").replace(";", ",")
    answer = answer.replace("×", "x").replace("*", "x")
    answer = answer.replace("≈", "").replace("~", "").replace("约", "")
    return answer.strip()


def _term(token: str) -> float | None:
    match = _TERM.match(token.strip())
    if not match:
        return None
    if match.group("arg") is not None:
        value = float(match.group("arg"))
        if value <= 0:
            return None
        return -math.log(value) if match.group("sign") == "-" else math.log(value)
    value = float(match.group("num"))
    if match.group("den") is not None:
        den = float(match.group("den"))
        if den == 0:
            return None
        value /= den
    return value


def parse_numbers(answer: str) -> tuple[float, ...] | None:
    """The numbers in a written answer, or None when it cannot be read.

    读出书面答案中的数：全角字符、中文逗号、Unicode 减号、各种括号都可以；
    支持分数（1/4）和自然对数（ln 10、log(10)）。读不出时返回 None。

    >>> parse_numbers("（−0.15，0.1, 0.05）")
    (-0.15, 0.1, 0.05)
    >>> parse_numbers("128×64")
    (128.0, 64.0)
    """
    text_ = _normalise(answer)
    text_ = re.sub(r"[()\[\]{}]", " ", text_).strip()
    if not text_:
        return None
    # a bare "ln 10" or "1/4" with spaces inside is one term
    whole = _term(text_)
    if whole is not None:
        return (whole,)
    parts = [p for p in re.split(r"[,x]|\s+", text_) if p]
    values = []
    for part in parts:
        value = _term(part)
        if value is None:
            return None
        values.append(value)
    return tuple(values) or None


def _close(got: tuple, want: tuple, tolerance: float) -> bool:
    return len(got) == len(want) and all(abs(g - w) <= tolerance for g, w in zip(got, want))


# ---------------------------------------------------------------------------
# Grading

def grade_answer(question_id: str, answer: str) -> tuple[bool, Message]:
    """Whether ``answer`` answers the question, and the feedback (in both languages).

    判断答案是否正确，并返回反馈（中英文都有，显示时按当前语言）。

    Parameters
    ----------
    question_id : str
        One of the ids in :data:`QUESTIONS`, e.g. ``"softmax_shift"``.
    answer : str
        For a choice question the letter of an option, ``"a"`` to ``"d"``
        (case and brackets ignored); for a written question the text typed in,
        e.g. ``"0.25"``, ``"1/4"``, ``"(128, 64)"`` or ``"-0.15, 0.1, 0.05"``.

    Returns
    -------
    correct : bool
    feedback : Message
        "Right" or "Not quite", why this particular wrong answer is wrong when
        it is a known mistake, and the explanation.

    Examples
    --------
    >>> correct, feedback = grade_answer("softmax_shift", "c")
    >>> correct
    True
    >>> grade_answer("initial_loss", "ln 10")[0]
    True
    """
    question = get_question(question_id)
    if not isinstance(answer, str):
        raise CourseTypeError(
            zh="答案应为字符串（选项字母如 'a'，或写出的数），收到的是 {got!r}。",
            en="The answer must be a string (an option letter such as 'a', or the number "
               "written out), got {got!r}.", got=answer)
    if question.written:
        return _grade_written(question, answer)
    key = _normalise(answer).lower().strip("() ")
    if key not in question.keys:
        raise CourseValueError(
            zh="题目 {id} 没有选项 {got!r}；可选：{keys}。",
            en="Question {id} has no option {got!r}; options: {keys}.",
            id=question_id, got=answer, keys=", ".join(question.keys))
    if key == question.answer:
        return True, Message(zh="✅ 正确。{explanation}", en="✅ Right. {explanation}",
                             explanation=question.explanation)
    return False, Message(zh="❌ 不对：{why}正确答案是 ({answer})。{explanation}",
                          en="❌ Not quite: {why} The answer is ({answer}). {explanation}",
                          why=dict(question.why_not)[key], answer=question.answer,
                          explanation=question.explanation)


def _grade_written(question: Question, answer: str) -> tuple[bool, Message]:
    values = parse_numbers(answer)
    if values is None:
        raise CourseValueError(
            zh="没能从 {got!r} 中读出数来。请写数字，例如 0.25、1/4、ln 10、(128, 64) 或 -0.15, 0.1, 0.05。",
            en="Could not read numbers from {got!r}. Write numbers such as 0.25, 1/4, ln 10, "
               "(128, 64) or -0.15, 0.1, 0.05.", got=answer)
    want = question.value
    if len(values) != len(want):
        return False, Message(
            zh="❌ 应写 {n} 个数，你写了 {m} 个。",
            en="❌ The answer has {n} number(s); you wrote {m}.", n=len(want), m=len(values))
    tolerance = max(question.tolerance, 1e-9)
    if _close(values, want, tolerance):
        return True, Message(zh="✅ 正确。{explanation}", en="✅ Right. {explanation}",
                             explanation=question.explanation)
    for wrong, why in question.mistakes:
        if _close(values, wrong, tolerance):
            return False, Message(zh="❌ 不对：{why}正确答案是 {answer}。{explanation}",
                                  en="❌ Not quite: {why} The answer is {answer}. {explanation}",
                                  why=why, answer=question.answer,
                                  explanation=question.explanation)
    return False, Message(zh="❌ 不对，正确答案是 {answer}。{explanation}",
                          en="❌ Not quite: the answer is {answer}. {explanation}",
                          answer=question.answer, explanation=question.explanation)


# ---------------------------------------------------------------------------
# Showing the quiz

def _markdown(message) -> str:
    # z_i and friends must not turn into italics
    return html.escape(str(message), quote=False).replace("_", "\\_").replace("*", "\\*")


_WRITE_HINT = Message(zh="（写出你的结果）", en="(write your result)")


def quiz_markdown(answers: bool = False, question_ids=None) -> str:
    """The quiz as Markdown in the active language; answers folded away if ``answers``.

    用当前语言把测验写成 Markdown；``answers`` 为真时附上折叠起来的答案与解释。
    """
    questions = [get_question(q) for q in question_ids] if question_ids else list(QUESTIONS)
    lines = []
    for number, question in enumerate(questions, start=1):
        lines.append(f"**{number}.** {_markdown(question.prompt)}\n")
        if question.written:
            lines.append(f"- {_markdown(_WRITE_HINT)}")
        for key, choice in question.choices:
            lines.append(f"- ({key}) {_markdown(choice)}")
        if answers:
            lines.append("")
            lines.append("<details><summary>" + text(zh="答案", en="Answer") + "</summary>\n")
            shown = question.answer if question.written else f"({question.answer})"
            lines.append(f"{_markdown(shown)} {_markdown(question.explanation)}")
            lines.append("\n</details>")
        lines.append("")
    return "\n".join(lines)


def _feedback_html(correct: bool, message: Message) -> str:
    colour = "#2e7d32" if correct else "#c62828"
    return f'<div style="color:{colour}; max-width:52em">{html.escape(str(message))}</div>'


def quiz_widget(question_ids=None):
    """Radio buttons or a text box, and a "check" button, per question; feedback in the active language.

    每道题一组单选按钮（或一个输入框）和一个“检查”按钮，反馈使用当前语言。

    Returns an ``ipywidgets.VBox`` with ``items`` (one namespace per question
    with ``question``, ``radio`` or ``entry``, ``button`` and ``feedback``) and
    ``score`` (an HTML line counting the questions answered correctly).
    """
    import ipywidgets as widgets

    questions = [get_question(q) for q in question_ids] if question_ids else list(QUESTIONS)
    score = widgets.HTML()
    items = []
    correct_ids: set[str] = set()

    def show_score():
        score.value = "<b>" + html.escape(text(
            zh="已答对 {n}/{total} 题", en="{n} of {total} answered correctly",
            n=len(correct_ids), total=len(questions))) + "</b>"

    for number, question in enumerate(questions, start=1):
        prompt = widgets.HTMLMath(value=f"<b>{number}.</b> "
                                  + html.escape(str(question.prompt), quote=False))
        radio = entry = None
        if question.written:
            entry = widgets.Text(placeholder=text(zh="在这里写答案", en="your answer"),
                                 layout=widgets.Layout(width="24em"))
            control = entry
        else:
            radio = widgets.RadioButtons(
                options=[(f"({key}) {choice}", key) for key, choice in question.choices],
                value=None, layout=widgets.Layout(width="max-content"))
            control = radio
        button = widgets.Button(description=text(zh="检查", en="Check"),
                                button_style="info", icon="check")
        feedback = widgets.HTML()
        item = SimpleNamespace(question=question, radio=radio, entry=entry, button=button,
                               feedback=feedback,
                               box=widgets.VBox([prompt, control, button, feedback]))

        def on_click(_button, item=item):
            given = item.entry.value.strip() if item.entry is not None else item.radio.value
            if not given:
                item.feedback.value = html.escape(text(
                    zh="请先写下答案。" if item.entry is not None else "请先选择一个选项。",
                    en="Write an answer first." if item.entry is not None
                    else "Choose an option first."))
                return
            try:
                correct, message = grade_answer(item.question.id, given)
            except CourseValueError as error:
                item.feedback.value = _feedback_html(False, error.message)
                return
            item.feedback.value = _feedback_html(correct, message)
            if correct:
                correct_ids.add(item.question.id)
            else:
                correct_ids.discard(item.question.id)
            show_score()

        button.on_click(on_click)
        items.append(item)
    show_score()
    box = widgets.VBox([item.box for item in items] + [score])
    box.items, box.score = items, score
    return box
