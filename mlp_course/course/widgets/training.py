r"""Training explorer: hidden width, learning rate and epochs -> decision boundary and curves.

训练探索器：隐藏层宽度、学习率和训练轮数 → 决策边界与训练曲线。

The pure part trains a small MLP on a 2-D data set with mini-batch SGD,

.. math::  \theta \leftarrow \theta - \eta\, \nabla_\theta L_{\text{batch}}(\theta),

and returns the numbers to draw (:func:`training_view`, cached, so moving a
slider back is instant); :func:`draw_training` draws them;
:func:`training_explorer` is the thin ipywidgets layer.
:func:`decision_grid` / :func:`draw_decision_boundary` and
:func:`draw_curves` are the same drawings for any model, used by the lesson
for the numpy and the PyTorch networks; :func:`training_progress` is a
bilingual progress bar for a training loop.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np

from ._figure import BlitImage, Coalescer
from ...i18n import CourseValueError, text

__all__ = ["training_view", "draw_training", "training_explorer", "decision_grid",
           "draw_decision_boundary", "draw_curves", "training_progress",
           "HIDDEN_WIDTHS", "DATASETS"]

HIDDEN_WIDTHS = (1, 2, 3, 4, 6, 8, 16, 32, 64, 128)
DATASETS = ("spiral", "blobs")
# one colour per class, the same in the regions and the points
CLASS_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3")


def _dataset(name: str):
    from ...nn.data import make_blobs, make_spiral

    if name == "spiral":
        return make_spiral(n_per_class=100, num_classes=3, noise=0.2, seed=0)
    if name == "blobs":
        return make_blobs(n_per_class=100, num_classes=3, spread=0.7, seed=0)
    raise CourseValueError(
        zh="参数 data 应为 {known} 之一，收到的是 {got!r}。",
        en="data must be one of {known}, got {got!r}.",
        known=", ".join(DATASETS), got=name)


def decision_grid(predict: Callable[[np.ndarray], np.ndarray], X, steps: int = 150,
                  margin: float = 0.25) -> dict:
    """Predicted classes on a grid covering the points ``X`` (N, 2).

    在覆盖所有点 ``X``（N, 2）的网格上计算预测类别。

    Parameters
    ----------
    predict : callable
        Maps an (M, 2) array to M class indices.
    X : ndarray, shape (N, 2)
    steps : int
        Grid points per axis.
    margin : float
        Extra room around the points, as a fraction of their range.

    Returns
    -------
    dict
        ``xx``, ``yy`` (steps, steps) coordinates and ``classes`` (steps, steps).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise CourseValueError(
            zh="决策边界只能画在二维数据上：X 的形状应为 (N, 2)，收到的是 {shape}。",
            en="A decision boundary is drawn for 2-D data only: X must have shape (N, 2), "
               "got {shape}.",
            shape=X.shape)
    low, high = X.min(axis=0), X.max(axis=0)
    pad = margin * (high - low)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], steps)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], steps)
    xx, yy = np.meshgrid(xs, ys)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    classes = np.asarray(predict(points)).reshape(xx.shape)
    return {"xx": xx, "yy": yy, "classes": classes}


def _num_classes(grid: dict, y) -> int:
    return int(max(np.max(y), np.max(grid["classes"]))) + 1


def _regions(ax, grid: dict, y):
    """The predicted classes' regions, filled in their colours (a contour set)."""
    from matplotlib.colors import ListedColormap

    num_classes = _num_classes(grid, y)
    return ax.contourf(grid["xx"], grid["yy"], grid["classes"],
                       levels=np.arange(num_classes + 1) - 0.5,
                       cmap=ListedColormap(CLASS_COLOURS[:num_classes]), alpha=0.3,
                       zorder=0.5)  # under the points, also when drawn anew after them


def draw_decision_boundary(ax, grid: dict, X, y, title: str | None = None):
    """Fill each region with its predicted class's colour and draw the points on top.

    用预测类别的颜色填充各区域，并在上面画出数据点。Returns the contour set.
    """
    from matplotlib.colors import ListedColormap

    X, y = np.asarray(X), np.asarray(y)
    num_classes = _num_classes(grid, y)
    colours = ListedColormap(CLASS_COLOURS[:num_classes])
    regions = _regions(ax, grid, y)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=colours, vmin=-0.5, vmax=num_classes - 0.5,
               s=12, edgecolors="white", linewidths=0.3)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return regions


def draw_curves(ax_loss, ax_accuracy, histories: dict, styles: dict | None = None):
    """Loss and accuracy per epoch of one or more training runs, with a legend.

    画出一次或多次训练的每轮损失和准确率曲线（带图例）。

    ``histories`` maps a legend label to a dict with ``"loss"`` and optionally
    ``"accuracy"`` (lists, one value per epoch); ``styles`` maps the same label
    to keyword arguments for ``plot``. Returns the loss lines.
    """
    from ..plotting import label

    styles = styles or {}
    lines = []
    for name, history in histories.items():
        epochs = np.arange(1, len(history["loss"]) + 1)
        lines.append(ax_loss.plot(epochs, history["loss"], label=name,
                                  **styles.get(name, {}))[0])
        if ax_accuracy is not None and "accuracy" in history:
            ax_accuracy.plot(epochs, history["accuracy"], label=name, **styles.get(name, {}))
    ax_loss.set_xlabel(label(zh="轮（epoch）", en="epoch"))
    ax_loss.set_ylabel(label(zh="交叉熵损失", en="cross-entropy loss"))
    ax_loss.legend(fontsize=8)
    if ax_accuracy is not None:
        ax_accuracy.set_xlabel(label(zh="轮（epoch）", en="epoch"))
        ax_accuracy.set_ylabel(label(zh="准确率", en="accuracy"))
        ax_accuracy.set_ylim(0, 1.02)
        ax_accuracy.legend(fontsize=8)
    return lines


def _check_choice(value, name: str, allowed):
    if value not in allowed:
        raise CourseValueError(
            zh="参数 {name} 应为 {allowed} 之一，收到的是 {got!r}。",
            en="{name} must be one of {allowed}, got {got!r}.",
            name=name, allowed=", ".join(map(str, allowed)), got=value)
    return value


def training_view(hidden: int = 32, lr: float = 0.5, epochs: int = 100, data: str = "spiral",
                  seed: int = 0, batch_size: int = 32, steps: int = 100) -> dict:
    r"""Train ``MLP([2, hidden, 3])`` with mini-batch SGD and return what the explorer draws.

    用小批量 SGD 训练 ``MLP([2, hidden, 3])``，返回探索器要画的数值。

    Results are cached: the same settings are trained once per process.

    Parameters
    ----------
    hidden : int
        H, the width of the hidden layer (ReLU).
    lr : float
        Learning rate :math:`\eta > 0`.
    epochs : int
        Number of passes over the 300 training points.
    data : {"spiral", "blobs"}
    seed : int
        Seed of the initial weights and of the shuffling.
    batch_size : int
    steps : int
        Grid points per axis of the decision boundary.

    Returns
    -------
    dict
        ``X`` (300, 2), ``y`` (300,), ``loss`` and ``accuracy`` (epochs,): on
        all 300 points after every epoch, ``grid`` (see :func:`decision_grid`),
        ``final_loss`` and ``final_accuracy`` (the last points of the curves),
        ``diverged`` (bool: the loss became nan or inf), and the settings.
    """
    from ...nn.validation import check_integer, check_positive_number

    lr = check_positive_number(lr, "lr")
    hidden = check_integer(hidden, "hidden", minimum=1)
    epochs = check_integer(epochs, "epochs", minimum=1)
    _check_choice(data, "data", DATASETS)
    return dict(_trained(int(hidden), float(lr), int(epochs), data, int(seed), int(batch_size),
                         int(steps)))


@lru_cache(maxsize=64)
def _trained(hidden, lr, epochs, data, seed, batch_size, steps) -> dict:
    from ...nn.losses import _cross_entropy_index
    from ...nn.mlp import MLP

    X, y = _dataset(data)
    model = MLP([2, hidden, int(y.max()) + 1], activation="relu", seed=seed)
    loss, accuracy = [], []

    def record(epoch, logs):
        # the whole data set after the epoch, so the curves end where the boundary is drawn
        logits = model._logits(X)
        finite = bool(np.all(np.isfinite(logits)))
        loss.append(float(_cross_entropy_index(logits, y)[0]) if finite else np.inf)
        accuracy.append(float(np.mean(np.argmax(logits, axis=1) == y)) if finite else 0.0)

    # a learning rate that is too large is one of the lessons: let it blow up quietly
    with np.errstate(all="ignore"):
        model.fit(X, y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, callback=record)
        grid = decision_grid(model.predict, X, steps=steps)
    diverged = not np.all(np.isfinite(loss))
    return {"X": X, "y": y, "hidden": hidden, "lr": lr, "epochs": epochs, "data": data,
            "seed": seed, "batch_size": batch_size,
            "loss": np.asarray(loss), "accuracy": np.asarray(accuracy),
            "grid": grid, "final_loss": loss[-1], "final_accuracy": accuracy[-1],
            "diverged": bool(diverged)}


def _boundary_title(view: dict) -> str:
    from ..plotting import label

    return label(zh="H = {H}，η = {lr:.3g}，{epochs} 轮", en="H = {H}, η = {lr:.3g}, {epochs} epochs",
                 H=view["hidden"], lr=view["lr"], epochs=view["epochs"])


def _step_up(value: float, steps) -> float:
    """The first of ``steps`` that is at least ``value`` (or ``value`` past the last)."""
    return next((step for step in steps if step >= value), value)


def _curve_limits(view: dict) -> tuple[float, float]:
    """The right end of the curves' epoch axis and the top of the loss axis.

    A few fixed steps, not the exact values: moving a slider seldom changes
    either, and runs of nearby settings are drawn on the same scales."""
    finite = view["loss"][np.isfinite(view["loss"])]
    highest = float(finite.max()) if finite.size else 1.0
    return (_step_up(view["epochs"], (50, 100, 200, 300)),
            _step_up(1.05 * highest, (1.2, 2.5, 5.0, 10.0, 20.0, 50.0)))


def _set_curve_limits(ax_loss, ax_accuracy, view: dict) -> tuple[float, float]:
    right, top = _curve_limits(view)
    for ax in (ax_loss, ax_accuracy):
        ax.set_xlim(0, right)
    ax_loss.set_ylim(0, top)
    ax_accuracy.set_ylim(0, 1.02)
    return right, top


def _curve_titles(ax_loss, ax_accuracy, view: dict) -> None:
    from ..plotting import label

    if view["diverged"]:
        ax_loss.set_title(label(zh="发散了：学习率太大", en="diverged: learning rate too large"),
                          color="#C44E52")
    else:
        ax_loss.set_title(label(zh="最终损失 {loss:.3f}", en="final loss {loss:.3f}",
                                loss=view["final_loss"]), color="black")
    ax_accuracy.set_title(label(zh="最终准确率 {acc:.1%}", en="final accuracy {acc:.1%}",
                                acc=view["final_accuracy"]))


def draw_training(axes, view: dict, artists: dict | None = None) -> dict:
    """Draw a view: decision boundary, loss curve, accuracy curve on three axes.

    在三个坐标轴上画出：决策边界、损失曲线、准确率曲线。Returns the artists
    (``regions``, ``points``, ``loss_line``, ``accuracy_line``), the ``data``
    set drawn and the curves' ``limits`` (epoch axis end, loss axis top).

    With ``artists`` from an earlier call on the same axes and the same data
    set, the regions are replaced and the curves, their scales and the titles
    updated in place; the points and the labels stay. The curves' axes end at
    a few fixed steps (epochs 50, 100, 200, 300; loss 1.2, 2.5, 5, …).
    """
    from ..plotting import label

    ax_boundary, ax_loss, ax_accuracy = axes
    epochs = np.arange(1, view["epochs"] + 1)
    loss = np.where(np.isfinite(view["loss"]), view["loss"], np.nan)
    if artists is not None and artists["data"] == view["data"]:
        # the same points, so the same extent: keep the limits the first drawing chose
        # rather than let the new regions autoscale them to the same values again
        ax_boundary.set_xlim(ax_boundary.get_xlim())
        ax_boundary.set_ylim(ax_boundary.get_ylim())
        artists["regions"].remove()
        artists["regions"] = _regions(ax_boundary, view["grid"], view["y"])
        ax_boundary.set_title(_boundary_title(view))
        artists["loss_line"].set_data(epochs, loss)
        artists["accuracy_line"].set_data(epochs, view["accuracy"])
        if _curve_limits(view) != artists["limits"]:  # the scales step now and then
            artists["limits"] = _set_curve_limits(ax_loss, ax_accuracy, view)
        _curve_titles(ax_loss, ax_accuracy, view)
        return artists

    for ax in axes:
        ax.clear()
    regions = draw_decision_boundary(ax_boundary, view["grid"], view["X"], view["y"],
                                     title=_boundary_title(view))
    points = ax_boundary.collections[-1]
    loss_line = ax_loss.plot(epochs, loss, color="#4C72B0")[0]
    ax_loss.set_xlabel(label(zh="轮（epoch）", en="epoch"))
    ax_loss.set_ylabel(label(zh="交叉熵损失", en="cross-entropy loss"))
    accuracy_line = ax_accuracy.plot(epochs, view["accuracy"], color="#55A868")[0]
    limits = _set_curve_limits(ax_loss, ax_accuracy, view)
    ax_accuracy.set_xlabel(label(zh="轮（epoch）", en="epoch"))
    ax_accuracy.set_ylabel(label(zh="准确率", en="accuracy"))
    _curve_titles(ax_loss, ax_accuracy, view)
    return {"regions": regions, "points": points, "loss_line": loss_line,
            "accuracy_line": accuracy_line, "data": view["data"], "limits": limits}


def _summary(view: dict) -> str:
    if view["diverged"]:
        return text(zh="⚠️ 损失变成了 inf/nan：步子太大，参数越走越远。把学习率调小试试。",
                    en="⚠️ The loss became inf/nan: the steps are too large and the parameters "
                       "fly away. Try a smaller learning rate.")
    return text(zh="训练了 {epochs} 轮（每轮 {batches} 步）：损失 {loss:.3f}，准确率 {acc:.1%}。",
                en="Trained {epochs} epochs ({batches} steps each): loss {loss:.3f}, "
                   "accuracy {acc:.1%}.",
                epochs=view["epochs"], batches=-(-len(view["y"]) // view["batch_size"]),
                loss=view["final_loss"], acc=view["final_accuracy"])


def training_explorer(hidden: int = 32, lr: float = 0.5, epochs: int = 100,
                      data: str = "spiral"):
    """A live training run: choose width, learning rate and epochs; see boundary and curves.

    实时训练：选择隐藏层宽度、学习率和轮数，查看决策边界与训练曲线。

    Returns an ``ipywidgets.VBox`` with attributes ``hidden``, ``lr``,
    ``epochs``, ``data`` (the controls), ``figure``, ``axes``, ``artists``,
    ``image`` (the drawn PNG), ``summary`` and ``view`` (the latest
    :func:`training_view`).
    """

    import ipywidgets as widgets
    from matplotlib.figure import Figure

    from ..plotting import setup_fonts

    _check_choice(hidden, "hidden", HIDDEN_WIDTHS)
    # before the figure exists: its axes take their fonts when they are created
    setup_fonts()
    _check_choice(data, "data", DATASETS)
    style = {"description_width": "initial"}
    hidden_slider = widgets.SelectionSlider(
        options=list(HIDDEN_WIDTHS), value=hidden, continuous_update=False, style=style,
        description=text(zh="隐藏层宽度 H", en="hidden width H"))
    lr_slider = widgets.FloatLogSlider(
        value=lr, base=10, min=-3, max=1, step=0.1, continuous_update=False, style=style,
        readout_format=".3g", description=text(zh="学习率 η", en="learning rate η"))
    epochs_slider = widgets.IntSlider(
        value=epochs, min=10, max=300, step=10, continuous_update=False, style=style,
        description=text(zh="轮数（epochs）", en="epochs"))
    data_choice = widgets.ToggleButtons(
        options=[(text(zh="螺旋", en="spiral"), "spiral"), (text(zh="高斯团", en="blobs"), "blobs")],
        value=data, style={"button_width": "90px"})
    summary = widgets.HTML()
    figure = Figure(figsize=(10, 3.3), dpi=100, layout="constrained")
    axes = figure.subplots(1, 3)
    # a PNG in an Image widget rather than display() into an Output widget: notebook
    # runners (nbclient) can stall on Output-widget messages when the CPU is busy
    image = widgets.Image(format="png", layout=widgets.Layout(width="1000px"))
    box = widgets.VBox([widgets.HBox([widgets.VBox([hidden_slider, lr_slider]),
                                      widgets.VBox([epochs_slider, data_choice])]),
                        summary, image])
    box.hidden, box.lr, box.epochs, box.data = hidden_slider, lr_slider, epochs_slider, data_choice
    box.figure, box.axes, box.summary, box.image = figure, axes, summary, image

    picture = BlitImage(figure, image)
    pictures: dict = {}  # settings -> PNG: settings seen before cost no drawing (the last 256)
    ax_boundary, ax_loss, ax_accuracy = axes

    def draw():
        view = box.view
        key = (view["hidden"], view["lr"], view["epochs"], view["data"])
        old_regions = None if box.artists is None else box.artists["regions"]
        updated = draw_training(axes, view, box.artists)
        # the curves' axes change only when a scale steps to its next value
        keys = (updated["limits"],)
        if updated is not box.artists:
            box.artists = updated
            picture.draw(
                layers=[[ax_loss.xaxis, ax_loss.yaxis, ax_accuracy.xaxis]], keys=keys,
                dynamic=[updated["regions"], updated["points"], ax_boundary.title,
                         updated["loss_line"], ax_loss.title, updated["accuracy_line"],
                         ax_accuracy.title,
                         *(spine for ax in axes for spine in ax.spines.values())])
        else:
            picture.replace(old_regions, updated["regions"])  # contours are made anew
            if key in pictures:
                image.value = pictures[key]
                return
            picture.update(keys)
        if len(pictures) >= 256:
            del pictures[next(iter(pictures))]  # the oldest
        pictures[key] = image.value

    painter = Coalescer(draw)

    def changed(change=None):
        # the numbers follow every event; the picture is drawn for the latest state
        box.view = training_view(hidden_slider.value, lr_slider.value, epochs_slider.value,
                                 data_choice.value)
        summary.value = _summary(box.view)
        painter.request()

    box.artists, box.painter, box.picture = None, painter, picture
    for control in (hidden_slider, lr_slider, epochs_slider, data_choice):
        control.observe(changed, names="value")
    changed()
    return box


def training_progress(epochs: int, description: str | None = None):
    """A progress bar for a training loop, with the latest loss and accuracy beside it.

    训练循环的进度条，旁边显示最新的损失和准确率。

    Returns an ``ipywidgets.HBox`` with ``update(epoch, loss, accuracy=None)``
    (``epoch`` counts from 0) and ``bar``/``label`` attributes; display it
    before the loop. Its cell's output changes from run to run, so tag that
    cell ``nbval-ignore-output``.
    """
    import ipywidgets as widgets

    from ...nn.validation import check_integer

    epochs = check_integer(epochs, "epochs", minimum=1)
    bar = widgets.IntProgress(value=0, min=0, max=int(epochs),
                              description=description or text(zh="训练中", en="training"),
                              style={"description_width": "initial"})
    caption = widgets.Label(value="")
    box = widgets.HBox([bar, caption])
    box.bar, box.label = bar, caption

    def update(epoch: int, loss: float, accuracy: float | None = None) -> None:
        bar.value = min(int(epoch) + 1, bar.max)
        if accuracy is None:
            caption.value = text(zh="第 {e}/{n} 轮：损失 {loss:.4f}",
                                 en="epoch {e}/{n}: loss {loss:.4f}",
                                 e=bar.value, n=bar.max, loss=loss)
        else:
            caption.value = text(zh="第 {e}/{n} 轮：损失 {loss:.4f}，准确率 {acc:.1%}",
                                 en="epoch {e}/{n}: loss {loss:.4f}, accuracy {acc:.1%}",
                                 e=bar.value, n=bar.max, loss=loss, acc=accuracy)
        if bar.value == bar.max:
            bar.bar_style = "success"

    box.update = update
    return box
