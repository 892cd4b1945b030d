"""What a wrong output shows: the tests behind the exercises' diagnostic hints.

错误输出呈现的症状：练习中诊断性提示所依据的检验。

Each function here builds the ``seen(got, expected, case)`` of a
:class:`~mlp_course.course.exercises.core.Symptom`. A symptom is only seen when
it tells the wrong output apart from the right one: a result "N times too large"
is never reported for a batch of one, where it would be the right result.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .core import Case, tolerances

Seen = Callable[[Any, Any, Case], bool]

# A symptom's alternative is computed in float64 from the expected output, the
# learner's in the input's dtype: compare within ten times the check's tolerance.
SLACK = 10.0


def _float(value) -> np.ndarray | None:
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind not in "biuf":
        return None
    return array.astype(np.float64)


def close(got, target, case: Case, like=None) -> bool:
    """Whether ``got`` equals ``target`` (same shape; inf and nan in the same places)
    within the check's tolerance for the dtype of ``like`` (default: ``target``)."""
    got_f, target_f = _float(got), _float(target)
    if got_f is None or target_f is None or got_f.shape != target_f.shape:
        return False
    dtype = np.asarray(like if like is not None else target).dtype
    if dtype.kind == "f" and np.asarray(got).dtype.kind == "f" and np.asarray(got).dtype != dtype:
        return False  # a wrong dtype is its own mistake, reported by the comparison
    rtol, atol = tolerances(dtype if dtype.kind == "f" else np.float64, case, target_f)
    return bool(np.allclose(got_f, target_f, rtol=SLACK * rtol, atol=SLACK * atol,
                            equal_nan=True))


def looks_like(mistake: Callable[[Any, Case], Any]) -> Seen:
    """Seen when the output is what ``mistake(expected, case)`` says a typical slip gives,
    and that differs from the right answer."""
    def seen(got, expected, case):
        wrong = mistake(expected, case)
        return (close(got, wrong, case, like=expected)
                and not close(expected, wrong, case, like=expected))
    return seen


def scaled(factor: Callable[[Case], float]) -> Seen:
    """Seen when the output is ``factor(case)`` times the right one (N times, 1/N times, ...)."""
    return looks_like(lambda expected, case: factor(case) * _float(expected))


def negated() -> Seen:
    """Seen when the output is the right one with its sign flipped."""
    return looks_like(lambda expected, case: -_float(expected))


def transposed() -> Seen:
    """Seen when the output is the transpose of the right matrix."""
    def mistake(expected, case):
        return _float(expected).T
    return looks_like(mistake)


def sums_along(axis: int, value: float, want: bool = True) -> Seen:
    """Seen when the output's sums along ``axis`` are all ``value`` (``want``) or are not
    all ``value`` (``not want``); outputs with nan or inf show neither."""
    def seen(got, expected, case):
        got_f = _float(got)
        if got_f is None or got_f.ndim == 0 or not np.all(np.isfinite(got_f)):
            return False
        if np.asarray(got).dtype != np.asarray(expected).dtype:
            return False  # a wrong dtype is its own mistake, reported by the comparison
        sums = got_f.sum(axis=axis)
        tolerance = 1e-3 if np.asarray(got).dtype == np.float32 else 1e-8
        return bool(np.allclose(sums, value, rtol=0.0, atol=tolerance)) == want
    return seen


def part(index: int, seen: Seen) -> Seen:
    """A symptom of one part of a tuple output (``dW`` of ``(dW, db)``, say)."""
    def part_seen(got, expected, case):
        return seen(got[index], expected[index], case)
    return part_seen


def parts_right(indices, seen_right: bool = True) -> Seen:
    """Seen when the parts ``indices`` of a tuple output are all right (``seen_right``)
    or all wrong."""
    def seen(got, expected, case):
        return all(close(got[i], expected[i], case) == seen_right for i in indices)
    return seen


def all_of(*tests: Seen) -> Seen:
    """Seen when every one of ``tests`` is."""
    def seen(got, expected, case):
        return all(test(got, expected, case) for test in tests)
    return seen


def batch_size(position: int = 0) -> Callable[[Case], float]:
    """N, the number of rows of the case's argument at ``position``."""
    return lambda case: float(np.asarray(case.args[position]).shape[0])
