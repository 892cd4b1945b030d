"""Checks a learner runs in a lesson: ``check``, ``working`` and ``progress``.

学习者在课程中调用的检查：``check``、``working`` 与 ``progress``。

>>> from mlp_course.course.exercises import check          # doctest: +SKIP
>>> check("softmax", softmax)                        # doctest: +SKIP
✅ softmax: passed all 9 tests; matches PyTorch.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from ...i18n import Message, text
from .core import grading, unavailable_while_grading
from .core import (ERROR, FAILED, FORBIDDEN, MISSING, NOT_IMPLEMENTED, PASSED, Case,
                   CheckFailed, Exercise, Mismatch, Outcome, default_compare, evaluate,
                   exercises_of, find_forbidden, get_exercise, load_all, register, report,
                   under_nbgrader)

__all__ = ["check", "working", "progress", "reference", "Case", "Exercise", "Mismatch",
           "Outcome", "default_compare", "evaluate", "exercises_of", "find_forbidden",
           "get_exercise", "load_all", "register", "PASSED", "FAILED", "ERROR",
           "NOT_IMPLEMENTED", "FORBIDDEN", "MISSING"]

# exercise id -> (the function checked last, its outcome), so working() re-checks a new function
_CHECKED: dict[str, tuple[Any, Outcome]] = {}
# exercise id -> (the last failure: status, test number and hints; the step of its ladder shown)
_LADDER: dict[str, tuple[tuple, int]] = {}


def _remember(exercise_id: str, fn: Any, outcome: Outcome) -> None:
    _CHECKED[exercise_id] = (fn, outcome)


def check(exercise_id: str, fn: Any, seed: int | None = None) -> None:
    """Check your function on random and tricky inputs against PyTorch; print the verdict.

    用随机输入和刁钻输入把你的函数与 PyTorch 对比，并打印结论。

    Never raises because of your code: a bug, a wrong shape or an untouched
    stub is reported in a sentence, with the kind of input that broke it and a hint:
    the gentlest first (back to the derivation), a more specific one each time the
    same failure returns (see :func:`climb`).
    Under nbgrader (``nbgrader autograde`` / ``validate``) a check that does not pass
    raises ``AssertionError`` with the same sentence, so the check cell scores 0.
    """
    try:
        exercise = get_exercise(exercise_id)
    except ValueError as error:
        if under_nbgrader():
            raise CheckFailed(str(error)) from None
        print(error)
        return None
    outcome = evaluate(exercise, fn, seed=seed)
    _remember(exercise_id, fn, outcome)
    report(climb(exercise_id, outcome), detail=True)
    return None


def climb(exercise_id: str, outcome: Outcome) -> Outcome:
    """The outcome with the hint for this attempt: the gentlest that fits a new failure,
    one step more specific each time the same failure (same status, test and hints) returns.

    同一个错误再次出现时，提示逐步变得更具体；换了一种错误就从最温和的提示重新开始。
    """
    if outcome.passed or not outcome.hints:
        _LADDER.pop(exercise_id, None)
        return outcome
    failure = (outcome.status, outcome.cases_run, outcome.hints)
    last, step = _LADDER.get(exercise_id, (None, -1))
    step = min(step + 1 if last == failure else 0, len(outcome.hints) - 1)
    _LADDER[exercise_id] = (failure, step)
    return replace(outcome, hint=outcome.hints[step], more_hints=step < len(outcome.hints) - 1)


def reference(exercise_id: str) -> Callable:
    """The library's own implementation of an exercise.  练习对应的库实现。"""
    return get_exercise(exercise_id).reference


def working(exercise_id: str, fn: Any) -> Callable:
    """Your function if it passes its check, otherwise the library's reference.

    如果你的函数通过了检查就用它，否则暂时使用库里的参考实现，
    这样即使练习还没完成，后面的内容也能照常运行。
    """
    if grading():
        # no PyTorch and no reference in the grader's sandbox: your own function, or a stub
        # that fails (the grader judges each exercise on its own function)
        return fn if callable(fn) else unavailable_while_grading(exercise_id)
    checked_fn, outcome = _CHECKED.get(exercise_id, (None, None))
    if outcome is None or checked_fn is not fn:
        outcome = evaluate(get_exercise(exercise_id), fn)
        _remember(exercise_id, fn, outcome)
    if outcome.passed:
        return fn
    print(text(zh="ℹ️ 你的 {name} 还没有通过检查，下面暂时使用 mlp_course 的参考实现。",
               en="ℹ️ Your {name} does not pass its check yet, so the cells below use the "
                  "reference from mlp_course for now.", name=exercise_id))
    return reference(exercise_id)


def progress(lesson: str | None = None, namespace: dict | None = None) -> dict[str, str]:
    """Show which exercises of a lesson pass, re-checking the functions you defined.

    显示本课每道练习的完成情况。``namespace`` 默认为 notebook 的全局变量。

    Returns ``{exercise id: status}``.
    """
    from ..syllabus import get_lesson

    if namespace is None:
        namespace = _caller_globals()
    lessons = [get_lesson(lesson).id] if lesson else sorted({ex.lesson for ex in load_all().values()})
    statuses: dict[str, str] = {}
    rows = []
    earned = total = 0.0
    for lesson_id in lessons:
        for exercise in exercises_of(lesson_id):
            fn = namespace.get(exercise.function)
            outcome = evaluate(exercise, fn)
            _remember(exercise.id, fn, outcome)
            statuses[exercise.id] = outcome.status
            earned += outcome.points
            total += outcome.max_points
            rows.append(outcome.message.render())
    for row in rows:
        print(row)
    print(text(zh="—— 进度：{done}/{count} 道练习通过，得分 {earned:g}/{total:g}。",
               en="—— Progress: {done}/{count} exercises pass, {earned:g}/{total:g} points.",
               done=sum(s == PASSED for s in statuses.values()), count=len(statuses),
               earned=earned, total=total))
    return statuses


def _caller_globals() -> dict:
    import inspect

    frame = inspect.currentframe()
    try:
        caller = frame.f_back.f_back if frame and frame.f_back else None
        return dict(caller.f_globals) if caller else {}
    finally:
        del frame
