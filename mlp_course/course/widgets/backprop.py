r"""Backpropagation stepper: walk through one backward pass, one gradient at a time.

反向传播分步演示：一步一步走完一次反向传播，每步显示一个误差或梯度（数值与形状）。

For a batch :math:`X` (N, D) with labels :math:`y`, a two-layer network and
the mean cross-entropy, the steps are

.. math::
    \Delta^{[2]} = \tfrac{1}{N}(\hat Y - Y), \quad
    dW^{[2]} = \Delta^{[2]\top} A^{[1]}, \quad db^{[2]} = \textstyle\sum_n \Delta^{[2]}_n, \quad
    dA^{[1]} = \Delta^{[2]} W^{[2]}, \quad
    \Delta^{[1]} = dA^{[1]} \circ f'(Z^{[1]}), \quad
    dW^{[1]} = \Delta^{[1]\top} X, \quad db^{[1]} = \textstyle\sum_n \Delta^{[1]}_n.

:func:`backprop_steps` computes them all (pure numpy), :func:`backprop_view`
picks one, :func:`draw_backprop` draws it (the computation graph with the
current node highlighted, and the arrays with their shapes), and
:func:`backprop_stepper` adds a step slider and back / next buttons.
"""

from __future__ import annotations

import numpy as np

from ._figure import BlitImage, Coalescer
from ...nn.activations import activation_backward, activation_forward
from ...i18n import CourseValueError, Message, text
from ...nn.probability import one_hot, softmax
from ...nn.validation import as_float_array, as_labels, check_activation, check_integer
from .forward import ACTIVATIONS, DEFAULT_PARAMETERS

__all__ = ["DEFAULT_X", "DEFAULT_Y", "backprop_steps", "backprop_view", "draw_backprop",
           "backprop_stepper"]

# Two examples, so the batch dimension (and the sums over it) are visible.
DEFAULT_X = np.array([[1.0, 0.5], [-0.5, 1.0]])
DEFAULT_Y = np.array([1, 1])


def backprop_steps(X=None, y=None, activation: str = "relu",
                   parameters: dict | None = None) -> list[dict]:
    r"""Every step of one forward and backward pass, in the order they run.

    一次前向与反向传播的每一步，按执行顺序排列。

    Parameters
    ----------
    X : array_like, shape (N, D), default :data:`DEFAULT_X`
    y : array_like of int, shape (N,), default :data:`DEFAULT_Y`
    activation : {"relu", "sigmoid", "tanh"}
    parameters : dict, optional
        ``W1`` (H, D), ``b1`` (H,), ``W2`` (C, H), ``b2`` (C,); by default the
        forward explorer's network (D = 2, H = 3, C = 3).

    Returns
    -------
    list of dict
        Six steps (``forward``, ``delta2``, ``grads2``, ``dA1``, ``delta1``,
        ``grads1``), each with ``name``, ``title`` and ``formula``
        (:class:`~mlp_course.i18n.Message`), ``highlight`` (graph nodes),
        ``graph_steps`` (backward arrows to draw) and ``arrays``: a list of
        ``(symbol, ndarray)``.
    """
    activation = check_activation(activation)
    params = {name: value.copy() for name, value in DEFAULT_PARAMETERS.items()}
    for name, value in (parameters or {}).items():
        if name not in params:
            raise CourseValueError(
                zh="未知的参数 {name!r}；可选：W1、b1、W2、b2。",
                en="unknown parameter {name!r}; the parameters are W1, b1, W2, b2.",
                name=name)
        params[name] = as_float_array(value, name).astype(np.float64)
    W1, b1, W2, b2 = (params[name] for name in ("W1", "b1", "W2", "b2"))
    X = DEFAULT_X if X is None else as_float_array(X, "X", ndim=2).astype(np.float64)
    if X.shape[1] != W1.shape[1]:
        raise CourseValueError(
            zh="X 的每一行应有 {D} 个特征（与 W1 的列数一致），收到的形状是 {got}。",
            en="each row of X must have {D} features (the columns of W1), got shape {got}.",
            D=W1.shape[1], got=X.shape)
    labels = DEFAULT_Y if y is None else y
    labels = as_labels(labels, "y", num_classes=W2.shape[0], n=X.shape[0])
    N = X.shape[0]

    Z1 = X @ W1.T + b1
    A1 = activation_forward(activation, Z1)
    Z2 = A1 @ W2.T + b2
    Y_hat = softmax(Z2, axis=1)
    Y = one_hot(labels, W2.shape[0])
    loss = float(-np.mean(np.log(Y_hat[np.arange(N), labels])))
    delta2 = (Y_hat - Y) / N
    dW2, db2 = delta2.T @ A1, delta2.sum(axis=0)
    dA1 = delta2 @ W2
    slope = activation_backward(activation, np.ones_like(Z1), Z1)
    delta1 = dA1 * slope
    dW1, db1 = delta1.T @ X, delta1.sum(axis=0)

    return [
        {"name": "forward", "highlight": ("L",), "graph_steps": 0,
         "title": Message(zh="前向传播：算出并保存 Z¹、A¹、Z²、Ŷ，损失 L = {loss:.4f}",
                          en="Forward pass: compute and keep Z¹, A¹, Z², Ŷ; loss L = {loss:.4f}",
                          loss=loss),
         "formula": Message(zh="Z¹ = X W¹ᵀ + b¹，A¹ = {act}(Z¹)，Z² = A¹ W²ᵀ + b²，Ŷ = softmax(Z²)",
                            en="Z¹ = X W¹ᵀ + b¹, A¹ = {act}(Z¹), Z² = A¹ W²ᵀ + b², Ŷ = softmax(Z²)",
                            act=activation),
         "arrays": [("Z¹", Z1), ("A¹", A1), ("Z²", Z2), ("Ŷ", Y_hat)], "loss": loss},
        {"name": "delta2", "highlight": ("z2",), "graph_steps": 1,
         "title": Message(zh="第 1 步：输出层误差 Δ²（softmax 与交叉熵合在一起求导）",
                          en="Step 1: the output error Δ² (softmax and cross-entropy together)"),
         "formula": Message(zh="Δ² = ∂L/∂Z² = (Ŷ − Y) / N", en="Δ² = ∂L/∂Z² = (Ŷ − Y) / N"),
         "arrays": [("Ŷ", Y_hat), ("Y", Y), ("Δ²", delta2)]},
        {"name": "grads2", "highlight": ("W2", "b2"), "graph_steps": 2,
         "title": Message(zh="第 2 步：输出层参数的梯度", en="Step 2: gradients of the output layer"),
         "formula": Message(zh="dW² = Δ²ᵀ A¹（对批量求和），db² = Σₙ Δ²ₙ",
                            en="dW² = Δ²ᵀ A¹ (a sum over the batch), db² = Σₙ Δ²ₙ"),
         "arrays": [("dW²", dW2), ("db²", db2)]},
        {"name": "dA1", "highlight": ("a1",), "graph_steps": 3,
         "title": Message(zh="第 3 步：把误差传回隐藏层的输出",
                          en="Step 3: carry the error back to the hidden layer's output"),
         "formula": Message(zh="dA¹ = ∂L/∂A¹ = Δ² W²", en="dA¹ = ∂L/∂A¹ = Δ² W²"),
         "arrays": [("W²", W2), ("dA¹", dA1)]},
        {"name": "delta1", "highlight": ("z1",), "graph_steps": 4,
         "title": Message(zh="第 4 步：穿过激活函数（逐元素乘以导数）",
                          en="Step 4: through the activation (multiply by its derivative, "
                             "element by element)"),
         "formula": Message(zh="Δ¹ = dA¹ ∘ f′(Z¹)，f = {act}",
                            en="Δ¹ = dA¹ ∘ f′(Z¹), f = {act}", act=activation),
         "arrays": [("dA¹", dA1), ("f′(Z¹)", slope), ("Δ¹", delta1)]},
        {"name": "grads1", "highlight": ("W1", "b1"), "graph_steps": 5,
         "title": Message(zh="第 5 步：隐藏层参数的梯度", en="Step 5: gradients of the hidden layer"),
         "formula": Message(zh="dW¹ = Δ¹ᵀ X，db¹ = Σₙ Δ¹ₙ", en="dW¹ = Δ¹ᵀ X, db¹ = Σₙ Δ¹ₙ"),
         "arrays": [("dW¹", dW1), ("db¹", db1)]},
    ]


def backprop_view(step: int, steps: list[dict] | None = None) -> dict:
    """One step of :func:`backprop_steps`, with its number and the total.

    取出 :func:`backprop_steps` 中的一步，并附上步号与总步数。

    Examples
    --------
    >>> view = backprop_view(1)
    >>> view["name"], [shape for _, shape in view["shapes"]]
    ('delta2', [(2, 3), (2, 3), (2, 3)])
    """
    steps = backprop_steps() if steps is None else steps
    step = check_integer(step, "step", minimum=0, maximum=len(steps) - 1)
    view = dict(steps[step])
    view["step"], view["count"] = step, len(steps)
    view["shapes"] = [(symbol, tuple(array.shape)) for symbol, array in view["arrays"]]
    return view


def _format_array(array: np.ndarray) -> str:
    with np.printoptions(precision=3, suppress=True, floatmode="fixed", linewidth=60):
        return np.array2string(np.asarray(array), separator=" ")


def _graph_title(view: dict) -> str:
    from ..plotting import label

    return label(zh="第 {step}/{last} 步", en="step {step} of {last}",
                 step=view["step"], last=view["count"] - 1)


def _formula_title(view: dict) -> str:
    from ..plotting import label

    return label(zh=view["formula"].zh, en=view["formula"].en, **view["formula"].fields)


def _show_step(graph_ax, values_ax, view: dict, artists: dict) -> None:
    """Highlight the step's nodes, show its backward arrows and write its arrays."""
    from ..figures import (BACKWARD_STEPS, HIGHLIGHT_COLOR, NODE_COLOR, PARAMETER_COLOR,
                           PARAMETERS)

    highlight = set(view["highlight"])
    for name, circle in artists["graph"]["nodes"].items():
        circle.set_facecolor(HIGHLIGHT_COLOR if name in highlight else (
            PARAMETER_COLOR if name in PARAMETERS else NODE_COLOR))
        circle.set_linewidth(2.2 if name in highlight else 1.2)
    shown = [step[0] for step in BACKWARD_STEPS[:view["graph_steps"]]]
    for index, (name, arrows) in enumerate(artists["all_backward"].items()):
        for arrow in arrows:
            arrow.set_visible(name in shown)
        artists["step_labels"][index].set_visible(name in shown)
    artists["graph"]["backward"] = {name: artists["all_backward"][name] for name in shown}
    graph_ax.set_title(_graph_title(view), fontsize=10)
    values_ax.set_title(_formula_title(view), fontsize=11)
    count = len(view["arrays"])
    for index, text_artist in enumerate(artists["text_pool"]):
        text_artist.set_visible(index < count)
        if index < count:
            symbol, array = view["arrays"][index]
            text_artist.set_x((index + 0.5) / count)
            text_artist.set_text(f"{symbol}   shape {tuple(np.shape(array))}\n"
                                 f"{_format_array(array)}")
    artists["arrays"] = artists["text_pool"][:count]


def draw_backprop(axes, view: dict, artists: dict | None = None) -> dict:
    """Draw a step: the graph (current node highlighted) and the step's arrays.

    画出一步：计算图（高亮当前节点）以及这一步的数组（数值和形状）。

    With ``artists`` from an earlier call on the same axes, only what changes
    from step to step is updated: the highlighted nodes, which backward arrows
    show, the titles and the arrays.

    Returns
    -------
    dict
        ``graph`` (from :func:`mlp_course.course.figures.draw_computation_graph`,
        its ``backward`` holding the steps shown so far) and ``arrays``: one
        Text per array, reading ``symbol  shape (…)`` then the values.
    """
    from ..figures import BACKWARD_STEPS, draw_computation_graph

    graph_ax, values_ax = axes
    if artists is None:
        # every backward arrow is drawn once; a step only shows or hides them
        graph = draw_computation_graph(graph_ax, highlight=view["highlight"])
        values_ax.clear()
        values_ax.axis("off")
        values_ax.set_xlim(0, 1)
        values_ax.set_ylim(0, 1)
        most = max(4, len(view["arrays"]))
        artists = {
            "graph": graph,
            "all_backward": dict(graph["backward"]),
            "step_labels": graph["labels"][:len(BACKWARD_STEPS)],
            "text_pool": [values_ax.text(0.5, 0.95, "", ha="center", va="top",
                                         family="monospace", fontsize=9.5)
                          for _ in range(most)],
        }
    _show_step(graph_ax, values_ax, view, artists)
    return artists


def backprop_stepper(X=None, y=None, activation: str = "relu", step: int = 0):
    """Step through one backward pass with a slider or the back / next buttons.

    用滑块或“上一步 / 下一步”按钮逐步查看一次反向传播。

    Returns an ``ipywidgets.VBox`` with attributes ``step`` (IntSlider),
    ``previous`` and ``next`` (Buttons), ``activation`` (Dropdown),
    ``caption`` (HTML), ``figure``, ``axes``, ``artists`` and ``view``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    state = {"steps": backprop_steps(X, y, activation)}
    view = backprop_view(step, state["steps"])
    style = {"description_width": "initial"}
    slider = widgets.IntSlider(value=view["step"], min=0, max=view["count"] - 1,
                               description=text(zh="步骤", en="step"), style=style)
    previous = widgets.Button(description=text(zh="◀ 上一步", en="◀ back"))
    following = widgets.Button(description=text(zh="下一步 ▶", en="next ▶"))
    names = {"relu": "ReLU", "sigmoid": "sigmoid σ", "tanh": "tanh"}
    chooser = widgets.Dropdown(options=[(names[key], key) for key in ACTIVATIONS],
                               value=activation,
                               description=text(zh="激活函数", en="activation"), style=style)
    caption = widgets.HTML()
    figure = Figure(figsize=(11, 5.2), layout="constrained")
    axes = figure.subplots(2, 1, height_ratios=[1.8, 0.8])
    output = widgets.Image(format="png")  # updated in place; never blocks a runner
    box = widgets.VBox([widgets.HBox([previous, slider, following, chooser]), caption, output])
    box.step, box.previous, box.next, box.activation = slider, previous, following, chooser
    box.caption, box.figure, box.axes = caption, figure, axes

    picture = BlitImage(figure, output)
    graph_ax, values_ax = axes
    pictures: dict = {}  # (activation, step) -> PNG: a step seen before costs no drawing

    def draw():
        key = (chooser.value, box.view["step"])
        if box.artists is None:
            box.artists = draw_backprop(axes, box.view)
            picture.draw([*box.artists["graph"]["nodes"].values(),
                          *(arrow for arrows in box.artists["all_backward"].values()
                            for arrow in arrows),
                          *graph_ax.texts, graph_ax.title, values_ax.title,
                          *box.artists["text_pool"]])
        else:
            draw_backprop(axes, box.view, box.artists)
            if key in pictures:
                output.value = pictures[key]
                return
            picture.update()
        pictures[key] = output.value

    painter = Coalescer(draw)

    def changed(change=None):
        # the numbers follow every event; the picture is drawn for the latest state
        box.view = backprop_view(slider.value, state["steps"])
        caption.value = f"<b>{box.view['title']}</b>"
        painter.request()

    def new_activation(change):
        state["steps"] = backprop_steps(X, y, chooser.value)
        changed()

    def move(offset):
        def click(button):
            slider.value = min(max(slider.value + offset, slider.min), slider.max)
        return click

    previous.on_click(move(-1))
    following.on_click(move(+1))
    box.artists, box.painter, box.picture = None, painter, picture
    slider.observe(changed, names="value")
    chooser.observe(new_activation, names="value")
    changed()
    return box
