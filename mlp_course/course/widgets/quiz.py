r"""Self-check quiz for the review lesson: questions as data, grading as a pure function.

复习课的自测题：题目是数据，判分是纯函数，小部件只是一层外壳。

Every question, choice and explanation is written in Chinese and English
(:class:`~mlp_course.i18n.Message`), so the quiz follows the language setting.
:func:`grade_answer` says whether a choice is right and explains why;
:func:`quiz_markdown` prints the quiz as text (for a notebook read without a
kernel); :func:`quiz_widget` shows radio buttons and a "check" button per
question.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from types import SimpleNamespace

from ...i18n import CourseTypeError, CourseValueError, Message, text

__all__ = ["Question", "QUESTIONS", "get_question", "grade_answer", "quiz_markdown",
           "quiz_widget"]


@dataclass(frozen=True)
class Question:
    """One multiple-choice question.  一道选择题。

    ``choices`` is a tuple of ``(key, Message)``; ``answer`` is the key of the
    correct choice; ``lesson`` is the id of the lesson that teaches the idea.
    """

    id: str
    lesson: str
    prompt: Message
    choices: tuple
    answer: str
    explanation: Message

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.choices)

    def choice(self, key: str) -> Message:
        return dict(self.choices)[key]


def _choices(*pairs: tuple[str, str]) -> tuple:
    return tuple((key, Message(zh=zh, en=en)) for key, (zh, en) in zip("abcd", pairs))


QUESTIONS: tuple[Question, ...] = (
    Question(
        id="softmax_shift", lesson="01_softmax",
        prompt=Message(zh="给每个 logit 都加上同一个常数 c，softmax(z) 会怎样？",
                       en="You add the same constant c to every logit. What happens to "
                          "softmax(z)?"),
        choices=_choices(
            ("不变：softmax(z + c) = softmax(z)", "Nothing: softmax(z + c) = softmax(z)"),
            ("每个概率都增加 c", "Every probability grows by c"),
            ("每个概率都乘以 e^c", "Every probability is multiplied by e^c"),
            ("最大的概率变大，其余变小", "The largest probability grows and the others shrink")),
        answer="a",
        explanation=Message(
            zh="e^(z_i + c) = e^c · e^(z_i)：公因子 e^c 同时出现在分子和分母中，约掉了。"
               "正因为如此，实现时可以先减去 max z——结果不变，指数却不会溢出。",
            en="e^(z_i + c) = e^c · e^(z_i): the common factor e^c appears in the numerator "
               "and in the denominator, and cancels. That is exactly why an implementation may "
               "subtract max z first: same result, and no exponential overflows.")),
    Question(
        id="temperature", lesson="01_softmax",
        prompt=Message(zh="softmax(z / T) 中的温度 T 变得非常大（T → ∞）时，概率分布趋向什么？",
                       en="In softmax(z / T), the temperature T grows very large (T → ∞). "
                          "What does the distribution approach?"),
        choices=_choices(
            ("最大 logit 处的 one-hot 分布", "A one-hot distribution on the largest logit"),
            ("均匀分布：每个类别都是 1/C", "The uniform distribution: 1/C for every class"),
            ("不变，与 T 无关", "It does not change: T has no effect"),
            ("概率之和超过 1", "Probabilities that add up to more than 1")),
        answer="b",
        explanation=Message(
            zh="T 很大时每个 z_i / T 都趋近 0，每个 e^(z_i/T) 都趋近 1，于是每个概率都趋近 1/C。"
               "反过来，T → 0 时分布趋向最大 logit 处的 one-hot。对任何 T > 0，概率的大小顺序都不变。",
            en="For large T every z_i / T goes to 0, every e^(z_i/T) to 1, so every probability "
               "goes to 1/C. The other way round, T → 0 sharpens the distribution into a one-hot "
               "on the largest logit. For any T > 0 the order of the probabilities stays the same.")),
    Question(
        id="nll_ce_same", lesson="03_cross_entropy",
        prompt=Message(zh="标签是类别序号时，F.cross_entropy(z, y) 与下面哪一个相等？",
                       en="With class-index labels, F.cross_entropy(z, y) equals which of these?"),
        choices=_choices(
            ("F.nll_loss(F.log_softmax(z, dim=1), y)", "F.nll_loss(F.log_softmax(z, dim=1), y)"),
            ("F.nll_loss(z, y)", "F.nll_loss(z, y)"),
            ("F.nll_loss(F.softmax(z, dim=1), y)", "F.nll_loss(F.softmax(z, dim=1), y)"),
            ("最大 softmax 概率的 −log", "−log of the largest softmax probability")),
        answer="a",
        explanation=Message(
            zh="交叉熵 = log_softmax + NLL。nll_loss 只是取出正确类别那一项再取负，它假定输入已经是"
               "对数概率：直接传 logits 得到 −z_c，传概率得到 −ŷ_c，都不报错却都是错的。"
               "损失看的是正确类别的概率，而不是最大的那个。",
            en="Cross-entropy = log_softmax + NLL. nll_loss only picks the correct class's entry "
               "and negates it, assuming log-probabilities: given raw logits it returns −z_c, "
               "given probabilities −ŷ_c, both without any error and both wrong. The loss looks "
               "at the correct class's probability, not at the largest one.")),
    Question(
        id="ce_differs", lesson="03_cross_entropy",
        prompt=Message(zh="什么时候交叉熵 H(p, q) 不只是正确类别的 −log q_c？",
                       en="When is the cross-entropy H(p, q) more than −log q_c of the correct "
                          "class?"),
        choices=_choices(
            ("从不：两者总是相等", "Never: they are always equal"),
            ("目标分布 p 不是 one-hot 时（软标签、标签平滑）",
             "When the target p is not one-hot (soft labels, label smoothing)"),
            ("类别多于两个时", "When there are more than two classes"),
            ("logits 为负数时", "When the logits are negative")),
        answer="b",
        explanation=Message(
            zh="H(p, q) = −∑ p_i log q_i。只有 p 是 one-hot 时，求和才只剩正确类别那一项，"
               "也就等于 NLL。使用软标签或标签平滑时，每个 p_i > 0 的类别都有贡献。",
            en="H(p, q) = −∑ p_i log q_i. Only for a one-hot p does the sum collapse to the "
               "correct class's term, which is the NLL. With soft labels or label smoothing "
               "every class with p_i > 0 contributes.")),
    Question(
        id="output_delta", lesson="04_softmax_gradient",
        prompt=Message(zh="对单个样本，softmax 之后接交叉熵，损失对 logits 的梯度 ∂L/∂z 是？",
                       en="For one example, softmax followed by cross-entropy: what is the "
                          "gradient of the loss with respect to the logits, ∂L/∂z?"),
        choices=_choices(
            ("ŷ − y", "ŷ − y"),
            ("y − ŷ", "y − ŷ"),
            ("−1 / ŷ_c", "−1 / ŷ_c"),
            ("ŷ ∘ (1 − ŷ)", "ŷ ∘ (1 − ŷ)")),
        answer="a",
        explanation=Message(
            zh="−log softmax(z)_c 对 z_i 的导数是 ŷ_i − [i = c]：log 带来的 1/ŷ 与 softmax 的雅可比"
               "矩阵相消，只剩“预测减目标”。y − ŷ 符号反了（那是下降方向）；−1/ŷ_c 只是 ∂L/∂ŷ_c。"
               "对一个批次取平均时还要再除以 N。",
            en="The derivative of −log softmax(z)_c with respect to z_i is ŷ_i − [i = c]: the "
               "1/ŷ from the log cancels against the softmax Jacobian, leaving prediction minus "
               "target. y − ŷ has the wrong sign (it is the descent direction); −1/ŷ_c is only "
               "∂L/∂ŷ_c. For the mean over a batch, divide by N as well.")),
    Question(
        id="dW_shape", lesson="06_backprop",
        prompt=Message(zh="某层的 W 形状为 (H, D)（与 torch.nn.Linear 相同），输入批次 X 的形状为 "
                          "(N, D)，δ = ∂L/∂Z 的形状为 (N, H)。∂L/∂W 的形状和算法是？",
                       en="A layer has W of shape (H, D) (as in torch.nn.Linear), a batch X of "
                          "shape (N, D) and δ = ∂L/∂Z of shape (N, H). What are the shape of "
                          "∂L/∂W and its formula?"),
        choices=_choices(
            ("(D, H)，Xᵀ δ", "(D, H), Xᵀ δ"),
            ("(H, D)，δᵀ X", "(H, D), δᵀ X"),
            ("(N, H)，就是 δ", "(N, H), just δ"),
            ("(N, D)，δ W", "(N, D), δ W")),
        answer="b",
        explanation=Message(
            zh="梯度总与它的参数同形：(H, D)。每个样本贡献一个外积 δ_n x_nᵀ（即总结表中的 δ·aᵀ），"
               "对批次求和正好是 δᵀ X。Xᵀ δ 是它的转置；δ W 的形状 (N, D) 是传给上一层的 ∂L/∂X。",
            en="A gradient always has the shape of its parameter: (H, D). Each example adds the "
               "outer product δ_n x_nᵀ (the δ·aᵀ of the summary table), and the sum over the "
               "batch is δᵀ X. Xᵀ δ is its transpose; δ W, of shape (N, D), is ∂L/∂X, the "
               "gradient passed down to the layer below.")),
    Question(
        id="hadamard", lesson="06_backprop",
        prompt=Message(zh="在 δ¹ = (W²)ᵀ δ² ∘ σ′(z¹) 中，为什么用逐元素乘积（Hadamard 积）∘，"
                          "而不是矩阵乘法？",
                       en="In δ¹ = (W²)ᵀ δ² ∘ σ′(z¹), why an element-wise (Hadamard) product ∘ "
                          "rather than a matrix product?"),
        choices=_choices(
            ("激活函数逐个作用于每个单元，它的雅可比矩阵是对角矩阵",
             "The activation acts on each unit separately, so its Jacobian is diagonal"),
            ("矩阵乘法太慢", "A matrix product would be too slow"),
            ("σ′ 是一个标量", "σ′ is a scalar"),
            ("∘ 表示转置", "∘ means transpose")),
        answer="a",
        explanation=Message(
            zh="a¹_j = σ(z¹_j) 只依赖 z¹_j，所以 ∂a¹/∂z¹ = diag(σ′(z¹))。乘以一个对角矩阵，"
               "就等于逐元素相乘——∘ 只是更省事的写法。",
            en="a¹_j = σ(z¹_j) depends on z¹_j only, so ∂a¹/∂z¹ = diag(σ′(z¹)). Multiplying by a "
               "diagonal matrix is the same as multiplying entry by entry: ∘ is the cheap way to "
               "write it.")),
    Question(
        id="relu_derivative", lesson="06_backprop",
        prompt=Message(zh="ReLU′(z) 是什么？", en="What is ReLU′(z)?"),
        choices=_choices(
            ("z > 0 时为 1，z < 0 时为 0（z = 0 处按惯例取 0，与 PyTorch 相同）",
             "1 for z > 0, 0 for z < 0 (and 0 at z = 0 by convention, as in PyTorch)"),
            ("z > 0 时为 z，否则为 0", "z for z > 0, otherwise 0"),
            ("处处为 1", "1 everywhere"),
            ("σ(z)(1 − σ(z))", "σ(z)(1 − σ(z))")),
        answer="a",
        explanation=Message(
            zh="ReLU(z) = max(0, z) 右边是斜率为 1 的直线，左边是常数 0。z = 0 处没有导数，"
               "框架约定取 0。所以反向传播时，梯度只从激活的单元通过，其余被挡住。"
               "“z > 0 时为 z”是 ReLU 本身，σ(z)(1 − σ(z)) 是 sigmoid 的导数。",
            en="ReLU(z) = max(0, z) is a line of slope 1 on the right and the constant 0 on the "
               "left. At z = 0 there is no derivative and frameworks pick 0. So backpropagation "
               "lets the gradient through the active units and blocks it at the others. "
               "“z for z > 0” is ReLU itself; σ(z)(1 − σ(z)) is the sigmoid's derivative.")),
    Question(
        id="convexity", lesson="07_training",
        prompt=Message(zh="关于凸性（convexity），下列哪种说法正确？",
                       en="Which statement about convexity is true?"),
        choices=_choices(
            ("MLP 的交叉熵损失对全部权重是凸的，所以 SGD 总能找到全局最小值",
             "An MLP's cross-entropy loss is convex in all its weights, so SGD always finds "
             "the global minimum"),
            ("交叉熵对 logits 是凸的（因此 softmax 回归也是凸的），但有隐藏层的 MLP 的损失对权重不是凸的",
             "Cross-entropy is convex in the logits (so softmax regression is convex too), but "
             "an MLP's loss as a function of its weights is not"),
            ("这个损失在任何意义下都不是凸的", "Nothing about this loss is convex"),
            ("只有用 ReLU 时损失才是凸的", "The loss is convex only with ReLU")),
        answer="b",
        explanation=Message(
            zh="logsumexp(z) − z_c 对 z 是凸的（它的 Hessian diag(ŷ) − ŷŷᵀ 半正定），"
               "复合一个线性映射仍是凸的，所以 softmax 回归是凸问题。有了隐藏层就不同了："
               "交换两个隐藏单元得到的网络损失完全相同，这两组权重的平均一般却更差——凸函数不会这样。",
            en="logsumexp(z) − z_c is convex in z (its Hessian diag(ŷ) − ŷŷᵀ is positive "
               "semi-definite), and composing with a linear map keeps it convex, so softmax "
               "regression is a convex problem. A hidden layer changes that: swapping two hidden "
               "units gives a network with exactly the same loss, yet the average of the two "
               "weight settings is usually worse, which a convex function never allows.")),
    Question(
        id="zero_init", lesson="07_training",
        prompt=Message(zh="MLP 的全部权重都初始化为 0，训练时会发生什么？",
                       en="Every weight of an MLP starts at zero. What happens in training?"),
        choices=_choices(
            ("和随机初始化训练得一样好", "It trains as well as a random start"),
            ("隐藏单元始终一模一样（用 ReLU 时一直是 0），对称性永远打不破",
             "The hidden units stay identical forever (with ReLU they stay at zero): the "
             "symmetry is never broken"),
            ("训练一定发散", "Training always diverges"),
            ("只有第一层在学习", "Only the first layer learns")),
        answer="b",
        explanation=Message(
            zh="一模一样的单元得到一模一样的梯度，SGD 会让它们永远保持一样。全零权重加 ReLU 时更糟："
               "隐藏层输出全是 0，W¹ 和 W² 的梯度都是 0，只有输出层的偏置在学。随机初始化打破了这种对称。",
            en="Identical units receive identical gradients, so SGD keeps them identical. With "
               "all-zero weights and ReLU it is worse: the hidden outputs are all 0, the gradients "
               "of W¹ and W² are 0, and only the output bias learns. A random start breaks the "
               "symmetry.")),
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


def grade_answer(question_id: str, choice: str) -> tuple[bool, Message]:
    """Whether ``choice`` answers the question, and the explanation (in both languages).

    判断 ``choice`` 是否正确，并返回解释（中英文都有，显示时按当前语言）。

    Parameters
    ----------
    question_id : str
        One of the ids in :data:`QUESTIONS`, e.g. ``"softmax_shift"``.
    choice : str
        The key of the chosen answer, ``"a"``, ``"b"``, ... (case-insensitive).

    Returns
    -------
    correct : bool
    feedback : Message
        "Right" or "Not quite, the answer is (x)", followed by the explanation.

    Examples
    --------
    >>> correct, feedback = grade_answer("softmax_shift", "a")
    >>> correct
    True
    """
    question = get_question(question_id)
    if not isinstance(choice, str):
        raise CourseTypeError(
            zh="参数 choice 应为选项字母（如 'a'），收到的是 {got!r}。",
            en="choice must be the letter of an option (such as 'a'), got {got!r}.",
            got=choice)
    key = choice.strip().lower().strip("()")
    if key not in question.keys:
        raise CourseValueError(
            zh="题目 {id} 没有选项 {got!r}；可选：{keys}。",
            en="Question {id} has no option {got!r}; options: {keys}.",
            id=question_id, got=choice, keys=", ".join(question.keys))
    if key == question.answer:
        return True, Message(zh="✅ 正确。{explanation}", en="✅ Right. {explanation}",
                             explanation=question.explanation)
    return False, Message(zh="❌ 不对，正确答案是 ({answer})。{explanation}",
                          en="❌ Not quite: the answer is ({answer}). {explanation}",
                          answer=question.answer, explanation=question.explanation)


def _markdown(message: Message) -> str:
    # z_i and friends must not turn into italics
    return html.escape(str(message), quote=False).replace("_", "\\_").replace("*", "\\*")


def quiz_markdown(answers: bool = False, question_ids=None) -> str:
    """The quiz as Markdown in the active language; answers folded away if ``answers``.

    用当前语言把测验写成 Markdown；``answers`` 为真时附上折叠起来的答案与解释。
    """
    questions = [get_question(q) for q in question_ids] if question_ids else list(QUESTIONS)
    lines = []
    for number, question in enumerate(questions, start=1):
        lines.append(f"**{number}.** {_markdown(question.prompt)}\n")
        for key, choice in question.choices:
            lines.append(f"- ({key}) {_markdown(choice)}")
        if answers:
            lines.append("")
            lines.append("<details><summary>" + text(zh="答案", en="Answer") + "</summary>\n")
            lines.append(f"({question.answer}) {_markdown(question.explanation)}")
            lines.append("\n</details>")
        lines.append("")
    return "\n".join(lines)


def _feedback_html(correct: bool, message: Message) -> str:
    colour = "#2e7d32" if correct else "#c62828"
    return f'<div style="color:{colour}; max-width:52em">{html.escape(str(message))}</div>'


def quiz_widget(question_ids=None):
    """Radio buttons and a "check" button per question, with feedback in the active language.

    每道题一组单选按钮和一个“检查”按钮，反馈使用当前语言。

    Returns an ``ipywidgets.VBox`` with ``items`` (one namespace per question
    with ``question``, ``radio``, ``button`` and ``feedback``) and ``score``
    (an HTML line counting the questions answered correctly).
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
        radio = widgets.RadioButtons(
            options=[(f"({key}) {choice}", key) for key, choice in question.choices],
            value=None, layout=widgets.Layout(width="max-content"))
        button = widgets.Button(description=text(zh="检查", en="Check"),
                                button_style="info", icon="check")
        feedback = widgets.HTML()
        item = SimpleNamespace(question=question, radio=radio, button=button,
                               feedback=feedback,
                               box=widgets.VBox([prompt, radio, button, feedback]))

        def on_click(_button, item=item):
            if item.radio.value is None:
                item.feedback.value = html.escape(text(zh="请先选择一个选项。",
                                                       en="Choose an option first."))
                return
            correct, message = grade_answer(item.question.id, item.radio.value)
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
