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

from ._figure import BlitImage, Coalescer
from ...nn.activations import activation_forward
from ...i18n import CourseValueError, text
from ...nn.probability import softmax
from ...nn.validation import ACTIVATIONS, as_float_array, check_activation

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
    activation = check_activation(activation)
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


def _unit_geometry(w_a: float, w_b: float, bias: float):
    """The line z1_h = 0 of one hidden unit across the plane, and its arrow (or None).

    The arrow starts on the line and points to the side where the unit is active.
    """
    grid = np.linspace(-INPUT_RANGE, INPUT_RANGE, 2)
    if abs(w_b) > 1e-12:
        line = (grid, -(w_a * grid + bias) / w_b)
    else:  # a vertical line, or no line at all when the unit ignores x entirely
        position = -bias / w_a if abs(w_a) > 1e-12 else np.nan
        line = ([position, position], [-INPUT_RANGE, INPUT_RANGE])
    norm = np.hypot(w_a, w_b)
    if norm <= 1e-12:
        return line, None
    anchor = -bias * np.array([w_a, w_b]) / norm ** 2
    return line, (anchor + 0.6 * np.array([w_a, w_b]) / norm, anchor)


HIDDEN_LIMITS = (2.0, 3.0, 5.0, 8.0, 12.0, 20.0)


def _hidden_limit(z1) -> float:
    """The hidden layer's axis spans -limit to limit: a few fixed steps, so that it
    changes seldom while a slider moves (and the bars can be compared)."""
    needed = float(np.max(np.abs(z1))) * 1.15
    return next((limit for limit in HIDDEN_LIMITS if limit >= needed), needed)


def _input_title(view: dict) -> str:
    from ..plotting import label

    return label(zh="输入 x = ({x1:.1f}, {x2:.1f})", en="input x = ({x1:.1f}, {x2:.1f})",
                 x1=view["x"][0], x2=view["x"][1])


def _place_text(text_artist, y: float, value: str) -> None:
    text_artist.set_y(y)
    text_artist.set_text(value)


def draw_forward(axes, view: dict, artists: dict | None = None) -> dict:
    """Draw a view on three axes: input plane, hidden layer, output probabilities.

    在三个坐标轴上画出：输入平面、隐藏层、输出概率。

    With ``artists`` from an earlier call on the same axes and the same
    activation, everything that depends on the input and the weights is
    updated in place (regions, unit lines and arrows, the point, bars, numbers,
    the hidden layer's scale) instead of drawn again.

    Returns
    -------
    dict
        ``point`` (the input's Line2D), ``regions`` (the AxesImage of
        :func:`decision_regions`), ``unit_lines`` (one Line2D per hidden
        unit, where :math:`z^{[1]}_h = 0`), ``unit_arrows`` (one annotation
        per unit, hidden when the unit ignores the input), ``z1_bars`` and
        ``a1_bars`` (BarContainers of the hidden layer), ``a1_texts``,
        ``probability_bars``, ``probability_texts``, ``zero`` (the hidden
        layer's line at 0), the ``activation`` drawn and the hidden layer's
        ``limit`` (its axis spans -limit to limit).
    """
    from ..plotting import label

    plane, hidden, output = axes
    limit = _hidden_limit(view["z1"])
    geometry = [_unit_geometry(w_a, w_b, bias) for (w_a, w_b), bias in zip(view["W1"], view["b1"])]
    if artists is not None and artists["activation"] == view["activation"]:
        artists["regions"].set_data(decision_regions(view))
        for line, arrow, (points, ends) in zip(artists["unit_lines"], artists["unit_arrows"],
                                               geometry):
            line.set_data(*points)
            arrow.set_visible(ends is not None)
            if ends is not None:
                arrow.xy, arrow.xyann = ends
        artists["point"].set_data([view["x"][0]], [view["x"][1]])
        if artists["limit"] != limit:
            hidden.set_ylim(-limit, limit)
            artists["limit"] = limit
        plane.set_title(_input_title(view))
        for bars, values in ((artists["z1_bars"], view["z1"]), (artists["a1_bars"], view["a1"])):
            for bar, value in zip(bars, values):
                bar.set_height(value)
        for text_artist, value in zip(artists["a1_texts"], view["a1"]):
            _place_text(text_artist, value, f"{value:.2f}")
            text_artist.set_verticalalignment("bottom" if value >= 0 else "top")
        for index, (bar, text_artist, value, logit) in enumerate(zip(
                artists["probability_bars"], artists["probability_texts"],
                view["probabilities"], view["z2"])):
            bar.set_height(value)
            bar.set_edgecolor("black" if index == view["predicted"] else bar.get_facecolor())
            bar.set_linewidth(2.0 if index == view["predicted"] else 0.0)
            _place_text(text_artist, value + 0.02, f"{value:.2f}\n(z2={logit:.1f})")
        return artists

    for ax in axes:
        ax.clear()

    # Input plane, coloured by the class the network picks at each point, with
    # the line of every hidden unit: unit h is "on" on the side where z1_h > 0.
    regions = plane.imshow(decision_regions(view), origin="lower", alpha=0.18,
                           extent=(-INPUT_RANGE, INPUT_RANGE, -INPUT_RANGE, INPUT_RANGE),
                           cmap=_region_colormap(), vmin=-0.5, vmax=2.5, interpolation="nearest")
    unit_lines, unit_arrows = [], []
    for h, (points, ends) in enumerate(geometry):
        color = f"C{h + 3}"
        (line,) = plane.plot(*points, color=color, linewidth=1.3, label=f"z1[{h + 1}] = 0")
        unit_lines.append(line)
        xy, start = ends if ends is not None else ((0.0, 0.0), (0.0, 0.0))
        arrow = plane.annotate("", xy=xy, xytext=start,
                               arrowprops={"arrowstyle": "->", "color": color})
        arrow.set_visible(ends is not None)
        unit_arrows.append(arrow)
    (point,) = plane.plot(*view["x"], marker="o", markersize=10, color="black", linestyle="")
    plane.set_xlim(-INPUT_RANGE, INPUT_RANGE)
    plane.set_ylim(-INPUT_RANGE, INPUT_RANGE)
    plane.set_aspect("equal")
    plane.set_xlabel("x[1]")
    plane.set_ylabel("x[2]")
    plane.set_title(_input_title(view))
    # legends under the axes, where nothing moves: a slider event leaves them be
    plane.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8,
                 frameon=False, handlelength=1.5, columnspacing=1.0)

    # Hidden layer: z1 as hollow bars, a1 = f(z1) as filled bars on top.
    units = np.arange(view["z1"].size)
    z1_bars = hidden.bar(units - 0.18, view["z1"], width=0.36, facecolor="none",
                         edgecolor="grey", hatch="//", label="z1")
    a1_bars = hidden.bar(units + 0.18, view["a1"], width=0.36, color="#8172B3",
                         label=f"a1 = {view['activation']}(z1)")
    a1_texts = [hidden.text(index + 0.18, value, f"{value:.2f}", ha="center",
                            va="bottom" if value >= 0 else "top", fontsize=8)
                for index, value in enumerate(view["a1"])]
    zero = hidden.axhline(0, color="black", linewidth=0.8)
    hidden.set_ylim(-limit, limit)
    hidden.set_xticks(units)
    hidden.set_xticklabels([f"h{index + 1}" for index in units])
    hidden.set_title(label(zh="隐藏层（{act}）", en="hidden layer ({act})", act=view["activation"]))
    hidden.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8,
                  frameon=False)

    # Output: the probabilities, the winning class marked.
    classes = np.arange(view["probabilities"].size)
    probability_bars = output.bar(classes, view["probabilities"], color=_CLASS_COLORS,
                                  linewidth=0.0)
    probability_bars[view["predicted"]].set_edgecolor("black")
    probability_bars[view["predicted"]].set_linewidth(2.0)
    probability_texts = [output.text(index, value + 0.02, f"{value:.2f}\n(z2={logit:.1f})",
                                     ha="center", va="bottom", fontsize=8)
                         for index, (value, logit) in enumerate(zip(view["probabilities"],
                                                                    view["z2"]))]
    output.set_ylim(0, 1.3)
    output.set_xticks(classes)
    output.set_xticklabels([label(zh="类别 {c}", en="class {c}", c=c) for c in classes])
    output.set_title(label(zh="输出概率 ŷ = softmax(z2)", en="output ŷ = softmax(z2)"))
    return {"point": point, "regions": regions, "unit_lines": unit_lines,
            "unit_arrows": unit_arrows, "z1_bars": z1_bars, "a1_bars": a1_bars,
            "a1_texts": a1_texts, "probability_bars": probability_bars,
            "probability_texts": probability_texts, "zero": zero,
            "activation": view["activation"], "limit": limit}


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

    picture = BlitImage(figure, output)
    plane, hidden, outputs = axes

    def draw():
        updated = draw_forward(axes, box.view, box.artists)
        # the hidden layer's axis follows its scale, the regions, unit lines and arrows
        # the weights: moving the input changes neither, and the scale steps least often
        keys = (updated["limit"], (box.view["activation"], float(box.view["W1"][0, 0])))
        if updated is box.artists:
            picture.update(keys)
            return
        box.artists = updated
        picture.draw(
            layers=[[hidden.yaxis],
                    [updated["regions"], *updated["unit_lines"], *updated["unit_arrows"]]],
            keys=keys,
            dynamic=[updated["point"], plane.title,
                     *updated["z1_bars"], *updated["a1_bars"], *updated["a1_texts"],
                     updated["zero"], *updated["probability_bars"],
                     *updated["probability_texts"],
                     # the frames are redrawn over the bars and the point, as in a full draw
                     *plane.spines.values(), *hidden.spines.values(),
                     *outputs.spines.values()])

    painter = Coalescer(draw)

    def changed(change=None):
        # the numbers follow every event; the picture is drawn for the latest state
        box.view = forward_view([x1.value, x2.value], chooser.value, weight.value)
        painter.request()

    box.artists, box.painter, box.picture = None, painter, picture
    for control in (x1, x2, weight, chooser):
        control.observe(changed, names="value")
    changed()
    return box
