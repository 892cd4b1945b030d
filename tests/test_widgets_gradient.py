"""The gradient explorer: its view, its drawing, and its controls."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from mlp_course.course import plotting
from mlp_course.i18n import CourseTypeError, CourseValueError, language
from mlp_course.course.widgets.gradient import draw_gradient, gradient_explorer, gradient_view, summary


def _torch_loss_and_grad(logits, target):
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(z[None], torch.tensor([target]))
    loss.backward()
    return float(loss.detach()), z.grad.numpy()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=8), st.data())
def test_view_matches_autograd_and_is_bounded(logits, data):
    target = data.draw(st.integers(0, len(logits) - 1))
    view = gradient_view(logits, target)
    loss, grad = _torch_loss_and_grad(logits, target)
    np.testing.assert_allclose(view["grad"], grad, rtol=1e-10, atol=1e-12)
    assert view["loss"] == pytest.approx(loss, rel=1e-10, abs=1e-12)
    # the true class is pulled up by 1 − ŷ_c, the others pushed down by ŷ_j
    assert -1.0 <= view["grad"][target] <= 0.0
    assert np.all(np.delete(view["grad"], target) >= 0.0)
    assert np.all(np.abs(view["grad"]) <= 1.0)
    assert abs(view["grad"].sum()) < 1e-12


def test_view_holds_probabilities_and_one_hot():
    view = gradient_view([2.0, 1.0, 0.1], 1)
    np.testing.assert_allclose(view["probs"], torch.softmax(torch.tensor([2.0, 1.0, 0.1],
                                                                         dtype=torch.float64), 0))
    np.testing.assert_array_equal(view["onehot"], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(view["grad"], view["probs"] - view["onehot"])


@pytest.mark.parametrize("call, needles, error", [
    (lambda: gradient_view([1.0, 2.0], 2), ("target", "1", "2"), CourseValueError),
    (lambda: gradient_view([1.0, 2.0], -1), ("target", "-1"), CourseValueError),
    (lambda: gradient_view([1.0, 2.0], 0.5), ("target", "0.5"), CourseTypeError),
    (lambda: gradient_view([[1.0, 2.0]], 0), ("logits",), CourseValueError),
])
def test_bad_input_is_a_clear_bilingual_error(bilingual_error, call, needles, error):
    bilingual_error(error, call, en=needles, zh=needles)


def test_draw_bar_heights_are_probabilities_and_gradient():
    figure = Figure()
    axes = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    view = gradient_view([0.5, -1.0, 3.0, 0.0], 2)
    artists = draw_gradient(axes, view)
    np.testing.assert_allclose([b.get_height() for b in artists["prob_bars"]], view["probs"])
    np.testing.assert_allclose([b.get_height() for b in artists["grad_bars"]], view["grad"])
    # the fixed scale from -1 to 1 holds every possible gradient entry
    low, high = axes[1].get_ylim()
    assert low <= -1.0 and high >= 1.0
    draw_gradient(axes, view)
    assert len(axes[1].patches) == 4


def test_moving_a_slider_updates_the_gradient_bars():
    box = gradient_explorer((2.0, 1.0, 0.1), target=0)
    assert len(box.logit_sliders) == 3
    box.logit_sliders[2].value = 4.0
    _, grad = _torch_loss_and_grad([2.0, 1.0, 4.0], 0)
    np.testing.assert_allclose(box.view["grad"], grad, rtol=1e-12)
    np.testing.assert_allclose([b.get_height() for b in box.artists["grad_bars"]], grad,
                               rtol=1e-12)
    assert box.view["grad"][2] > 0.5  # the wrong class now dominates and is pushed down hard


def test_choosing_another_true_class_moves_the_negative_bar():
    box = gradient_explorer((2.0, 1.0, 0.1), target=0)
    assert np.argmin(box.view["grad"]) == 0
    box.target_buttons.value = 2
    heights = np.array([b.get_height() for b in box.artists["grad_bars"]])
    assert np.argmin(heights) == 2 and heights[2] < 0 and np.all(heights[:2] > 0)
    assert box.view["loss"] == pytest.approx(_torch_loss_and_grad([2.0, 1.0, 0.1], 2)[0])


def test_sliders_reach_logits_outside_the_default_range():
    box = gradient_explorer((12.5, -1.0), target=1)
    assert box.logit_sliders[0].value == 12.5 and box.logit_sliders[0].max >= 12.5


@pytest.fixture
def chinese_font(monkeypatch):
    # the labels under test must not depend on which fonts this machine has
    monkeypatch.setattr(plotting, "can_draw_chinese", lambda: True)


@pytest.mark.parametrize("lang, words, other", [
    ("zh", ["真实类别", "类别", "损失", "梯度", "预测概率"], ["class", "loss", "gradient"]),
    ("en", ["true class", "class", "loss", "gradient", "predicted probability"],
     ["类别", "损失", "梯度"]),
])
def test_labels_follow_the_language(chinese_font, lang, words, other):
    with language(lang):
        box = gradient_explorer()
        ax_probs, ax_grad = box.figure.axes
        legend = [t.get_text() for t in ax_probs.get_legend().get_texts()]
        shown = " ".join([box.target_buttons.description, ax_probs.get_title(),
                          ax_grad.get_title(), ax_probs.get_xlabel(), box.summary.value,
                          *legend])
    for word in words:
        assert word in shown, (word, shown)
    assert not any(word in shown for word in other), shown


def test_summary_names_the_true_class_in_both_languages():
    view = gradient_view([2.0, 1.0, 0.1], 1)
    with language("zh"):
        zh = summary(view)
    with language("en"):
        en = summary(view)
    assert zh != en
    for text in (zh, en):
        assert f"{view['grad'][1]:+.3f}" in text and "1" in text
