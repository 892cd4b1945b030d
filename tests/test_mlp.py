"""Tests for mlp_course.nn.mlp: the MLP against torch.autograd, training, round trips, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course import language
from mlp_course.nn.data import make_spiral
from mlp_course.i18n import CourseTypeError, CourseValueError
from mlp_course.nn.mlp import MLP

ROOT = Path(__file__).resolve().parent.parent
torch.set_num_threads(1)    # as the shared torch fixture does: tiny tensors, threads only add noise
ACTIVATIONS = ["relu", "sigmoid", "tanh"]
DTYPES = [np.float64, np.float32]
# relative tolerance against PyTorch, and absolute floor, per dtype
TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
ARCHITECTURES = [[5, 7, 3], [4, 6, 5, 3], [3, 8, 6, 4, 2]]    # 1, 2 and 3 hidden layers


def batch(sizes, n=9, seed=0, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    X = (scale * rng.standard_normal((n, sizes[0]))).astype(dtype)
    y = rng.integers(0, sizes[-1], n)
    return X, y


def torch_pass(model: MLP, X, y):
    """Forward and backward in torch on the equivalent Sequential; keep z and dL/dz."""
    sequential = model.to_torch()
    linears = list(sequential)[0::2]
    a = torch.from_numpy(X)
    zs = []
    for module in sequential:
        a = module(a)
        if isinstance(module, torch.nn.Linear):
            a.retain_grad()
            zs.append(a)
    loss = torch.nn.functional.cross_entropy(a, torch.from_numpy(y))
    loss.backward()
    return dict(loss=loss.item(), logits=a.detach().numpy(),
                z=[z.detach().numpy() for z in zs], delta=[z.grad.numpy() for z in zs],
                dW=[m.weight.grad.numpy() for m in linears],
                db=[m.bias.grad.numpy() for m in linears])


def close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected, **TOLERANCE[dtype])


# ---------------------------------------------------------------- against torch.autograd

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sizes", ARCHITECTURES, ids=lambda s: f"{len(s) - 2}hidden")
def test_forward_loss_and_gradients_equal_torch(sizes, activation, dtype):
    model = MLP(sizes, activation=activation, seed=1, dtype=dtype)
    X, y = batch(sizes, dtype=dtype)
    expected = torch_pass(model, X, y)

    logits = model.forward(X)
    assert logits.dtype == dtype and logits.shape == (len(y), sizes[-1])
    close(logits, expected["logits"], dtype)
    loss = model.loss(X, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected["loss"], rel=TOLERANCE[dtype]["rtol"])
    grads = model.backward()
    assert len(grads) == len(sizes) - 1
    for l, (dW, db) in enumerate(grads):
        assert dW.shape == model.W[l].shape and db.shape == model.b[l].shape
        assert dW.dtype == dtype and db.dtype == dtype
        close(dW, expected["dW"][l], dtype)
        close(db, expected["db"][l], dtype)
    # the intermediates a lesson shows are torch's too
    for l in range(len(sizes) - 1):
        close(model.z[l], expected["z"][l], dtype)
        close(model.delta[l], expected["delta"][l], dtype)
    assert len(model.a) == len(sizes) - 1 and model.a[0] is X


@settings(max_examples=40, deadline=None)
@given(widths=st.lists(st.integers(1, 9), min_size=2, max_size=5),
       n=st.integers(1, 12), activation=st.sampled_from(ACTIVATIONS),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 1000),
       scale=st.sampled_from([0.1, 1.0, 30.0]))
def test_property_gradients_equal_torch(widths, n, activation, dtype, seed, scale):
    sizes = widths if widths[-1] >= 2 else widths[:-1] + [2]
    model = MLP(sizes, activation=activation, seed=seed, dtype=dtype)
    X, y = batch(sizes, n=n, seed=seed, dtype=dtype, scale=scale)
    expected = torch_pass(model, X, y)
    loss = model.loss(X, y)
    model.backward()
    # the loss of a large-scale input can be large: compare relative to its size
    assert loss == pytest.approx(expected["loss"], rel=TOLERANCE[dtype]["rtol"] * 10,
                                 abs=TOLERANCE[dtype]["atol"] * 10)
    for l in range(len(sizes) - 1):
        scale_W = max(1.0, float(np.abs(expected["dW"][l]).max()))
        np.testing.assert_allclose(model.dW[l], expected["dW"][l], rtol=TOLERANCE[dtype]["rtol"],
                                   atol=TOLERANCE[dtype]["atol"] * 10 * scale_W)
        np.testing.assert_allclose(model.db[l], expected["db"][l], rtol=TOLERANCE[dtype]["rtol"],
                                   atol=TOLERANCE[dtype]["atol"] * 10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_inputs_stay_finite_and_match_torch(dtype):
    model = MLP([4, 6, 3], seed=0, dtype=dtype)
    model.W[1] *= 1e3    # logits of order 1e4: a naive softmax would overflow
    X, y = batch([4, 6, 3], n=8, dtype=dtype, scale=1e2)
    expected = torch_pass(model, X, y)
    loss = model.loss(X, y)
    model.backward()
    assert np.isfinite(loss) and all(np.isfinite(dW).all() for dW in model.dW)
    assert loss == pytest.approx(expected["loss"], rel=TOLERANCE[dtype]["rtol"])
    probabilities = model.predict_proba(X)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_backward_with_given_dlogits_is_the_chain_rule():
    """backward(dlogits) propagates any upstream gradient, e.g. of sum(logits * G)."""
    sizes = [3, 5, 4]
    model = MLP(sizes, activation="tanh", seed=2)
    X, _ = batch(sizes, n=6)
    G = np.random.default_rng(1).standard_normal((6, 4))
    model.forward(X)
    grads = model.backward(G)
    sequential = model.to_torch()
    (sequential(torch.from_numpy(X)) * torch.from_numpy(G)).sum().backward()
    for (dW, db), linear in zip(grads, list(sequential)[0::2]):
        close(dW, linear.weight.grad.numpy(), np.float64)
        close(db, linear.bias.grad.numpy(), np.float64)


# ---------------------------------------------------------------- SGD against torch.optim.SGD

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_sgd_trajectory_equals_torch(activation, dtype):
    sizes = [6, 10, 8, 4]
    model = MLP(sizes, activation=activation, seed=3, dtype=dtype)
    sequential = model.to_torch()
    optimiser = torch.optim.SGD(sequential.parameters(), lr=0.3)
    for step in range(15):
        n = [16, 5, 16, 1, 30][step % 5]    # the batch size changes: buffers must follow
        X, y = batch(sizes, n=n, seed=step, dtype=dtype)
        loss = model.train_step(X, y, 0.3)
        optimiser.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(sequential(torch.from_numpy(X)),
                                                       torch.from_numpy(y))
        torch_loss.backward()
        optimiser.step()
        assert loss == pytest.approx(torch_loss.item(), rel=TOLERANCE[dtype]["rtol"] * 10)
    for l, linear in enumerate(list(sequential)[0::2]):
        np.testing.assert_allclose(model.W[l], linear.weight.detach().numpy(),
                                   rtol=TOLERANCE[dtype]["rtol"] * 10,
                                   atol=TOLERANCE[dtype]["atol"] * 10)
        np.testing.assert_allclose(model.b[l], linear.bias.detach().numpy(),
                                   rtol=TOLERANCE[dtype]["rtol"] * 10,
                                   atol=TOLERANCE[dtype]["atol"] * 10)
        assert model.W[l].dtype == dtype and model.b[l].dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_train_step_equals_loss_backward_step(activation, dtype):
    """The buffered hot path computes exactly what the step-by-step methods compute."""
    sizes = [5, 9, 7, 3]
    fast = MLP(sizes, activation=activation, seed=4, dtype=dtype)
    slow = MLP(sizes, activation=activation, seed=4, dtype=dtype)
    for step, n in enumerate([8, 3, 8, 12, 1]):
        X, y = batch(sizes, n=n, seed=step, dtype=dtype)
        fast_loss = fast.train_step(X, y, 0.2)
        slow_loss = slow.loss(X, y)
        slow.backward()
        # the intermediates after train_step are those of the batch just seen
        for l in range(len(sizes) - 1):
            close(fast.z[l], slow.z[l], dtype)
            close(fast.delta[l], slow.delta[l], dtype)
            close(fast.dW[l], slow.dW[l], dtype)
            close(fast.db[l], slow.db[l], dtype)
        slow.step(0.2)
        assert fast_loss == pytest.approx(slow_loss, rel=TOLERANCE[dtype]["rtol"])
    for (W, b), (W_slow, b_slow) in zip(fast.parameters(), slow.parameters()):
        close(W, W_slow, dtype)
        close(b, b_slow, dtype)


@pytest.mark.parametrize("n", [1, 2, 4, 6, 16, 33, 48])
def test_train_step_equals_loss_backward_step_for_every_batch_size(n):
    """Every way the step lays out the bias add (k rows at a time, k | N) gives the same step."""
    sizes = [5, 9, 3]
    fast, slow = MLP(sizes, seed=6), MLP(sizes, seed=6)
    X, y = batch(sizes, n=n, seed=n)
    for _ in range(2):
        fast_loss = fast.train_step(X, y, 0.2)
        slow_loss = slow.loss(X, y)
        slow.backward()
        for l in range(len(sizes) - 1):
            for name in ("z", "a", "delta", "dW", "db"):
                close(getattr(fast, name)[l], getattr(slow, name)[l], np.float64)
        slow.step(0.2)
        assert fast_loss == pytest.approx(slow_loss, rel=1e-12)
    for (W, b), (W_slow, b_slow) in zip(fast.parameters(), slow.parameters()):
        close(W, W_slow, np.float64)
        close(b, b_slow, np.float64)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint32, np.int64])
def test_train_step_takes_labels_of_any_integer_type(dtype):
    """Small integer types and strided label arrays train exactly like int64 labels."""
    sizes = [4, 6, 3]
    X, y = batch(sizes, n=10)
    strided = np.repeat(y.astype(dtype), 2)[::2]
    assert not strided.flags.c_contiguous
    expected, model = MLP(sizes, seed=2), MLP(sizes, seed=2)
    assert model.train_step(X, strided, 0.1) == expected.train_step(X, y, 0.1)
    np.testing.assert_array_equal(model.W[0], expected.W[0])


def test_float32_stays_float32():
    model = MLP([4, 8, 3], dtype=np.float32)
    X, y = batch([4, 8, 3], dtype=np.float32)
    model.train_step(X, y, 0.1)
    arrays = model.W + model.b + model.dW + model.db + model.z + model.a + model.delta
    assert all(array.dtype == np.float32 for array in arrays)
    assert model.forward(X.astype(np.float64)).dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32


def test_gradients_of_train_step_are_the_true_gradients():
    """train_step keeps dW (not lr * dW) and the parameters before the update give them."""
    sizes = [3, 4, 2]
    model = MLP(sizes, seed=5)
    before = MLP.from_torch(model.to_torch())
    X, y = batch(sizes, n=7)
    model.train_step(X, y, 0.5)
    before.loss(X, y)
    for (dW, db), (dW_ref, db_ref) in zip(model.gradients(), before.backward()):
        close(dW, dW_ref, np.float64)
        close(db, db_ref, np.float64)


# ---------------------------------------------------------------- initialisation

def test_initialisation_like_torch_linear():
    sizes = [300, 50, 10]
    model = MLP(sizes, seed=0)
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1 / np.sqrt(fan_in)
        for array in (model.W[l], model.b[l]):
            assert np.abs(array).max() <= bound
            assert np.abs(array).max() > 0.9 * bound    # fills the interval
        assert model.W[l].shape == (fan_out, fan_in) and model.b[l].shape == (fan_out,)
        # uniform on [-bound, bound]: variance bound^2 / 3
        assert model.W[l].var() == pytest.approx(bound ** 2 / 3, rel=0.1)
    torch_default = torch.nn.Linear(300, 50)
    assert torch_default.weight.abs().max().item() <= 1 / np.sqrt(300)


def test_seed_controls_initialisation():
    a, b, c = MLP([4, 5, 3], seed=7), MLP([4, 5, 3], seed=7), MLP([4, 5, 3], seed=8)
    np.testing.assert_array_equal(a.W[0], b.W[0])
    assert not np.array_equal(a.W[0], c.W[0])
    same32 = MLP([4, 5, 3], seed=7, dtype=np.float32)
    np.testing.assert_array_equal(same32.W[0], a.W[0].astype(np.float32))


# ---------------------------------------------------------------- training

def test_fit_learns_the_spiral():
    X, y = make_spiral(n_per_class=100, num_classes=3)
    model = MLP([2, 64, 3], seed=0)
    history = model.fit(X, y, epochs=200, batch_size=32, lr=0.5, seed=0)
    assert model.accuracy(X, y) >= 0.95
    assert history["loss"][-1] < history["loss"][0] / 5
    assert len(history["loss"]) == len(history["accuracy"]) == len(history["time"]) == 200
    assert history["time"] == sorted(history["time"])


def test_fit_is_deterministic_and_seeded():
    X, y = make_spiral(n_per_class=30)
    runs = []
    for seed in (1, 1, 2):
        model = MLP([2, 16, 3], seed=0)
        history = model.fit(X, y, epochs=5, batch_size=16, lr=0.3, seed=seed)
        runs.append((history["loss"], model.W[0].copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0]


def test_fit_uses_the_documented_batch_order():
    """fit = train_step over default_rng(seed).permutation(N), one permutation per epoch."""
    X, y = make_spiral(n_per_class=20)
    fitted, manual = MLP([2, 8, 3], seed=1), MLP([2, 8, 3], seed=1)
    history = fitted.fit(X, y, epochs=3, batch_size=25, lr=0.2, seed=9)
    rng = np.random.default_rng(9)
    for epoch in range(3):
        order = rng.permutation(len(y))
        losses = [manual.train_step(X[rows], y[rows], 0.2) * len(rows)
                  for rows in np.array_split(order, range(25, len(y), 25))]
        assert history["loss"][epoch] == pytest.approx(sum(losses) / len(y), rel=1e-12)
    np.testing.assert_array_equal(fitted.W[0], manual.W[0])


def test_fit_validation_history_callback_and_verbose(capsys):
    X, y = make_spiral(n_per_class=30)
    X_val, y_val = make_spiral(n_per_class=10, seed=1)
    seen = []

    def callback(epoch, logs):
        seen.append((epoch, dict(logs)))
        return epoch == 2    # stop after the third epoch

    model = MLP([2, 16, 3])
    with language("en"):
        history = model.fit(X, y, epochs=10, lr=0.3, X_val=X_val, y_val=y_val,
                            callback=callback, verbose=True)
    assert [epoch for epoch, _ in seen] == [0, 1, 2]
    assert set(history) == {"loss", "accuracy", "time", "val_loss", "val_accuracy"}
    assert len(history["val_loss"]) == 3
    assert history["val_accuracy"][-1] == pytest.approx(model.accuracy(X_val, y_val))
    assert 0.0 <= history["accuracy"][-1] <= 1.0
    assert "epoch 3/10" in capsys.readouterr().out
    with language("zh"):
        model.fit(X, y, epochs=1, verbose=True)
    assert "第 1/1 轮" in capsys.readouterr().out


def test_fit_zero_epochs_changes_nothing():
    X, y = make_spiral(n_per_class=5)
    model = MLP([2, 4, 3])
    before = model.W[0].copy()
    assert model.fit(X, y, epochs=0)["loss"] == []
    np.testing.assert_array_equal(model.W[0], before)


def test_predict_and_accuracy_agree():
    X, y = make_spiral(n_per_class=20)
    model = MLP([2, 8, 3], seed=3)
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (60, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    predicted = model.predict(X)
    assert predicted.dtype == np.int64 and predicted.shape == (60,)
    np.testing.assert_array_equal(predicted, probabilities.argmax(axis=1))
    assert model.accuracy(X, y) == pytest.approx(np.mean(predicted == y))


def test_prediction_keeps_the_training_intermediates():
    X, y = batch([3, 4, 2], n=5)
    model = MLP([3, 4, 2])
    model.loss(X, y)
    z_before = [z.copy() for z in model.z]
    model.predict(np.ones((2, 3)))
    model.backward()    # still refers to X, y
    for z, z_ref in zip(model.z, z_before):
        np.testing.assert_array_equal(z, z_ref)


def test_lists_inputs_are_accepted():
    model = MLP([2, 3, 2])
    assert model.loss([[0.0, 1.0], [1.0, 0.0]], [0, 1]) > 0
    assert model.predict([[0.5, 0.5]]).shape == (1,)


# ---------------------------------------------------------------- PyTorch round trips

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_round_trip_through_torch(activation, dtype):
    model = MLP([4, 6, 5, 3], activation=activation, seed=2, dtype=dtype)
    sequential = model.to_torch()
    names = [type(m).__name__ for m in sequential]
    expected_act = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}[activation]
    assert names == ["Linear", expected_act, "Linear", expected_act, "Linear"]
    assert sequential[0].weight.dtype == (torch.float64 if dtype == np.float64 else torch.float32)
    back = MLP.from_torch(sequential)
    assert back.sizes == model.sizes and back.activation == activation and back.dtype == dtype
    for (W, b), (W_back, b_back) in zip(model.parameters(), back.parameters()):
        np.testing.assert_array_equal(W, W_back)
        np.testing.assert_array_equal(b, b_back)
    # copies, not shared memory
    with torch.no_grad():
        sequential[0].weight.zero_()
    assert np.abs(model.W[0]).max() > 0 and np.abs(back.W[0]).max() > 0


def test_from_torch_of_a_fresh_torch_model_behaves_the_same():
    torch.manual_seed(0)
    sequential = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                                     torch.nn.Linear(5, 2)).double()
    model = MLP.from_torch(sequential)
    X, _ = batch([3, 5, 2], n=4)
    close(model.forward(X), sequential(torch.from_numpy(X)).detach().numpy(), np.float64)


def test_load_torch_copies_parameters_in_place():
    model = MLP([3, 5, 2], seed=0)
    other = MLP([3, 5, 2], seed=1)
    W0 = model.W[0]
    assert model.load_torch(other.to_torch()) is model
    assert model.W[0] is W0    # same arrays, new values
    np.testing.assert_array_equal(model.W[0], other.W[0])
    np.testing.assert_array_equal(model.b[1], other.b[1])


def test_softmax_regression_has_no_activation():
    model = MLP([4, 3])
    assert [type(m).__name__ for m in model.to_torch()] == ["Linear"]
    assert MLP.from_torch(model.to_torch()).sizes == (4, 3)


def bad_sequentials():
    nn = torch.nn
    return [
        ("empty", nn.Sequential()),
        ("ends with activation", nn.Sequential(nn.Linear(3, 4), nn.ReLU())),
        ("two activations in a row", nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.ReLU(),
                                                   nn.Linear(4, 2))),
        ("mixed activations", nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4),
                                            nn.Tanh(), nn.Linear(4, 2))),
        ("unsupported activation", nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 2))),
        ("widths do not chain", nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))),
        ("no bias", nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 2))),
    ]


@pytest.mark.parametrize("name,sequential", bad_sequentials(), ids=lambda v: v if isinstance(v, str) else "")
def test_from_torch_rejects_other_architectures(name, sequential):
    for lang in ("zh", "en"):
        with language(lang), pytest.raises(CourseValueError) as info:
            MLP.from_torch(sequential)
        assert "sequential" in str(info.value)


def test_from_torch_type_and_dtype_errors():
    with pytest.raises(CourseTypeError, match="sequential"):
        MLP.from_torch(torch.nn.Linear(3, 2))
    mixed = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                torch.nn.Linear(4, 2).double())
    with pytest.raises(CourseTypeError, match="float"):
        MLP.from_torch(mixed)


def test_load_torch_rejects_another_architecture():
    model = MLP([3, 5, 2])
    for other in (MLP([3, 6, 2]), MLP([3, 5, 2], activation="tanh")):
        with pytest.raises(CourseValueError, match="sequential"):
            model.load_torch(other.to_torch())


# ---------------------------------------------------------------- description

def test_repr_shows_the_architecture():
    text = repr(MLP([64, 128, 10], activation="tanh", dtype=np.float32))
    assert "[64, 128, 10]" in text and "tanh" in text and "float32" in text
    assert "Linear(64 -> 128) -> tanh -> Linear(128 -> 10)" in text
    assert str(64 * 128 + 128 + 128 * 10 + 10) in text


def test_parameters_are_the_arrays_themselves():
    model = MLP([3, 4, 2])
    (W0, b0), _ = model.parameters()
    W0[...] = 0.0
    assert np.all(model.W[0] == 0.0) and b0 is model.b[0]
    assert model.num_layers == 2 and model.num_parameters == 3 * 4 + 4 + 4 * 2 + 2


# ---------------------------------------------------------------- bad input

def raises_in_both_languages(error, argument, call):
    """The error names the argument in Chinese and in English."""
    messages = []
    for lang in ("zh", "en"):
        with language(lang):
            with pytest.raises(error) as info:
                call()
            shown = str(info.value)    # rendered in the active language
        assert argument in shown, shown
        messages.append(shown)
    assert messages[0] != messages[1]
    return messages


@pytest.mark.parametrize("sizes", [[10], [], 10, "64,10", [64, 0, 10], [64, -3, 10],
                                   [64, 12.5, 10], [64, True, 10], None])
def test_bad_sizes(sizes):
    # the wrong type (a float or bool width too) is a TypeError, a bad value a ValueError
    wrong_type = sizes in (10, "64,10", None) or any(
        isinstance(size, (bool, float)) for size in (sizes if isinstance(sizes, list) else []))
    error = CourseTypeError if wrong_type else CourseValueError
    raises_in_both_languages(error, "sizes", lambda: MLP(sizes))


@pytest.mark.parametrize("kwargs,argument,error", [
    (dict(activation="softmax"), "activation", CourseValueError),
    (dict(activation=None), "activation", CourseTypeError),
    (dict(dtype=np.int64), "dtype", CourseTypeError),
    (dict(dtype="float16"), "dtype", CourseTypeError),
    (dict(seed=-1), "seed", CourseValueError),
    (dict(seed=0.5), "seed", CourseTypeError),
    (dict(seed="a"), "seed", CourseTypeError),
])
def test_bad_constructor_arguments(kwargs, argument, error):
    raises_in_both_languages(error, argument, lambda: MLP([3, 4, 2], **kwargs))


def test_activation_name_ignores_case_and_surrounding_spaces():
    assert MLP([3, 4, 2], activation="ReLU").activation == "relu"
    assert MLP([3, 4, 2], activation=" tanh ").activation == "tanh"


@pytest.fixture
def model():
    return MLP([3, 4, 2], seed=0)


def test_wrong_feature_count(model):
    messages = raises_in_both_languages(CourseValueError, "X",
                                        lambda: model.forward(np.zeros((5, 4))))
    assert "3" in messages[1] and "(5, 4)" in messages[1]
    for method in ("loss", "train_step", "fit"):
        args = {"loss": (np.zeros((5, 4)), np.zeros(5, int)),
                "train_step": (np.zeros((5, 4)), np.zeros(5, int), 0.1),
                "fit": (np.zeros((5, 4)), np.zeros(5, int), 1)}[method]
        with pytest.raises(CourseValueError, match="X"):
            getattr(model, method)(*args)


@pytest.mark.parametrize("X", [np.zeros(3), np.zeros((2, 3, 1)), np.zeros((0, 3)),
                               [[1.0, 2.0], [3.0]]])
def test_bad_X_shapes(model, X):
    with pytest.raises(CourseValueError, match="X"):
        model.forward(X)


@pytest.mark.parametrize("method", ["loss", "train_step", "accuracy"])
@pytest.mark.parametrize("y,error", [
    (np.array([0, 2, 1]), CourseValueError),          # label 2 with C = 2
    (np.array([0, -1, 1]), CourseValueError),         # negative label: no silent wrap-around
    (np.array([0, -1, 1], np.int8), CourseValueError),    # the same in a small integer type
    (np.array([0, -128, 1], np.int8), CourseValueError),  # its most negative value
    (np.array([0, 2, 1], np.uint8), CourseValueError),    # too large, unsigned
    (np.array([0, -1, 1], ">i8"), CourseValueError),      # negative, big-endian
    (np.array([0, 1]), CourseValueError),             # too few labels
    (np.array([0.0, 1.0, 1.0]), CourseTypeError),     # float labels
    (np.array([[0], [1], [1]]), CourseValueError),    # wrong shape
])
def test_bad_labels(model, method, y, error):
    X = np.zeros((3, 3))
    args = (X, y, 0.1) if method == "train_step" else (X, y)
    raises_in_both_languages(error, "y", lambda: getattr(model, method)(*args))


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_learning_rate(model, lr):
    X, y = np.zeros((2, 3)), np.array([0, 1])
    error = CourseTypeError if isinstance(lr, str) or lr is None else CourseValueError
    raises_in_both_languages(error, "lr", lambda: model.train_step(X, y, lr))
    raises_in_both_languages(error, "lr", lambda: model.fit(X, y, epochs=1, lr=lr))
    model.loss(X, y)
    model.backward()
    raises_in_both_languages(error, "lr", lambda: model.step(lr))


@pytest.mark.parametrize("kwargs,argument", [
    (dict(epochs=-1), "epochs"), (dict(epochs=2.0), "epochs"),
    (dict(epochs=1, batch_size=0), "batch_size"), (dict(epochs=1, seed=-2), "seed"),
    (dict(epochs=1, X_val=np.zeros((2, 3))), "y_val"),
    (dict(epochs=1, X_val=np.zeros((2, 5)), y_val=[0, 1]), "X_val"),
    (dict(epochs=1, X_val=np.zeros((2, 3)), y_val=[0, 5]), "y_val"),
    (dict(epochs=1, callback="print"), "callback"),
])
def test_bad_fit_arguments(model, kwargs, argument):
    X, y = np.zeros((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises((CourseValueError, CourseTypeError)) as info:
        model.fit(X, y, **kwargs)
    assert argument in str(info.value)


def test_order_of_calls_is_explained(model):
    raises_in_both_languages(CourseValueError, "forward", model.backward)
    raises_in_both_languages(CourseValueError, "backward", model.gradients)
    raises_in_both_languages(CourseValueError, "backward", lambda: model.step(0.1))
    model.forward(np.zeros((2, 3)))
    raises_in_both_languages(CourseValueError, "loss", model.backward)
    raises_in_both_languages(CourseValueError, "dlogits",
                             lambda: model.backward(np.zeros((3, 2))))


def test_errors_are_value_and_type_errors(model):
    with pytest.raises(ValueError):
        model.forward(np.zeros((2, 7)))
    with pytest.raises(TypeError):
        MLP([3, 2], dtype=np.int32)


# ---------------------------------------------------------------- imports and the benchmark

def test_mlp_imports_only_numpy():
    code = ("import sys; from mlp_course.nn.mlp import MLP; from mlp_course.nn.data import make_spiral;"
            "X, y = make_spiral(20); m = MLP([2, 8, 3]); m.fit(X, y, epochs=2); m.predict(X);"
            "print(sorted({'torch', 'matplotlib', 'ipywidgets', 'yaml', 'sklearn'}"
            " & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def test_benchmark_quick_run_prints_its_tables():
    """The benchmark script runs and prints its tables; it is not timed here."""
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_mlp.py"),
                             "--quick"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "np/torch" in out and "step/mm" in out
    # one table with the median, one with the fastest run, from the same samples
    assert "median time per step" in out and "fastest-run time per step" in out
    for arch in ("784-256-10", "64-128-10"):
        assert sum(line.startswith(arch) for line in out.splitlines()) == 8
    assert "test accuracy" in out and "numpy MLP" in out and "PyTorch" in out
    assert "load average (1 min):" in out and "after them" in out


def test_benchmark_steps_only_skips_the_training_part():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_mlp.py"),
                             "--quick", "--steps", "--stat", "min"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "fastest-run time per step" in out and "median time per step" not in out
    assert sum(line.startswith("64-128-10") for line in out.splitlines()) == 4
    assert "test accuracy" not in out


def test_non_finite_inputs_are_rejected(model):
    X = np.zeros((3, 3))
    X[1, 2] = np.nan
    messages = raises_in_both_languages(CourseValueError, "X", lambda: model.forward(X))
    assert "row 1" in messages[1]
    with pytest.raises(CourseValueError, match="X"):
        model.fit(X, np.array([0, 1, 0]), epochs=1)


def test_divergence_is_explained():
    X, y = make_spiral(n_per_class=20)
    # a huge step sends the weights to ~1e200, the logits overflow and the loss is nan
    messages = raises_in_both_languages(
        CourseValueError, "lr",
        lambda: MLP([2, 16, 3], seed=0).fit(X, y, epochs=1, batch_size=10, lr=1e200))
    assert "diverged" in messages[1]


def test_docstring_examples(run_doctests):
    import mlp_course.nn.mlp as module
    assert run_doctests(module) >= 2


def test_replaced_parameters_must_fit_the_layer(model):
    model.W[1] = np.zeros((3, 4))    # the layer is 4 -> 2, so W[1] must be (2, 4)
    for call in (lambda: model.forward(np.zeros((1, 3))),
                 lambda: model.train_step(np.zeros((1, 3)), np.array([0]), 0.1),
                 lambda: model.fit(np.zeros((1, 3)), np.array([0]), epochs=1)):
        messages = raises_in_both_languages(CourseValueError, "W[1]", call)
    assert "(2, 4)" in messages[1] and "(3, 4)" in messages[1]


def test_replaced_parameters_of_the_right_shape_are_used(model):
    """A learner may swap in new arrays (any memory layout): every path must see them."""
    X, y = batch([3, 4, 2], n=5)
    model.W[0] = np.ascontiguousarray(np.full((4, 3), 0.1))
    reference = MLP.from_torch(model.to_torch())
    model.train_step(X, y, 0.1)
    reference.loss(X, y)
    reference.backward()
    reference.step(0.1)
    close(model.W[0], reference.W[0], np.float64)
