"""The weight and dlogits pictures of lesson 07: what they draw, and clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlp_course.course.figures import draw_dlogits, draw_weight_images  # noqa: E402
from mlp_course.i18n import CourseValueError, language  # noqa: E402


def test_weight_images_show_each_row_with_a_symmetric_scale():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 64))
    fig, axes = plt.subplots(1, 4)
    drawn = draw_weight_images(axes, W, units=[4, 0, 2])
    assert drawn["units"] == [4, 0, 2]
    for image, unit, limit in zip(drawn["images"], drawn["units"], drawn["limits"]):
        np.testing.assert_array_equal(image.get_array(), W[unit].reshape(8, 8))
        assert image.get_clim() == (-limit, limit) and limit == np.abs(W[unit]).max()
    assert not axes[3].axison
    plt.close(fig)


@pytest.mark.parametrize("lang, word", [("zh", "单元"), ("en", "unit")])
def test_weight_image_titles_follow_the_language(lang, word):
    fig, axes = plt.subplots(1, 2)
    with language(lang):
        draw_weight_images(axes, np.ones((2, 4)), image_shape=(2, 2))
    assert all(word in ax.get_title() for ax in axes)
    plt.close(fig)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_weight_images_reject_a_wrong_shape_or_unit(lang):
    fig, axes = plt.subplots(1, 2)
    with language(lang):
        with pytest.raises(CourseValueError, match="64"):
            draw_weight_images(axes, np.ones((3, 10)))
        with pytest.raises(CourseValueError, match="units"):
            draw_weight_images(axes, np.ones((3, 64)), units=[7])
    plt.close(fig)


def test_dlogits_map_outlines_the_true_classes():
    Y_hat = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    y = np.array([0, 1])
    G = (Y_hat - np.eye(3)[y]) / 2
    fig, ax = plt.subplots()
    drawn = draw_dlogits(ax, G, y, predictions=Y_hat.argmax(axis=1))
    np.testing.assert_array_equal(drawn["image"].get_array(), G)
    assert drawn["limit"] == pytest.approx(0.35)
    assert [r.get_xy() for r in drawn["outlines"]] == [(-0.5, -0.5), (0.5, 0.5)]
    np.testing.assert_array_equal(drawn["marks"].get_xdata(), [0, 2])
    # the true class is the only negative entry of each row
    assert all(G[n, y[n]] < 0 and (np.delete(G[n], y[n]) >= 0).all() for n in range(2))
    plt.close(fig)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dlogits_rejects_labels_out_of_range(lang):
    fig, ax = plt.subplots()
    with language(lang), pytest.raises(CourseValueError, match="labels"):
        draw_dlogits(ax, np.zeros((2, 3)), [0, 3])
    plt.close(fig)
