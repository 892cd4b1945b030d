"""Hints guide the learner's own derivation; they never hand over the formula.

提示引导学习者自己推导，而不直接给出公式。

Every hint a failed check can show (an exercise's own, every case's, every
symptom's, in both languages) is checked against the formula fragments that
no stub may show either (one list, in ``test_stub_contracts``), for every
exercise at once: a hint of lesson 06 must not give lesson 04's gradient away.
A symptom is what a wrong output shows, so the right output must show none.
"""

from __future__ import annotations

import numpy as np
import pytest

from exercise_helpers import verdict
from mlp_course.course.exercises import FAILED, get_exercise, load_all
from mlp_course.course.exercises.core import (EXIT_HINT, READ_ONLY_HINT, RECURSION_HINT,
                                              TIMEOUT_HINT, diagnose)
from mlp_course.i18n import Message
from test_stub_contracts import FORBIDDEN, normalise

EXERCISES = sorted(load_all().values(), key=lambda exercise: (exercise.lesson, exercise.id))
SEEDS = range(3)
SHARED_HINTS = [EXIT_HINT, RECURSION_HINT, TIMEOUT_HINT, READ_ONLY_HINT]


def hints_of(exercise) -> list[Message]:
    """Every hint a check of ``exercise`` can show: its own, its cases', its symptoms'."""
    found = [exercise.hint] + [symptom.hint for symptom in exercise.symptoms]
    for seed in SEEDS:
        found += [case.hint for case in exercise.cases(np.random.default_rng(seed))]
    unique = []
    for hint in found:
        if hint is not None and hint not in unique:
            unique.append(hint)
    return unique


ALL_FRAGMENTS = sorted({fragment for fragments in FORBIDDEN.values() for fragment in fragments})


# Hints are prose with symbols: Σ for a sum, superscripts for layers, subscripts for indices.
SYMBOLS = str.maketrans({"Σ": "sum", "∑": "sum", "¹": "1", "²": "2", "ₙ": "n", "ᵢ": "i",
                         "ⱼ": "j", "⊙": "∘"})


def given_away(message: Message, lang: str) -> list[str]:
    flat = normalise(message.render(lang).translate(SYMBOLS))
    return [fragment for fragment in ALL_FRAGMENTS if normalise(fragment) in flat]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_no_hint_gives_a_formula_away(exercise, lang):
    hints = hints_of(exercise)
    assert exercise.hint is not None and len(hints) >= 2, exercise.id
    leaks = {hint.render(lang): given_away(hint, lang) for hint in hints}
    leaks = {said: fragments for said, fragments in leaks.items() if fragments}
    assert not leaks, f"{exercise.id}: hints that give a formula away: {leaks}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_shared_hints_give_no_formula_away(lang):
    assert not {hint.render(lang): given_away(hint, lang) for hint in SHARED_HINTS
                if given_away(hint, lang)}


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_the_chinese_of_every_hint_keeps_the_lessons_typography(exercise):
    from test_typography import lint, prose

    findings = {hint.zh: lint(prose(hint.render("zh")))
                for hint in hints_of(exercise) + SHARED_HINTS}
    assert not {text: found for text, found in findings.items() if found}


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_every_hint_is_said_in_both_languages(exercise):
    for hint in hints_of(exercise):
        zh, en = hint.render("zh"), hint.render("en")
        assert zh != en and any("\u4e00" <= ch <= "\u9fff" for ch in zh), zh
        # both sides say the same thing: a symbol on one side is on the other too
        for symbol in ("Δ", "Z¹", "A¹", "W²", "σ", "ŷ", "λ", "1/N", "(N,)", "(N, C)", "−inf"):
            assert (symbol in zh) == (symbol in en), (symbol, zh, en)


def test_the_check_catches_a_hint_that_gives_the_formula():
    old = Message(zh="损失是 N 个样本的平均值，所以梯度是 (ŷ − y) / N：别忘了除以 N。",
                  en="The loss is the mean over N examples, so the gradient is (ŷ − y) / N: do not "
                     "forget to divide by N.")
    assert given_away(old, "zh") and given_away(old, "en")
    hidden = Message(zh="先算 dA¹ = Δ² W²，再逐元素乘 f′(Z¹)。",
                     en="First dA¹ = Δ² W², then entry by entry times f′(Z¹).")
    assert given_away(hidden, "zh") and given_away(hidden, "en")
    soft = Message(zh="概率目标的损失是 −Σ_c t_c·log q_c。",
                   en="For probability targets the loss is −Σ_c t_c·log q_c.")
    assert given_away(soft, "zh") == given_away(soft, "en") != []


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_the_right_output_shows_no_symptom(exercise):
    for seed in SEEDS:
        for case in exercise.cases(np.random.default_rng(seed)):
            expected = exercise.expected(*case.args, **case.kwargs)
            assert diagnose(exercise, expected, expected, case) is None, (exercise.id, case.kind)


# ---------------------------------------------------------------------------
# Diagnostic hints chosen by what a wrong output shows

def _times(exercise_id, factor):
    """A function giving ``factor(*args)`` times the right answer (each part of a tuple)."""
    reference = get_exercise(exercise_id).reference

    def wrong(*args):
        right = reference(*args)
        k = factor(*args)
        if isinstance(right, (tuple, list)):
            return type(right)(np.asarray(r) * np.asarray(k, dtype=np.asarray(r).dtype)
                               for r in right)
        return right * np.asarray(k, dtype=np.asarray(right).dtype)
    return wrong


def _batch(*args):
    return np.asarray(args[0]).shape[0]


def _rows(z):
    return z.shape[0] if np.ndim(z) == 2 else 1


@pytest.mark.parametrize("exercise_id,fn,shown", [
    ("nll_loss", _times("nll_loss", _batch), "exactly N times the right one"),
    ("nll_loss", _times("nll_loss", lambda *a: -1), "wrong sign"),
    ("cross_entropy", _times("cross_entropy", _batch), "exactly N times the right one"),
    ("entropy", _times("entropy", lambda p: -1), "entropies are negative"),
    ("entropy", _times("entropy", lambda p: 1 / np.log(2)), "natural logarithms"),
    ("softmax_ce_grad", _times("softmax_ce_grad", _batch), "exactly N times the right one"),
    ("softmax_jacobian", _times("softmax_jacobian", lambda z: -1), "exactly the negative"),
    ("output_delta", _times("output_delta", _batch), "exactly N times the right one"),
    ("linear_grads", _times("linear_grads", lambda delta, a: 1 / delta.shape[0]),
     "do not divide by N again"),
    ("mlp_backward", _times("mlp_backward", _batch), "All four gradients are exactly N times"),
    ("tanh", _times("tanh", lambda z: -1), "exactly −tanh(z)"),
])
def test_a_scaled_or_negated_output_is_named(exercise_id, fn, shown):
    outcome, text = verdict(get_exercise(exercise_id), fn)
    assert outcome.status == FAILED and shown in text, text


def test_softmax_over_the_wrong_axis_is_named_by_its_sums():
    def softmax(z):
        shifted = np.exp(z - z.max(axis=0, keepdims=True))
        return shifted / shifted.sum(axis=0, keepdims=True)

    outcome, text = verdict(get_exercise("softmax"), softmax)
    assert outcome.status == FAILED and "columns sum to 1 but your rows do not" in text


def test_a_softmax_that_does_not_normalise_is_named():
    def softmax(z):
        return np.exp(z - np.max(z, axis=-1, keepdims=True))

    outcome, text = verdict(get_exercise("softmax"), softmax)
    assert outcome.status == FAILED and "rows do not sum to 1" in text


def test_log_softmax_returning_probabilities_is_named():
    reference = get_exercise("softmax").reference
    outcome, text = verdict(get_exercise("log_softmax"), reference)
    assert outcome.status == FAILED and "You returned probabilities" in text


def test_a_jacobian_with_the_wrong_diagonal_is_named():
    reference = get_exercise("softmax_jacobian").reference

    def softmax_jacobian(z):
        J = reference(z)
        return J + np.eye(len(J), dtype=J.dtype) * np.asarray(0.5, dtype=J.dtype)

    outcome, text = verdict(get_exercise("softmax_jacobian"), softmax_jacobian)
    assert outcome.status == FAILED and "only the diagonal is wrong" in text


def test_a_linear_layer_without_bias_is_named():
    def linear_forward(X, W, b):
        return X @ W.T

    outcome, text = verdict(get_exercise("linear_forward"), linear_forward)
    assert outcome.status == FAILED and "exactly the bias b" in text


def test_a_transposed_dw_is_named():
    reference = get_exercise("linear_grads").reference

    def linear_grads(delta, A_prev):
        dW, db = reference(delta, A_prev)
        return dW.T, db

    # the first case has H_out != H_in, so only a shape can be wrong there; the square case
    # shows the transpose itself
    exercise = get_exercise("linear_grads")
    square = [case for case in exercise.cases(np.random.default_rng(0))
              if case.args[0].shape[0] == case.args[0].shape[1] == case.args[1].shape[1]]
    from mlp_course.course.exercises import evaluate
    from mlp_course.i18n import language

    with language("en"):
        text = evaluate(exercise, linear_grads, cases=square).render()
    assert "transpose of the right one" in text


def test_a_hidden_delta_without_the_activation_is_named():
    def hidden_delta(W2, delta2, Z1, activation="relu"):
        return delta2 @ W2

    outcome, text = verdict(get_exercise("hidden_delta"), hidden_delta)
    assert outcome.status == FAILED and "the step through the activation" in text


def test_an_sgd_step_up_the_gradient_is_named():
    def sgd_step(params, grads, lr):
        return [p + lr * g for p, g in zip(params, grads)]

    outcome, text = verdict(get_exercise("sgd_step"), sgd_step)
    assert outcome.status == FAILED and "moved along the gradient" in text


def test_the_grader_shows_the_same_diagnostic_hint(tmp_path):
    from mlp_course.grader.kernel_helper import encode
    from mlp_course.grader.verdict import judge

    exercise = get_exercise("nll_loss")
    case = exercise.cases(np.random.default_rng(0))[0]
    expected = exercise.expected(*case.args)
    wrong = _times("nll_loss", _batch)(*case.args)
    result = {"output": encode(wrong, str(tmp_path), prefix="o"),
              "args_after": encode(case.args, str(tmp_path), prefix="m")}
    outcome = judge(exercise, case, expected, 1, result, str(tmp_path))
    assert outcome.status == FAILED
    assert "N times the right one" in outcome.hint.render("en")
    assert "N 倍" in outcome.hint.render("zh")


def test_the_grader_names_a_write_to_a_read_only_input(tmp_path):
    from mlp_course.grader.verdict import judge

    exercise = get_exercise("sgd_step")
    case = exercise.cases(np.random.default_rng(0))[0]
    result = {"raised": {"type": "ValueError",
                         "message": "output array is read-only"}}
    outcome = judge(exercise, case, None, 1, result, str(tmp_path))
    assert outcome.hint == READ_ONLY_HINT


# ---------------------------------------------------------------------------
# The ladder: a repeated failure gets a more specific hint

def test_check_climbs_from_the_derivation_to_what_the_output_shows(capsys):
    from mlp_course.course.exercises import check
    from mlp_course.i18n import language

    exercise = get_exercise("nll_loss")
    summed = _times("nll_loss", _batch)
    shown = []
    with language("en"):
        for _ in range(4):
            check("nll_loss", summed, seed=0)
            shown.append(capsys.readouterr().out)
    first_case_hint = exercise.cases(np.random.default_rng(0))[0].hint.render("en")
    assert exercise.hint.render("en") in shown[0] and "more specific hint" in shown[0]
    assert first_case_hint in shown[1] and "more specific hint" in shown[1]
    assert "exactly N times the right one" in shown[2] and "more specific" not in shown[2]
    assert shown[3] == shown[2]  # the top of the ladder stays

    # another failure starts again from the gentlest hint
    with language("en"):
        check("nll_loss", _times("nll_loss", lambda *a: -1), seed=0)
    again = capsys.readouterr().out
    assert exercise.hint.render("en") in again and "wrong sign" not in again
    # a pass clears the ladder
    with language("en"):
        check("nll_loss", exercise.reference, seed=0)
        check("nll_loss", summed, seed=0)
    assert exercise.hint.render("en") in capsys.readouterr().out.split("✅")[-1]


def test_evaluate_and_the_grader_give_the_most_specific_hint_at_once():
    outcome, text = verdict(get_exercise("nll_loss"), _times("nll_loss", _batch))
    assert outcome.hint == outcome.hints[-1] and len(outcome.hints) == 3
    assert "exactly N times the right one" in text and "more specific" not in text


def test_every_ladder_goes_from_the_exercise_hint_to_the_symptom():
    exercise = get_exercise("softmax")
    outcome, _ = verdict(exercise, get_exercise("log_softmax").reference)
    assert outcome.hints[0] == exercise.hint
    assert outcome.hints[-1] == exercise.symptoms[0].hint  # "you returned log-probabilities"


def _changed_part(exercise_id, index, factor=2.0):
    """The reference answer with part ``index`` of its tuple (or list) scaled by ``factor``."""
    reference = get_exercise(exercise_id).reference

    def wrong(*args):
        parts = list(reference(*args))
        parts[index] = parts[index] * np.asarray(factor, dtype=np.asarray(parts[index]).dtype)
        return tuple(parts)
    return wrong


@pytest.mark.parametrize("exercise_id,fn,shown", [
    ("log_softmax_steps", _changed_part("log_softmax_steps", 3),
     "dS and dm are right and dZ is not"),
    ("log_softmax_steps", _changed_part("log_softmax_steps", 1),
     "dlogp is right and dS is not"),
    ("mlp_backward", _changed_part("mlp_backward", 0), "the trouble lies after the output layer"),
    ("linear_grads", _changed_part("linear_grads", 1), "dW is right and db is not"),
])
def test_the_part_that_goes_wrong_first_is_named(exercise_id, fn, shown):
    outcome, text = verdict(get_exercise(exercise_id), fn)
    assert outcome.status == FAILED and shown in text, text


def test_a_deep_backward_wrong_below_the_last_layer_is_named():
    reference = get_exercise("deep_backward").reference

    def deep_backward(X, y, params, activation="relu"):
        grads = reference(X, y, params, activation)
        return [g * np.asarray(2.0 if index < len(grads) - 2 else 1.0, dtype=g.dtype)
                for index, g in enumerate(grads)]

    exercise = get_exercise("deep_backward")
    deep = [case for case in exercise.cases(np.random.default_rng(0)) if len(case.args[2]) > 2]
    from mlp_course.course.exercises import evaluate
    from mlp_course.i18n import language

    with language("en"):
        text = evaluate(exercise, deep_backward, cases=deep).render()
    assert "The last layer's gradients are right and an earlier layer's are not" in text


def test_mlp_forward_with_softmax_over_the_batch_is_named():
    linear = get_exercise("linear_forward").reference

    def mlp_forward(X, W1, b1, W2, b2):
        Z2 = linear(np.maximum(linear(X, W1, b1), 0), W2, b2)
        E = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
        return E / E.sum(axis=0, keepdims=True)

    outcome, text = verdict(get_exercise("mlp_forward"), mlp_forward)
    assert outcome.status == FAILED and "the softmax runs along the wrong axis" in text


def test_l2_without_the_penalty_in_the_loss_is_named():
    from mlp_course.course.exercises.lesson07 import l2_loss_and_grads as reference
    from mlp_course.course.exercises.lesson07 import loss_and_grads

    def l2_loss_and_grads(params, X, y, lam):
        _, grads = reference(params, X, y, lam)
        return loss_and_grads(params, X, y)[0], grads

    outcome, text = verdict(get_exercise("l2_loss_and_grads"), l2_loss_and_grads)
    assert outcome.status == FAILED and "the penalty is not added yet" in text


def test_an_epoch_that_never_updates_between_batches_is_named():
    from mlp_course.course.exercises.lesson07 import loss_and_grads, sgd_step

    def train_epoch(params, X, y, lr, batch_size, rng):
        order = rng.permutation(len(X))
        losses, start_params = [], params
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            loss, grads = loss_and_grads(start_params, X[rows], y[rows])  # never the new ones
            losses.append(loss)
            params = sgd_step(params, grads, lr)
        return params, losses

    outcome, text = verdict(get_exercise("train_epoch"), train_epoch)
    assert outcome.status == FAILED and "the trouble is in the updates" in text
