"""The softmax explorer: its view, its drawing, and its sliders."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mlp_course.course import plotting
from mlp_course.i18n import CourseValueError, language
from mlp_course.course.widgets.softmax import draw_softmax, softmax_explorer, softmax_view


def _torch_softmax(z, temperature):
    return torch.softmax(torch.tensor(z, dtype=torch.float64) / temperature, dim=-1).numpy()


@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0, 3.0, 50.0])
@pytest.mark.parametrize("logits", [(2.0, 1.0, 0.1), (0.0, 0.0), (-3.0, 4.0, 4.0, 9.5)])
def test_view_matches_torch(logits, temperature):
    view = softmax_view(logits, temperature)
    np.testing.assert_allclose(view["probabilities"], _torch_softmax(logits, temperature),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(view["scaled"], np.asarray(logits) / temperature)
    assert view["argmax"] == int(np.argmax(logits))
    assert 0.0 <= view["entropy"] <= view["max_entropy"] + 1e-12
    assert view["max_entropy"] == pytest.approx(np.log(len(logits)))


def test_temperature_limits_one_hot_and_uniform():
    cold = softmax_view((2.0, 1.0, 0.1), 0.01)["probabilities"]
    hot = softmax_view((2.0, 1.0, 0.1), 1e4)["probabilities"]
    np.testing.assert_allclose(cold, [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(hot, [1 / 3] * 3, atol=1e-4)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_bad_temperature_is_a_clear_error(bad):
    with language("en"), pytest.raises(CourseValueError, match="temperature"):
        softmax_view((1.0, 2.0), bad)


def test_bad_logits_shape_is_a_clear_error():
    with language("en"), pytest.raises(CourseValueError, match="logits"):
        softmax_view([[1.0, 2.0]], 1.0)


def test_draw_bar_heights_are_the_probabilities():
    ax = Figure().add_subplot()
    view = softmax_view((3.0, -1.0, 0.5, 0.5), 2.0)
    bars = draw_softmax(ax, view)
    np.testing.assert_allclose([bar.get_height() for bar in bars], view["probabilities"])
    # redrawing clears the old bars instead of stacking new ones on top
    draw_softmax(ax, view)
    assert len(ax.patches) == 4


def test_moving_a_slider_updates_view_and_bars():
    box = softmax_explorer((2.0, 1.0, 0.1), 1.0)
    assert len(box.sliders) == 3
    box.sliders[2].value = 6.0
    expected = _torch_softmax([2.0, 1.0, 6.0], 1.0)
    np.testing.assert_allclose(box.view["probabilities"], expected, rtol=1e-12)
    np.testing.assert_allclose([bar.get_height() for bar in box.bars], expected, rtol=1e-12)
    assert box.view["argmax"] == 2


def test_moving_the_temperature_flattens_or_sharpens():
    box = softmax_explorer((2.0, 1.0, 0.1), 1.0)
    before = box.view["probabilities"].copy()
    box.temperature.value = 10.0
    flat = np.array([bar.get_height() for bar in box.bars])
    assert flat.max() < before.max() and flat.min() > before.min()
    np.testing.assert_allclose(flat, _torch_softmax([2.0, 1.0, 0.1], 10.0), rtol=1e-12)
    box.temperature.value = 0.01
    np.testing.assert_allclose(box.view["probabilities"], [1.0, 0.0, 0.0], atol=1e-12)


def test_sliders_reach_logits_outside_the_default_range():
    box = softmax_explorer((25.0, -1.0), 1.0)
    assert box.sliders[0].value == 25.0 and box.sliders[0].max >= 25.0


@pytest.fixture
def chinese_font(monkeypatch):
    # the labels under test must not depend on which fonts this machine has
    monkeypatch.setattr(plotting, "can_draw_chinese", lambda: True)


@pytest.mark.parametrize("lang, words", [("zh", ["温度", "概率"]),
                                         ("en", ["temperature", "probability"])])
def test_labels_follow_the_language(chinese_font, lang, words):
    with language(lang):
        box = softmax_explorer()
        shown = " ".join([box.temperature.description, box.ax.get_title(),
                          box.ax.get_ylabel(), box.ax.get_xlabel()])
    for word in words:
        assert word in shown
    other = ["温度", "概率"] if lang == "en" else ["temperature", "probability"]
    assert not any(word in shown for word in other)


def test_explorer_shows_the_probabilities_as_text_and_updates_them():
    from mlp_course.i18n import language
    from mlp_course.course.widgets.softmax import softmax_explorer

    with language("en"):
        box = softmax_explorer(logits=(0.0, 0.0), temperature=1.0)
        assert box.readout.value == "probabilities: p1 = 0.5000 · p2 = 0.5000"
        assert "mlp-softmax-probs" in box.readout._dom_classes
        assert "mlp-softmax-explorer" in box._dom_classes
        box.sliders[0].value = 1.0
        assert "p1 = 0.7311" in box.readout.value and "p2 = 0.2689" in box.readout.value
    with language("zh"):
        assert softmax_explorer(logits=(0.0, 0.0)).readout.value.startswith("概率：")
