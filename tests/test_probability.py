"""softmax, log_softmax, logsumexp, one_hot, entropy, kl_divergence against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlp_course import CourseTypeError, CourseValueError
from mlp_course.nn.probability import (_log_softmax, _logsumexp, _softmax, entropy,
                                    kl_divergence, log_softmax, logsumexp, one_hot, softmax)

DTYPES = [np.float64, np.float32]
SHAPES = [(1, 1), (3, 5), (7, 1), (2, 10_000), (5,)]
NEG_INF = -np.inf


def logits_of(rng, shape, dtype, scale=3.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


# ---------------------------------------------------------------- agreement with torch

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_family_matches_torch(rng, torch, assert_close, shape, dtype):
    z = logits_of(rng, shape, dtype)
    t = torch.from_numpy(z)
    p = softmax(z)
    assert p.dtype == dtype and p.shape == z.shape
    assert_close(p, torch.softmax(t, dim=-1))
    assert_close(log_softmax(z), torch.log_softmax(t, dim=-1))
    assert_close(logsumexp(z), torch.logsumexp(t, dim=-1))
    assert_close(logsumexp(z, keepdims=True), torch.logsumexp(t, dim=-1, keepdim=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -2])
def test_other_axes_match_torch(rng, torch, assert_close, axis, dtype):
    z = logits_of(rng, (4, 6), dtype)
    t = torch.from_numpy(z)
    assert_close(softmax(z, axis=axis), torch.softmax(t, dim=axis))
    assert_close(log_softmax(z, axis=axis), torch.log_softmax(t, dim=axis))
    assert_close(logsumexp(z, axis=axis), torch.logsumexp(t, dim=axis))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0, 3.0, 1e3])
def test_temperature_is_division_of_logits(rng, torch, assert_close, temperature, dtype):
    z = logits_of(rng, (4, 6), dtype)
    expected = torch.softmax(torch.from_numpy(z) / temperature, dim=-1)
    assert_close(softmax(z, temperature=temperature), expected)


def test_large_temperature_flattens_and_small_sharpens(rng):
    z = rng.standard_normal(5)
    assert np.ptp(softmax(z, temperature=1e6)) < 1e-5
    assert softmax(z, temperature=1e-6).max() == pytest.approx(1.0)


# ---------------------------------------------------------------- extreme inputs

@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", DTYPES)
def test_huge_logits_do_not_overflow(torch, assert_close, dtype):
    z = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    t = torch.from_numpy(z)
    p = softmax(z)
    assert np.all(np.isfinite(p))
    assert_close(p, torch.softmax(t, dim=-1))
    assert_close(log_softmax(z), torch.log_softmax(t, dim=-1))
    assert_close(logsumexp(z), torch.logsumexp(t, dim=-1))
    np.testing.assert_allclose(p[1], [0.5, 0.5, 0.0])


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", DTYPES)
def test_minus_inf_means_probability_zero(torch, assert_close, dtype):
    z = np.array([[0.0, NEG_INF, 0.0], [NEG_INF, 5.0, NEG_INF]], dtype=dtype)
    t = torch.from_numpy(z)
    p = softmax(z)
    np.testing.assert_array_equal(p, [[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])
    assert_close(log_softmax(z), torch.log_softmax(t, dim=-1))
    assert log_softmax(z)[0, 1] == NEG_INF
    assert_close(logsumexp(z), torch.logsumexp(t, dim=-1))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", DTYPES)
def test_all_minus_inf_row_is_nan_like_torch(torch, dtype):
    z = np.array([[NEG_INF, NEG_INF], [1.0, 2.0]], dtype=dtype)
    t = torch.from_numpy(z)
    assert torch.softmax(t, -1)[0].isnan().all() and np.isnan(softmax(z)[0]).all()
    assert torch.log_softmax(t, -1)[0].isnan().all() and np.isnan(log_softmax(z)[0]).all()
    assert np.all(np.isfinite(softmax(z)[1]))  # the other row is unaffected
    # the sum of no exponentials is 0, and log 0 = -inf
    assert torch.logsumexp(t, -1)[0] == NEG_INF and logsumexp(z)[0] == NEG_INF


@pytest.mark.filterwarnings("error")
def test_plus_inf_like_torch(torch, assert_close):
    z = np.array([[np.inf, 1.0]])
    t = torch.from_numpy(z)
    assert_close(softmax(z), torch.softmax(t, -1))
    assert_close(log_softmax(z), torch.log_softmax(t, -1))
    assert logsumexp(z)[0] == np.inf == torch.logsumexp(t, -1)[0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_class_is_certain(dtype):
    z = np.array([[3.0], [-1e4]], dtype=dtype)
    np.testing.assert_array_equal(softmax(z), [[1.0], [1.0]])
    np.testing.assert_array_equal(log_softmax(z), [[0.0], [0.0]])
    np.testing.assert_array_equal(logsumexp(z), z[:, 0])


def test_fast_paths_keep_dtype_and_do_not_touch_input(rng):
    z = logits_of(rng, (3, 4), np.float32)
    before = z.copy()
    for out in (_softmax(z), _log_softmax(z), _logsumexp(z), _logsumexp(z, keepdims=True)):
        assert out.dtype == np.float32
    np.testing.assert_array_equal(z, before)
    assert _logsumexp(z, keepdims=True).shape == (3, 1)


# ---------------------------------------------------------------- properties (hypothesis)

logit_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32]),
    shape=hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
    elements=st.floats(-1e4, 1e4, width=32))


@settings(max_examples=50, deadline=None)
@given(z=logit_arrays, shift=st.floats(-50, 50))
def test_softmax_properties(torch, assert_close, z, shift):
    p = softmax(z)
    tol = 1e-10 if z.dtype == np.float64 else 1e-5
    assert p.dtype == z.dtype
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=tol * z.shape[1])
    # adding the same constant to every logit changes nothing
    shifted = (z.astype(np.float64) + shift).astype(z.dtype)
    np.testing.assert_allclose(softmax(shifted), p, atol=1e-3 if z.dtype == np.float32 else 1e-8)
    t = torch.from_numpy(z)
    assert_close(p, torch.softmax(t, dim=-1))
    assert_close(log_softmax(z), torch.log_softmax(t, dim=-1))
    assert_close(logsumexp(z), torch.logsumexp(t, dim=-1))
    assert np.all(log_softmax(z) <= 0)
    # the log-sum-exp lies between the max and the max + log C
    lse = logsumexp(z).astype(np.float64)
    assert np.all(lse >= z.max(axis=-1) - tol * np.abs(lse))
    assert np.all(lse <= z.max(axis=-1) + np.log(z.shape[1]) + tol * np.abs(lse) + tol)


# ---------------------------------------------------------------- one_hot

def test_one_hot_matches_torch(torch):
    y = np.array([2, 0, 1, 2])
    expected = torch.nn.functional.one_hot(torch.from_numpy(y), 3).numpy()
    out = one_hot(y, 3)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)
    assert one_hot(1, 4).tolist() == [0.0, 1.0, 0.0, 0.0]
    assert one_hot([0], 1, dtype=np.float32).dtype == np.float32


def test_one_hot_bad_input(bilingual_error):
    bilingual_error(CourseValueError, lambda: one_hot([0, 3], 3),
                    en=["y", "3", "0 <= label < 3"], zh=["y", "3", "0 <= 标签 < 3"])
    bilingual_error(CourseTypeError, lambda: one_hot([0.0, 1.0], 3),
                    en=["y", "integer class indices", "astype(int)"],
                    zh=["y", "整数类别索引", "astype(int)"])
    bilingual_error(CourseValueError, lambda: one_hot([0], 0),
                    en=["num_classes", "integer >= 1", "got 0"], zh=["num_classes", "不小于 1 的整数"])
    bilingual_error(CourseTypeError, lambda: one_hot([0], 2.0),
                    en=["num_classes", "must be an integer"], zh=["num_classes", "应为整数"])
    bilingual_error(CourseValueError, lambda: one_hot([[0]], 2),
                    en=["y", "1-D"], zh=["y", "一维"])
    bilingual_error(CourseValueError, lambda: one_hot([0], 2, dtype=np.int64),
                    en=["dtype", "floating"], zh=["dtype", "浮点"])


# ---------------------------------------------------------------- entropy and KL

def random_distributions(rng, shape, dtype=np.float64):
    return softmax(logits_of(rng, shape, np.float64)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_entropy_matches_torch(rng, torch, assert_close, dtype):
    p = random_distributions(rng, (5, 4), dtype)
    p[0] = [0.0, 0.5, 0.5, 0.0]  # zeros: 0 log 0 = 0
    expected = torch.distributions.Categorical(probs=torch.from_numpy(p)).entropy()
    h = entropy(p)
    assert h.dtype == dtype
    assert_close(h, expected)


def test_entropy_bounds():
    assert float(entropy([1.0, 0.0, 0.0])) == 0.0
    assert float(entropy(np.full(8, 1 / 8))) == pytest.approx(np.log(8), abs=1e-12)
    np.testing.assert_allclose(entropy(np.full((2, 3), 1 / 3), axis=1), np.log(3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_divergence_matches_torch(rng, torch, assert_close, dtype):
    p = random_distributions(rng, (6, 5), dtype)
    q = random_distributions(rng, (6, 5), dtype)
    p[0] = [0.0, 0.0, 1.0, 0.0, 0.0]
    Categorical = torch.distributions.Categorical
    expected = torch.distributions.kl_divergence(Categorical(probs=torch.from_numpy(p)),
                                                 Categorical(probs=torch.from_numpy(q)))
    kl = kl_divergence(p, q)
    assert kl.dtype == dtype
    assert_close(kl, expected)
    # KL = cross-entropy - entropy
    cross = -(p.astype(np.float64) * np.log(q.astype(np.float64))).sum(-1)
    np.testing.assert_allclose(kl, cross - entropy(p.astype(np.float64)), atol=1e-5)


def test_kl_divergence_special_values(torch):
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0]])
    q = np.array([[1.0, 0.0, 0.0], [0.2, 0.8, 0.0]])
    kl = kl_divergence(p, q)
    assert kl[0] == np.inf  # p > 0 where q = 0
    assert kl[1] == 0.0  # identical, including a shared zero
    Categorical = torch.distributions.Categorical
    expected = torch.distributions.kl_divergence(Categorical(probs=torch.from_numpy(p)),
                                                 Categorical(probs=torch.from_numpy(q)))
    assert expected[0] == np.inf and expected[1] == 0.0
    # torch.nn.functional.kl_div (log q first, then p) gives nan where we give inf
    kl_div = torch.nn.functional.kl_div(torch.from_numpy(q).log(), torch.from_numpy(p),
                                        reduction="none").sum(-1)
    assert kl_div[0].isnan()
    assert float(kl_divergence([1.0, 0.0], [0.5, 0.5])) == pytest.approx(np.log(2))
    assert kl_divergence(p, p[::-1]).shape == (2,)


def test_kl_divergence_is_not_symmetric():
    p, q = [0.9, 0.1], [0.5, 0.5]
    assert float(kl_divergence(p, q)) != pytest.approx(float(kl_divergence(q, p)))


def test_probability_inputs_are_checked(bilingual_error):
    bilingual_error(CourseValueError, lambda: entropy([0.5, 0.6]),
                    en=["p", "sum to 1"], zh=["p", "和应为 1"])
    bilingual_error(CourseValueError, lambda: entropy([1.5, -0.5]),
                    en=["p", "negative", "-0.5"], zh=["p", "负数", "-0.5"])
    bilingual_error(CourseValueError, lambda: kl_divergence([0.5, 0.5], [np.nan, 1.0]),
                    en=["q", "nan"], zh=["q", "nan"])
    bilingual_error(CourseValueError, lambda: kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5]),
                    en=["p", "q", "(2,)", "(3,)"], zh=["p", "q", "(2,)", "(3,)"])


def test_float32_softmax_output_counts_as_a_distribution(rng):
    p = softmax(logits_of(rng, (3, 10_000), np.float32))
    assert entropy(p).shape == (3,)


# ---------------------------------------------------------------- bad input

def test_softmax_bad_input(bilingual_error):
    bilingual_error(CourseValueError, lambda: softmax([1.0, 2.0], temperature=0),
                    en=["temperature", "greater than 0", "0.0"],
                    zh=["temperature", "大于 0", "0.0"])
    bilingual_error(CourseValueError, lambda: softmax([1.0, 2.0], temperature=-1.0),
                    en=["temperature", "-1.0"], zh=["temperature", "-1.0"])
    bilingual_error(CourseValueError, lambda: softmax([1.0], temperature=np.inf),
                    en=["temperature"], zh=["temperature"])
    bilingual_error(CourseTypeError, lambda: softmax([1.0], temperature="hot"),
                    en=["temperature", "real number", "'hot'"],
                    zh=["temperature", "实数", "'hot'"])
    bilingual_error(CourseTypeError, lambda: softmax([1.0], temperature=True),
                    en=["temperature"], zh=["temperature"])
    bilingual_error(CourseValueError, lambda: softmax([[1.0, 2.0]], axis=2),
                    en=["axis=2", "2 dimension", "-2 <= axis <= 1"],
                    zh=["axis=2", "2 维", "-2 到 1"])
    bilingual_error(CourseTypeError, lambda: softmax([1.0], axis=0.0),
                    en=["axis", "integer"], zh=["axis", "整数"])
    bilingual_error(CourseTypeError, lambda: log_softmax(np.array([True, False])),
                    en=["z", "boolean", "astype(float)"], zh=["z", "布尔", "astype(float)"])
    bilingual_error(CourseTypeError, lambda: logsumexp(np.array([1 + 2j])),
                    en=["z", "complex"], zh=["z", "复数"])
    bilingual_error(CourseTypeError, lambda: softmax("1, 2, 3"),
                    en=["z", "string"], zh=["z", "字符串"])
    bilingual_error(CourseValueError, lambda: softmax(np.zeros((0, 3))),
                    en=["z", "empty", "(0, 3)"], zh=["z", "空数组", "(0, 3)"])
    bilingual_error(CourseValueError, lambda: softmax(2.0),
                    en=["z", "at least 1 dimension", "got 0"], zh=["z", "至少", "0 维"])
    bilingual_error(CourseValueError, lambda: softmax([[1.0, 2.0], [3.0]]),
                    en=["z", "same length"], zh=["z", "一样长"])


def test_integer_input_becomes_float64():
    p = softmax([[1, 2, 3]])
    assert p.dtype == np.float64
    np.testing.assert_allclose(p, softmax(np.array([[1.0, 2.0, 3.0]])))


def test_docstring_examples(run_doctests):
    import mlp_course.nn.probability as module
    assert run_doctests(module) >= 3
