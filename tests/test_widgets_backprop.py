"""The backpropagation stepper: its steps agree with autograd, its controls move through them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from mlp_course.course import figures, plotting
from mlp_course.course.exercises.lesson06 import mlp_backward_torch
from mlp_course.i18n import CourseTypeError, CourseValueError, language
from mlp_course.course.widgets.backprop import (DEFAULT_X, DEFAULT_Y, backprop_stepper, backprop_steps,
                                         backprop_view, draw_backprop)
from mlp_course.course.widgets.forward import DEFAULT_PARAMETERS

NAMES = ["forward", "delta2", "grads2", "dA1", "delta1", "grads1"]
# step -> {symbol in the step: key of mlp_backward_torch}
AUTOGRAD = {
    "forward": {"Z¹": "Z1", "A¹": "A1", "Z²": "Z2", "Ŷ": "Y_hat"},
    "delta2": {"Δ²": "dZ2", "Ŷ": "Y_hat"},
    "grads2": {"dW²": "dW2", "db²": "db2"},
    "dA1": {"dA¹": "dA1"},
    "delta1": {"dA¹": "dA1", "Δ¹": "dZ1"},
    "grads1": {"dW¹": "dW1", "db¹": "db1"},
}


def _params():
    return [DEFAULT_PARAMETERS[name] for name in ("W1", "b1", "W2", "b2")]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_every_step_equals_the_autograd_intermediate(activation):
    steps = backprop_steps(activation=activation)
    assert [step["name"] for step in steps] == NAMES
    truth = mlp_backward_torch(DEFAULT_X, DEFAULT_Y, *_params(), activation)
    for step in steps:
        arrays = dict(step["arrays"])
        for symbol, key in AUTOGRAD[step["name"]].items():
            np.testing.assert_allclose(arrays[symbol], truth[key], rtol=1e-12, atol=1e-14)
    assert steps[0]["loss"] == pytest.approx(float(truth["loss"]), rel=1e-12)


def test_other_data_and_parameters_are_used():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((4, 2)), np.array([0, 2, 1, 2])
    params = {"W1": rng.standard_normal((5, 2)), "b1": rng.standard_normal(5),
              "W2": rng.standard_normal((3, 5)), "b2": rng.standard_normal(3)}
    steps = backprop_steps(X, y, "sigmoid", params)
    truth = mlp_backward_torch(X, y, *params.values(), "sigmoid")
    np.testing.assert_allclose(dict(steps[5]["arrays"])["dW¹"], truth["dW1"], atol=1e-12)
    assert dict(steps[5]["arrays"])["dW¹"].shape == (5, 2)


def test_shapes_of_the_batched_form():
    view = {name: backprop_view(index) for index, name in enumerate(NAMES)}
    N, D = DEFAULT_X.shape
    H, C = DEFAULT_PARAMETERS["W1"].shape[0], DEFAULT_PARAMETERS["W2"].shape[0]
    assert dict(view["delta2"]["shapes"])["Δ²"] == (N, C)
    assert dict(view["grads2"]["shapes"]) == {"dW²": (C, H), "db²": (C,)}
    assert dict(view["dA1"]["shapes"])["dA¹"] == (N, H)
    assert dict(view["delta1"]["shapes"])["Δ¹"] == (N, H)
    assert dict(view["grads1"]["shapes"]) == {"dW¹": (H, D), "db¹": (H,)}


def test_view_carries_number_count_and_graph_position():
    for index, name in enumerate(NAMES):
        view = backprop_view(index)
        assert view["step"] == index and view["count"] == 6 and view["name"] == name
        assert view["graph_steps"] == index
        assert set(view["highlight"]) <= set(figures.GRAPH_NODES)


@pytest.mark.parametrize("bad", [-1, 6, 2.5, True, "1"])
def test_bad_step_is_a_clear_error(bad):
    # the course's one rule for integers: a wrong type is a TypeError, out of range a ValueError
    error = CourseValueError if bad in (-1, 6) else CourseTypeError
    with language("en"), pytest.raises(error, match="step must be an integer"):
        backprop_view(bad)


def test_bad_arguments_are_clear_errors():
    with language("en"):
        with pytest.raises(CourseValueError, match="activation"):
            backprop_steps(activation="gelu")
        with pytest.raises(CourseValueError, match="2 features"):
            backprop_steps(X=np.ones((2, 3)))
        with pytest.raises(ValueError, match="y"):
            backprop_steps(y=[0, 7])
        with pytest.raises(CourseValueError, match="W9"):
            backprop_steps(parameters={"W9": np.ones(2)})


def test_drawing_shows_each_array_with_its_shape_and_highlights_the_node():
    axes = Figure().subplots(2, 1)
    view = backprop_view(4)  # delta1
    drawn = draw_backprop(axes, view)
    texts = [text.get_text() for text in drawn["arrays"]]
    assert len(texts) == len(view["arrays"])
    for text, (symbol, array) in zip(texts, view["arrays"]):
        assert text.startswith(symbol) and f"shape {array.shape}" in text
        assert f"{array.flat[0]:.3f}" in text
    assert drawn["graph"]["nodes"]["z1"].get_facecolor() == to_rgba(figures.HIGHLIGHT_COLOR)
    assert list(drawn["graph"]["backward"]) == ["delta2", "grads2", "dA1", "delta1"]


def test_next_and_back_buttons_move_one_step_and_stop_at_the_ends():
    box = backprop_stepper()
    assert box.view["name"] == "forward"
    box.previous.click()
    assert box.step.value == 0
    for expected in NAMES[1:]:
        box.next.click()
        assert box.view["name"] == expected
    box.next.click()
    assert box.step.value == 5 and box.view["name"] == "grads1"
    box.previous.click()
    assert box.view["name"] == "delta1"
    assert len(box.artists["graph"]["backward"]) == 4


def test_moving_the_slider_updates_arrays_and_caption():
    box = backprop_stepper()
    box.step.value = 2
    truth = mlp_backward_torch(DEFAULT_X, DEFAULT_Y, *_params(), "relu")
    np.testing.assert_allclose(dict(box.view["arrays"])["dW²"], truth["dW2"], atol=1e-12)
    assert "dW²" in box.artists["arrays"][0].get_text()
    assert str(box.view["title"]) in box.caption.value


def test_switching_the_activation_recomputes_the_gradients():
    box = backprop_stepper(step=4)
    box.activation.value = "sigmoid"
    truth = mlp_backward_torch(DEFAULT_X, DEFAULT_Y, *_params(), "sigmoid")
    np.testing.assert_allclose(dict(box.view["arrays"])["Δ¹"], truth["dZ1"], atol=1e-12)
    assert box.step.value == 4


@pytest.fixture
def chinese_font(monkeypatch):
    monkeypatch.setattr(plotting, "can_draw_chinese", lambda: True)


@pytest.mark.parametrize("lang, words", [("zh", ["步骤", "上一步", "下一步", "激活函数", "第 1 步"]),
                                         ("en", ["step", "back", "next", "activation",
                                                 "Step 1"])])
def test_labels_follow_the_language(chinese_font, lang, words):
    with language(lang):
        box = backprop_stepper()
        box.next.click()
        shown = " ".join([box.step.description, box.previous.description,
                          box.next.description, box.activation.description, box.caption.value,
                          box.axes[0].get_title()])
    for word in words:
        assert word in shown
    assert ("next" in shown) == (lang == "en")
