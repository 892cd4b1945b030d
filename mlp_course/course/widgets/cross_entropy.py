r"""Two distributions p and q, and the three numbers that compare them: H(p), H(p, q), KL(p‖q).

两个分布 p 与 q，以及比较它们的三个数：H(p)、H(p, q)、KL(p‖q)。

The logic is the pure function :func:`distributions_view`; :func:`draw_cross_entropy`
draws a view on two matplotlib axes; :func:`cross_entropy_explorer` puts
sliders on top. The right-hand panel shows the identity
:math:`H(p, q) = H(p) + D_{\mathrm{KL}}(p\,\|\,q)` as one stacked bar.

ipywidgets and matplotlib are imported inside the functions that need them.
"""

from __future__ import annotations

import math

import numpy as np

from ._figure import BlitImage, Coalescer
from ...i18n import CourseValueError, text
from ...nn.probability import entropy, kl_divergence
from ...nn.validation import as_float_array, describe

__all__ = ["distributions_view", "draw_cross_entropy", "summary", "cross_entropy_explorer",
           "UNITS"]

UNITS = ("nats", "bits")
P_COLOR, Q_COLOR, KL_COLOR = "#1f77b4", "#ff7f0e", "#d62728"


def _normalise(weights, name: str) -> np.ndarray:
    w = as_float_array(weights, name, ndim=1).astype(np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise CourseValueError(
            zh="参数 {name} 应为非负有限数（会被归一化成概率），收到的是 {got}。",
            en="{name} must hold finite non-negative numbers (they are normalised into "
               "probabilities), got {got}.",
            name=name, got=np.array2string(w, precision=3, threshold=8))
    total = w.sum()
    if total == 0:
        # all sliders at zero: the only distribution with no preference is the uniform one
        return np.full_like(w, 1.0 / w.size)
    return w / total


def distributions_view(p, q, unit: str = "nats") -> dict:
    r"""Normalise two weight vectors and compute H(p), H(p, q) and KL(p‖q).

    把两组非负权重归一化成分布 p、q，并计算 H(p)、H(p, q) 与 KL(p‖q)。

    .. math::
        H(p) = -\sum_i p_i \log p_i, \quad H(p, q) = -\sum_i p_i \log q_i, \quad
        D_{\mathrm{KL}}(p\,\|\,q) = H(p, q) - H(p)

    Parameters
    ----------
    p, q : array_like, shape (C,)
        Non-negative weights (they need not sum to 1; all zeros means uniform).
    unit : {"nats", "bits"}, default "nats"
        Natural logarithm (nats) or base-2 logarithm (bits); 1 bit = ln 2 nats.

    Returns
    -------
    dict
        ``p``, ``q`` (the distributions, shape (C,)), ``entropy``,
        ``cross_entropy``, ``kl`` (floats in ``unit``; ``inf`` when some
        :math:`q_i = 0 < p_i`), ``contributions`` (:math:`-p_i \log q_i`, shape (C,))
        and ``unit``.

    Examples
    --------
    >>> view = distributions_view([1, 1], [1, 1], unit="bits")
    >>> view["entropy"], view["kl"]
    (1.0, 0.0)
    """
    if unit not in UNITS:
        raise CourseValueError(zh="参数 unit 应为 'nats' 或 'bits'，收到的是 {got}。",
                               en="unit must be 'nats' or 'bits', got {got}.", got=describe(unit))
    p, q = _normalise(p, "p"), _normalise(q, "q")
    if p.shape != q.shape:
        raise CourseValueError(
            zh="p 与 q 应有相同的类别数，收到的形状是 {p_shape} 和 {q_shape}。",
            en="p and q must have the same number of classes, got shapes {p_shape} and {q_shape}.",
            p_shape=p.shape, q_shape=q.shape)
    scale = 1.0 if unit == "nats" else 1.0 / math.log(2.0)
    with np.errstate(divide="ignore"):
        # 0·log q = 0 where p = 0, and +inf where p > 0 but q = 0
        contributions = np.where(p > 0, -p * np.log(np.where(p > 0, q, 1.0)), 0.0) * scale
    h_p = float(entropy(p)) * scale
    kl = float(kl_divergence(p, q)) * scale
    return {
        "p": p, "q": q, "unit": unit,
        "entropy": h_p,
        "cross_entropy": float(contributions.sum()),
        "kl": kl,
        "contributions": contributions,
    }


def _unit_name(unit: str) -> str:
    if unit == "nats":
        return text(zh="奈特", en="nats")
    return text(zh="比特", en="bits")


def _number(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.3f}"


def _sum_layout(view: dict) -> tuple[float, float]:
    """The right end of the stacked bar's axis and the width of the KL part."""
    h_p, kl = view["entropy"], view["kl"]
    scale = 1.0 if view["unit"] == "nats" else 1.0 / math.log(2.0)
    # the axis spans at least the largest possible entropy, log C, so it does not
    # jump around while a slider moves; an infinite KL is drawn up to the edge
    finite_top = h_p + (kl if math.isfinite(kl) else 0.0)
    needed = 1.25 * max(finite_top, math.log(max(view["p"].size, 2)) * scale)
    # in steps of half a unit, so the axis changes seldom while a slider moves
    right = math.ceil(needed / 0.5) * 0.5
    return right, (kl if math.isfinite(kl) else right - h_p)


def _sum_title(view: dict) -> str:
    from ..plotting import label

    return label(zh="H(p, q) = H(p) + KL(p‖q) = {hpq}", en="H(p, q) = H(p) + KL(p‖q) = {hpq}",
                 hpq=_number(view["cross_entropy"]))


def _sum_note(view: dict) -> str:
    return "H(p) = " + _number(view["entropy"]) + "\nKL = " + _number(view["kl"])


def draw_cross_entropy(axes, view: dict, artists: dict | None = None) -> dict:
    """Draw a view: p and q as grouped bars (left), H(p) + KL = H(p, q) as a stacked bar (right).

    绘制：左图为 p 与 q 的分组柱状图，右图把 H(p) + KL = H(p, q) 画成一根堆叠横条。

    Parameters
    ----------
    axes : sequence of two matplotlib Axes
    view : dict
        From :func:`distributions_view`.
    artists : dict, optional
        From an earlier call on the same axes with the same unit, number of
        classes and scale of the right panel: bars and numbers are then
        updated in place instead of drawn again.

    Returns
    -------
    dict
        The artists: ``p_bars``, ``q_bars`` (BarContainer), ``entropy_bar``,
        ``kl_bar`` (Rectangle), ``note`` (the numbers in the right panel) and
        the ``unit`` and the right end of the right panel's axis (``right``)
        drawn, so a caller can read what was drawn.
    """
    from ..plotting import label

    ax_bars, ax_sum = axes
    p, q = view["p"], view["q"]
    h_p, kl = view["entropy"], view["kl"]
    right, kl_width = _sum_layout(view)
    if (artists is not None and artists["unit"] == view["unit"]
            and len(artists["p_bars"]) == p.size and artists["right"] == right):
        for bars, values in ((artists["p_bars"], p), (artists["q_bars"], q)):
            for bar, value in zip(bars, values):
                bar.set_height(value)
        artists["entropy_bar"].set_width(h_p)
        artists["kl_bar"].set_x(h_p)
        artists["kl_bar"].set_width(kl_width)
        artists["kl_bar"].set_hatch("//" if math.isinf(kl) else None)
        ax_sum.set_title(_sum_title(view), fontsize="medium")
        artists["note"].set_text(_sum_note(view))
        return artists

    ax_bars.clear()  # redrawing replaces the bars instead of stacking new ones on top
    ax_sum.clear()
    classes = np.arange(p.size)
    width = 0.4
    p_bars = ax_bars.bar(classes - width / 2, p, width,
                         label=label(zh="p（真实分布）", en="p (true distribution)"), color=P_COLOR)
    q_bars = ax_bars.bar(classes + width / 2, q, width,
                         label=label(zh="q（模型分布）", en="q (model distribution)"), color=Q_COLOR)
    ax_bars.set_xticks(classes)
    ax_bars.set_xlabel(label(zh="类别", en="class"))
    ax_bars.set_ylabel(label(zh="概率", en="probability"))
    ax_bars.set_ylim(0, 1.05)
    ax_bars.legend(loc="upper right", fontsize="small")

    entropy_bar = ax_sum.barh([0], [h_p], height=0.6, color=P_COLOR,
                              label=label(zh="H(p)：熵", en="H(p): entropy"))[0]
    kl_bar = ax_sum.barh([0], [kl_width], height=0.6, left=[h_p], color=KL_COLOR,
                         hatch="//" if math.isinf(kl) else None,
                         label=label(zh="KL(p‖q)：额外代价", en="KL(p‖q): the extra cost"))[0]
    ax_sum.set_xlim(0, right)
    ax_sum.set_ylim(-0.6, 1.6)
    ax_sum.set_yticks([])
    if view["unit"] == "nats":
        ax_sum.set_xlabel(label(zh="信息量（奈特）", en="information (nats)"))
    else:
        ax_sum.set_xlabel(label(zh="信息量（比特）", en="information (bits)"))
    ax_sum.set_title(_sum_title(view), fontsize="medium")
    note = ax_sum.text(0.02, 0.95, _sum_note(view), transform=ax_sum.transAxes, va="top",
                       fontsize="small")
    ax_sum.legend(loc="upper right", fontsize="small")
    return {"p_bars": p_bars, "q_bars": q_bars, "entropy_bar": entropy_bar, "kl_bar": kl_bar,
            "note": note, "unit": view["unit"], "right": right}


def summary(view: dict) -> str:
    """The three numbers of a view as one line in the active language.  用当前语言写出三个数。"""
    return text(zh="H(p) = {hp}，H(p, q) = {hpq}，KL(p‖q) = {kl}（单位：{unit}）",
                en="H(p) = {hp}, H(p, q) = {hpq}, KL(p‖q) = {kl} (in {unit})",
                hp=_number(view["entropy"]), hpq=_number(view["cross_entropy"]),
                kl=_number(view["kl"]), unit=_unit_name(view["unit"]))


def cross_entropy_explorer(p=(0.6, 0.3, 0.1), q=(0.2, 0.5, 0.3), unit: str = "nats"):
    """Sliders for two distributions p and q (renormalised), redrawing H(p), H(p, q), KL(p‖q).

    用滑块调节两个分布 p 与 q（自动归一化），实时显示 H(p)、H(p, q) 与 KL(p‖q)。

    Returns an ``ipywidgets.VBox``. For tests and curious readers it also
    carries ``.p_sliders``, ``.q_sliders``, ``.unit_buttons``, ``.view`` (the
    latest :func:`distributions_view`), ``.artists`` and ``.summary``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    from ..plotting import setup_fonts

    setup_fonts()
    first = distributions_view(p, q, unit)  # validates the starting values early
    count = first["p"].size

    def slider(name: str, index: int, value: float):
        return widgets.FloatSlider(value=float(value), min=0.0, max=1.0, step=0.01,
                                   description=f"{name}{index}", continuous_update=True,
                                   readout_format=".2f",
                                   layout=widgets.Layout(width="260px"))

    # start from the normalised values: weights above 1 would be clamped by the sliders
    p_sliders = [slider("p", i, first["p"][i]) for i in range(count)]
    q_sliders = [slider("q", i, first["q"][i]) for i in range(count)]
    unit_buttons = widgets.ToggleButtons(
        options=[(text(zh="奈特（ln）", en="nats (ln)"), "nats"),
                 (text(zh="比特（log₂）", en="bits (log₂)"), "bits")],
        value=unit, description=text(zh="单位", en="unit"))
    summary_label = widgets.HTML()
    image = widgets.Image(format="png")
    figure = Figure(figsize=(9, 3.2), dpi=80)
    ax_bars = figure.add_subplot(1, 2, 1)
    ax_sum = figure.add_subplot(1, 2, 2)
    figure.subplots_adjust(wspace=0.3, bottom=0.18)
    note = widgets.HTML(text(
        zh="<i>滑块给出的是权重，会自动归一化为概率。</i>",
        en="<i>The sliders set weights; they are renormalised into probabilities.</i>"))

    box = widgets.VBox([
        note,
        widgets.HBox([widgets.VBox([widgets.HTML("<b>p</b>"), *p_sliders]),
                      widgets.VBox([widgets.HTML("<b>q</b>"), *q_sliders])]),
        unit_buttons, summary_label, image,
    ])

    picture = BlitImage(figure, image)

    def draw():
        updated = draw_cross_entropy((ax_bars, ax_sum), box.view, box.artists)
        if updated is box.artists:
            picture.update()
            return
        box.artists = updated
        # the left legend can sit over a bar, so it is drawn after them each time (the
        # right one stays above the stacked bar)
        picture.draw([*updated["p_bars"], *updated["q_bars"], updated["entropy_bar"],
                      updated["kl_bar"], updated["note"], ax_sum.title,
                      ax_bars.get_legend(),
                      *ax_bars.spines.values(), *ax_sum.spines.values()])

    painter = Coalescer(draw)

    def changed(_change=None):
        # the numbers follow every event; the picture is drawn for the latest state
        box.view = distributions_view([s.value for s in p_sliders], [s.value for s in q_sliders],
                                      unit_buttons.value)
        summary_label.value = summary(box.view)
        painter.request()

    box.artists, box.painter, box.picture = None, painter, picture
    for control in (*p_sliders, *q_sliders, unit_buttons):
        control.observe(changed, names="value")
    box.p_sliders, box.q_sliders, box.unit_buttons = p_sliders, q_sliders, unit_buttons
    box.summary, box.image, box.figure = summary_label, image, figure
    changed()
    return box
