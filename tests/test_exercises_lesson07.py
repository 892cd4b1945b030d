"""Lesson 07 exercises: the references pass, typical mistakes fail with the right message."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course.course.exercises import (ERROR, FAILED, FORBIDDEN, NOT_IMPLEMENTED, PASSED,
                                  evaluate, get_exercise)
from mlp_course.course.exercises import lesson07
from mlp_course.course.exercises.lesson07 import loss_and_grads, sgd_step, train_epoch
from mlp_course.i18n import CourseTypeError, CourseValueError, language

SGD = get_exercise("sgd_step")
EPOCH = get_exercise("train_epoch")


def rendered(outcome, lang="en"):
    with language(lang):
        return outcome.render()


def run(exercise, fn, lang="en"):
    """Evaluate in one language: the reason for a mismatch is worded when it is found."""
    with language(lang):
        return evaluate(exercise, fn, seed=0)


# ------------------------------------------------------------------ registry


def test_both_exercises_belong_to_lesson_07():
    assert SGD.lesson == EPOCH.lesson == "07_training"
    assert SGD.function == "sgd_step" and EPOCH.function == "train_epoch"
    assert SGD.reference is sgd_step and EPOCH.reference is train_epoch


@pytest.mark.parametrize("exercise", [SGD, EPOCH], ids=lambda e: e.id)
@pytest.mark.parametrize("seed", [0, 1, 7, 123])
def test_reference_passes(exercise, seed):
    outcome = evaluate(exercise, exercise.reference, seed=seed)
    assert outcome.status == PASSED, rendered(outcome)
    assert outcome.points == exercise.points


@pytest.mark.parametrize("exercise", [SGD, EPOCH], ids=lambda e: e.id)
def test_number_of_cases_does_not_depend_on_the_seed(exercise):
    counts = {len(exercise.cases(np.random.default_rng(seed))) for seed in range(12)}
    assert len(counts) == 1 and counts.pop() >= 8


@pytest.mark.parametrize("exercise", [SGD, EPOCH], ids=lambda e: e.id)
def test_case_descriptions_exist_in_both_languages(exercise):
    for case in exercise.cases(np.random.default_rng(0)):
        assert case.kind.zh and case.kind.en and case.kind.zh != case.kind.en


def test_cases_cover_float32_and_adversarial_inputs():
    sgd_kinds = [c.kind.en for c in SGD.cases(np.random.default_rng(0))]
    assert any("float32" in k for k in sgd_kinds)
    assert any("huge" in k for k in sgd_kinds)
    assert any("zero" in k for k in sgd_kinds)
    epoch_cases = EPOCH.cases(np.random.default_rng(0))
    batch_sizes = [c.args[4] for c in epoch_cases]
    sizes = [len(c.args[1]) for c in epoch_cases]
    assert 1 in batch_sizes
    assert any(b > n for b, n in zip(batch_sizes, sizes))
    assert any(n % b for b, n in zip(batch_sizes, sizes) if b <= n)
    assert any(c.args[0][0].dtype == np.float32 for c in epoch_cases)


# ------------------------------------------------------------------ expected == torch


def test_expected_sgd_step_is_p_minus_lr_g():
    for case in SGD.cases(np.random.default_rng(3)):
        params, grads, lr = copy.deepcopy(case.args)
        expected = SGD.expected(params, grads, lr)
        for p, g, e in zip(params, grads, expected):
            assert e.dtype == p.dtype
            np.testing.assert_allclose(e, p - lr * g, rtol=1e-6, atol=1e-7)


def test_expected_train_epoch_matches_a_plain_numpy_loop():
    for case in EPOCH.cases(np.random.default_rng(5)):
        args = copy.deepcopy(case.args)
        expected_params, expected_losses = EPOCH.expected(*copy.deepcopy(args))
        params, X, y, lr, batch_size, rng = args
        order = rng.permutation(len(X))
        losses = []
        params = [np.array(p) for p in params]
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            params = [p - lr * g for p, g in zip(params, grads)]
        tol = 1e-4 if X.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(losses, expected_losses, rtol=tol)
        assert len(expected_losses) == -(-len(X) // batch_size)
        for p, e in zip(params, expected_params):
            assert e.dtype == X.dtype
            np.testing.assert_allclose(p, e, rtol=tol, atol=tol * 1e-1)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(2, 4), st.integers(1, 12),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**16))
def test_loss_and_grads_matches_torch_autograd(D, H, C, N, dtype, seed):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(seed)
    params = lesson07._mlp_params(rng, [D, H, C], dtype=dtype)
    X = rng.standard_normal((N, D)).astype(dtype)
    y = rng.integers(0, C, N)
    loss, grads = loss_and_grads(params, X, y)
    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    hidden = torch.relu(F.linear(torch.tensor(X), tensors[0], tensors[1]))
    torch_loss = F.cross_entropy(F.linear(hidden, tensors[2], tensors[3]), torch.tensor(y))
    torch_loss.backward()
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert loss == pytest.approx(torch_loss.item(), rel=tol, abs=tol)
    for g, t in zip(grads, tensors):
        assert g.dtype == dtype and g.shape == tuple(t.shape)
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------------ wrong solutions


def sgd_in_place(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g
    return params


def sgd_plus(params, grads, lr):
    return [p + lr * g for p, g in zip(params, grads)]


def sgd_float64(params, grads, lr):
    return [np.asarray(p, dtype=np.float64) - lr * g for p, g in zip(params, grads)]


def sgd_first_only(params, grads, lr):
    return [params[0] - lr * grads[0]]


def sgd_forgot_return(params, grads, lr):
    [p - lr * g for p, g in zip(params, grads)]


def sgd_stub(params, grads, lr):
    raise NotImplementedError()


def sgd_with_torch(params, grads, lr):
    import torch

    return [torch.as_tensor(p).sub(lr * torch.as_tensor(g)).numpy() for p, g in zip(params, grads)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_in_place_update_is_reported_with_the_hint(lang):
    outcome = run(SGD, sgd_in_place, lang)
    assert outcome.status == ERROR
    text = rendered(outcome, lang)
    assert "read-only" in text and "p -= …" in text
    assert ("只读" if lang == "zh" else "caller's data") in text


def test_wrong_sign_fails_on_values():
    outcome = run(SGD, sgd_plus)
    assert outcome.status == FAILED
    assert "params[0]: the values are wrong" in rendered(outcome)


def test_float32_promoted_to_float64_fails_with_dtype_message():
    outcome = run(SGD, sgd_float64)
    assert outcome.status == FAILED
    text = rendered(outcome)
    assert "dtype should be float32" in text and "float32 parameters" in text


def test_missing_parameters_are_named():
    outcome = run(SGD, sgd_first_only)
    assert outcome.status == FAILED
    assert "should be a list of 4 arrays" in rendered(outcome)
    assert "4 个数组" in rendered(run(SGD, sgd_first_only, "zh"), "zh")


def test_forgotten_return():
    outcome = run(SGD, sgd_forgot_return)
    assert outcome.status == FAILED
    assert "should be a list of" in rendered(outcome)


def test_stub_is_not_implemented():
    assert run(SGD, sgd_stub).status == NOT_IMPLEMENTED
    assert evaluate(EPOCH, lambda *a: (_ for _ in ()).throw(NotImplementedError()),
                    seed=0).status == NOT_IMPLEMENTED


def test_torch_shortcut_is_forbidden():
    outcome = run(SGD, sgd_with_torch)
    assert outcome.status == FORBIDDEN
    assert "torch" in rendered(outcome)


def epoch_without_shuffle(params, X, y, lr, batch_size, rng):
    losses = []
    for start in range(0, len(X), batch_size):
        loss, grads = loss_and_grads(params, X[start:start + batch_size], y[start:start + batch_size])
        losses.append(loss)
        params = sgd_step(params, grads, lr)
    return params, losses


def epoch_dropping_last_batch(params, X, y, lr, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X) - batch_size + 1, batch_size):
        rows = order[start:start + batch_size]
        loss, grads = loss_and_grads(params, X[rows], y[rows])
        losses.append(loss)
        params = sgd_step(params, grads, lr)
    return params, losses


def epoch_loss_after_step(params, X, y, lr, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        _, grads = loss_and_grads(params, X[rows], y[rows])
        params = sgd_step(params, grads, lr)
        losses.append(loss_and_grads(params, X[rows], y[rows])[0])
    return params, losses


def epoch_in_place(params, X, y, lr, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for start in range(0, len(X), batch_size):
        rows = order[start:start + batch_size]
        loss, grads = loss_and_grads(params, X[rows], y[rows])
        losses.append(loss)
        for p, g in zip(params, grads):
            p -= lr * g
    return params, losses


def epoch_returns_only_params(params, X, y, lr, batch_size, rng):
    return train_epoch(params, X, y, lr, batch_size, rng)[0]


def epoch_shuffles_every_batch(params, X, y, lr, batch_size, rng):
    losses = []
    for start in range(0, len(X), batch_size):
        rows = rng.permutation(len(X))[:batch_size]
        loss, grads = loss_and_grads(params, X[rows], y[rows])
        losses.append(loss)
        params = sgd_step(params, grads, lr)
    return params, losses


def test_no_shuffle_fails_with_the_batch_order_hint():
    outcome = run(EPOCH, epoch_without_shuffle)
    assert outcome.status == FAILED
    text = rendered(outcome)
    assert "losses: the values are wrong" in text and "check the batch order" in text
    assert "批量的顺序" in rendered(outcome, "zh") and "rng.permutation(N)" not in text


def test_dropping_the_last_batch_is_named():
    outcome = run(EPOCH, epoch_dropping_last_batch)
    assert outcome.status == FAILED
    text = rendered(outcome)
    assert "wrong number of batches" in text and "smaller" in text
    assert "批量数不对" in rendered(run(EPOCH, epoch_dropping_last_batch, "zh"), "zh")


def test_loss_measured_after_the_step_fails():
    assert run(EPOCH, epoch_loss_after_step).status == FAILED


def test_sampling_with_replacement_fails():
    assert run(EPOCH, epoch_shuffles_every_batch).status == FAILED


def test_in_place_training_is_reported():
    outcome = run(EPOCH, epoch_in_place)
    assert outcome.status == ERROR and "read-only" in rendered(outcome)


def test_wrong_return_structure():
    outcome = run(EPOCH, epoch_returns_only_params)
    assert outcome.status == FAILED
    assert "(params, losses)" in rendered(outcome)


def test_training_with_torch_is_forbidden():
    def epoch_torch(params, X, y, lr, batch_size, rng):
        import torch.optim

        return torch.optim.SGD, []

    assert run(EPOCH, epoch_torch).status == FORBIDDEN


# ------------------------------------------------------------------ reference input checks


def test_sgd_step_leaves_its_inputs_alone():
    params = [np.ones((2, 3)), np.zeros(2)]
    grads = [np.full((2, 3), 2.0), np.ones(2)]
    new = sgd_step(params, grads, 0.5)
    np.testing.assert_array_equal(params[0], 1.0)
    np.testing.assert_array_equal(new[0], 0.0)
    np.testing.assert_array_equal(new[1], -0.5)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sgd_step_errors_name_the_argument(lang):
    with language(lang):
        with pytest.raises(CourseValueError, match="grads"):
            sgd_step([np.ones(2)], [np.ones(2), np.ones(2)], 0.1)
        with pytest.raises(CourseValueError, match=r"grads\[0\]"):
            sgd_step([np.ones(2)], [np.ones(3)], 0.1)
        with pytest.raises(CourseValueError, match="lr"):
            sgd_step([np.ones(2)], [np.ones(2)], -1.0)
        with pytest.raises(CourseTypeError, match="params"):
            sgd_step(np.ones(2), [np.ones(2)], 0.1)


def test_train_epoch_errors_name_the_argument():
    rng = np.random.default_rng(0)
    params = lesson07._mlp_params(rng, [2, 3, 2])
    X, y = rng.standard_normal((4, 2)), np.array([0, 1, 0, 1])
    with language("en"):
        with pytest.raises(CourseValueError, match="batch_size"):
            train_epoch(params, X, y, 0.1, 0, rng)
        with pytest.raises(CourseTypeError, match="rng"):
            train_epoch(params, X, y, 0.1, 2, 0)
        with pytest.raises(CourseValueError, match="layer 0"):
            train_epoch(params, X[:, :1], y, 0.1, 2, rng)
        with pytest.raises(ValueError, match="y"):
            train_epoch(params, X, np.array([0, 1, 2, 1]), 0.1, 2, rng)
        with pytest.raises(CourseValueError, match="pairs"):
            train_epoch(params[:3], X, y, 0.1, 2, rng)


def test_train_epoch_reduces_the_loss_on_an_easy_problem():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 0.3, (20, 2)), rng.normal(2, 0.3, (20, 2))])
    y = np.repeat([0, 1], 20)
    params = lesson07._mlp_params(rng, [2, 4, 2])
    first = None
    for _ in range(20):
        params, losses = train_epoch(params, X, y, 0.5, 8, rng)
        first = losses[0] if first is None else first
    assert losses[-1] < 0.1 * first


# ------------------------------------------------------------------ L2 regularisation

L2 = get_exercise("l2_loss_and_grads")
EARLY = get_exercise("fit_early_stopping")


@pytest.mark.parametrize("exercise", [L2, EARLY], ids=lambda e: e.id)
@pytest.mark.parametrize("seed", [0, 5])
def test_new_references_pass(exercise, seed):
    assert exercise.lesson == "07_training"
    outcome = evaluate(exercise, exercise.reference, seed=seed)
    assert outcome.status == PASSED, rendered(outcome)
    counts = {len(exercise.cases(np.random.default_rng(s))) for s in range(4)}
    assert counts == {7}
    for case in exercise.cases(np.random.default_rng(seed)):
        assert case.kind.zh != case.kind.en and case.hint is not None


def _l2(params, X, y, lam, decay_biases=False, factor=0.5):
    loss, grads = loss_and_grads(params, X, y)
    decayed = range(len(params)) if decay_biases else range(0, len(params), 2)
    loss += factor * lam * sum(float(np.sum(params[i] ** 2)) for i in decayed)
    grads = [g + 2 * factor * lam * p if i in decayed else g
             for i, (p, g) in enumerate(zip(params, grads))]
    return loss, [g.astype(p.dtype) for p, g in zip(params, grads)]


def test_l2_written_by_hand_passes():
    assert run(L2, _l2).status == PASSED


def test_l2_decaying_the_biases_fails_with_the_bias_hint():
    outcome = run(L2, lambda *a: _l2(*a, decay_biases=True))
    assert outcome.status == FAILED and "biases are not penalised" in rendered(outcome)
    assert "Your bias gradients got the penalty too" in rendered(outcome)


def test_l2_with_lambda_instead_of_half_lambda_fails():
    outcome = run(L2, lambda *a: _l2(*a, factor=1.0))
    assert outcome.status == FAILED and "values are wrong" in rendered(outcome)


def test_l2_gradient_without_the_penalty_fails():
    def l2_loss_and_grads(params, X, y, lam):
        loss, grads = loss_and_grads(params, X, y)
        return loss + 0.5 * lam * sum(float(np.sum(W ** 2)) for W in params[0::2]), grads

    outcome = run(L2, l2_loss_and_grads)
    assert outcome.status == FAILED and "grads[0]" in rendered(outcome)


def test_l2_gradient_is_what_torch_sgd_weight_decay_adds():
    """SGD(weight_decay=λ) on the weights (biases in a group with 0) takes the same step."""
    import torch

    rng = np.random.default_rng(11)
    params = lesson07._mlp_params(rng, [3, 5, 4])
    X, y = rng.standard_normal((9, 3)), rng.integers(0, 4, 9)
    lam, lr = 0.3, 0.7
    _, grads = lesson07.l2_loss_and_grads(params, X, y, lam)
    ours = sgd_step(params, grads, lr)
    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    optimiser = torch.optim.SGD([{"params": tensors[0::2], "weight_decay": lam},
                                 {"params": tensors[1::2], "weight_decay": 0.0}], lr=lr)
    loss = torch.nn.functional.cross_entropy(lesson07._forward_torch(tensors, torch.tensor(X)),
                                             torch.tensor(y))
    loss.backward()
    optimiser.step()
    for a, t in zip(ours, tensors):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=0, atol=1e-13)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_l2_rejects_a_negative_lambda(lang):
    params = lesson07._mlp_params(np.random.default_rng(0), [2, 3])
    with language(lang), pytest.raises(CourseValueError, match="lam"):
        lesson07.l2_loss_and_grads(params, np.ones((2, 2)), [0, 1], -1.0)


# ------------------------------------------------------------------ early stopping

def _early(params, X_train, y_train, X_val, y_val, lr, batch_size, max_epochs, patience, rng,
           keep_last=False, ties_improve=False, off_by_one=False):
    best_loss, best_epoch, best_params, val_losses = np.inf, 0, params, []
    for epoch in range(1, max_epochs + 1):
        params, _ = train_epoch(params, X_train, y_train, lr, batch_size, rng)
        val = loss_and_grads(params, X_val, y_val)[0]
        val_losses.append(val)
        if val < best_loss or (ties_improve and val == best_loss):
            best_loss, best_epoch, best_params = val, epoch, params
        elif epoch - best_epoch >= patience + (1 if off_by_one else 0):
            break
    return (params if keep_last else best_params), val_losses, best_epoch


def test_early_stopping_written_by_hand_passes():
    assert run(EARLY, _early).status == PASSED


def test_early_stopping_returning_the_last_parameters_fails():
    outcome = run(EARLY, lambda *a: _early(*a, keep_last=True))
    assert outcome.status == FAILED and "best_params" in rendered(outcome)


def test_early_stopping_that_counts_ties_as_improvements_fails():
    outcome = run(EARLY, lambda *a: _early(*a, ties_improve=True))
    assert outcome.status == FAILED and "<=" in rendered(outcome)


def test_early_stopping_waiting_one_epoch_too_long_fails_on_the_epoch_count():
    outcome = run(EARLY, lambda *a: _early(*a, off_by_one=True))
    assert outcome.status == FAILED and "wrong number of epochs" in rendered(outcome)


def test_early_stopping_cases_really_stop_early_and_run_to_the_end():
    stopped, ran_out = False, False
    for case in EARLY.cases(np.random.default_rng(0)):
        _, losses, best = EARLY.expected(*copy.deepcopy(case.args))
        max_epochs = case.args[7]
        stopped |= len(losses) < max_epochs and best < len(losses)
        ran_out |= len(losses) == max_epochs
    assert stopped and ran_out


def test_early_stopping_with_torch_is_forbidden():
    def fit_early_stopping(*args):
        import torch  # noqa: F401
        return _early(*args)

    assert run(EARLY, fit_early_stopping).status == FORBIDDEN
