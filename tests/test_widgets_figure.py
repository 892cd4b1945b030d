"""Widget pictures: a burst of events is drawn once with the latest value, a picture
redrawn in place is pixel for pixel the whole figure drawn anew (in both languages), and
the glyph cache and the PNG encoder change no pixel."""

from __future__ import annotations

import asyncio
import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from PIL import Image

from mlp_course.course.widgets._figure import BlitImage, Coalescer, _encode_png
from mlp_course.i18n import language
from mlp_course.course.widgets.cross_entropy import cross_entropy_explorer
from mlp_course.course.widgets.forward import forward_explorer
from mlp_course.course.widgets.gradient import gradient_explorer
from mlp_course.course.widgets.nll import nll_explorer
from mlp_course.course.widgets.softmax import softmax_explorer
from mlp_course.course.widgets.training import training_explorer


class FakeLoop:
    """A clock and a call_later that run only when the test says so."""

    def __init__(self):
        self.now = 0.0
        self.pending = []

    def clock(self):
        return self.now

    def call_later(self, delay, callback):
        self.pending.append((self.now + delay, callback))

    def advance(self, seconds):
        self.now += seconds
        due = [item for item in self.pending if item[0] <= self.now]
        self.pending = [item for item in self.pending if item[0] > self.now]
        for _, callback in due:
            callback()


def test_a_burst_of_events_is_one_draw_of_the_latest_value():
    loop, state, drawn = FakeLoop(), {"value": None}, []
    painter = Coalescer(lambda: drawn.append(state["value"]), interval=0.04,
                        clock=loop.clock, call_later=loop.call_later)
    state["value"] = 0
    painter.request()
    assert drawn == [0]  # after a quiet spell an event is drawn at once
    for value in range(1, 11):  # ten events within 10 ms: only marked stale
        loop.now += 0.001
        state["value"] = value
        painter.request()
    assert drawn == [0] and len(loop.pending) == 1
    loop.advance(0.04)
    assert drawn == [0, 10] and painter.requests == 11 and painter.draws == 2
    loop.advance(1.0)
    assert drawn == [0, 10]  # nothing stale is left to draw
    state["value"] = 11
    painter.request()
    assert drawn == [0, 10, 11]


def test_flush_draws_at_once_and_cancels_the_pending_draw():
    loop, drawn = FakeLoop(), []
    painter = Coalescer(lambda: drawn.append(loop.now), interval=0.04, clock=loop.clock,
                        call_later=loop.call_later)
    painter.request()
    painter.request()
    painter.flush()
    loop.advance(0.1)
    assert len(drawn) == 2


def test_without_an_event_loop_every_event_is_drawn():
    drawn = []
    painter = Coalescer(lambda: drawn.append(1), interval=10.0)
    for _ in range(5):
        painter.request()
    assert len(drawn) == 5


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_a_dragged_slider_in_a_running_loop_draws_the_latest_value():
    async def drag():
        box = softmax_explorer((2.0, 1.0, 0.1))
        await asyncio.sleep(box.painter.interval)  # a quiet spell after the first picture
        draws = box.painter.draws
        for value in np.linspace(-3.0, 4.0, 30):  # events queued faster than any draw
            box.sliders[0].value = float(value)
        queued = box.painter.draws - draws
        await asyncio.sleep(box.painter.interval * 3)
        return box, queued, box.painter.draws - draws

    box, queued, total = asyncio.run(drag())
    assert queued == 1 and total == 2  # the first event, then the latest one
    assert box.sliders[0].value == 4.0
    np.testing.assert_allclose(box.view["logits"], [4.0, 1.0, 0.1])
    np.testing.assert_allclose([bar.get_height() for bar in box.bars],
                               box.view["probabilities"])
    np.testing.assert_array_equal(_pixels(box.children[-1].value), _full_drawing(box))


def _full_drawing(box) -> np.ndarray:
    """The widget's figure drawn whole, every artist in its place, on the same layout."""
    picture = box.picture
    figure = picture.figure
    engine = figure.get_layout_engine()
    figure.set_layout_engine("none")  # keep the axes where the widget's layout put them
    try:
        for artist in (*picture.dynamic, *picture.seldom):
            artist.set_animated(False)
        picture.canvas.draw()
        return np.asarray(picture.canvas.buffer_rgba())[..., :3].copy()
    finally:
        for artist in (*picture.dynamic, *picture.seldom):
            artist.set_animated(True)
        figure.set_layout_engine(engine)


def _moved(lang):
    """Widgets whose controls moved, their images, and how many layouts they went through
    (each drawn whole once; every other move is drawn in place)."""
    with language(lang):
        softmax = softmax_explorer((2.0, 1.0, 0.1), 1.0)
        softmax.sliders[0].value = -2.5
        softmax.sliders[2].value = 3.3
        softmax.temperature.value = 0.5
        yield "softmax", softmax, lambda b: b.children[-1], 1

        nll = nll_explorer(0.7)
        for p in (0.5, 0.2, 0.05):
            nll.slider.value = p
        yield "nll", nll, lambda b: b.children[-1], 1

        gradient = gradient_explorer((2.0, 1.0, 0.1), target=0)
        gradient.logit_sliders[1].value = 3.0
        gradient.logit_sliders[0].value = -1.0
        yield "gradient", gradient, lambda b: b.image, 1

        cross = cross_entropy_explorer()
        cross.p_sliders[0].value = 0.3
        # q = 0 where p > 0: an infinite KL, hatched up to the axis's new end (a new layout)
        cross.q_sliders[2].value = 0.0
        yield "cross_entropy", cross, lambda b: b.image, 2

        forward = forward_explorer((1.0, 0.5))
        forward.x1.value = -1.5
        forward.w11.value = 0.4
        forward.x2.value = 1.2
        forward.w11.value = 2.9
        forward.x1.value = 2.8  # the hidden layer's scale steps up
        forward.x2.value = 0.3  # the input alone: only the dynamic artists are drawn
        yield "forward", forward, lambda b: b.children[-1], 1

        training = training_explorer(hidden=8, lr=0.5, epochs=30)
        training.epochs.value = 40
        training.epochs.value = 120  # the epoch axis steps from 50 to 200
        training.lr.value = 0.1
        yield "training", training, lambda b: b.image, 1


# the widgets are built when the first of these tests runs, not at collection: building
# them takes seconds, which every test worker would pay before running anything
_NAMES = ("softmax", "nll", "gradient", "cross_entropy", "forward", "training")


@pytest.fixture(scope="module")
def moved_widgets():
    built = {}

    def get(lang, name):
        if lang not in built:
            built[lang] = {case[0]: case[1:] for case in _moved(lang)}
            assert tuple(built[lang]) == _NAMES
        return built[lang][name]
    return get


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", _NAMES)
def test_a_picture_updated_in_place_equals_the_whole_figure_drawn(moved_widgets, lang, name):
    moved, image, layouts = moved_widgets(lang, name)
    # the whole figure is drawn once per layout; every other move is drawn in place
    assert moved.picture.full_draws == layouts, f"{name}: a move redrew the whole figure"
    assert moved.picture.blits > 0, f"{name}: the moves were not drawn in place"
    np.testing.assert_array_equal(_pixels(image(moved).value), _full_drawing(moved))


def test_a_layer_shown_before_is_taken_from_its_kept_picture():
    box = forward_explorer((1.0, 0.5), w11=1.0)
    hidden = box.axes[1]
    drawn = []
    original = hidden.yaxis.draw
    hidden.yaxis.draw = lambda renderer: (drawn.append(box.artists["limit"]),
                                          original(renderer))
    first = box.artists["limit"]
    box.x1.value = 2.9  # z1[1] = 2.9: the hidden layer's scale steps up
    assert box.artists["limit"] != first and drawn == [box.artists["limit"]]
    box.x1.value = 1.0  # back to the first scale: its picture was kept
    box.x2.value = 0.2
    assert box.artists["limit"] == first and len(drawn) == 1
    box.w11.value = 1.5  # new weights on a kept scale: the regions are drawn, not the axis
    box.w11.value = 1.0
    assert len(drawn) == 1 and box.picture.full_draws == 1
    np.testing.assert_array_equal(_pixels(box.children[-1].value), _full_drawing(box))


def test_layers_need_one_key_each():
    from matplotlib.figure import Figure

    figure = Figure()
    picture = BlitImage(figure, type("Image", (), {"value": b""})())
    with pytest.raises(ValueError, match="1 layers need 1 keys"):
        picture.draw(layers=[[figure.add_subplot().xaxis]], keys=())


def test_a_new_activation_redraws_the_whole_figure_once():
    box = forward_explorer((1.0, 0.5))
    box.x1.value = 0.5
    assert box.picture.full_draws == 1
    box.activation.value = "tanh"  # new bars' label, new legend: a new layout
    assert box.picture.full_draws == 2
    np.testing.assert_array_equal(_pixels(box.children[-1].value), _full_drawing(box))


def _text_figure():
    """Texts of every kind the widgets draw: CJK and Latin, sizes, colours, rotations,
    no antialiasing, and positions at many fractions of a pixel."""
    from matplotlib.figure import Figure

    from mlp_course.course.plotting import setup_fonts

    setup_fonts()
    figure = Figure(figsize=(4, 3), dpi=100)
    for index in range(24):
        figure.text(0.05 + 0.0137 * index, 0.04 * index, f"{index / 7:.3f} 损失 ŷ",
                    fontsize=6 + index % 7, color=f"C{index % 10}",
                    rotation=(0, 30, 90, -45)[index % 4], antialiased=index % 5 != 0)
    figure.text(0.5, 0.9, "第一行\nsecond line", ha="center", va="top", fontsize=11)
    figure.text(0.6, 0.5, r"$\hat{y} = \mathrm{softmax}(z)$", fontsize=10)  # mathtext
    return figure


def test_text_drawn_from_the_glyph_cache_is_matplotlibs_text():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = _text_figure()
    plain = FigureCanvasAgg(figure)
    plain.draw()
    want = np.asarray(plain.buffer_rgba()).copy()
    picture = BlitImage(figure, type("Image", (), {"value": b""})())
    picture.draw()  # fills the caches
    picture.draw()  # draws from them
    assert picture.canvas.get_renderer()._widget_text_cache
    np.testing.assert_array_equal(np.asarray(picture.canvas.buffer_rgba()), want)
    np.testing.assert_array_equal(_pixels(picture.image.value), want[..., :3])


def _strings_the_widgets_print():
    """Numbers as the widgets format them, titles in both languages, every glossary term."""
    from mlp_course.course.glossary import load_glossary

    values = np.linspace(-20.0, 20.0, 161)
    numbers = [f"{v:.2f}" for v in values] + [f"{v:+.3f}" for v in values] + [
        f"(z2={v:.1f})" for v in values] + [f"{p:.1%}" for p in np.linspace(0, 1, 41)]
    titles = [f"输入 x = ({a:.1f}, {b:.1f})" for a, b in zip(values[::8], values[::-8])] + [
        f"input x = ({a:.1f}, {b:.1f})" for a, b in zip(values[::8], values[::-8])] + [
        f"H = {h}，η = {lr:.3g}，{e} 轮" for h, lr, e in [(1, 0.001, 10), (128, 10.0, 300)]] + [
        "最终损失 0.123", "final accuracy 95.3%", "loss L = −log ŷ₀ = 4.071", "AV To fi",
        " ", "", "ŷ (predicted probability)", "∂L/∂z = ŷ − y"]
    terms = [term for entry in load_glossary().entries for term in (entry.zh, entry.en)]
    return numbers + titles + terms


def test_text_sizes_from_the_caches_are_freetypes():
    # a text's size places it (centred titles, numbers over bars): it must be exact
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    from mlp_course.course.plotting import setup_fonts
    from mlp_course.course.widgets._figure import _text_size

    setup_fonts()
    renderer = RendererAgg(100, 100, 100)
    # a whole and a fractional size the widgets use (every string at each: ~1 s a size)
    for size in (8.0, 9.5):
        prop = FontProperties(size=size)
        for text in _strings_the_widgets_print():
            want = RendererAgg.get_text_width_height_descent(renderer, text, prop, False)
            assert _text_size(renderer, text, prop) == want, (size, text)


def test_a_matplotlib_that_draws_text_otherwise_keeps_its_own_text(monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import mlp_course.course.widgets._figure as figure_module

    figure = _text_figure()
    plain = FigureCanvasAgg(figure)
    plain.draw()
    want = np.asarray(plain.buffer_rgba()).copy()
    monkeypatch.setattr(figure_module, "_text_cache_works", lambda: False)
    picture = BlitImage(figure, type("Image", (), {"value": b""})())
    picture.draw()
    assert not getattr(picture.canvas.get_renderer(), "_widget_text_cache", False)
    np.testing.assert_array_equal(np.asarray(picture.canvas.buffer_rgba()), want)


@pytest.mark.parametrize("compressor", ["zlib-ng", "zlib"])
def test_the_png_holds_the_canvas_pixels(compressor, monkeypatch):
    import zlib

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import mlp_course.course.widgets._figure as figure_module

    if compressor == "zlib-ng":
        from zlib_ng import zlib_ng

        assert figure_module._deflate is zlib_ng  # used whenever it is installed
    else:
        monkeypatch.setattr(figure_module, "_deflate", zlib)
    canvas = FigureCanvasAgg(_text_figure())
    canvas.draw()
    decoded = Image.open(io.BytesIO(_encode_png(canvas)))
    assert decoded.size == canvas.get_width_height()
    np.testing.assert_array_equal(np.asarray(decoded.convert("RGBA")),
                                  np.asarray(canvas.buffer_rgba()))


def test_the_widget_benchmark_runs_and_prints_both_tables():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_widgets.py"
    result = subprocess.run([sys.executable, str(script), "--events", "4", "--lang", "en",
                             "--only", "gradient_explorer"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("gradient_explorer") and "event/full" not in line
               for line in lines), result.stdout
    assert "median ms" in result.stdout and "latest shown" in result.stdout
    drag = [line for line in lines if line.startswith("gradient_explorer")][-1]
    assert drag.split()[-1] == "True", drag
