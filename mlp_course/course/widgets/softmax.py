r"""Softmax explorer: one slider per logit and one for the temperature, bars update live.

Softmax 探索器：每个 logit 一个滑块，外加温度滑块，概率柱状图实时更新。

The logic is the pure function :func:`softmax_view` (numbers to draw) and
:func:`draw_softmax` (draws them on a matplotlib axes); :func:`softmax_explorer`
is a thin ipywidgets layer on top, so everything but the sliders is unit-tested
without a browser.

.. math::
    p_i = \frac{e^{z_i / T}}{\sum_{j=1}^{C} e^{z_j / T}}
"""

from __future__ import annotations

import numpy as np

from ._figure import BlitImage, Coalescer
from ...i18n import text
from ...nn.probability import entropy, softmax
from ...nn.validation import as_float_array, check_positive_number

__all__ = ["softmax_view", "draw_softmax", "probabilities_html", "softmax_explorer"]

SLIDER_RANGE = 10.0


def softmax_view(logits, temperature: float = 1.0) -> dict:
    r"""The numbers a softmax plot shows, for logits ``z`` and temperature ``T``.

    softmax 图要显示的数值：logits ``z`` 与温度 ``T`` 对应的概率等。

    Parameters
    ----------
    logits : array_like, shape (C,)
    temperature : float
        :math:`T > 0`.

    Returns
    -------
    dict
        ``logits`` (C,), ``temperature``, ``scaled`` = z / T (C,),
        ``probabilities`` (C,), ``argmax`` (int), ``entropy`` (nats) and
        ``max_entropy`` = log C, the entropy of the uniform distribution.

    Examples
    --------
    >>> view = softmax_view([0.0, 0.0])
    >>> view["probabilities"]
    array([0.5, 0.5])
    """
    z = as_float_array(logits, "logits", ndim=1)
    T = check_positive_number(temperature, "temperature")
    p = softmax(z, temperature=T)
    return {
        "logits": z,
        "temperature": T,
        "scaled": z / T,
        "probabilities": p,
        "argmax": int(np.argmax(z)),
        "entropy": float(entropy(p)),
        "max_entropy": float(np.log(z.size)),
    }


def _title(view: dict) -> str:
    from ..plotting import label

    return label(zh="温度 T = {T:.2f}，熵 = {H:.3f} / 最大 {Hmax:.3f}",
                 en="temperature T = {T:.2f}, entropy = {H:.3f} of at most {Hmax:.3f}",
                 T=view["temperature"], H=view["entropy"], Hmax=view["max_entropy"])


def _tick_labels(view: dict) -> list[str]:
    return [f"z{index + 1}={z:.1f}" for index, z in enumerate(view["logits"])]


def draw_softmax(ax, view: dict, bars=None):
    """Draw a view as a bar chart of probabilities on ``ax``; return the bars.

    把 ``view`` 画成概率柱状图；返回柱子（matplotlib BarContainer）。

    With ``bars`` from an earlier call on the same ``ax`` and as many classes,
    the chart is updated in place — bar heights and colours, the numbers over
    the bars, the logits under them and the title — instead of being drawn
    again. The returned container carries ``value_texts`` (the numbers over
    the bars), ``logit_texts`` (``z1=…`` under each bar) and ``uniform_line``
    (the dashed line at 1/C).
    """
    from ..plotting import label

    p = view["probabilities"]
    colors = ["#DD8452" if index == view["argmax"] else "#4C72B0" for index in range(p.size)]
    if bars is not None and len(bars) == p.size and getattr(bars, "value_texts", None):
        for bar, text_artist, value, color in zip(bars, bars.value_texts, p, colors):
            bar.set_height(value)
            bar.set_color(color)
            text_artist.set_y(value + 0.02)
            text_artist.set_text(f"{value:.3f}")
        for text_artist, logit_label in zip(bars.logit_texts, _tick_labels(view)):
            text_artist.set_text(logit_label)
        ax.set_title(_title(view))
        return bars

    ax.clear()
    classes = np.arange(p.size)
    bars = ax.bar(classes, p, color=colors)
    bars.uniform_line = ax.axhline(1.0 / p.size, color="grey", linestyle="--", linewidth=1)
    # named at its right end, outside the bars' reach, rather than in a legend the
    # bars could grow into
    ax.annotate(label(zh="均匀分布 1/C", en="uniform 1/C"), xy=(1.0, 1.0 / p.size),
                xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                va="center", fontsize=9, color="grey", annotation_clip=False)
    bars.value_texts = [ax.text(index, value + 0.02, f"{value:.3f}", ha="center", va="bottom",
                                fontsize=9)
                        for index, value in enumerate(p)]
    # the logits are written under the bars as texts of their own (not tick labels),
    # so a slider event redraws them without the whole axis
    ax.set_xticks(classes, labels=[""] * p.size)
    bars.logit_texts = [ax.annotate(logit_label, xy=(index, 0.0),
                                    xycoords=ax.get_xaxis_transform(), xytext=(0, -6),
                                    textcoords="offset points", ha="center", va="top",
                                    annotation_clip=False)
                        for index, logit_label in enumerate(_tick_labels(view))]
    ax.set_ylim(0, 1.12)
    ax.set_ylabel(label(zh="概率 p", en="probability p"))
    ax.set_xlabel(label(zh="类别（及其 logit）", en="class (and its logit)"), labelpad=16)
    ax.set_title(_title(view))
    return bars


def probabilities_html(view: dict) -> str:
    """The probabilities of a view as one line of text.  以一行文字列出各类概率。"""
    values = " · ".join(f"p{index + 1} = {p:.4f}" for index, p in enumerate(view["probabilities"]))
    return text(zh="概率：{values}", en="probabilities: {values}", values=values)


def softmax_explorer(logits=(2.0, 1.0, 0.1), temperature: float = 1.0):
    """A live softmax: move a logit or the temperature and watch the probabilities.

    实时 softmax：拖动某个 logit 或温度，观察概率如何变化。

    Returns an ``ipywidgets.VBox`` with attributes ``sliders`` (one per logit),
    ``temperature`` (the temperature slider), ``figure``, ``ax``, ``bars`` and
    ``view`` (the latest :func:`softmax_view`), which tests and curious
    learners can read.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    view = softmax_view(logits, temperature)
    bound = max(SLIDER_RANGE, float(np.max(np.abs(view["logits"]))))
    style = {"description_width": "initial"}
    sliders = [widgets.FloatSlider(value=float(z), min=-bound, max=bound, step=0.1,
                                   description=f"z{index + 1}", style=style,
                                   continuous_update=True)
               for index, z in enumerate(view["logits"])]
    temperature_slider = widgets.FloatLogSlider(
        value=view["temperature"], base=10, min=-2, max=2, step=0.01,
        description=text(zh="温度 T", en="temperature T"), style=style, readout_format=".2f")
    note = widgets.HTML(text(
        zh="T → 0：趋向独热分布（只剩最大的 logit）；T → ∞：趋向均匀分布。",
        en="T → 0: towards one-hot (only the largest logit survives); T → ∞: towards uniform."))
    figure = Figure(figsize=(6.4, 3.4), layout="constrained")
    ax = figure.add_subplot()
    output = widgets.Image(format="png")  # updated in place; never blocks a runner
    readout = widgets.HTML()
    readout.add_class("mlp-softmax-probs")  # the numbers, for screen readers and tests
    box = widgets.VBox([widgets.HBox([widgets.VBox(sliders),
                                      widgets.VBox([temperature_slider, note])]),
                        readout, output])
    box.add_class("mlp-softmax-explorer")
    box.sliders, box.temperature, box.figure, box.ax = sliders, temperature_slider, figure, ax
    box.readout = readout

    picture = BlitImage(figure, output)

    def draw():
        first = getattr(box, "bars", None) is None
        box.bars = draw_softmax(ax, box.view, box.bars if not first else None)
        if first:
            # the dashed line and the axes' frame are redrawn over the bars, as in a full draw
            picture.draw([*box.bars, *box.bars.value_texts, *box.bars.logit_texts,
                          box.bars.uniform_line, ax.title, *ax.spines.values()])
        else:
            picture.update()

    painter = Coalescer(draw)

    def changed(change=None):
        # the numbers follow every event; the picture is drawn for the latest state
        box.view = softmax_view([slider.value for slider in sliders], temperature_slider.value)
        readout.value = probabilities_html(box.view)
        painter.request()

    box.bars, box.painter, box.picture = None, painter, picture
    for slider in (*sliders, temperature_slider):
        slider.observe(changed, names="value")
    changed()
    return box
