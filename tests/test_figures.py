"""Drawn diagrams: network, computation graph, activations and their derivatives."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from mlp_course.course import figures, plotting
from mlp_course.i18n import CourseValueError, language


@pytest.fixture
def ax():
    return Figure().add_subplot()


@pytest.fixture
def chinese_font(monkeypatch):
    # the labels under test must not depend on which fonts this machine has
    monkeypatch.setattr(plotting, "can_draw_chinese", lambda: True)


def test_graph_has_the_lesson_nodes_and_forward_edges(ax):
    drawn = figures.draw_computation_graph(ax)
    assert set(drawn["nodes"]) == {"x", "z1", "a1", "z2", "y_hat", "L", "W1", "b1", "W2",
                                   "b2", "y"}
    assert len(drawn["forward"]) == 10
    # the main chain runs left to right
    chain = ["x", "z1", "a1", "z2", "y_hat", "L"]
    xs = [drawn["nodes"][name].center[0] for name in chain]
    assert xs == sorted(xs)


@pytest.mark.parametrize("steps", range(6))
def test_backward_arrows_appear_step_by_step(ax, steps):
    drawn = figures.draw_computation_graph(ax, backward_steps=steps)
    expected = [name for name, *_ in figures.BACKWARD_STEPS[:steps]]
    assert list(drawn["backward"]) == expected
    arrows = sum(len(a) for a in drawn["backward"].values())
    assert arrows == sum(len(edges) for _, edges, *_ in figures.BACKWARD_STEPS[:steps])
    assert len(drawn["labels"]) == steps + 2  # one formula per step, plus the two legends


def test_backward_edges_point_from_the_loss_towards_the_input(ax):
    drawn = figures.draw_computation_graph(ax)
    for name, edges, *_ in figures.BACKWARD_STEPS:
        for start, end in edges:
            assert start in figures.GRAPH_NODES and end in figures.GRAPH_NODES
    order = ["x", "z1", "a1", "z2", "y_hat", "L"]
    chain = [edges[0] for _, edges, *_ in figures.BACKWARD_STEPS if edges[0][1] in order]
    assert all(order.index(start) > order.index(end) for start, end in chain)
    assert drawn["backward"]["delta2"][0].get_linestyle() == "--"


def test_highlighted_node_is_filled(ax):
    drawn = figures.draw_computation_graph(ax, highlight=["z2"])
    assert drawn["nodes"]["z2"].get_facecolor() == to_rgba(figures.HIGHLIGHT_COLOR)
    assert drawn["nodes"]["z1"].get_facecolor() != to_rgba(figures.HIGHLIGHT_COLOR)


def test_redrawing_does_not_stack(ax):
    figures.draw_computation_graph(ax, backward_steps=5)
    count = len(ax.patches)
    figures.draw_computation_graph(ax, backward_steps=5)
    assert len(ax.patches) == count


def test_unknown_node_and_bad_step_are_clear_errors(ax):
    with language("en"):
        with pytest.raises(CourseValueError, match="unknown nodes z3"):
            figures.draw_computation_graph(ax, highlight=["z3"])
        with pytest.raises(CourseValueError, match="backward_steps"):
            figures.draw_computation_graph(ax, backward_steps=9)


@pytest.mark.parametrize("lang, word", [("zh", "反向传播"), ("en", "backward")])
def test_graph_legend_follows_the_language(ax, chinese_font, lang, word):
    with language(lang):
        drawn = figures.draw_computation_graph(ax)
    shown = " ".join(text.get_text() for text in drawn["labels"])
    assert word in shown
    assert ("backward" in shown) == (lang == "en")


@pytest.mark.parametrize("sizes", [(2, 3, 3), (4, 5, 2), (1, 1, 1), (12, 7, 10)])
def test_network_draws_one_line_per_weight(ax, sizes):
    D, H, C = sizes
    drawn = figures.draw_network(ax, sizes)
    assert [len(layer) for layer in drawn["neurons"]] == [D, H, C]
    assert [len(lines) for lines in drawn["edges"]] == [H * D, C * H]
    shown = " ".join(text.get_text() for text in drawn["texts"])
    assert f"({H}, {D})" in shown and f"({C}, {H})" in shown


@pytest.mark.parametrize("lang, words", [("zh", ["输入", "隐藏层", "输出"]),
                                         ("en", ["input", "hidden", "output"])])
def test_network_captions_follow_the_language(ax, chinese_font, lang, words):
    with language(lang):
        drawn = figures.draw_network(ax, (2, 3, 3), activation="tanh")
    shown = " ".join(text.get_text() for text in drawn["texts"])
    assert all(word in shown for word in words) and "tanh" in shown


@pytest.mark.parametrize("sizes", [(2, 3), (0, 3, 3), (2, 13, 3)])
def test_network_rejects_bad_sizes(ax, sizes):
    with language("en"), pytest.raises(CourseValueError, match="sizes"):
        figures.draw_network(ax, sizes)


def test_activation_curves_and_derivatives_match_autograd():
    axes = Figure().subplots(1, 2)
    drawn = figures.plot_activations(axes)
    for name, op in (("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)):
        z, value = drawn["functions"][name].get_data()
        _, slope = drawn["derivatives"][name].get_data()
        t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        out = op(t)
        out.sum().backward()
        np.testing.assert_allclose(value, out.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(slope, t.grad.numpy(), atol=1e-12)
    # the two identities the lesson derives
    z, s = drawn["functions"]["sigmoid"].get_data()
    np.testing.assert_allclose(drawn["derivatives"]["sigmoid"].get_ydata(), s * (1 - s),
                               atol=1e-12)
    _, t = drawn["functions"]["tanh"].get_data()
    np.testing.assert_allclose(drawn["derivatives"]["tanh"].get_ydata(), 1 - t ** 2, atol=1e-12)


@pytest.mark.parametrize("lang, word", [("zh", "导数"), ("en", "derivative")])
def test_activation_titles_follow_the_language(chinese_font, lang, word):
    axes = Figure().subplots(1, 2)
    with language(lang):
        figures.plot_activations(axes)
    assert word in axes[1].get_title()


def test_activation_plot_needs_two_axes():
    with language("en"), pytest.raises(CourseValueError, match="two Axes"):
        figures.plot_activations([Figure().add_subplot()])
