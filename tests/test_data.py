"""Tests for mlp_course.nn.data: generated sets, the shipped digits and the split."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course import language
from mlp_course.nn.data import (DIGITS_FILE, load_digits, make_blobs, make_spiral,
                             train_test_split)
from mlp_course.i18n import CourseTypeError, CourseValueError

GENERATORS = [make_spiral, make_blobs]


# -------------------------------------------------------------- generated sets

@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n_per_class,num_classes", [(1, 2), (7, 3), (100, 3), (20, 10)])
def test_generated_shapes_dtypes_and_balance(make, n_per_class, num_classes):
    X, y = make(n_per_class, num_classes)
    assert X.shape == (n_per_class * num_classes, 2)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.isfinite(X).all()
    assert np.bincount(y, minlength=num_classes).tolist() == [n_per_class] * num_classes


@pytest.mark.parametrize("make", GENERATORS)
def test_generated_same_seed_same_data_other_seed_other_data(make):
    X1, y1 = make(seed=3)
    X2, y2 = make(seed=3)
    X3, _ = make(seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_spiral_radius_runs_from_zero_to_one():
    # the angle noise moves a point along its circle, never off it
    X, y = make_spiral(n_per_class=50, num_classes=3, noise=0.5)
    radius = np.hypot(X[:, 0], X[:, 1])
    for c in range(3):
        np.testing.assert_allclose(radius[y == c], np.linspace(0, 1, 50), atol=1e-12)


def test_spiral_without_noise_follows_the_formula():
    X, _ = make_spiral(n_per_class=5, num_classes=2, noise=0.0)
    r = np.linspace(0, 1, 5)
    t = np.linspace(4, 8, 5)    # second arm
    np.testing.assert_allclose(X[5:], np.c_[r * np.sin(t), r * np.cos(t)], atol=1e-15)


def test_spiral_is_not_linearly_separable_but_blobs_are():
    """The point of the spiral: a least-squares linear classifier does badly on it."""
    def linear_fit_accuracy(X, y):
        features = np.c_[X, np.ones(len(X))]
        targets = np.eye(y.max() + 1)[y]
        weights, *_ = np.linalg.lstsq(features, targets, rcond=None)
        return np.mean(np.argmax(features @ weights, axis=1) == y)

    assert linear_fit_accuracy(*make_spiral()) < 0.7
    assert linear_fit_accuracy(*make_blobs(spread=0.3)) > 0.95


def test_blobs_centres_on_circle_of_radius_two():
    X, y = make_blobs(n_per_class=2000, num_classes=4, spread=0.1)
    for c in range(4):
        centre = X[y == c].mean(axis=0)
        angle = 2 * np.pi * c / 4
        np.testing.assert_allclose(centre, [2 * np.cos(angle), 2 * np.sin(angle)], atol=0.02)
        np.testing.assert_allclose(X[y == c].std(axis=0), [0.1, 0.1], rtol=0.1)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("kwargs,argument,error", [
    (dict(n_per_class=0), "n_per_class", CourseValueError),
    (dict(n_per_class=2.5), "n_per_class", CourseTypeError),
    (dict(n_per_class=True), "n_per_class", CourseTypeError),
    (dict(num_classes=1), "num_classes", CourseValueError),
    (dict(num_classes="3"), "num_classes", CourseTypeError),
    (dict(seed=-1), "seed", CourseValueError),
    (dict(seed=1.5), "seed", CourseTypeError),
])
def test_generated_bad_arguments(make, kwargs, argument, error):
    for lang in ("zh", "en"):
        with language(lang):
            with pytest.raises(error) as info:
                make(**kwargs)
            assert argument in str(info.value)
    assert "参数" in info.value.message.render("zh")
    assert "must" in info.value.message.render("en")


@pytest.mark.parametrize("make,name", [(make_spiral, "noise"), (make_blobs, "spread")])
@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_generated_bad_noise(make, name, value):
    with pytest.raises(CourseValueError, match=name):
        make(**{name: value})


# -------------------------------------------------------------- digits

def test_digits_shapes_dtypes_ranges():
    X, y = load_digits("all")
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    X_raw, _ = load_digits("all", normalise=False)
    np.testing.assert_array_equal(X_raw, np.round(X_raw))
    assert X_raw.max() == 16.0
    np.testing.assert_array_equal(X_raw / 16.0, X)


def test_digits_content_is_the_shipped_file():
    """Guard against an accidental change of digits.npz: images and labels are fixed."""
    X, y = load_digits("all", normalise=False)
    digest = hashlib.sha256(X.astype(np.uint8).tobytes() + y.astype(np.uint8).tobytes())
    assert digest.hexdigest() == (
        "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_digits_dtype(dtype):
    X, _ = load_digits("test", dtype=dtype)
    assert X.dtype == dtype and X.max() == 1.0


def test_digits_split_is_fixed_disjoint_and_stratified():
    X_all, y_all = load_digits("all")
    X_train, y_train = load_digits("train")
    X_test, y_test = load_digits("test")
    assert len(y_train) == 1438 and len(y_test) == 359
    with np.load(DIGITS_FILE) as archive:
        train_index, test_index = archive["train_index"], archive["test_index"]
    assert np.intersect1d(train_index, test_index).size == 0
    np.testing.assert_array_equal(np.union1d(train_index, test_index), np.arange(1797))
    np.testing.assert_array_equal(X_train, X_all[train_index])
    np.testing.assert_array_equal(y_test, y_all[test_index])
    # stratified: every digit has about 20 % of its images in the test split
    share = np.bincount(y_test, minlength=10) / np.bincount(y_all, minlength=10)
    assert np.all(np.abs(share - 0.2) < 0.01)
    # the stored split is the one the course's own splitter makes with seed 0
    _, _, y_train_again, y_test_again = train_test_split(X_all, y_all, 0.2, seed=0)
    np.testing.assert_array_equal(y_test_again, y_test)
    np.testing.assert_array_equal(y_train_again, y_train)


def test_digits_returns_copies():
    X, y = load_digits("test")
    X[:] = -1.0
    y[:] = -1
    X_again, y_again = load_digits("test")
    assert X_again.min() == 0.0 and y_again.min() == 0


@pytest.mark.parametrize("kwargs,argument,error", [
    (dict(split="validation"), "split", CourseValueError),
    (dict(split=None), "split", CourseValueError),
    (dict(normalise="yes"), "normalise", CourseTypeError),
    (dict(dtype=np.int32), "dtype", CourseTypeError),
    (dict(dtype="not a dtype"), "dtype", CourseTypeError),
])
def test_digits_bad_arguments(kwargs, argument, error):
    for lang in ("zh", "en"):
        with language(lang):
            with pytest.raises(error) as info:
                load_digits(**kwargs)
            assert argument in str(info.value)
        assert info.value.message.render("zh") != info.value.message.render("en")


def test_data_module_imports_only_numpy():
    code = ("import sys, mlp_course.nn.data as d; d.load_digits(); d.make_spiral();"
            "bad = {'sklearn', 'torch', 'matplotlib', 'scipy'} & set(sys.modules);"
            "print(sorted(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# -------------------------------------------------------------- train_test_split

@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=1, max_size=6),
       test_fraction=st.floats(0.05, 0.95),
       seed=st.integers(0, 2**32 - 1),
       stratify=st.booleans())
def test_split_partitions_rows(counts, test_fraction, seed, stratify):
    y = np.repeat(np.arange(len(counts)), counts)
    if y.size < 2:
        return
    X = np.arange(y.size * 2).reshape(-1, 2)    # row i holds 2i, 2i+1: identifies the row
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction, seed, stratify)
    rows_train, rows_test = X_train[:, 0] // 2, X_test[:, 0] // 2
    assert np.intersect1d(rows_train, rows_test).size == 0
    np.testing.assert_array_equal(np.sort(np.r_[rows_train, rows_test]), np.arange(y.size))
    np.testing.assert_array_equal(y_train, y[rows_train])
    np.testing.assert_array_equal(y_test, y[rows_test])
    assert len(y_train) >= 1 and len(y_test) >= 1
    # original order is kept inside each part
    assert np.all(np.diff(rows_train) > 0) and np.all(np.diff(rows_test) > 0)
    if stratify:
        for c, n_c in enumerate(counts):
            n_test = np.sum(y_test == c)
            if n_c >= 2:
                assert 1 <= n_test <= n_c - 1
                assert abs(n_test - test_fraction * n_c) <= max(1, 0.5 + 1e-9)


@pytest.mark.parametrize("test_fraction", [0.05, 0.5, 0.95])
def test_split_of_singleton_classes_has_two_non_empty_sides(test_fraction):
    # every class has one row: per-class rounding alone would put all rows on one side
    X, y = np.arange(4.0)[:, None], np.arange(4)
    X_train, X_test, _, _ = train_test_split(X, y, test_fraction)
    assert len(X_train) >= 1 and len(X_test) >= 1 and len(X_train) + len(X_test) == 4


def test_split_is_stable_for_a_seed():
    X, y = make_spiral(n_per_class=40)
    first = train_test_split(X, y, 0.25, seed=7)
    second = train_test_split(X, y, 0.25, seed=7)
    other = train_test_split(X, y, 0.25, seed=8)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])
    assert np.bincount(first[3]).tolist() == [10, 10, 10]


def test_split_keeps_extra_axes():
    X = np.zeros((10, 8, 8), dtype=np.float32)
    y = np.repeat([0, 1], 5)
    X_train, X_test, _, _ = train_test_split(X, y)
    assert X_train.shape == (8, 8, 8) and X_test.shape == (2, 8, 8)
    assert X_train.dtype == np.float32


@pytest.mark.parametrize("args,kwargs,argument,error", [
    ((np.zeros((4, 2)), np.zeros(3, dtype=int)), {}, "y", CourseValueError),
    ((np.zeros((4, 2)), np.zeros((4, 1), dtype=int)), {}, "y", CourseValueError),
    ((np.float64(1.0), np.zeros(1, dtype=int)), {}, "X", CourseValueError),
    ((np.zeros((1, 2)), np.zeros(1, dtype=int)), {}, "2", CourseValueError),
    ((np.zeros((4, 2)), np.zeros(4, dtype=int)), dict(test_fraction=1.0), "test_fraction",
     CourseValueError),
    ((np.zeros((4, 2)), np.zeros(4, dtype=int)), dict(test_fraction=0), "test_fraction",
     CourseValueError),
    ((np.zeros((4, 2)), np.zeros(4)), {}, "stratify", CourseTypeError),
    ((np.zeros((4, 2)), np.zeros(4, dtype=int)), dict(stratify="yes"), "stratify",
     CourseTypeError),
    ((np.zeros((4, 2)), np.zeros(4, dtype=int)), dict(seed=-3), "seed", CourseValueError),
])
def test_split_bad_arguments(args, kwargs, argument, error):
    for lang in ("zh", "en"):
        with language(lang):
            with pytest.raises(error) as info:
                train_test_split(*args, **kwargs)
            assert argument in str(info.value)
        assert info.value.message.render("zh") != info.value.message.render("en")


def test_split_float_labels_without_stratify():
    X = np.arange(10.0)[:, None]
    y = np.linspace(0, 1, 10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.3, stratify=False)
    assert len(X_test) == 3 and len(X_train) == 7


def test_docstring_examples(run_doctests):
    import mlp_course.nn.data as module
    assert run_doctests(module) >= 4
