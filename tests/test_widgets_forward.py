"""The forward-pass explorer: its view, its drawing, and its controls."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mlp_course.course import plotting
from mlp_course.i18n import CourseValueError, language
from mlp_course.course.widgets.forward import (DEFAULT_PARAMETERS, decision_regions, draw_forward,
                                        forward_explorer, forward_view)

TORCH_ACTIVATION = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}


def _torch_network(activation, W1, b1, W2, b2):
    model = torch.nn.Sequential(torch.nn.Linear(2, 3, dtype=torch.float64),
                                TORCH_ACTIVATION[activation](),
                                torch.nn.Linear(3, 3, dtype=torch.float64))
    with torch.no_grad():
        for layer, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
    return model


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("x", [(1.0, 0.5), (-2.0, 3.0), (0.0, 0.0), (2.9, -2.9)])
def test_view_matches_a_torch_network(activation, x):
    view = forward_view(x, activation)
    p = DEFAULT_PARAMETERS
    model = _torch_network(activation, p["W1"], p["b1"], p["W2"], p["b2"])
    with torch.no_grad():
        tx = torch.tensor([x], dtype=torch.float64)
        z1 = model[0](tx)
        a1 = model[1](z1)
        z2 = model[2](a1)
    np.testing.assert_allclose(view["z1"], z1[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(view["a1"], a1[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(view["z2"], z2[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(view["probabilities"], torch.softmax(z2, 1)[0].numpy(),
                               atol=1e-12)
    assert view["predicted"] == int(torch.argmax(z2))


def test_the_weight_slider_moves_only_the_first_hidden_unit():
    before = forward_view((1.0, 0.5), "relu", w11=1.0)
    after = forward_view((1.0, 0.5), "relu", w11=-2.0)
    assert after["z1"][0] == pytest.approx(before["z1"][0] - 3.0 * 1.0)
    np.testing.assert_array_equal(after["z1"][1:], before["z1"][1:])
    assert after["W1"][0, 0] == -2.0 and DEFAULT_PARAMETERS["W1"][0, 0] == 1.0


def test_view_does_not_change_the_default_parameters():
    saved = {name: value.copy() for name, value in DEFAULT_PARAMETERS.items()}
    forward_view((1.0, 1.0), w11=5.0)["W1"][1, 1] = 99.0
    for name, value in saved.items():
        np.testing.assert_array_equal(DEFAULT_PARAMETERS[name], value)


def test_decision_regions_agree_with_the_view_at_grid_points():
    view = forward_view((0.0, 0.0), "tanh")
    regions = decision_regions(view, resolution=7)
    axis = np.linspace(-3, 3, 7)
    for i in (0, 3, 6):
        for j in (0, 2, 5):
            assert regions[i, j] == forward_view((axis[j], axis[i]), "tanh")["predicted"]
    assert set(np.unique(regions)) <= {0, 1, 2}


@pytest.mark.parametrize("bad, match", [((1.0, 2.0, 3.0), "shape \\(2,\\)"),
                                        ([[1.0, 2.0]], "x")])
def test_bad_input_is_a_clear_error(bad, match):
    with language("en"), pytest.raises(CourseValueError, match=match):
        forward_view(bad)


def test_bad_activation_and_parameters_are_clear_errors():
    with language("en"):
        with pytest.raises(CourseValueError, match="activation"):
            forward_view((0.0, 0.0), "softplus")
        with pytest.raises(CourseValueError, match="W1 must have shape \\(3, 2\\)"):
            forward_view((0.0, 0.0), parameters={"W1": np.ones((2, 3))})
        with pytest.raises(CourseValueError, match="W3"):
            forward_view((0.0, 0.0), parameters={"W3": np.ones((2, 3))})


def test_drawn_bars_are_the_view():
    axes = Figure().subplots(1, 3)
    view = forward_view((-1.0, 2.0), "sigmoid")
    drawn = draw_forward(axes, view)
    heights = lambda bars: [bar.get_height() for bar in bars]  # noqa: E731
    np.testing.assert_allclose(heights(drawn["z1_bars"]), view["z1"])
    np.testing.assert_allclose(heights(drawn["a1_bars"]), view["a1"])
    np.testing.assert_allclose(heights(drawn["probability_bars"]), view["probabilities"])
    np.testing.assert_allclose(np.ravel(drawn["point"].get_data()), view["x"])
    assert len(drawn["unit_lines"]) == 3
    draw_forward(axes, view)
    assert len(axes[2].patches) == 3  # redrawing clears instead of stacking


def test_unit_lines_are_where_the_hidden_unit_is_zero():
    axes = Figure().subplots(1, 3)
    view = forward_view((0.0, 0.0))
    drawn = draw_forward(axes, view)
    for h, line in enumerate(drawn["unit_lines"]):
        xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
        points = np.column_stack([xs, ys])
        np.testing.assert_allclose(points @ view["W1"][h] + view["b1"][h], 0.0, atol=1e-12)


def test_moving_the_input_sliders_updates_view_and_bars():
    box = forward_explorer((1.0, 0.5), "relu")
    box.x1.value = -2.0
    box.x2.value = 1.5
    expected = forward_view((-2.0, 1.5), "relu")
    np.testing.assert_allclose(box.view["x"], [-2.0, 1.5])
    np.testing.assert_allclose(box.view["probabilities"], expected["probabilities"])
    np.testing.assert_allclose([bar.get_height() for bar in box.artists["a1_bars"]],
                               expected["a1"])
    np.testing.assert_allclose([bar.get_height() for bar in box.artists["probability_bars"]],
                               expected["probabilities"])


def test_switching_the_activation_redraws_the_hidden_layer():
    box = forward_explorer((1.0, 0.5), "relu")
    assert np.all(box.view["a1"] >= 0)
    box.activation.value = "tanh"
    np.testing.assert_allclose(box.view["a1"], np.tanh(box.view["z1"]))
    np.testing.assert_allclose([bar.get_height() for bar in box.artists["a1_bars"]],
                               np.tanh(box.view["z1"]))
    assert "tanh" in box.axes[1].get_title()


def test_the_weight_slider_moves_the_first_unit_line():
    box = forward_explorer((1.0, 0.5), "relu", w11=1.0)
    before = box.view["z1"].copy()
    box.w11.value = 2.5
    assert box.view["z1"][0] == pytest.approx(before[0] + 1.5 * 1.0)
    np.testing.assert_allclose(box.view["z1"][1:], before[1:])


@pytest.fixture
def chinese_font(monkeypatch):
    monkeypatch.setattr(plotting, "can_draw_chinese", lambda: True)


@pytest.mark.parametrize("lang, words", [("zh", ["输入", "权重", "激活函数", "隐藏层", "输出概率"]),
                                         ("en", ["input", "weight", "activation", "hidden layer",
                                                 "output"])])
def test_labels_follow_the_language(chinese_font, lang, words):
    with language(lang):
        box = forward_explorer()
        shown = " ".join([box.x1.description, box.w11.description, box.activation.description,
                          *(ax.get_title() for ax in box.axes)])
    for word in words:
        assert word in shown
    assert ("input" in shown) == (lang == "en")
