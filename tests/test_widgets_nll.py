"""The −log p explorer: its view, its drawing, and its slider."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mlp_course.course import plotting
from mlp_course.i18n import CourseValueError, language
from mlp_course.course.widgets.nll import P_MIN, draw_nll, nll_explorer, nll_view


@pytest.mark.parametrize("p", [P_MIN, 0.01, 0.25, 0.5, 0.9, 1.0])
def test_view_loss_and_slope_match_torch(p):
    view = nll_view(p)
    tensor = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    loss = -torch.log(tensor)
    loss.backward()
    assert view["loss"] == pytest.approx(loss.item(), rel=1e-12, abs=1e-15)
    assert view["slope"] == pytest.approx(tensor.grad.item(), rel=1e-12)
    # the tangent segment passes through the point with the curve's slope
    tp, tl = view["tangent_p"], view["tangent_loss"]
    assert tp[0] <= p <= tp[1]
    assert (tl[1] - tl[0]) / (tp[1] - tp[0]) == pytest.approx(view["slope"])
    np.testing.assert_allclose(view["curve_loss"], -np.log(view["curve_p"]))


def test_curve_is_decreasing_and_zero_at_one():
    view = nll_view(0.3)
    assert np.all(np.diff(view["curve_loss"]) < 0)
    assert view["curve_loss"][-1] == 0.0


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, float("nan"), "abc", None])
def test_bad_probability_is_a_clear_error(bad):
    with language("en"), pytest.raises(CourseValueError, match=r"p_true .*\(0, 1\]"):
        nll_view(bad)


def test_draw_places_the_point_on_the_curve():
    ax = Figure().add_subplot()
    artists = draw_nll(ax, nll_view(0.2))
    assert artists["point"].get_xdata()[0] == pytest.approx(0.2)
    assert artists["point"].get_ydata()[0] == pytest.approx(-np.log(0.2))
    draw_nll(ax, nll_view(0.4))
    assert len(ax.lines) == 4  # curve, tangent, point, drop line: the old ones were cleared


def test_moving_the_slider_moves_the_point():
    box = nll_explorer(0.7)
    assert box.artists["point"].get_ydata()[0] == pytest.approx(-np.log(0.7))
    box.slider.value = 0.05
    assert box.view["loss"] == pytest.approx(-np.log(0.05))
    assert box.artists["point"].get_xdata()[0] == pytest.approx(0.05)
    assert box.artists["point"].get_ydata()[0] == pytest.approx(-np.log(0.05))
    assert "2.996" in box.children[1].value  # the summary text shows the new loss


@pytest.fixture
def chinese_font(monkeypatch):
    monkeypatch.setattr(plotting, "can_draw_chinese", lambda: True)


@pytest.mark.parametrize("lang, words", [("zh", ["概率", "损失"]),
                                         ("en", ["probability", "loss"])])
def test_labels_follow_the_language(chinese_font, lang, words):
    with language(lang):
        box = nll_explorer(0.5)
        shown = " ".join([box.slider.description, box.ax.get_xlabel(), box.ax.get_ylabel(),
                          box.ax.get_title(), box.children[1].value])
    for word in words:
        assert word in shown
    other = ["概率", "损失"] if lang == "en" else ["probability", "loss"]
    assert not any(word in shown for word in other)
