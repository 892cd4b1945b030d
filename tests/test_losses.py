"""nll_loss, cross_entropy and cross_entropy_grad against torch.nn.functional and autograd."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course import CourseTypeError, CourseValueError
from mlp_course.nn.losses import _cross_entropy_index, cross_entropy, cross_entropy_grad, nll_loss
from mlp_course.nn.probability import log_softmax, one_hot, softmax

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]
N, C = 6, 4


def make_case(rng, dtype, target_kind, ignore_index, n=N, c=C, scale=2.0):
    logits = (rng.standard_normal((n, c)) * scale).astype(dtype)
    if target_kind == "index":
        target = rng.integers(0, c, size=n)
        if ignore_index != -100:
            # make sure the ignored label really occurs
            target[1] = ignore_index
            target[4] = ignore_index
    else:
        target = softmax(rng.standard_normal((n, c)) * 2).astype(dtype)
    return logits, target


def torch_loss_and_grad(torch, logits, target, **options):
    z = torch.from_numpy(logits).requires_grad_()
    t = torch.from_numpy(target)
    if "weight" in options and options["weight"] is not None:
        options["weight"] = torch.from_numpy(options["weight"])
    loss = torch.nn.functional.cross_entropy(z, t, **options)
    loss.backward(torch.ones_like(loss))
    return loss.detach(), z.grad


# ---------------------------------------------------------------- every option combination

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target_kind", ["index", "probability"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 1, -1])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_every_option_matches_torch(rng, torch, assert_close, weighted,
                                                  ignore_index, reduction, label_smoothing,
                                                  target_kind, dtype):
    logits, target = make_case(rng, dtype, target_kind, ignore_index)
    weight = rng.uniform(0.2, 2.0, size=C).astype(dtype) if weighted else None
    options = dict(weight=weight, ignore_index=ignore_index, reduction=reduction,
                   label_smoothing=label_smoothing)
    if target_kind == "probability" and ignore_index >= 0:
        # torch refuses a class as ignore_index with probability targets, and so do we
        with pytest.raises(RuntimeError, match="ignore_index"):
            torch_loss_and_grad(torch, logits, target, **options)
        for function in (cross_entropy, cross_entropy_grad):
            with pytest.raises(CourseValueError, match="ignore_index"):
                function(logits, target, **options)
        return
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target, **options)
    loss = cross_entropy(logits, target, **options)
    grad = cross_entropy_grad(logits, target, **options)
    assert np.asarray(loss).dtype == dtype and grad.dtype == dtype
    assert np.shape(loss) == tuple(expected_loss.shape)
    assert_close(loss, expected_loss)
    assert_close(grad, expected_grad)
    if target_kind == "index":
        ignored = target == ignore_index
        assert np.all(grad[ignored] == 0)
        if reduction == "none":
            assert np.all(loss[ignored] == 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch(rng, torch, assert_close, weighted, ignore_index, reduction,
                                dtype):
    logits, target = make_case(rng, dtype, "index", ignore_index)
    log_probs = log_softmax(logits)
    weight = rng.uniform(0.2, 2.0, size=C).astype(dtype) if weighted else None
    expected = torch.nn.functional.nll_loss(
        torch.from_numpy(log_probs), torch.from_numpy(target),
        weight=None if weight is None else torch.from_numpy(weight),
        ignore_index=ignore_index, reduction=reduction)
    loss = nll_loss(log_probs, target, weight=weight, ignore_index=ignore_index,
                    reduction=reduction)
    assert np.asarray(loss).dtype == dtype
    assert_close(loss, expected)


def test_cross_entropy_is_nll_of_log_softmax(rng):
    logits, target = make_case(rng, np.float64, "index", -100)
    for reduction in REDUCTIONS:
        np.testing.assert_array_equal(cross_entropy(logits, target, reduction=reduction),
                                      nll_loss(log_softmax(logits), target, reduction=reduction))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_one_hot_probability_target_equals_index_target(rng, label_smoothing):
    logits, target = make_case(rng, np.float64, "index", -100)
    soft = one_hot(target, C)
    for reduction in REDUCTIONS:
        by_index = cross_entropy(logits, target, reduction=reduction,
                                 label_smoothing=label_smoothing)
        by_distribution = cross_entropy(logits, soft, reduction=reduction,
                                        label_smoothing=label_smoothing)
        np.testing.assert_allclose(by_index, by_distribution, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cross_entropy_grad(logits, target),
                               cross_entropy_grad(logits, soft), atol=1e-15)


def test_plain_gradient_is_softmax_minus_one_hot_over_n(rng):
    logits, target = make_case(rng, np.float64, "index", -100)
    expected = (softmax(logits) - one_hot(target, C)) / N
    np.testing.assert_allclose(cross_entropy_grad(logits, target), expected, atol=1e-15)
    np.testing.assert_allclose(cross_entropy_grad(logits, target, reduction="sum"),
                               expected * N, atol=1e-15)


# ---------------------------------------------------------------- a single example (C,)

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target_kind", ["index", "probability"])
def test_single_example_like_torch(rng, torch, assert_close, target_kind, reduction, dtype):
    logits = rng.standard_normal(C).astype(dtype)
    if target_kind == "index":
        target = np.int64(2)
    else:
        target = softmax(rng.standard_normal(C)).astype(dtype)
    options = dict(reduction=reduction, label_smoothing=0.1)
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, np.asarray(target),
                                                       **options)
    loss = cross_entropy(logits, target, **options)
    grad = cross_entropy_grad(logits, target, **options)
    assert np.shape(loss) == () and grad.shape == (C,)
    assert_close(loss, expected_loss)
    assert_close(grad, expected_grad)
    if target_kind == "index":
        log_probs = log_softmax(logits)
        assert_close(nll_loss(log_probs, 2, reduction=reduction),
                     torch.nn.functional.nll_loss(torch.from_numpy(log_probs),
                                                  torch.tensor(2), reduction=reduction))


# ---------------------------------------------------------------- extreme inputs

@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_huge_logits(torch, assert_close, dtype, label_smoothing):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]], dtype=dtype)
    target = np.array([0, 0, 2])
    expected_loss, expected_grad = torch_loss_and_grad(
        torch, logits, target, reduction="none", label_smoothing=label_smoothing)
    loss = cross_entropy(logits, target, reduction="none", label_smoothing=label_smoothing)
    assert np.all(np.isfinite(loss))
    assert_close(loss, expected_loss)
    assert_close(cross_entropy_grad(logits, target, reduction="none",
                                    label_smoothing=label_smoothing), expected_grad)
    if label_smoothing == 0:
        # a confident right answer costs 0, a confident wrong one costs the logit gap
        assert loss[0] == 0.0 and loss[1] == pytest.approx(2e4 + np.log(2))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", DTYPES)
def test_minus_inf_logits(torch, assert_close, dtype):
    logits = np.array([[0.0, -np.inf, 1.0], [2.0, -np.inf, -np.inf]], dtype=dtype)
    # a -inf logit on a wrong class is harmless
    target = np.array([2, 0])
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target, reduction="none")
    assert_close(cross_entropy(logits, target, reduction="none"), expected_loss)
    assert_close(cross_entropy_grad(logits, target, reduction="none"), expected_grad)
    assert cross_entropy(logits, target, reduction="none")[1] == 0.0
    # ... but on the true class the loss is infinite, while the gradient stays finite
    target = np.array([1, 0])
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target)
    loss = cross_entropy(logits, target)
    assert loss == np.inf and expected_loss == np.inf
    assert_close(cross_entropy_grad(logits, target), expected_grad)
    # label smoothing puts mass on the -inf class, so the loss is infinite as in torch
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, np.array([2, 0]),
                                                       label_smoothing=0.1)
    assert cross_entropy(logits, [2, 0], label_smoothing=0.1) == np.inf == expected_loss
    assert_close(cross_entropy_grad(logits, [2, 0], label_smoothing=0.1), expected_grad)


@pytest.mark.filterwarnings("error")
def test_zero_probability_target_on_minus_inf_logit_differs_from_torch(torch, assert_close):
    logits = np.array([[0.0, -np.inf, 1.0]])
    target = np.array([[0.5, 0.0, 0.5]])
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target)
    # torch multiplies 0 by -inf and returns nan; we use 0 log 0 = 0
    assert expected_loss.isnan()
    loss = cross_entropy(logits, target)
    assert np.isfinite(loss)
    assert loss == pytest.approx(cross_entropy(logits[:, [0, 2]], target[:, [0, 2]]))
    assert_close(cross_entropy_grad(logits, target), expected_grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_many_classes(rng, torch, assert_close, dtype):
    logits = rng.standard_normal((3, 10_000)).astype(dtype) * 5
    target = np.array([0, 4_999, 9_999])
    for options in (dict(), dict(label_smoothing=0.1, reduction="sum")):
        expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target, **options)
        assert_close(cross_entropy(logits, target, **options), expected_loss)
        assert_close(cross_entropy_grad(logits, target, **options), expected_grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_class_costs_nothing(dtype):
    logits = np.array([[3.0], [-1e4]], dtype=dtype)
    assert cross_entropy(logits, [0, 0]) == 0.0
    assert cross_entropy(logits, [0, 0], label_smoothing=0.5) == 0.0
    np.testing.assert_array_equal(cross_entropy_grad(logits, [0, 0]), 0.0)


# ---------------------------------------------------------------- torch's nan cases

def test_all_ignored_batch_is_nan_with_zero_gradient(rng, torch):
    logits = rng.standard_normal((3, C))
    target = np.full(3, -100)
    for label_smoothing in (0.0, 0.2):
        expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target,
                                                           label_smoothing=label_smoothing)
        assert expected_loss.isnan() and (expected_grad == 0).all()
        assert np.isnan(cross_entropy(logits, target, label_smoothing=label_smoothing))
        np.testing.assert_array_equal(
            cross_entropy_grad(logits, target, label_smoothing=label_smoothing), 0.0)
    assert cross_entropy(logits, target, reduction="sum") == 0.0
    assert np.isnan(nll_loss(log_softmax(logits), target))


def test_zero_total_weight_is_nan_like_torch(rng, torch):
    logits = rng.standard_normal((3, C))
    target = np.array([0, 0, 0])
    weight = np.array([0.0, 1.0, 1.0, 1.0])
    for label_smoothing in (0.0, 0.2):
        expected_loss, expected_grad = torch_loss_and_grad(
            torch, logits, target, weight=weight, label_smoothing=label_smoothing)
        assert expected_loss.isnan() and expected_grad.isnan().all()
        assert np.isnan(cross_entropy(logits, target, weight=weight,
                                      label_smoothing=label_smoothing))
        assert np.isnan(cross_entropy_grad(logits, target, weight=weight,
                                           label_smoothing=label_smoothing)).all()


def test_all_minus_inf_row_is_nan_like_torch(torch):
    logits = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    target = np.array([0, 1])
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target)
    assert expected_loss.isnan() and np.isnan(cross_entropy(logits, target))
    np.testing.assert_array_equal(np.isnan(cross_entropy_grad(logits, target)),
                                  expected_grad.isnan().numpy())


def test_empty_batch_raises_where_torch_returns_nan(torch, bilingual_error):
    logits = np.zeros((0, 3))
    assert torch.nn.functional.cross_entropy(torch.from_numpy(logits),
                                             torch.zeros(0, dtype=torch.long)).isnan()
    bilingual_error(CourseValueError, lambda: cross_entropy(logits, np.zeros(0, dtype=int)),
                    en=["logits", "empty", "(0, 3)"], zh=["logits", "空", "(0, 3)"])
    bilingual_error(CourseValueError, lambda: cross_entropy_grad(logits, np.zeros(0, int)),
                    en=["logits", "empty"], zh=["logits", "空"])


def test_label_out_of_range_raises_like_torch(torch, bilingual_error):
    logits = np.zeros((3, 4))
    with pytest.raises((IndexError, RuntimeError)):
        torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.tensor([0, 1, 4]))
    bilingual_error(CourseValueError, lambda: cross_entropy(logits, [0, 1, 4]),
                    en=["target", "4", "position (2,)", "C=4", "0 <= label < 4"],
                    zh=["target", "4", "(2,)", "C=4", "0 <= 标签 < 4"])
    bilingual_error(CourseValueError, lambda: cross_entropy(logits, [0, -1, 1]),
                    en=["target", "-1", "ignore_index=-100"],
                    zh=["target", "-1", "ignore_index=-100"])


# ---------------------------------------------------------------- the fast path

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (16, 10), (64, 3)])
def test_fast_path_matches_torch(rng, torch, assert_close, shape, dtype):
    logits = (rng.standard_normal(shape) * 3).astype(dtype)
    target = rng.integers(0, shape[1], size=shape[0])
    before = logits.copy()
    loss, dlogits = _cross_entropy_index(logits, target)
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target)
    assert isinstance(loss, float)
    assert dlogits.dtype == dtype and dlogits.shape == shape
    assert_close(np.asarray(loss, dtype=dtype), expected_loss)
    assert_close(dlogits, expected_grad)
    np.testing.assert_array_equal(logits, before)


# ---------------------------------------------------------------- random options (hypothesis)

@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 7), c=st.integers(1, 6),
       dtype=st.sampled_from(DTYPES), target_kind=st.sampled_from(["index", "probability"]),
       weighted=st.booleans(), ignore=st.booleans(), reduction=st.sampled_from(REDUCTIONS),
       label_smoothing=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
       scale=st.sampled_from([0.1, 3.0, 100.0]))
def test_random_options_match_torch(torch, assert_close, seed, n, c, dtype, target_kind,
                                    weighted, ignore, reduction, label_smoothing, scale):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, c)) * scale).astype(dtype)
    ignore_index = -100
    if target_kind == "index":
        target = rng.integers(0, c, size=n)
        if ignore:
            ignore_index = int(target[0])  # ignore a class that occurs
    else:
        target = rng.dirichlet(np.ones(c), size=n).astype(dtype)
    weight = rng.uniform(0.1, 3.0, size=c).astype(dtype) if weighted else None
    options = dict(weight=weight, ignore_index=ignore_index, reduction=reduction,
                   label_smoothing=label_smoothing)
    expected_loss, expected_grad = torch_loss_and_grad(torch, logits, target, **options)
    assert_close(cross_entropy(logits, target, **options), expected_loss)
    assert_close(cross_entropy_grad(logits, target, **options), expected_grad)


# ---------------------------------------------------------------- bad input

def test_bad_reduction(bilingual_error):
    bilingual_error(CourseValueError, lambda: cross_entropy([[0.0, 1.0]], [0], reduction="avg"),
                    en=["reduction", "'mean'", "'avg'"], zh=["reduction", "'mean'", "'avg'"])
    bilingual_error(CourseValueError, lambda: nll_loss([[-1.0, -1.0]], [0], reduction=None),
                    en=["reduction", "None"], zh=["reduction", "None"])
    bilingual_error(CourseValueError,
                    lambda: cross_entropy_grad([[0.0, 1.0]], [0], reduction="Mean"),
                    en=["reduction", "'Mean'"], zh=["reduction", "'Mean'"])


def test_float_labels_are_rejected_with_a_hint(bilingual_error):
    logits = np.zeros((3, 4))
    bilingual_error(CourseTypeError, lambda: cross_entropy(logits, [0.0, 1.0, 2.0]),
                    en=["target", "integer class indices", "astype(int)", "(N, C)"],
                    zh=["target", "整数类别索引", "astype(int)", "(N, C)"])
    messages = bilingual_error(CourseTypeError, lambda: cross_entropy(logits, [0.5, 1.0, 2.0]),
                               en=["target", "integer class indices"],
                               zh=["target", "整数类别索引"])
    assert "astype(int)" not in messages["en"]
    bilingual_error(CourseTypeError, lambda: nll_loss(-np.ones((3, 4)), np.array([True] * 3)),
                    en=["target", "integer"], zh=["target", "整数"])


def test_shape_mismatches(bilingual_error):
    logits = np.zeros((3, 4))
    bilingual_error(CourseValueError, lambda: cross_entropy(logits, [0, 1]),
                    en=["target", "2 labels", "N=3"], zh=["target", "2 个标签", "N=3"])
    bilingual_error(CourseValueError, lambda: cross_entropy(logits, [[0, 1, 2]]),
                    en=["target", "1-D", "2-D"], zh=["target", "1 维", "2 维"])
    bilingual_error(CourseValueError, lambda: cross_entropy(np.zeros((2, 3, 4)), [0, 1]),
                    en=["logits", "(N, C)", "(2, 3, 4)"], zh=["logits", "(N, C)", "(2, 3, 4)"])
    bilingual_error(CourseValueError, lambda: cross_entropy(np.zeros(4), [0, 1]),
                    en=["target", "single example", "(4,)", "one integer"],
                    zh=["target", "(4,)", "一个整数标签"])
    bilingual_error(CourseValueError,
                    lambda: cross_entropy(logits, [0, 1, 2], weight=np.ones(3)),
                    en=["weight", "(4,)", "(3,)"], zh=["weight", "(4,)", "(3,)"])


def test_bad_options(bilingual_error):
    logits = np.zeros((3, 4))
    target = [0, 1, 2]
    bilingual_error(CourseValueError,
                    lambda: cross_entropy(logits, target, weight=[1.0, -1.0, 1.0, 1.0]),
                    en=["weight", "non-negative"], zh=["weight", "非负"])
    bilingual_error(CourseValueError,
                    lambda: cross_entropy(logits, target, weight=[1.0, np.nan, 1.0, 1.0]),
                    en=["weight", "finite"], zh=["weight", "有限"])
    bilingual_error(CourseValueError,
                    lambda: cross_entropy(logits, target, label_smoothing=1.5),
                    en=["label_smoothing", "between 0 and 1", "1.5"],
                    zh=["label_smoothing", "0 到 1", "1.5"])
    bilingual_error(CourseTypeError,
                    lambda: cross_entropy_grad(logits, target, label_smoothing="0.1"),
                    en=["label_smoothing", "real number"], zh=["label_smoothing", "实数"])
    bilingual_error(CourseTypeError, lambda: cross_entropy(logits, target, ignore_index=1.0),
                    en=["ignore_index", "integer", "1.0"], zh=["ignore_index", "整数", "1.0"])


def test_probability_targets_must_be_distributions(bilingual_error):
    logits = np.zeros((2, 3))
    bilingual_error(CourseValueError,
                    lambda: cross_entropy(logits, np.array([[0.5, 0.5, 0.5], [1.0, 0, 0]])),
                    en=["target", "sum to 1", "1.5"], zh=["target", "和应为 1", "1.5"])
    bilingual_error(CourseValueError,
                    lambda: cross_entropy_grad(logits, np.array([[1.5, -0.5, 0], [1.0, 0, 0]])),
                    en=["target", "negative"], zh=["target", "负数"])


def test_nll_loss_rejects_logits_and_probabilities(bilingual_error):
    probabilities = softmax(np.array([[1.0, 2.0, 3.0]]))
    messages = bilingual_error(CourseValueError, lambda: nll_loss(probabilities, [2]),
                               en=["log_probs", "log-probabilities", "log_softmax",
                                   "cross_entropy"],
                               zh=["log_probs", "对数概率", "log_softmax", "cross_entropy"])
    assert "(0, 0)" in messages["en"]
    # torch accepts them and silently returns a meaningless (negative) loss
    assert nll_loss(np.log(probabilities), [2]) > 0


def test_docstring_examples(run_doctests):
    import mlp_course.nn.losses as module
    assert run_doctests(module) >= 3


def test_integer_one_hot_targets_get_a_hint(bilingual_error):
    logits = np.zeros((2, 3))
    target = np.array([[0, 1, 0], [1, 0, 0]])
    bilingual_error(CourseValueError, lambda: cross_entropy(logits, target),
                    en=["target", "(2, 3)", "argmax(axis=1)", "astype(float)"],
                    zh=["target", "(2, 3)", "argmax(axis=1)", "astype(float)"])
    np.testing.assert_allclose(cross_entropy(logits, target.astype(float)),
                               cross_entropy(logits, target.argmax(axis=1)))


def test_torch_tensors_as_input(torch, assert_close):
    logits = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    target = torch.tensor([0, 2, 1, 1])
    expected = torch.nn.functional.cross_entropy(logits, target)
    assert_close(cross_entropy(logits, target), expected)


def test_torch_probability_targets_that_require_grad(torch, assert_close):
    logits = torch.randn(3, 4, dtype=torch.float64)
    target = torch.softmax(torch.randn(3, 4, dtype=torch.float64), -1).requires_grad_()
    expected = torch.nn.functional.cross_entropy(logits, target)
    assert_close(cross_entropy(logits, target), expected)
    assert cross_entropy_grad(logits, target).shape == (3, 4)
