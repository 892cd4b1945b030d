r"""Logits, a true class, and the gradient of the cross-entropy with respect to the logits.

logits、真实类别，以及交叉熵对 logits 的梯度 :math:`\partial L/\partial z = \hat y - y`。

The logic is the pure function :func:`gradient_view`; :func:`draw_gradient`
draws it (probabilities on the left, the gradient on the right, on a fixed
scale from -1 to 1, because no entry can leave it); :func:`gradient_explorer`
adds a slider per logit and a selector for the true class.

ipywidgets and matplotlib are imported inside the functions that need them.
"""

from __future__ import annotations

import numpy as np

from ._figure import BlitImage, Coalescer
from ...i18n import text
from ...nn.probability import log_softmax, softmax
from ...nn.validation import as_float_array, check_integer

__all__ = ["gradient_view", "draw_gradient", "summary", "gradient_explorer"]

TRUE_COLOR, OTHER_COLOR, PROB_COLOR = "#2ca02c", "#d62728", "#1f77b4"
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def gradient_view(logits, target: int) -> dict:
    r"""Probabilities, loss and gradient of softmax + cross-entropy for one example.

    计算单个样本的 softmax 概率、交叉熵损失和对 logits 的梯度。

    .. math::
        \hat y = \mathrm{softmax}(z), \quad L = -\log \hat y_c, \quad
        \frac{\partial L}{\partial z} = \hat y - y, \quad y = \mathrm{onehot}(c)

    Parameters
    ----------
    logits : array_like, shape (C,)
    target : int
        The true class c, ``0 <= c < C``.

    Returns
    -------
    dict
        ``logits``, ``probs`` (ŷ), ``onehot`` (y), ``grad`` (ŷ − y), all of
        shape (C,); ``loss`` (float) and ``target`` (int).

    Examples
    --------
    >>> gradient_view([0.0, 0.0], 1)["grad"]
    array([ 0.5, -0.5])
    """
    z = as_float_array(logits, "logits", ndim=1).astype(np.float64)
    count = z.size
    target = check_integer(target, "target", minimum=0, maximum=count - 1)
    probs = softmax(z)
    onehot = np.zeros(count)
    onehot[target] = 1.0
    return {
        "logits": z, "target": target, "probs": probs, "onehot": onehot,
        "grad": probs - onehot,
        "loss": float(-log_softmax(z)[target]),
    }


def _loss_title(view: dict) -> str:
    from ..plotting import label

    # unicode subscripts, not mathtext: a "$...$" title would be set in the maths
    # font, which has no Chinese glyphs
    formula = "L = −log ŷ" + str(view["target"]).translate(_SUBSCRIPTS)
    return label(zh="损失 {formula} = {loss:.3f}", en="loss {formula} = {loss:.3f}",
                 formula=formula, loss=view["loss"])


def _place_value(text_artist, value: float) -> None:
    text_artist.set_y(value + (0.04 if value >= 0 else -0.04))
    text_artist.set_verticalalignment("bottom" if value >= 0 else "top")
    text_artist.set_text(f"{value:+.2f}")


def draw_gradient(axes, view: dict, artists: dict | None = None) -> dict:
    """Draw a view: ŷ and y (left), the gradient ŷ − y as bars from -1 to 1 (right).

    绘制：左图为预测概率 ŷ 与目标 y，右图为梯度 ŷ − y（纵轴固定在 -1 到 1）。

    Parameters
    ----------
    axes : sequence of two matplotlib Axes
    view : dict
        From :func:`gradient_view`.
    artists : dict, optional
        From an earlier call on the same axes with the same true class and
        number of classes: the bars, the numbers and the loss in the title are
        then updated in place instead of drawn again.

    Returns
    -------
    dict
        The artists: ``prob_bars`` and ``grad_bars`` (BarContainer),
        ``grad_texts`` (the numbers over the gradient bars), ``star`` (the
        true class), ``zero`` (the line at 0) and the ``target`` drawn.
    """
    from ..plotting import label

    ax_probs, ax_grad = axes
    if (artists is not None and artists["target"] == view["target"]
            and len(artists["prob_bars"]) == view["probs"].size):
        for bar, value in zip(artists["prob_bars"], view["probs"]):
            bar.set_height(value)
        for bar, text_artist, value in zip(artists["grad_bars"], artists["grad_texts"],
                                           view["grad"]):
            bar.set_height(value)
            _place_value(text_artist, value)
        ax_probs.set_title(_loss_title(view), fontsize="medium")
        return artists

    ax_probs.clear()  # redrawing replaces the bars instead of stacking new ones on top
    ax_grad.clear()
    classes = np.arange(view["probs"].size)
    target = view["target"]
    colors = [TRUE_COLOR if k == target else OTHER_COLOR for k in classes]

    prob_bars = ax_probs.bar(classes, view["probs"], color=PROB_COLOR, alpha=0.8,
                             label=label(zh="ŷ（预测概率）", en="ŷ (predicted probability)"))
    star = ax_probs.scatter([target], [1.0], marker="*", s=160, color=TRUE_COLOR, zorder=3,
                     label=label(zh="y（真实类别，概率 1）", en="y (true class, probability 1)"))
    ax_probs.set_ylim(0, 1.4)
    ax_probs.set_xticks(classes)
    ax_probs.set_xlabel(label(zh="类别", en="class"))
    ax_probs.set_title(_loss_title(view), fontsize="medium")
    ax_probs.legend(loc="upper center", ncol=2, fontsize="small")

    grad_bars = ax_grad.bar(classes, view["grad"], color=colors)
    zero = ax_grad.axhline(0.0, color="black", linewidth=0.8)
    ax_grad.set_ylim(-1.2, 1.2)
    ax_grad.set_xticks(classes)
    ax_grad.set_xlabel(label(zh="类别", en="class"))
    ax_grad.set_title(label(zh="梯度 ∂L/∂z = ŷ − y", en="gradient ∂L/∂z = ŷ − y"),
                      fontsize="medium")
    grad_texts = []
    for k, value in zip(classes, view["grad"]):
        grad_texts.append(ax_grad.text(k, 0.0, "", ha="center", fontsize="small"))
        _place_value(grad_texts[-1], value)
    return {"prob_bars": prob_bars, "grad_bars": grad_bars, "grad_texts": grad_texts,
            "star": star, "zero": zero, "target": target}


def summary(view: dict) -> str:
    """What gradient descent will do, as one line of HTML in the active language.

    用当前语言（HTML）说明梯度下降会怎样做。
    """
    target = view["target"]
    return text(
        zh="真实类别 {c}：梯度 {g:+.3f}，下降时 z<sub>{c}</sub> 增大；其余类别按各自的概率被压低。"
           "各分量之和 = {total:+.1e}（总为 0）。",
        en="True class {c}: gradient {g:+.3f}, so a descent step raises z<sub>{c}</sub>; every other "
           "class is pushed down by its own probability. The entries sum to {total:+.1e} "
           "(always 0).",
        c=target, g=view["grad"][target], total=float(view["grad"].sum()))


def gradient_explorer(logits=(2.0, 1.0, 0.1), target: int = 0, limit: float = 6.0):
    """Logit sliders and a true-class selector, redrawing ŷ and the gradient ŷ − y.

    用滑块调节 logits、选择真实类别，实时显示 ŷ 与梯度 ŷ − y。

    Returns an ``ipywidgets.VBox`` that also carries ``.logit_sliders``,
    ``.target_buttons``, ``.view`` (the latest :func:`gradient_view`),
    ``.artists`` and ``.summary``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    from ..plotting import setup_fonts

    setup_fonts()
    first = gradient_view(logits, target)  # validates the starting values early
    count = first["logits"].size
    # a starting logit outside the range would be clamped silently by the slider
    limit = max(float(limit), float(np.ceil(np.abs(first["logits"]).max())))
    sliders = [widgets.FloatSlider(value=float(first["logits"][k]), min=-limit, max=limit,
                                   step=0.1, description=f"z{k}", readout_format=".1f",
                                   layout=widgets.Layout(width="320px"))
               for k in range(count)]
    target_buttons = widgets.ToggleButtons(options=list(range(count)), value=first["target"],
                                           description=text(zh="真实类别", en="true class"))
    summary_label = widgets.HTML()
    image = widgets.Image(format="png")
    figure = Figure(figsize=(9, 3.2), dpi=80)
    ax_probs = figure.add_subplot(1, 2, 1)
    ax_grad = figure.add_subplot(1, 2, 2)
    figure.subplots_adjust(wspace=0.25, bottom=0.18)
    box = widgets.VBox([widgets.VBox(sliders), target_buttons, summary_label, image])

    picture = BlitImage(figure, image)

    def draw():
        updated = draw_gradient((ax_probs, ax_grad), box.view, box.artists)
        if updated is box.artists:
            picture.update()
            return
        box.artists = updated
        # whatever a bar can cover (the star, the zero line, the frames) is redrawn too;
        # of the probabilities' frame only the bottom, on which the bars stand: the
        # legend above may reach over the sides, and a full draw puts it on top of them
        picture.draw([*updated["prob_bars"], *updated["grad_bars"], *updated["grad_texts"],
                      updated["star"], updated["zero"], ax_probs.title,
                      ax_probs.spines["bottom"], *ax_grad.spines.values()])

    painter = Coalescer(draw)

    def changed(_change=None):
        # the numbers follow every event; the picture is drawn for the latest state
        box.view = gradient_view([s.value for s in sliders], int(target_buttons.value))
        summary_label.value = summary(box.view)
        painter.request()

    box.artists, box.painter, box.picture = None, painter, picture
    for control in (*sliders, target_buttons):
        control.observe(changed, names="value")
    box.logit_sliders, box.target_buttons = sliders, target_buttons
    box.summary, box.image, box.figure = summary_label, image, figure
    changed()
    return box
