"""The cross-entropy explorer: its view, its drawing, and its sliders."""

from __future__ import annotations

import math

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
from mlp_course.i18n import CourseValueError, language
from mlp_course.course.widgets.cross_entropy import (cross_entropy_explorer, distributions_view,
                                              draw_cross_entropy, summary)


def _torch_numbers(p, q):
    """H(p), H(p, q), KL(p‖q) in nats, computed by PyTorch."""
    p_t, q_t = torch.tensor(p, dtype=torch.float64), torch.tensor(q, dtype=torch.float64)
    h_p = torch.distributions.Categorical(probs=p_t).entropy()
    kl = F.kl_div(q_t.log(), p_t, reduction="sum")
    h_pq = -(torch.special.xlogy(p_t, q_t)).sum()
    return float(h_p), float(h_pq), float(kl)


weights = st.lists(st.floats(0.0, 1.0), min_size=2, max_size=6)


@settings(max_examples=40, deadline=None)
@given(weights, st.data())
def test_view_numbers_match_torch_and_add_up(p_weights, data):
    q_weights = data.draw(st.lists(st.floats(0.01, 1.0), min_size=len(p_weights),
                                   max_size=len(p_weights)))
    view = distributions_view(p_weights, q_weights)
    p, q = view["p"], view["q"]
    np.testing.assert_allclose(p.sum(), 1.0)
    np.testing.assert_allclose(q.sum(), 1.0)
    np.testing.assert_allclose(p * sum(p_weights), p_weights, atol=1e-12)
    h_p, h_pq, kl = _torch_numbers(p, q)
    assert view["entropy"] == pytest.approx(h_p, abs=1e-10)
    assert view["cross_entropy"] == pytest.approx(h_pq, abs=1e-10)
    assert view["kl"] == pytest.approx(kl, abs=1e-10)
    # the identity the right-hand panel draws, and Gibbs' inequality
    assert view["cross_entropy"] == pytest.approx(view["entropy"] + view["kl"], abs=1e-10)
    assert view["kl"] >= 0.0
    np.testing.assert_allclose(view["contributions"].sum(), view["cross_entropy"])


def test_weights_are_renormalised_and_all_zero_means_uniform():
    view = distributions_view([2.0, 2.0, 4.0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(view["p"], [0.25, 0.25, 0.5])
    np.testing.assert_allclose(view["q"], [1 / 3] * 3)


def test_bits_are_nats_divided_by_ln_2():
    nats = distributions_view([0.5, 0.25, 0.25], [0.25, 0.5, 0.25], unit="nats")
    bits = distributions_view([0.5, 0.25, 0.25], [0.25, 0.5, 0.25], unit="bits")
    for key in ("entropy", "cross_entropy", "kl"):
        assert bits[key] == pytest.approx(nats[key] / math.log(2), rel=1e-12)
    assert bits["entropy"] == pytest.approx(1.5)  # 1/2·1 + 2·(1/4·2) bits


def test_q_zero_where_p_is_positive_makes_kl_infinite_but_not_nan():
    view = distributions_view([0.5, 0.5, 0.0], [1.0, 0.0, 0.0])
    assert math.isinf(view["kl"]) and math.isinf(view["cross_entropy"])
    assert math.isfinite(view["entropy"])
    # where p = 0, a zero q costs nothing (0·log 0 = 0)
    view = distributions_view([0.5, 0.5, 0.0], [0.5, 0.5, 0.0])
    assert view["kl"] == 0.0 and view["cross_entropy"] == pytest.approx(math.log(2))


def test_equal_distributions_have_zero_kl():
    view = distributions_view([0.2, 0.3, 0.5], [2.0, 3.0, 5.0])
    assert view["kl"] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("call, needles", [
    (lambda: distributions_view([0.5, -0.1], [0.5, 0.5]), ("p", "-0.1")),
    (lambda: distributions_view([0.5, 0.5], [0.5, np.nan]), ("q", "nan")),
    (lambda: distributions_view([0.5, 0.5], [0.3, 0.3, 0.4]), ("(2,)", "(3,)")),
    (lambda: distributions_view([0.5, 0.5], [0.5, 0.5], unit="bytes"), ("unit", "bytes")),
])
def test_bad_input_is_a_clear_bilingual_error(bilingual_error, call, needles):
    bilingual_error(CourseValueError, call, en=needles, zh=needles)


def _axes():
    figure = Figure()
    return figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)


def test_draw_bar_heights_are_the_distributions_and_the_budget():
    axes = _axes()
    view = distributions_view([0.6, 0.3, 0.1], [0.2, 0.5, 0.3])
    artists = draw_cross_entropy(axes, view)
    np.testing.assert_allclose([b.get_height() for b in artists["p_bars"]], view["p"])
    np.testing.assert_allclose([b.get_height() for b in artists["q_bars"]], view["q"])
    assert artists["entropy_bar"].get_width() == pytest.approx(view["entropy"])
    assert artists["kl_bar"].get_x() == pytest.approx(view["entropy"])
    assert artists["kl_bar"].get_width() == pytest.approx(view["kl"])
    # redrawing replaces the bars instead of stacking them
    draw_cross_entropy(axes, view)
    assert len(axes[0].patches) == 6 and len(axes[1].patches) == 2


def test_an_infinite_kl_is_drawn_to_the_edge_and_labelled():
    axes = _axes()
    view = distributions_view([0.5, 0.5], [1.0, 0.0])
    artists = draw_cross_entropy(axes, view)
    right = axes[1].get_xlim()[1]
    bar = artists["kl_bar"]
    assert bar.get_x() + bar.get_width() == pytest.approx(right)
    assert "∞" in axes[1].get_title()


def test_moving_a_slider_updates_view_bars_and_numbers():
    box = cross_entropy_explorer(p=(0.6, 0.3, 0.1), q=(0.2, 0.5, 0.3))
    before = box.view["kl"]
    box.q_sliders[0].value = 0.6  # q moves towards p: KL must shrink
    box.q_sliders[1].value = 0.3
    box.q_sliders[2].value = 0.1
    assert box.view["kl"] < before and box.view["kl"] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose([b.get_height() for b in box.artists["q_bars"]], [0.6, 0.3, 0.1])
    box.p_sliders[2].value = 0.6  # weights (0.6, 0.3, 0.6) renormalise to (0.4, 0.2, 0.4)
    np.testing.assert_allclose([b.get_height() for b in box.artists["p_bars"]], [0.4, 0.2, 0.4])
    h_p, h_pq, kl = _torch_numbers(box.view["p"], box.view["q"])
    assert box.view["cross_entropy"] == pytest.approx(h_pq, abs=1e-12)
    assert f"{kl:.3f}" in box.summary.value and f"{h_p:.3f}" in box.summary.value


def test_unit_buttons_switch_to_bits_and_back():
    box = cross_entropy_explorer(p=(0.5, 0.5), q=(0.5, 0.5))
    assert box.view["entropy"] == pytest.approx(math.log(2))
    image_in_nats = box.image.value
    box.unit_buttons.value = "bits"
    assert box.view["unit"] == "bits" and box.view["entropy"] == pytest.approx(1.0)
    assert box.image.value != image_in_nats  # the picture was redrawn
    box.unit_buttons.value = "nats"
    assert box.view["entropy"] == pytest.approx(math.log(2))


def test_starting_weights_above_one_are_kept_as_ratios():
    box = cross_entropy_explorer(p=(3.0, 1.0), q=(1.0, 1.0))
    np.testing.assert_allclose(box.view["p"], [0.75, 0.25])
    assert [s.value for s in box.p_sliders] == [0.75, 0.25]


@pytest.fixture
def chinese_font(monkeypatch):
    # the labels under test must not depend on which fonts this machine has
    monkeypatch.setattr(plotting, "can_draw_chinese", lambda: True)


@pytest.mark.parametrize("lang, words, other", [
    ("zh", ["类别", "概率", "熵", "奈特", "单位"], ["class", "probability", "entropy", "unit"]),
    ("en", ["class", "probability", "entropy", "nats", "unit"], ["类别", "概率", "熵", "单位"]),
])
def test_labels_follow_the_language(chinese_font, lang, words, other):
    with language(lang):
        box = cross_entropy_explorer()
        ax_bars, ax_sum = box.figure.axes
        legends = [t.get_text() for ax in (ax_bars, ax_sum) for t in ax.get_legend().get_texts()]
        shown = " ".join([box.unit_buttons.description, *box.unit_buttons._options_labels,
                          ax_bars.get_xlabel(), ax_bars.get_ylabel(), ax_sum.get_xlabel(),
                          box.summary.value, box.children[0].value, *legends])
    for word in words:
        assert word in shown, (word, shown)
    assert not any(word in shown for word in other), shown


def test_summary_speaks_both_languages():
    view = distributions_view([0.5, 0.5], [0.9, 0.1])
    with language("zh"):
        zh = summary(view)
    with language("en"):
        en = summary(view)
    assert zh != en and "单位" in zh and "in nats" in en
    assert f"{view['kl']:.3f}" in zh and f"{view['kl']:.3f}" in en
