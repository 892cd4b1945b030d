r"""Forward-pass explorer: move a 2-D input and one weight, watch every layer of a tiny MLP.

前向传播探索器：拖动二维输入和一个权重，观察一个小 MLP 每一层的数值。

The network has D = 2 inputs, H = 3 hidden units and C = 3 classes:

.. math::
    z^{[1]} = W^{[1]} x + b^{[1]}, \quad a^{[1]} = f(z^{[1]}), \quad
    z^{[2]} = W^{[2]} a^{[1]} + b^{[2]}, \quad \hat y = \mathrm{softmax}(z^{[2]})

:func:`forward_view` computes the numbers, :func:`draw_forward` draws them on
three axes (the input plane with each hidden unit's line :math:`z^{[1]}_h = 0`,
the hidden layer as bars, the output probabilities as bars), and
:func:`forward_explorer` is the thin ipywidgets layer.
"""

from __future__ import annotations

import numpy as np

from ._figure import figure_png
from ...nn.activations import activation_forward
from ...i18n import CourseValueError, text
from ...nn.probability import softmax
from ...nn.validation import as_float_array

__all__ = ["DEFAULT_PARAMETERS", "forward_view", "decision_regions", "draw_forward",
           "forward_explorer"]

# W1 (H=3, D=2), b1 (3,), W2 (C=3, H=3), b2 (3,): each hidden unit looks in
# a different direction of the plane and each class listens mostly to one unit,
# so moving x visibly hands the win from class to class.
DEFAULT_PARAMETERS = {
    "W1": np.array([[1.0, 0.0], [-0.5, 1.0], [-0.5, -1.0]]),
    "b1": np.array([0.0, 0.2, -0.2]),
    "W2": np.array([[2.0, -0.5, -0.5], [-0.5, 2.0, -0.5], [-0.5, -0.5, 2.0]]),
    "b2": np.array([0.0, 0.0, 0.0]),
}
INPUT_RANGE = 3.0
ACTIVATIONS = ("relu", "sigmoid", "tanh")
_CLASS_COLORS = ("#4C72B0", "#DD8452", "#55A868")


def _parameters(parameters: dict | None) -> dict:
    chosen = {name: value.copy() for name, value in DEFAULT_PARAMETERS.items()}
    for name, value in (parameters or {}).items():
        if name not in chosen:
            raise CourseValueError(
                zh="未知的参数 {name!r}；可选：W1、b1、W2、b2。",
                en="unknown parameter {name!r}; the parameters are W1, b1, W2, b2.",
                name=name)
        array = as_float_array(value, name)
        if array.shape != chosen[name].shape:
            raise CourseValueError(
                zh="参数 {name} 的形状应为 {want}，收到的是 {got}。",
                en="{name} must have shape {want}, got {got}.",
                name=name, want=chosen[name].shape, got=array.shape)
        chosen[name] = array.astype(np.float64)
    return chosen


def forward_view(x, activation: str = "relu", w11: float | None = None,
                 parameters: dict | None = None) -> dict:
    r"""Every intermediate of the tiny network's forward pass for one input.

    小网络对一个输入做前向传播时的每个中间量。

    Parameters
    ----------
    x : array_like, shape (2,)
        The input point :math:`x \in \mathbb{R}^2`.
    activation : {"relu", "sigmoid", "tanh"}
    w11 : float, optional
        Overrides :math:`W^{[1]}_{11}` (the weight from input 1 to hidden unit 1):
        moving it changes only :math:`z^{[1]}_1`.
    parameters : dict, optional
        Replacements for ``W1`` (3, 2), ``b1`` (3,), ``W2`` (3, 3), ``b2`` (3,).

    Returns
    -------
    dict
        ``x`` (2,), ``W1``, ``b1``, ``W2``, ``b2``, ``z1`` (3,), ``a1`` (3,),
        ``z2`` (3,), ``probabilities`` (3,), ``predicted`` (int),
        ``activation`` (str).

    Examples
    --------
    >>> view = forward_view([1.0, 0.0])
    >>> view["z1"]
    array([ 1. , -0.3, -0.7])
    >>> view["a1"]
    array([1., 0., 0.])
    """
    x = as_float_array(x, "x", ndim=1).astype(np.float64)
    if x.shape != (2,):
        raise CourseValueError(
            zh="参数 x 应为二维平面上的一个点，形状 (2,)，收到的形状是 {got}。",
            en="x must be one point of the plane, shape (2,), got shape {got}.",
            got=x.shape)
    if activation not in ACTIVATIONS:
        raise CourseValueError(
            zh="参数 activation 应为 'relu'、'sigmoid' 或 'tanh'，收到的是 {got!r}。",
            en="activation must be 'relu', 'sigmoid' or 'tanh', got {got!r}.",
            got=activation)
    params = _parameters(parameters)
    if w11 is not None:
        params["W1"][0, 0] = float(w11)
    z1 = params["W1"] @ x + params["b1"]
    a1 = activation_forward(activation, z1)
    z2 = params["W2"] @ a1 + params["b2"]
    probabilities = softmax(z2)
    return {"x": x, **params, "z1": z1, "a1": a1, "z2": z2, "probabilities": probabilities,
            "predicted": int(np.argmax(probabilities)), "activation": activation}


def decision_regions(view: dict, resolution: int = 81) -> np.ndarray:
    r"""The class the network of ``view`` predicts on a grid over the input plane.

    在输入平面的网格上，``view`` 中的网络预测的类别。

    The whole grid goes through the network as one batch,
    :math:`Z^{[1]} = X W^{[1]\top} + b^{[1]}` with :math:`X` of shape
    (resolution², 2).

    Returns
    -------
    numpy.ndarray of int, shape (resolution, resolution)
        Row ``i`` is the ``i``-th value of ``x[2]`` from -3 to 3, column ``j``
        the ``j``-th value of ``x[1]``.
    """
    axis = np.linspace(-INPUT_RANGE, INPUT_RANGE, resolution)
    first, second = np.meshgrid(axis, axis)
    X = np.column_stack([first.ravel(), second.ravel()])
    A1 = activation_forward(view["activation"], X @ view["W1"].T + view["b1"])
    Z2 = A1 @ view["W2"].T + view["b2"]
    return np.argmax(Z2, axis=1).reshape(resolution, resolution)


def _region_colormap():
    from matplotlib.colors import ListedColormap

    return ListedColormap(_CLASS_COLORS)


def draw_forward(axes, view: dict) -> dict:
    """Draw a view on three axes: input plane, hidden layer, output probabilities.

    在三个坐标轴上画出：输入平面、隐藏层、输出概率。

    Returns
    -------
    dict
        ``point`` (the input's Line2D), ``regions`` (the AxesImage of
        :func:`decision_regions`), ``unit_lines`` (one Line2D per hidden
        unit, where :math:`z^{[1]}_h = 0`), ``z1_bars`` and ``a1_bars``
        (BarContainers of the hidden layer), ``probability_bars``.
    """
    from ..plotting import label

    plane, hidden, output = axes
    for ax in axes:
        ax.clear()

    # Input plane, coloured by the class the network picks at each point, with
    # the line of every hidden unit: unit h is "on" on the side where z1_h > 0.
    regions = plane.imshow(decision_regions(view), origin="lower", alpha=0.18,
                           extent=(-INPUT_RANGE, INPUT_RANGE, -INPUT_RANGE, INPUT_RANGE),
                           cmap=_region_colormap(), vmin=-0.5, vmax=2.5, interpolation="nearest")
    grid = np.linspace(-INPUT_RANGE, INPUT_RANGE, 2)
    unit_lines = []
    W1, b1 = view["W1"], view["b1"]
    for h, ((w_a, w_b), bias) in enumerate(zip(W1, b1)):
        color = f"C{h + 3}"
        if abs(w_b) > 1e-12:
            (line,) = plane.plot(grid, -(w_a * grid + bias) / w_b, color=color, linewidth=1.3,
                                 label=f"z1[{h + 1}] = 0")
        else:  # a vertical line, or no line at all when the unit ignores x entirely
            position = -bias / w_a if abs(w_a) > 1e-12 else np.nan
            (line,) = plane.plot([position, position], [-INPUT_RANGE, INPUT_RANGE], color=color,
                                 linewidth=1.3, label=f"z1[{h + 1}] = 0")
        unit_lines.append(line)
        norm = np.hypot(w_a, w_b)
        if norm > 1e-12:
            # the arrow points to the side where the unit is active
            anchor = -bias * np.array([w_a, w_b]) / norm ** 2
            plane.annotate("", xy=anchor + 0.6 * np.array([w_a, w_b]) / norm, xytext=anchor,
                           arrowprops={"arrowstyle": "->", "color": color})
    (point,) = plane.plot(*view["x"], marker="o", markersize=10, color="black", linestyle="")
    plane.set_xlim(-INPUT_RANGE, INPUT_RANGE)
    plane.set_ylim(-INPUT_RANGE, INPUT_RANGE)
    plane.set_aspect("equal")
    plane.set_xlabel("x[1]")
    plane.set_ylabel("x[2]")
    plane.set_title(label(zh="输入 x = ({x1:.1f}, {x2:.1f})", en="input x = ({x1:.1f}, {x2:.1f})",
                          x1=view["x"][0], x2=view["x"][1]))
    plane.legend(loc="lower left", fontsize=8)

    # Hidden layer: z1 as hollow bars, a1 = f(z1) as filled bars on top.
    units = np.arange(view["z1"].size)
    z1_bars = hidden.bar(units - 0.18, view["z1"], width=0.36, facecolor="none",
                         edgecolor="grey", hatch="//", label="z1")
    a1_bars = hidden.bar(units + 0.18, view["a1"], width=0.36, color="#8172B3",
                         label=f"a1 = {view['activation']}(z1)")
    for index, value in enumerate(view["a1"]):
        hidden.text(index + 0.18, value, f"{value:.2f}", ha="center",
                    va="bottom" if value >= 0 else "top", fontsize=8)
    hidden.axhline(0, color="black", linewidth=0.8)
    limit = max(2.0, float(np.max(np.abs(view["z1"]))) * 1.15)
    hidden.set_ylim(-limit, limit)
    hidden.set_xticks(units)
    hidden.set_xticklabels([f"h{index + 1}" for index in units])
    hidden.set_title(label(zh="隐藏层（{act}）", en="hidden layer ({act})", act=view["activation"]))
    hidden.legend(loc="lower left", fontsize=8)

    # Output: the probabilities, the winning class marked.
    classes = np.arange(view["probabilities"].size)
    probability_bars = output.bar(classes, view["probabilities"], color=_CLASS_COLORS)
    probability_bars[view["predicted"]].set_edgecolor("black")
    probability_bars[view["predicted"]].set_linewidth(2.0)
    for index, (value, logit) in enumerate(zip(view["probabilities"], view["z2"])):
        output.text(index, value + 0.02, f"{value:.2f}\n(z2={logit:.1f})", ha="center",
                    va="bottom", fontsize=8)
    output.set_ylim(0, 1.3)
    output.set_xticks(classes)
    output.set_xticklabels([label(zh="类别 {c}", en="class {c}", c=c) for c in classes])
    output.set_title(label(zh="输出概率 ŷ = softmax(z2)", en="output ŷ = softmax(z2)"))
    return {"point": point, "regions": regions, "unit_lines": unit_lines, "z1_bars": z1_bars, "a1_bars": a1_bars,
            "probability_bars": probability_bars}


def forward_explorer(x=(1.0, 0.5), activation: str = "relu", w11: float = 1.0):
    """A live forward pass: move the input or one weight, switch the activation.

    实时前向传播：拖动输入或一个权重、切换激活函数，观察每一层的变化。

    Returns an ``ipywidgets.VBox`` with attributes ``x1``, ``x2``, ``w11``
    (sliders), ``activation`` (dropdown), ``figure``, ``axes``, ``artists``
    (from :func:`draw_forward`) and ``view`` (the latest :func:`forward_view`).
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    view = forward_view(x, activation, w11)
    style = {"description_width": "initial"}

    def slider(value, description):
        return widgets.FloatSlider(value=float(value), min=-INPUT_RANGE, max=INPUT_RANGE,
                                   step=0.1, description=description, style=style,
                                   continuous_update=True)

    x1 = slider(view["x"][0], text(zh="输入 x[1]", en="input x[1]"))
    x2 = slider(view["x"][1], text(zh="输入 x[2]", en="input x[2]"))
    weight = slider(w11, text(zh="权重 W1[1,1]", en="weight W1[1,1]"))
    names = {"relu": "ReLU", "sigmoid": text(zh="sigmoid σ", en="sigmoid σ"), "tanh": "tanh"}
    chooser = widgets.Dropdown(options=[(names[key], key) for key in ACTIVATIONS],
                               value=activation,
                               description=text(zh="激活函数", en="activation"), style=style)
    note = widgets.HTML(text(
        zh="改变 W1[1,1] 只会移动隐藏单元 h1 的直线；其他单元不受影响。",
        en="Changing W1[1,1] only moves the line of hidden unit h1; the other units stay put."))
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    axes = figure.subplots(1, 3, width_ratios=[1.0, 1.1, 1.1])
    output = widgets.Image(format="png")  # updated in place; never blocks a runner
    box = widgets.VBox([widgets.HBox([widgets.VBox([x1, x2]), widgets.VBox([weight, chooser])]),
                        note, output])
    box.x1, box.x2, box.w11, box.activation = x1, x2, weight, chooser
    box.figure, box.axes = figure, axes

    def redraw(change=None):
        box.view = forward_view([x1.value, x2.value], chooser.value, weight.value)
        box.artists = draw_forward(axes, box.view)
        output.value = figure_png(figure)

    for control in (x1, x2, weight, chooser):
        control.observe(redraw, names="value")
    redraw()
    return box
