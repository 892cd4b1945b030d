"""The training explorer: moving a control retrains and redraws the right numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from mlp_course.i18n import CourseValueError, language
from mlp_course.nn.mlp import MLP
from mlp_course.course.widgets.training import (HIDDEN_WIDTHS, decision_grid, draw_curves,
                                         draw_decision_boundary, draw_training,
                                         training_explorer, training_progress, training_view)


@pytest.fixture(scope="module")
def explorer():
    return training_explorer(hidden=8, lr=0.5, epochs=30)


def test_view_matches_a_model_trained_with_the_same_settings():
    view = training_view(hidden=8, lr=0.5, epochs=30)
    model = MLP([2, 8, 3], seed=0)
    after_each_epoch = []
    model.fit(view["X"], view["y"], epochs=30, batch_size=32, lr=0.5, seed=0,
              callback=lambda epoch, logs: after_each_epoch.append(
                  (model.loss(view["X"], view["y"]), model.accuracy(view["X"], view["y"]))))
    losses, accuracies = map(np.array, zip(*after_each_epoch))
    np.testing.assert_allclose(view["loss"], losses, rtol=1e-12)
    np.testing.assert_allclose(view["accuracy"], accuracies)
    assert view["final_accuracy"] == pytest.approx(model.accuracy(view["X"], view["y"]))
    assert view["final_loss"] == pytest.approx(model.loss(view["X"], view["y"]), rel=1e-12)
    assert view["grid"]["classes"].shape == view["grid"]["xx"].shape == (100, 100)
    np.testing.assert_array_equal(
        view["grid"]["classes"].ravel(),
        model.predict(np.column_stack([view["grid"]["xx"].ravel(), view["grid"]["yy"].ravel()])))
    assert not view["diverged"]


def test_view_is_cached_but_returned_as_a_fresh_dict():
    first = training_view(hidden=4, lr=0.3, epochs=20)
    first["loss"] = None
    second = training_view(hidden=4, lr=0.3, epochs=20)
    assert second["loss"] is not None and len(second["loss"]) == 20


def test_wider_and_longer_training_fits_the_spiral_better():
    small = training_view(hidden=2, lr=0.5, epochs=30)
    large = training_view(hidden=64, lr=0.5, epochs=200)
    assert large["final_accuracy"] > 0.9 > small["final_accuracy"]
    assert large["final_loss"] < small["final_loss"]


def test_blobs_are_easy():
    assert training_view(hidden=4, lr=0.5, epochs=30, data="blobs")["final_accuracy"] > 0.9


def test_a_huge_learning_rate_is_reported_or_fails_to_learn():
    view = training_view(hidden=32, lr=10.0, epochs=30)
    assert view["diverged"] or view["final_accuracy"] < 0.6


@pytest.mark.parametrize("bad", [dict(hidden=0), dict(lr=-1.0), dict(epochs=0),
                                 dict(data="moons")])
def test_bad_settings_raise_a_clear_error(bad):
    with language("en"), pytest.raises(CourseValueError) as error:
        training_view(**bad)
    assert next(iter(bad)) in str(error.value)


def test_hidden_slider_retrains_with_the_new_width(explorer):
    explorer.hidden.value = 32
    assert explorer.view["hidden"] == 32
    assert explorer.view["final_accuracy"] == pytest.approx(
        training_view(hidden=32, lr=explorer.lr.value, epochs=explorer.epochs.value)
        ["final_accuracy"])
    explorer.hidden.value = 8


def test_epochs_slider_changes_the_length_of_the_drawn_curves(explorer):
    explorer.epochs.value = 50
    assert len(explorer.artists["loss_line"].get_ydata()) == 50
    assert len(explorer.artists["accuracy_line"].get_ydata()) == 50
    np.testing.assert_allclose(explorer.artists["loss_line"].get_ydata(), explorer.view["loss"])
    explorer.epochs.value = 30


def test_learning_rate_slider_changes_the_loss_curve(explorer):
    before = np.array(explorer.artists["loss_line"].get_ydata())
    explorer.lr.value = 0.01
    after = np.array(explorer.artists["loss_line"].get_ydata())
    assert explorer.view["lr"] == pytest.approx(0.01)
    # a hundred times smaller steps: the loss falls much less in the same epochs
    assert after[-1] > before[-1]
    explorer.lr.value = 0.5


def test_the_picture_is_redrawn_when_a_control_moves(explorer):
    before = bytes(explorer.image.value)
    assert before.startswith(b"\x89PNG")
    explorer.hidden.value = 2
    assert bytes(explorer.image.value) != before
    explorer.hidden.value = 8
    assert bytes(explorer.image.value) == before


def test_data_choice_switches_the_points(explorer):
    spiral_points = explorer.view["X"].copy()
    explorer.data.value = "blobs"
    assert explorer.view["data"] == "blobs"
    assert not np.allclose(explorer.view["X"], spiral_points)
    explorer.data.value = "spiral"


@pytest.mark.parametrize("lang, words", [("zh", ("隐藏层宽度", "学习率", "轮数")),
                                         ("en", ("hidden width", "learning rate", "epochs"))])
def test_labels_exist_in_both_languages(lang, words):
    with language(lang):
        box = training_explorer(hidden=4, lr=0.5, epochs=20)
        assert words[0] in box.hidden.description
        assert words[1] in box.lr.description
        assert words[2] in box.epochs.description
        summary = box.summary.value
    assert ("准确率" if lang == "zh" else "accuracy") in summary


def test_draw_training_titles_follow_the_language():
    view = training_view(hidden=4, lr=0.5, epochs=20)
    figure = Figure()
    axes = figure.subplots(1, 3)
    with language("en"):
        draw_training(axes, view)
        assert "accuracy" in axes[2].get_title() and "epoch" in axes[1].get_xlabel()


def test_decision_grid_and_boundary_drawing():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    grid = decision_grid(lambda points: (points[:, 0] > 0).astype(int), X, steps=20)
    assert grid["classes"].shape == (20, 20)
    assert set(np.unique(grid["classes"])) == {0, 1}
    assert np.all(grid["classes"][:, grid["xx"][0] > 0] == 1)
    figure = Figure()
    regions = draw_decision_boundary(figure.add_subplot(), grid, X, np.array([0, 1, 1]))
    assert len(regions.levels) >= 2
    with pytest.raises(CourseValueError):
        decision_grid(lambda p: p, np.zeros((3, 3)))


def test_draw_curves_one_line_per_run():
    figure = Figure()
    ax_loss, ax_acc = figure.subplots(1, 2)
    lines = draw_curves(ax_loss, ax_acc, {"a": {"loss": [3, 2, 1], "accuracy": [0.1, 0.5, 0.9]},
                                          "b": {"loss": [2, 1]}})
    assert len(lines) == 2 and len(ax_acc.lines) == 1
    np.testing.assert_array_equal(lines[0].get_ydata(), [3, 2, 1])


@pytest.mark.parametrize("lang, word", [("zh", "损失"), ("en", "loss")])
def test_progress_bar_counts_epochs(lang, word):
    with language(lang):
        progress = training_progress(5)
        progress.update(1, 0.25, 0.5)
        assert progress.bar.value == 2 and word in progress.label.value
        progress.update(4, 0.1)
    assert progress.bar.value == 5 and progress.bar.bar_style == "success"
    with pytest.raises(CourseValueError):
        training_progress(0)


def test_hidden_widths_include_the_default():
    assert 32 in HIDDEN_WIDTHS and list(HIDDEN_WIDTHS) == sorted(HIDDEN_WIDTHS)
