r"""Drawn diagrams of lessons 05 and 06: the network, the computation graph, the activations.

第 05、06 课的示意图：网络结构图、计算图（前向与反向）、激活函数及其导数。

Every function draws on a matplotlib ``Axes`` it is given and returns the
artists it made (so tests can read what was drawn and a lesson can restyle
it). Text goes through :func:`mlp_course.course.plotting.label`, so it follows the
language setting and never shows missing glyphs. The computation graph is the
two-layer network of the lessons,

.. math::
    x \to z^{[1]} = W^{[1]} x + b^{[1]} \to a^{[1]} = f(z^{[1]})
      \to z^{[2]} = W^{[2]} a^{[1]} + b^{[2]} \to \hat y = \mathrm{softmax}(z^{[2]})
      \to L = -\log \hat y_y

with the backward arrows carrying :math:`\partial L / \partial(\cdot)` from
right to left. Only numpy is imported at import time; matplotlib is imported
by the functions that draw.
"""

from __future__ import annotations

import numpy as np

from ..i18n import CourseValueError
from ..nn.validation import as_float_array, check_integer, describe

__all__ = ["GRAPH_NODES", "BACKWARD_STEPS", "draw_network", "draw_computation_graph",
           "plot_activations", "draw_weight_images", "draw_dlogits"]

FORWARD_COLOR = "#4C72B0"
BACKWARD_COLOR = "#C44E52"
HIGHLIGHT_COLOR = "#F2C14E"
PARAMETER_COLOR = "#DCE6F2"
NODE_COLOR = "#FFFFFF"

# node -> (x, y, math label) in the graph's own coordinates (0..12 by 0..5)
GRAPH_NODES: dict[str, tuple[float, float, str]] = {
    "x": (0.8, 2.0, r"$x$"),
    "z1": (3.0, 2.0, r"$z^{[1]}$"),
    "a1": (5.2, 2.0, r"$a^{[1]}$"),
    "z2": (7.4, 2.0, r"$z^{[2]}$"),
    "y_hat": (9.6, 2.0, r"$\hat{y}$"),
    "L": (11.6, 2.0, r"$L$"),
    "W1": (2.3, 3.9, r"$W^{[1]}$"),
    "b1": (3.7, 3.9, r"$b^{[1]}$"),
    "W2": (6.7, 3.9, r"$W^{[2]}$"),
    "b2": (8.1, 3.9, r"$b^{[2]}$"),
    "y": (11.6, 3.9, r"$y$"),
}
PARAMETERS = ("W1", "b1", "W2", "b2", "y")

_FORWARD_EDGES = (("x", "z1"), ("W1", "z1"), ("b1", "z1"), ("z1", "a1"), ("a1", "z2"),
                  ("W2", "z2"), ("b2", "z2"), ("z2", "y_hat"), ("y_hat", "L"), ("y", "L"))

# The backward pass in the order it runs: (step name, edges it draws, the
# gradient's formula, where to write it (x, y, alignment)). Step k of the
# backprop widget shows steps[:k].
BACKWARD_STEPS: tuple[tuple[str, tuple[tuple[str, str], ...], str, tuple], ...] = (
    ("delta2", (("L", "z2"),), r"$\delta^{[2]} = \hat{y} - y$", (9.5, 1.2, "center")),
    ("grads2", (("z2", "W2"), ("z2", "b2")),
     "$\\partial L/\\partial W^{[2]} = \\delta^{[2]} a^{[1]\\top}$\n"
     "$\\partial L/\\partial b^{[2]} = \\delta^{[2]}$", (8.6, 3.0, "left")),
    ("dA1", (("z2", "a1"),), r"$\partial L/\partial a^{[1]} = W^{[2]\top} \delta^{[2]}$",
     (6.3, 1.2, "center")),
    ("delta1", (("a1", "z1"),),
     r"$\delta^{[1]} = \partial L/\partial a^{[1]} \circ f\,'(z^{[1]})$", (4.1, 0.45, "center")),
    ("grads1", (("z1", "W1"), ("z1", "b1")),
     "$\\partial L/\\partial W^{[1]} = \\delta^{[1]} x^{\\top}$\n"
     "$\\partial L/\\partial b^{[1]} = \\delta^{[1]}$", (4.2, 3.0, "left")),
)
_STEP_NAMES = tuple(step[0] for step in BACKWARD_STEPS)


def _node_radius(name: str) -> float:
    return 0.42 if name in PARAMETERS else 0.5


def _edge_points(start: str, end: str, offset: float = 0.0):
    """Start and end of an arrow between two node circles, shifted sideways by ``offset``."""
    (x0, y0, _), (x1, y1, _) = GRAPH_NODES[start], GRAPH_NODES[end]
    vector = np.array([x1 - x0, y1 - y0])
    unit = vector / np.linalg.norm(vector)
    normal = np.array([-unit[1], unit[0]])
    p0 = np.array([x0, y0]) + unit * _node_radius(start) + normal * offset
    p1 = np.array([x1, y1]) - unit * _node_radius(end) + normal * offset
    return p0, p1


def draw_computation_graph(ax, highlight=(), backward_steps: int | None = None,
                           show_labels: bool = True) -> dict:
    r"""Draw the computation graph of the two-layer MLP, forward and backward.

    画出两层 MLP 的计算图：蓝色实线为前向传播，红色虚线为反向传播的梯度。

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    highlight : iterable of str
        Node names (keys of :data:`GRAPH_NODES`) to fill in yellow, e.g. the
        node whose gradient the backward pass is computing.
    backward_steps : int or None
        How many of the :data:`BACKWARD_STEPS` to draw (0 = forward only);
        ``None`` draws them all.
    show_labels : bool
        Write the formula of each backward step next to its arrow.

    Returns
    -------
    dict
        ``nodes`` {name: Circle}, ``forward`` [FancyArrowPatch],
        ``backward`` {step name: [FancyArrowPatch]}, ``labels`` [Text].
    """
    from matplotlib.patches import Circle, FancyArrowPatch

    from .plotting import label

    steps = len(BACKWARD_STEPS) if backward_steps is None else int(backward_steps)
    if not 0 <= steps <= len(BACKWARD_STEPS):
        raise CourseValueError(
            zh="参数 backward_steps 应在 0 到 {n} 之间，收到的是 {got}。",
            en="backward_steps must be between 0 and {n}, got {got}.",
            n=len(BACKWARD_STEPS), got=backward_steps)
    highlight = set(highlight)
    unknown = highlight - set(GRAPH_NODES)
    if unknown:
        raise CourseValueError(
            zh="未知的节点 {names}；可选：{known}。", en="unknown nodes {names}; known: {known}.",
            names=", ".join(sorted(unknown)), known=", ".join(GRAPH_NODES))

    ax.clear()
    ax.set_xlim(0, 12.4)
    ax.set_ylim(0.0, 5.6)
    ax.set_aspect("equal")
    ax.axis("off")

    nodes = {}
    for name, (x, y, math) in GRAPH_NODES.items():
        face = HIGHLIGHT_COLOR if name in highlight else (
            PARAMETER_COLOR if name in PARAMETERS else NODE_COLOR)
        circle = Circle((x, y), _node_radius(name), facecolor=face, edgecolor="black",
                        linewidth=2.2 if name in highlight else 1.2, zorder=3)
        ax.add_patch(circle)
        ax.text(x, y, math, ha="center", va="center", fontsize=13, zorder=4)
        nodes[name] = circle

    forward = []
    for start, end in _FORWARD_EDGES:
        p0, p1 = _edge_points(start, end, offset=0.0 if GRAPH_NODES[start][1] != 2.0
                              or GRAPH_NODES[end][1] != 2.0 else 0.12)
        arrow = FancyArrowPatch(p0, p1, arrowstyle="-|>", mutation_scale=14,
                                color=FORWARD_COLOR, linewidth=1.5, zorder=2)
        ax.add_patch(arrow)
        forward.append(arrow)

    backward: dict[str, list] = {}
    labels = []
    for step, edges, formula, (text_x, text_y, align) in BACKWARD_STEPS[:steps]:
        arrows = []
        for start, end in edges:
            same_row = GRAPH_NODES[start][1] == GRAPH_NODES[end][1]
            p0, p1 = _edge_points(start, end, offset=0.12 if same_row else 0.18)
            arrow = FancyArrowPatch(p0, p1, arrowstyle="-|>", mutation_scale=14,
                                    color=BACKWARD_COLOR, linewidth=1.6, linestyle="--",
                                    zorder=2)
            ax.add_patch(arrow)
            arrows.append(arrow)
        backward[step] = arrows
        if show_labels:
            labels.append(ax.text(text_x, text_y, formula, ha=align, va="center",
                                  fontsize=10, color=BACKWARD_COLOR))

    legend_forward = ax.annotate(
        label(zh="前向传播：计算数值", en="forward: compute values"), xy=(0.1, 5.4),
        color=FORWARD_COLOR, fontsize=9.5, va="center")
    legend_backward = ax.annotate(
        label(zh="反向传播：计算梯度 ∂L/∂(·)", en="backward: compute gradients ∂L/∂(·)"),
        xy=(0.1, 5.0), color=BACKWARD_COLOR, fontsize=9.5, va="center")
    labels += [legend_forward, legend_backward]
    return {"nodes": nodes, "forward": forward, "backward": backward, "labels": labels}


def draw_network(ax, sizes=(2, 3, 3), activation: str = "ReLU") -> dict:
    r"""Draw a feedforward network as columns of neurons joined by weights.

    把前馈网络画成一列列神经元，相邻两层之间全部相连（每条线是一个权重）。

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    sizes : sequence of int, length 3
        ``(D, H, C)``: inputs, hidden units, classes (at most 12 each, so the
        picture stays readable).
    activation : str
        Name of the hidden activation, written under the hidden layer.

    Returns
    -------
    dict
        ``neurons``: a list per layer of Circle patches; ``edges``: a list per
        pair of layers of the Line2D weights (``H*D`` and ``C*H`` of them);
        ``texts``: the captions.
    """
    from matplotlib.patches import Circle

    from .plotting import label

    sizes = tuple(int(size) for size in sizes)
    if len(sizes) != 3 or not all(1 <= size <= 12 for size in sizes):
        raise CourseValueError(
            zh="参数 sizes 应为三个 1 到 12 之间的整数 (D, H, C)，收到的是 {got}。",
            en="sizes must be three integers (D, H, C) between 1 and 12, got {got}.",
            got=sizes)
    D, H, C = sizes
    ax.clear()
    ax.axis("off")
    columns = (0.0, 3.0, 6.0)
    tallest = max(sizes)
    ax.set_xlim(-1.6, 7.8)
    ax.set_ylim(-2.2, tallest + 0.2)

    def positions(count):
        top = (tallest - 1) / 2 + (count - 1) / 2
        return [top - index for index in range(count)]

    colors = ("#DCE6F2", "#F9E0B8", "#D9EAD3")
    neurons, edges = [], []
    for column, count, color in zip(columns, sizes, colors):
        layer = []
        for y in positions(count):
            circle = Circle((column, y), 0.3, facecolor=color, edgecolor="black", zorder=3)
            ax.add_patch(circle)
            layer.append(circle)
        neurons.append(layer)
    for left in range(2):
        lines = []
        for y0 in positions(sizes[left]):
            for y1 in positions(sizes[left + 1]):
                (line,) = ax.plot([columns[left] + 0.3, columns[left + 1] - 0.3], [y0, y1],
                                  color="grey", linewidth=0.8, zorder=1)
                lines.append(line)
        edges.append(lines)

    bottom = -1.0
    texts = [
        ax.text(columns[0], bottom, label(zh="输入 x\nD = {D}", en="input x\nD = {D}",
                                          D=D), ha="center", va="top", fontsize=10),
        ax.text(columns[1], bottom,
                label(zh="隐藏层 a[1]\nH = {H}，{act}",
                      en="hidden a[1]\nH = {H}, {act}", H=H, act=activation),
                ha="center", va="top", fontsize=10),
        ax.text(columns[2], bottom,
                label(zh="输出 ŷ\nC = {C}，softmax",
                      en="output ŷ\nC = {C}, softmax", C=C),
                ha="center", va="top", fontsize=10),
        ax.text(1.5, tallest - 0.1, f"$W^{{[1]}}: ({H}, {D})$", ha="center", fontsize=10),
        ax.text(4.5, tallest - 0.1, f"$W^{{[2]}}: ({C}, {H})$", ha="center", fontsize=10),
    ]
    return {"neurons": neurons, "edges": edges, "texts": texts}


def plot_activations(axes, z=None) -> dict:
    r"""Plot ReLU, sigmoid and tanh (left) and their derivatives (right).

    左图画 ReLU、sigmoid、tanh，右图画它们的导数。

    .. math::
        \mathrm{ReLU}'(z) = [z > 0], \quad \sigma'(z) = \sigma(z)(1 - \sigma(z)), \quad
        \tanh'(z) = 1 - \tanh^2(z)

    Parameters
    ----------
    axes : pair of matplotlib.axes.Axes
    z : array_like, optional
        Points to plot at; default 401 points in [-4, 4].

    Returns
    -------
    dict
        ``functions`` and ``derivatives``: {name: Line2D}.
    """
    from ..nn import activations
    from .plotting import label

    if len(axes) != 2:
        raise CourseValueError(zh="参数 axes 应包含两个坐标轴，收到 {n} 个。",
                               en="axes must hold two Axes, got {n}.", n=len(axes))
    z = np.linspace(-4.0, 4.0, 401) if z is None else np.asarray(z, dtype=np.float64)
    ones = np.ones_like(z)
    curves = {
        "relu": (activations.relu(z), activations.relu_backward(ones, z)),
        "sigmoid": (activations.sigmoid(z), activations.sigmoid_backward(ones, z)),
        "tanh": (activations.tanh(z), activations.tanh_backward(ones, z)),
    }
    names = {"relu": "ReLU", "sigmoid": "sigmoid σ", "tanh": "tanh"}
    colors = {"relu": "#4C72B0", "sigmoid": "#DD8452", "tanh": "#55A868"}
    functions, derivatives = {}, {}
    left, right = axes
    for ax in axes:
        ax.clear()
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.grid(alpha=0.3)
        ax.set_xlabel("$z$")
    for name, (value, slope) in curves.items():
        (functions[name],) = left.plot(z, value, color=colors[name], label=names[name])
        (derivatives[name],) = right.plot(z, slope, color=colors[name], label=names[name] + "′")
    left.set_ylim(-1.2, 2.2)
    right.set_ylim(-0.1, 1.15)
    left.set_title(label(zh="激活函数 f(z)", en="activation f(z)"))
    right.set_title(label(zh="导数 f′(z)", en="derivative f′(z)"))
    left.legend(loc="upper left")
    right.legend(loc="upper left")
    return {"functions": functions, "derivatives": derivatives}


def draw_weight_images(axes, W, image_shape=(8, 8), units=None) -> dict:
    r"""Draw the incoming weights of hidden units as images, one unit per Axes.

    把若干隐藏单元的输入权重画成图像，每个坐标轴一个单元。

    Row :math:`h` of :math:`W^{[1]}` (shape (H, D) with :math:`D` = the number of
    pixels) is the pattern hidden unit :math:`h` responds to: :math:`z_h = w_h \cdot x + b_h`
    is large where the image looks like :math:`w_h`. Each image uses a colour scale
    symmetric around 0 (red positive, blue negative) so that the sign is readable.

    Parameters
    ----------
    axes : sequence of matplotlib.axes.Axes
        One Axes per unit drawn.
    W : array_like, shape (H, D)
        First-layer weights, (out_features, in_features); ``D`` must equal
        ``image_shape[0] * image_shape[1]``.
    image_shape : pair of int
    units : sequence of int, optional
        Which rows of ``W`` to draw; default the first ``len(axes)``.

    Returns
    -------
    dict
        ``images``: the AxesImage of each unit; ``units``: the rows drawn;
        ``limits``: the symmetric colour limit of each image.
    """
    from .plotting import label

    W = np.asarray(W, dtype=np.float64)
    axes = list(np.ravel(axes))
    if W.ndim != 2 or W.shape[1] != int(np.prod(image_shape)):
        raise CourseValueError(
            zh="W 的形状应为 (H, {d})（每行一张 {shape} 的图像），收到的是 {got}。",
            en="W must have shape (H, {d}) (one {shape} image per row), got {got}.",
            d=int(np.prod(image_shape)), shape=tuple(image_shape), got=W.shape)
    units = (list(range(min(len(axes), W.shape[0]))) if units is None
             else [check_integer(u, f"units[{i}]") for i, u in enumerate(units)])
    if len(units) > len(axes) or any(not 0 <= u < W.shape[0] for u in units):
        raise CourseValueError(
            zh="units 应为 0 到 {h} 之间的行号，且不多于坐标轴的个数 {n}，收到的是 {got}。",
            en="units must be row numbers from 0 to {h}, no more than the {n} Axes, got {got}.",
            h=W.shape[0] - 1, n=len(axes), got=units)
    images, limits = [], []
    for ax, unit in zip(axes, units):
        limit = float(np.abs(W[unit]).max()) or 1.0
        images.append(ax.imshow(W[unit].reshape(image_shape), cmap="RdBu_r", vmin=-limit,
                                vmax=limit))
        limits.append(limit)
        ax.set_title(label(zh="单元 {u}", en="unit {u}", u=unit), fontsize=9)
        ax.axis("off")
    for ax in axes[len(units):]:
        ax.axis("off")
    return {"images": images, "units": units, "limits": limits}


def draw_dlogits(ax, dlogits, labels, predictions=None) -> dict:
    r"""Draw the gradient at the logits, :math:`\partial L / \partial Z`, as a heat map.

    把损失对 logits 的梯度 :math:`\partial L / \partial Z` 画成热图：一行一个样本，一列一个类别。

    For the mean cross-entropy this is :math:`(\hat Y - Y)/N`: negative (blue) at each
    example's true class, positive (red) at the classes it wrongly believes in. A
    step of gradient descent raises the blue logits and lowers the red ones. The
    true class of every row is outlined; a cross marks the predicted class when
    ``predictions`` is given.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    dlogits : array_like, shape (N, C)
    labels : array_like of int, shape (N,)
    predictions : array_like of int, shape (N,), optional

    Returns
    -------
    dict
        ``image`` (AxesImage), ``limit`` (the symmetric colour limit), ``outlines``
        (one Rectangle per row) and ``marks`` (the prediction markers, or None).
    """
    from matplotlib.patches import Rectangle

    from .plotting import label

    G = as_float_array(dlogits, "dlogits").astype(np.float64, copy=False)
    y = np.asarray(labels)

    def not_classes(indices) -> bool:
        return (not np.issubdtype(indices.dtype, np.integer) or indices.shape != (G.shape[0],)
                or bool(indices.size and (indices.min() < 0 or indices.max() >= G.shape[1])))

    if G.ndim != 2 or not_classes(y):
        raise CourseValueError(
            zh="dlogits 应为 (N, C) 的数组，labels 应为 (N,) 的类别索引（0 到 C−1）；"
               "收到的 dlogits 形状是 {g}，labels 是 {y}。",
            en="dlogits must be an (N, C) array and labels (N,) class indices from 0 to C−1; "
               "got dlogits of shape {g} and labels {y}.", g=G.shape, y=describe(y))
    limit = float(np.abs(G).max()) or 1.0
    image = ax.imshow(G, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    outlines = []
    for row, cls in enumerate(y):
        outline = Rectangle((cls - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="black",
                            linewidth=1.5)
        ax.add_patch(outline)
        outlines.append(outline)
    marks = None
    if predictions is not None:
        p = np.asarray(predictions)
        if not_classes(p):
            raise CourseValueError(
                zh="predictions 应为 (N,) 的类别索引（0 到 C−1），N = {n}，C = {c}；收到的是 {got}。",
                en="predictions must be (N,) class indices from 0 to C−1 with N = {n}, C = {c}; "
                   "got {got}.", n=G.shape[0], c=G.shape[1], got=describe(p))
        (marks,) = ax.plot(p, np.arange(len(p)), "x", color="black", markersize=6)
    ax.set_xticks(range(G.shape[1]))
    ax.set_xlabel(label(zh="类别", en="class"))
    ax.set_ylabel(label(zh="样本", en="example"))
    ax.set_title(label(zh="∂L/∂Z（蓝：真实类别，红：被错误看好的类别）",
                       en="∂L/∂Z (blue: true class, red: classes wrongly favoured)"), fontsize=10)
    return {"image": image, "limit": limit, "outlines": outlines, "marks": marks}
