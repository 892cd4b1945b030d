r"""The −log p curve: slide the probability of the true class and read off the loss.

−log p 曲线：拖动真实类别的概率，读出对应的损失。

:func:`nll_view` computes the numbers, :func:`draw_nll` draws them,
:func:`nll_explorer` adds a slider on top.

.. math::
    \ell(p) = -\log p, \qquad \frac{d\ell}{dp} = -\frac{1}{p}
"""

from __future__ import annotations

import numpy as np

from ._figure import BlitImage, Coalescer
from ...i18n import CourseValueError, text
from ...nn.validation import describe

__all__ = ["nll_view", "draw_nll", "nll_explorer"]

P_MIN = 0.001  # the curve starts here: at p = 0 the loss is infinite
Y_MAX = 7.0


def nll_view(p_true: float, num_points: int = 400) -> dict:
    r"""The loss :math:`-\log p` for the probability ``p_true`` of the true class, and the curve.

    真实类别概率为 ``p_true`` 时的损失 :math:`-\log p`，以及整条曲线的数据。

    Parameters
    ----------
    p_true : float
        :math:`0 < p \le 1`.
    num_points : int, default 400
        Points on the curve.

    Returns
    -------
    dict
        ``p``, ``loss`` = −log p, ``slope`` = −1/p (the derivative),
        ``curve_p`` and ``curve_loss`` (the curve on [0.001, 1]),
        ``tangent_p`` and ``tangent_loss`` (a short tangent segment at p).

    Examples
    --------
    >>> round(nll_view(0.5)["loss"], 4)
    0.6931
    """
    try:
        p = float(p_true)
    except (TypeError, ValueError):
        p = float("nan")
        original = describe(p_true)
    else:
        original = repr(p_true)
    if not 0.0 < p <= 1.0:
        raise CourseValueError(
            zh="参数 p_true 应为 (0, 1] 中的概率，收到的是 {got}。",
            en="p_true must be a probability in (0, 1], got {got}.", got=original)
    curve_p = np.linspace(P_MIN, 1.0, int(num_points))
    # A short segment around p, clipped to the plotted range of p.
    half_width = 0.2
    tangent_p = np.array([max(P_MIN, p - half_width), min(1.0, p + half_width)])
    loss, slope = -np.log(p), -1.0 / p
    return {
        "p": p,
        "loss": float(loss),
        "slope": float(slope),
        "curve_p": curve_p,
        "curve_loss": -np.log(curve_p),
        "tangent_p": tangent_p,
        "tangent_loss": loss + slope * (tangent_p - p),
    }


def _point_label(view: dict) -> str:
    from ..plotting import label

    return label(zh="p = {p:.3f}\n损失 = {loss:.3f}\n斜率 −1/p = {slope:.2f}",
                 en="p = {p:.3f}\nloss = {loss:.3f}\nslope −1/p = {slope:.2f}",
                 p=view["p"], loss=view["loss"], slope=view["slope"])


def draw_nll(ax, view: dict, artists: dict | None = None) -> dict:
    """Draw the −log p curve with the current point and its tangent; return the artists.

    画出 −log p 曲线、当前点及其切线；返回各图元（``curve``、``point``、``tangent``、
    ``drop``、``note``、``legend``）。

    With ``artists`` from an earlier call on the same ``ax``, only what depends
    on p is moved in place: the point, its dotted drop line, the tangent and
    the note beside the point (p, the loss and the slope).
    """
    from ..plotting import label

    top = min(view["loss"], Y_MAX)
    if artists is not None:
        artists["tangent"].set_data(view["tangent_p"], view["tangent_loss"])
        artists["point"].set_data([view["p"]], [view["loss"]])
        artists["drop"].set_data([view["p"], view["p"]], [0.0, top])
        artists["note"].xy = (view["p"], top)
        artists["note"].set_text(_point_label(view))
        return artists

    ax.clear()
    (curve,) = ax.plot(view["curve_p"], view["curve_loss"], color="#4C72B0",
                       label=label(zh="损失 −log p", en="loss −log p"))
    (tangent,) = ax.plot(view["tangent_p"], view["tangent_loss"], color="#55A868",
                         linestyle="--", linewidth=1.5,
                         label=label(zh="切线（斜率 −1/p）", en="tangent (slope −1/p)"))
    (point,) = ax.plot([view["p"]], [view["loss"]], "o", color="#DD8452", markersize=9)
    (drop,) = ax.plot([view["p"], view["p"]], [0.0, top], color="#DD8452", linestyle=":")
    note = ax.annotate(_point_label(view), (view["p"], top), textcoords="offset points",
                       xytext=(12, 12), fontsize=10)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, Y_MAX)
    ax.set_xlabel(label(zh="模型给真实类别的概率 p", en="probability p given to the true class"))
    ax.set_ylabel(label(zh="损失 −log p", en="loss −log p"))
    ax.set_title(label(zh="负对数似然：p 越小，惩罚越重", en="Negative log-likelihood: "
                       "the smaller p, the heavier the penalty"))
    legend = ax.legend(loc="upper right", fontsize=9)
    return {"curve": curve, "point": point, "tangent": tangent, "drop": drop, "note": note,
            "legend": legend}


def nll_explorer(p_true: float = 0.7):
    """A slider for the probability of the true class, with the loss on the −log p curve.

    真实类别概率的滑块，以及它在 −log p 曲线上对应的损失。

    Returns an ``ipywidgets.VBox`` with attributes ``slider``, ``figure``,
    ``ax``, ``artists`` and ``view`` (the latest :func:`nll_view`).
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    view = nll_view(p_true)
    slider = widgets.FloatSlider(value=max(view["p"], P_MIN), min=P_MIN, max=1.0, step=0.001,
                                 readout_format=".3f",
                                 description=text(zh="真实类别的概率 p",
                                                  en="true-class probability p"),
                                 style={"description_width": "initial"},
                                 layout=widgets.Layout(width="480px"))
    summary = widgets.HTML()
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = figure.add_subplot()
    output = widgets.Image(format="png")  # updated in place; never blocks a runner
    box = widgets.VBox([slider, summary, output])
    box.slider, box.figure, box.ax = slider, figure, ax

    picture = BlitImage(figure, output)

    def draw():
        if box.artists is None:
            box.artists = draw_nll(ax, box.view)
            # the frame is redrawn over the moving lines, as in a full draw
            picture.draw([*(box.artists[name] for name in ("tangent", "point", "drop", "note")),
                          *ax.spines.values()])
        else:
            draw_nll(ax, box.view, box.artists)
            picture.update()

    painter = Coalescer(draw)

    def changed(change=None):
        # the numbers follow every event; the picture is drawn for the latest state
        box.view = nll_view(slider.value)
        summary.value = text(
            zh="损失 −log p = {loss:.3f}；若 10 个样本都得到同样的 p，似然 p¹⁰ = {lik:.3g}，"
               "负对数似然之和 = {total:.3f}。",
            en="loss −log p = {loss:.3f}; if 10 examples all got this p, the likelihood "
               "p¹⁰ = {lik:.3g} and the summed NLL = {total:.3f}.",
            loss=box.view["loss"], lik=box.view["p"] ** 10, total=10 * box.view["loss"])
        painter.request()

    box.artists, box.painter, box.picture = None, painter, picture
    slider.observe(changed, names="value")
    changed()
    return box
