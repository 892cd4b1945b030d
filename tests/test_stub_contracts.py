"""A stub states its exercise's contract, never the formula the learner has to derive.

桩函数只说明约定（形状、dtype、禁止什么），不给出学习者要自己推导的公式。

Every registered exercise has a list of formula fragments here. The stub a learner
receives (its comments and docstring, in both languages, after ``build``) must
contain none of them. Fragments are compared after normalisation: lower case, no
spaces, ``−`` as ``-``, ``ᵀ`` as ``^t``, ``·`` and ``×`` as ``*``, ``′`` as ``'``.
A new exercise needs its own entry (the first test fails without one).
"""

from __future__ import annotations

import pytest

from mlp_course.course import notebooks
from mlp_course.course.bilingual_code import remarks
from mlp_course.course.exercises import load_all
from mlp_course.course.syllabus import get_lesson

FORBIDDEN: dict[str, list[str]] = {
    # 00: the warm-up states the formula in the text; the stub must not name the call
    "warmup_mean": [".mean(axis", "axis=1", "sum(axis"],
    # 01
    "softmax": ["exp(z_i-m)", "exp(z-m)", "exp(z_j-m)", "m=max", "z-max", "z-z.max", ".max(axis",
                "/sum", "e^z", "exp(z)/", "subtractthemax", "减去最大值", "减去每一行的最大值"],
    "log_softmax": ["(z_i-m)", "(z-m)", "-log(sum", "-logsum", "m=max", "z-logsumexp",
                    "z-lse", ".max(axis", "log(np.exp", "减去最大值"],
    # 02
    "nll_loss": ["-(1/n)", "-1/n", "log_probs[i,target[i]]", "[np.arange", "sum_ilog",
                 ".mean(", "-mean", "log_probs[n,target[n]]"],
    # 03
    "entropy": ["p_ilogp_i", "p*log", "plogp", "p_i*log", "-sum_i", "-sum(p", "sum(p*"],
    "cross_entropy": ["-sum_ct", "t_nc*log", "t*log", "logsoftmax(z_n)", "log_softmax(z_n)",
                      "z-max", ".max(axis", "-log_q", "[np.arange"],
    # 04
    "softmax_jacobian": ["diag(", "δ_ij", "delta_ij", "(δ_ij-", "ŷ_i(", "ŷŷ^t", "outer(",
                         "y_hat_i(", "ŷ_iŷ_j", "-ŷ_j"],
    "softmax_ce_grad": ["softmax(z)-y", "(softmax(", "ŷ-y", "y_hat-y", "-1)/n", ")/n", "-one_hot",
                        "-onehot", "[c==y", "-=1"],
    # 05
    "linear_forward": ["xw^t", "x@w", "w.t", "sum_dx", "x[n,d]*w[h,d]", "xwᵀ"],
    "relu": ["max(z,0)", "maximum(z,0)", "np.maximum", "where(z>0", "max(0,z)"],
    "sigmoid": ["1/(1+exp(-z))", "1/(1+e)", "e/(1+e)", "exp(-|z|)", "1/(1+e^"],
    "tanh": ["(1-e)/(1+e)", "exp(-2|z|)", "sign(z)*", "(e^z-e^-z)", "exp(2z)"],
    "mlp_forward": ["relu(z1)", "a1w2^t", "softmax(z2)", "xw1^t", "x@w1", "a1@w2"],
    # 06
    "output_delta": ["y_hat-", "ŷ-y", "-1)/n", ")/n", "[c==y[n]]", "-one_hot", "-=1"],
    "linear_grads": ["delta^ta_prev", "delta^t@", "delta.t@", "δ^ta", "sum(axis=0", "dw=", "db=",
                     "a_prev^tdelta"],
    "hidden_delta": ["delta2@w2", "δ2w2", "delta2w2", "(w2)^tδ", "w2^tδ", "w^tδ", "∘", "f'(z1)",
                     "σ'(z1)", "(z1>0)", "*relu'"],
    "mlp_backward": ["(y_hat-y)/n", "(ŷ-y)/n", "a1^t", "δ1=", "delta1=", "dw2=", "dw1=", "∘"],
    "log_softmax_steps": ["dm=0", "dz=ds-", "-softmax(z)", "softmax(z)*", "ds=dp-", "dp=-"],
    "deep_backward": ["delta^ta", "w^tdelta", "w^tδ", "δ^ta", "delta@w", "f'(z", "∘"],
    # 07
    "sgd_step": ["p-lr*g", "p_new=", "-lr*g", "p-η*g", "p-eta*g"],
    "train_epoch": ["rng.permutation(n)", "order[0:b]", "order[b:2b]", "params<-params-",
                    "-lr*grads"],
    "l2_loss_and_grads": ["λ/2", "lambda/2", "+λw", "+lam*w", "2λw", "sum(w**2", "||w||^2",
                          "λ*w", "lam*w"],
    "fit_early_stopping": ["val_loss<best", "patience+=", "best_loss=", "ifval_loss<"],
}


def normalise(text: str) -> str:
    for old, new in (("−", "-"), ("ᵀ", "^t"), ("·", "*"), ("×", "*"), ("′", "'"), ("`", "")):
        text = text.replace(old, new)
    return "".join(text.lower().split())


def stub_text(exercise, lang: str) -> str:
    """The comments and docstring lines of an exercise's cell as a learner of ``lang`` gets it."""
    source = notebooks.read(get_lesson(exercise.lesson).source)
    cells = [cell for cell in source.cells
             if notebooks.nbgrader(cell).get("solution")
             and notebooks.nbgrader(cell).get("grade_id") == exercise.id]
    assert len(cells) == 1, f"{exercise.id}: {len(cells)} solution cells in its lesson"
    source.cells = cells
    (stub,) = [cell for cell in notebooks.student_notebook(source, lang).cells
               if notebooks.nbgrader(cell).get("grade_id") == exercise.id]
    return "\n".join(remark.text for remark in remarks(stub.source))


EXERCISES = sorted(load_all().values(), key=lambda exercise: (exercise.lesson, exercise.id))


def test_every_exercise_has_its_list_of_forbidden_fragments():
    missing = [exercise.id for exercise in EXERCISES if not FORBIDDEN.get(exercise.id)]
    assert not missing, f"add the formula fragments the stub must not show for: {missing}"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_stub_gives_the_contract_not_the_formula(exercise, lang):
    text = stub_text(exercise, lang)
    assert text.strip(), f"{exercise.id}: the stub has no docstring stating its contract"
    flat = normalise(text)
    found = [fragment for fragment in FORBIDDEN.get(exercise.id, [])
             if normalise(fragment) in flat]
    assert not found, (f"the {lang} stub of {exercise.id} ({exercise.lesson}) gives away "
                       f"{found}:\n{text}")


def test_the_check_catches_a_docstring_that_gives_the_formula():
    old = '''"""Softmax along the last axis.

        softmax(z)_i = exp(z_i - m) / sum_j exp(z_j - m),   m = max_j z_j
    """'''
    flat = normalise(old)
    assert [f for f in FORBIDDEN["softmax"] if normalise(f) in flat] == ["exp(z_i-m)", "exp(z_j-m)",
                                                                        "m=max", "/sum"]
    gradient = "Gradient ... : (softmax(Z) − Y) / N."
    assert any(normalise(f) in normalise(gradient) for f in FORBIDDEN["softmax_ce_grad"])
