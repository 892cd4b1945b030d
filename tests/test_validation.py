"""The input checks: accepted input passes through unchanged, bad input gets a clear bilingual error."""

from __future__ import annotations

import numpy as np
import pytest

from mlp_course import CourseTypeError, CourseValueError
from mlp_course.nn.validation import (as_float_array, as_labels, check_axis, check_fraction,
                                   check_positive_number, check_probabilities, check_reduction,
                                   check_same_rows, check_same_shape, describe,
                                   probability_tolerance)


# ---------------------------------------------------------------- as_float_array

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_arrays_pass_without_copy(dtype):
    x = np.ones((2, 3), dtype=dtype)
    assert as_float_array(x, "x") is x


@pytest.mark.parametrize("value,dtype", [
    ([1, 2, 3], np.float64), (3, np.float64), (2.5, np.float64),
    (np.arange(3, dtype=np.int32), np.float64), (np.arange(3, dtype=np.uint8), np.float64),
    (np.ones(2, dtype=np.float16), np.float32), ([[1.0, 2.0]], np.float64)])
def test_conversions(value, dtype):
    out = as_float_array(value, "x")
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.asarray(value, dtype=np.float64))


@pytest.mark.parametrize("value,en,zh", [
    (np.array([True, False]), "boolean", "布尔"),
    (np.array([1j]), "complex", "复数"),
    (np.array(["a"]), "numeric", "数值"),
    (np.array([object()], dtype=object), "numeric", "数值"),
    ("12", "string", "字符串"),
    ([1, "a"], "numeric", "数值"),
])
def test_non_numeric_input_is_a_type_error(bilingual_error, value, en, zh):
    bilingual_error(CourseTypeError, lambda: as_float_array(value, "logits"),
                    en=["logits", en], zh=["logits", zh])


def test_dimension_and_emptiness_checks(bilingual_error):
    bilingual_error(CourseValueError, lambda: as_float_array(np.zeros(3), "X", ndim=2),
                    en=["X", "2-D", "got 1-D", "(3,)"], zh=["X", "2 维", "1 维", "(3,)"])
    bilingual_error(CourseValueError, lambda: as_float_array(1.0, "z", min_ndim=1),
                    en=["z", "at least 1"], zh=["z", "至少"])
    bilingual_error(CourseValueError, lambda: as_float_array([], "z"),
                    en=["z", "empty", "(0,)"], zh=["z", "空数组", "(0,)"])
    assert as_float_array([], "z", allow_empty=True).shape == (0,)
    bilingual_error(CourseValueError, lambda: as_float_array([[1, 2], [3]], "X"),
                    en=["X", "same length"], zh=["X", "一样长"])


def test_describe():
    assert describe(np.zeros((2, 3), dtype=np.float32)) == "shape (2, 3), dtype float32"
    assert describe(None) == "None (NoneType)"
    assert describe("x" * 100).endswith("... (str)")


# ---------------------------------------------------------------- check_axis

def test_check_axis():
    assert check_axis(-1, 3) == 2
    assert check_axis(np.int64(1), 2) == 1


def test_check_axis_errors(bilingual_error):
    bilingual_error(CourseValueError, lambda: check_axis(3, 2),
                    en=["axis=3", "-2 <= axis <= 1"], zh=["axis=3", "-2 到 1"])
    bilingual_error(CourseTypeError, lambda: check_axis(True, 2),
                    en=["axis", "integer"], zh=["axis", "整数"])
    bilingual_error(CourseTypeError, lambda: check_axis("1", 2, name="dim"),
                    en=["dim", "integer"], zh=["dim", "整数"])


# ---------------------------------------------------------------- as_labels

def test_labels_pass():
    y = as_labels([0, 2, 1], "y", num_classes=3, n=3)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, [0, 2, 1])
    np.testing.assert_array_equal(as_labels(np.array([0, -100], dtype=np.int8), "y", 2,
                                            ignore_index=-100), [0, -100])
    np.testing.assert_array_equal(as_labels(np.array([1], dtype=np.uint64), "y", 2), [1])


def test_whole_float_labels_are_rejected_with_a_hint(bilingual_error):
    messages = bilingual_error(CourseTypeError, lambda: as_labels([0.0, 1.0], "y", 3),
                               en=["y", "integer class indices", "y.astype(int)", "float64"],
                               zh=["y", "整数类别索引", "y.astype(int)", "float64"])
    assert "(2,)" in messages["en"]
    messages = bilingual_error(CourseTypeError, lambda: as_labels([0.5], "y", 3),
                               en=["y", "integer class indices"], zh=["y", "整数类别索引"])
    assert "astype(int)" not in messages["en"] and "astype(int)" not in messages["zh"]


def test_label_errors(bilingual_error):
    bilingual_error(CourseValueError, lambda: as_labels([0, 3, 1], "y", num_classes=3),
                    en=["y", "3", "position (1,)", "C=3", "0 <= label < 3"],
                    zh=["y", "3", "(1,)", "C=3", "0 <= 标签 < 3"])
    bilingual_error(CourseValueError, lambda: as_labels([-1], "y", 3, ignore_index=-100),
                    en=["-1", "ignore_index=-100"], zh=["-1", "ignore_index=-100"])
    bilingual_error(CourseValueError, lambda: as_labels([0, 1], "target", 3, n=5),
                    en=["target", "2 labels", "N=5"], zh=["target", "2 个标签", "N=5"])
    bilingual_error(CourseValueError, lambda: as_labels([[0, 1]], "y", 3),
                    en=["y", "1-D", "2-D"], zh=["y", "1 维", "2 维"])
    bilingual_error(CourseTypeError, lambda: as_labels([True, False], "y", 3),
                    en=["y", "integer", "bool"], zh=["y", "整数", "bool"])
    bilingual_error(CourseTypeError, lambda: as_labels("012", "y", 3),
                    en=["y", "string"], zh=["y", "字符串"])


# ---------------------------------------------------------------- shapes

def test_same_rows_and_shape(bilingual_error):
    check_same_rows(np.zeros((3, 2)), np.zeros(3), "X", "y")
    bilingual_error(CourseValueError,
                    lambda: check_same_rows(np.zeros((3, 2)), np.zeros(4), "X", "y"),
                    en=["X has 3 rows", "y has 4", "(3, 2)", "(4,)"],
                    zh=["X 有 3 行", "y 有 4 行", "(3, 2)", "(4,)"])
    check_same_shape(np.zeros(2), np.ones(2), "a", "b")
    bilingual_error(CourseValueError,
                    lambda: check_same_shape(np.zeros(2), np.zeros((2, 1)), "dout", "z"),
                    en=["dout", "z", "(2,)", "(2, 1)"], zh=["dout", "z", "(2,)", "(2, 1)"])


# ---------------------------------------------------------------- probabilities

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_probabilities_pass(dtype):
    p = np.array([[0.2, 0.8], [1.0, 0.0]], dtype=dtype)
    assert check_probabilities(p, "p") is p
    nearly = np.array([0.5, 0.5 + probability_tolerance(dtype) / 2], dtype=dtype)
    check_probabilities(nearly, "p")


def test_tolerance_scales_with_dtype():
    assert probability_tolerance(np.float32) > 100 * probability_tolerance(np.float64)
    assert probability_tolerance(np.float64) == 1e-6


def test_probability_errors(bilingual_error):
    bilingual_error(CourseValueError, lambda: check_probabilities([0.3, 0.3, 0.3], "target"),
                    en=["target", "sum to 1", "0.9"], zh=["target", "和应为 1", "0.9"])
    bilingual_error(CourseValueError,
                    lambda: check_probabilities(np.array([0.5, 0.5 + 1e-4]), "p"),
                    en=["p", "sum to 1"], zh=["p", "和应为 1"])
    bilingual_error(CourseValueError,
                    lambda: check_probabilities([[0.5, 0.5], [0.7, 0.7]], "p", axis=0),
                    en=["p", "axis=0", "(0,)"], zh=["p", "axis=0", "(0,)"])
    bilingual_error(CourseValueError, lambda: check_probabilities([1.2, -0.2], "q"),
                    en=["q", "negative", "-0.2", "(1,)"], zh=["q", "负数", "-0.2", "(1,)"])
    bilingual_error(CourseValueError, lambda: check_probabilities([np.inf, 0.0], "q"),
                    en=["q", "inf"], zh=["q", "inf"])


# ---------------------------------------------------------------- scalar options

def test_scalar_options(bilingual_error):
    assert check_reduction("sum") == "sum"
    assert check_positive_number(np.float32(0.5), "lr") == 0.5
    assert check_positive_number(np.array(2), "lr") == 2.0
    assert check_fraction(1, "label_smoothing") == 1.0
    bilingual_error(CourseValueError, lambda: check_reduction("avg"),
                    en=["reduction", "'avg'", "'none'"], zh=["reduction", "'avg'", "'none'"])
    bilingual_error(CourseValueError, lambda: check_positive_number(np.nan, "temperature"),
                    en=["temperature", "nan"], zh=["temperature", "nan"])
    bilingual_error(CourseTypeError, lambda: check_positive_number(np.ones(2), "lr"),
                    en=["lr", "real number", "(2,)"], zh=["lr", "实数", "(2,)"])
    bilingual_error(CourseTypeError, lambda: check_positive_number(None, "lr"),
                    en=["lr", "None"], zh=["lr", "None"])
    bilingual_error(CourseValueError, lambda: check_fraction(-0.1, "label_smoothing"),
                    en=["label_smoothing", "-0.1"], zh=["label_smoothing", "-0.1"])


def test_docstring_examples(run_doctests):
    import mlp_course.nn.validation as module
    assert run_doctests(module) >= 3


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_torch_tensors_are_accepted(torch, dtype):
    tensor = torch.arange(4).to(getattr(torch, dtype)).reshape(2, 2).requires_grad_(
        dtype != "int64")
    out = as_float_array(tensor, "x")
    assert out.dtype == (np.float64 if dtype == "int64" else np.dtype(dtype))
    np.testing.assert_array_equal(out, [[0, 1], [2, 3]])
    labels = as_labels(torch.tensor([0, 2]), "y", num_classes=3)
    assert labels.dtype == np.int64 and labels.tolist() == [0, 2]


# ---------------------------------------------------------------- one rule for integers and activation names

from mlp_course import (MLP, activation_backward, activation_forward, cross_entropy, make_blobs,
                        make_spiral, nll_loss, one_hot, softmax, train_test_split)
from mlp_course.course.exercises import lesson06, lesson07
from mlp_course.i18n import language
from mlp_course.nn.validation import check_activation, check_integer


@pytest.mark.parametrize("value", [0, 7, np.int64(3), np.uint8(2), np.int32(-1)])
def test_check_integer_accepts_python_and_numpy_integers(value):
    out = check_integer(value, "k")
    assert out == int(value) and type(out) is int


@pytest.mark.parametrize("value", [True, np.bool_(False), 2.0, "3", None, [1], np.array(3)])
def test_check_integer_rejects_other_types_with_a_type_error(value):
    for lang, words in (("en", "k must be an integer"), ("zh", "参数 k 应为整数")):
        with language(lang), pytest.raises(CourseTypeError, match=words):
            check_integer(value, "k")


@pytest.mark.parametrize("value,low,high,words", [
    (-1, 0, None, "k must be an integer >= 0, got -1"),
    (6, None, 5, "k must be an integer <= 5, got 6"),
    (6, 0, 5, "k must be an integer from 0 to 5, got 6"),
])
def test_check_integer_range_is_a_value_error(value, low, high, words):
    with language("en"), pytest.raises(CourseValueError, match=words):
        check_integer(value, "k", minimum=low, maximum=high)
    assert check_integer(low if low is not None else high, "k", low, high) in (low, high)


@pytest.mark.parametrize("name", ["relu", " ReLU ", "TANH", "Sigmoid\n"])
def test_check_activation_ignores_case_and_surrounding_spaces(name):
    assert check_activation(name) == name.strip().lower()


def test_check_activation_errors():
    with language("en"):
        with pytest.raises(CourseTypeError, match="activation must be the name of an activation"):
            check_activation(None)
        with pytest.raises(CourseValueError, match="unknown activation 'softplus'"):
            check_activation("softplus")
        with pytest.raises(CourseValueError, match="name must be one of"):
            check_activation("re lu", "name")


X4, Y4 = np.zeros((4, 2)), np.array([0, 1, 0, 1])
PARAMS = [np.zeros((3, 2)), np.zeros(3), np.zeros((2, 3)), np.zeros(2)]

# every call site that takes an integer argument: (call with the bad value, argument name)
INTEGER_SITES = {
    "MLP(seed)": (lambda v: MLP([2, 3, 2], seed=v), "seed"),
    "MLP(sizes)": (lambda v: MLP([2, v, 2]), "sizes[1]"),
    "MLP.fit(epochs)": (lambda v: MLP([2, 2]).fit(X4, Y4, epochs=v), "epochs"),
    "MLP.fit(batch_size)": (lambda v: MLP([2, 2]).fit(X4, Y4, epochs=1, batch_size=v),
                            "batch_size"),
    "MLP.fit(seed)": (lambda v: MLP([2, 2]).fit(X4, Y4, epochs=1, seed=v), "seed"),
    "make_spiral(seed)": (lambda v: make_spiral(10, seed=v), "seed"),
    "make_spiral(n_per_class)": (lambda v: make_spiral(v), "n_per_class"),
    "make_blobs(num_classes)": (lambda v: make_blobs(10, num_classes=v), "num_classes"),
    "train_test_split(seed)": (lambda v: train_test_split(X4, Y4, seed=v), "seed"),
    "one_hot(num_classes)": (lambda v: one_hot([0, 1], v), "num_classes"),
    "softmax(axis)": (lambda v: softmax(np.zeros((2, 3)), axis=v), "axis"),
    "lesson07.train_epoch(batch_size)": (
        lambda v: lesson07.train_epoch(PARAMS, X4, Y4, 0.1, v, np.random.default_rng(0)),
        "batch_size"),
    "lesson07.fit_early_stopping(max_epochs)": (
        lambda v: lesson07.fit_early_stopping(PARAMS, X4, Y4, X4, Y4, 0.1, 2, v, 1,
                                              np.random.default_rng(0)), "max_epochs"),
    "lesson07.fit_early_stopping(patience)": (
        lambda v: lesson07.fit_early_stopping(PARAMS, X4, Y4, X4, Y4, 0.1, 2, 3, v,
                                              np.random.default_rng(0)), "patience"),
    "training_view(hidden)": (lambda v: _training_widgets().training_view(hidden=v), "hidden"),
    "training_view(epochs)": (lambda v: _training_widgets().training_view(epochs=v), "epochs"),
    "training_progress(epochs)": (lambda v: _training_widgets().training_progress(v), "epochs"),
    "backprop_view(step)": (lambda v: _widgets().backprop_view(v), "step"),
    "gradient_view(target)": (lambda v: _widgets().gradient_view([1.0, 2.0], v), "target"),
}


def _training_widgets():
    from mlp_course.course.widgets import training
    return training


def _widgets():
    from types import SimpleNamespace

    from mlp_course.course.widgets.backprop import backprop_view
    from mlp_course.course.widgets.gradient import gradient_view
    return SimpleNamespace(backprop_view=backprop_view, gradient_view=gradient_view)
NEGATIVE_IS_WRONG = {"MLP(seed)", "MLP(sizes)", "MLP.fit(epochs)", "MLP.fit(batch_size)",
                     "MLP.fit(seed)", "make_spiral(seed)", "make_spiral(n_per_class)",
                     "make_blobs(num_classes)", "train_test_split(seed)",
                     "one_hot(num_classes)", "lesson07.train_epoch(batch_size)",
                     "backprop_view(step)", "gradient_view(target)",
                     "lesson07.fit_early_stopping(max_epochs)",
                     "lesson07.fit_early_stopping(patience)", "training_view(hidden)",
                     "training_view(epochs)", "training_progress(epochs)"}
# (an axis's range depends on the array: its message names the array's dimensions)


@pytest.mark.parametrize("site", sorted(INTEGER_SITES))
@pytest.mark.parametrize("bad", ["a", 1.5, True])
def test_every_integer_argument_follows_one_rule_for_its_type(site, bad):
    """MLP(seed="a") and make_spiral(seed="a") fail alike: a TypeError naming the argument."""
    call, name = INTEGER_SITES[site]
    for lang, words in (("en", f"{name} must be an integer, got"), ("zh", f"参数 {name} 应为整数")):
        with language(lang), pytest.raises(CourseTypeError) as info:
            call(bad)
        shown = info.value.message.render(lang)
        assert words in shown, shown


@pytest.mark.parametrize("site", sorted(NEGATIVE_IS_WRONG))
def test_every_integer_argument_follows_one_rule_for_its_range(site):
    call, name = INTEGER_SITES[site]
    with pytest.raises(CourseValueError) as info:
        call(-5)
    shown = info.value.message.render("en")
    assert f"{name} must be an integer" in shown and "-5" in shown, shown


def test_ignore_index_is_any_integer_and_only_an_integer():
    logits, target = np.zeros((2, 3)), np.array([0, -1])
    assert np.isfinite(cross_entropy(logits, target, ignore_index=np.int64(-1)))
    for call in (lambda: cross_entropy(logits, target, ignore_index="a"),
                 lambda: nll_loss(logits, target, ignore_index=1.5)):
        with language("en"), pytest.raises(CourseTypeError, match="ignore_index must be an integer"):
            call()


# every call site that takes an activation name
Z = np.array([[-1.0, 2.0]])
ACTIVATION_SITES = {
    "activation_forward": lambda name: activation_forward(name, Z),
    "activation_backward": lambda name: activation_backward(name, np.ones_like(Z), Z),
    "MLP": lambda name: MLP([2, 3, 2], activation=name).forward(Z),
    "lesson06.hidden_delta_reference": lambda name: lesson06.hidden_delta_reference(
        np.ones((2, 2)), np.ones((1, 2)), Z, activation=name),
    "forward_view": lambda name: _forward_view()([0.5, -1.0], activation=name)["a1"],
    "backprop_steps": lambda name: _backprop_steps()(activation=name)[4]["arrays"][-1][1],
}


def _forward_view():
    from mlp_course.course.widgets.forward import forward_view
    return forward_view


def _backprop_steps():
    from mlp_course.course.widgets.backprop import backprop_steps
    return backprop_steps


@pytest.mark.parametrize("site", sorted(ACTIVATION_SITES))
def test_every_activation_argument_follows_one_rule(site):
    """activation_forward(" ReLU ") and MLP(activation=" relu") both work; "softplus" fails alike."""
    call = ACTIVATION_SITES[site]
    np.testing.assert_array_equal(call(" ReLU "), call("relu"))
    np.testing.assert_array_equal(call("TANH"), call("tanh"))
    with language("en"):
        with pytest.raises(CourseValueError, match="unknown activation 'softplus'"):
            call("softplus")
        with pytest.raises(CourseTypeError, match="must be the name of an activation"):
            call(3)
