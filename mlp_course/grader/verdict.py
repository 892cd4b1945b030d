"""Verdicts, decided in the grader's own process from what the student's function returned.

判定：在评分器自己的进程中，根据学生函数返回的结果作出。

The messages are :func:`mlp_course.course.exercises.evaluate`'s own (what a learner
sees from ``check``; both take them, and the in-place-change test, from
:mod:`mlp_course.course.exercises.core`), minus the ``detail`` with expected and
actual values, which a graded student must never see. The grader adds its own statuses for what
only happens when a whole notebook runs: time-outs, crashed kernels, memory.
"""

from __future__ import annotations

import re

from ..course.exercises.core import (ERROR, FAILED, FORBIDDEN, MISSING, NOT_IMPLEMENTED, PASSED,
                                     TIMEOUT_HINT, Case, Exercise, Outcome, changed_input_message,
                                     compare_output, forbidden_message, hint_for_error,
                                     inputs_unchanged, not_implemented_message, passed_message,
                                     raised_message, wrong_message)
from ..i18n import Message
from .kernel_helper import ExchangeError, decode

TIMEOUT = "timeout"
CRASHED = "crashed"
MEMORY = "memory"
PROCESSES = "processes"       # at the cap of processes and threads (a fork bomb)
DISK = "disk"                 # wrote as much as it may
NOT_RUN = "not_run"
NOT_GRADED = "not_graded"

# statuses of the row describing a whole submission
UNREADABLE = "unreadable"
UNKNOWN_LESSON = "unknown_lesson"
WRONG_LESSON = "wrong_lesson"
NOTEBOOK_TIMEOUT = "notebook_timeout"
KERNEL_RESTARTED = "kernel_restarted"
KERNEL_FAILED = "kernel_failed"

EXERCISE_STATUSES = (PASSED, FAILED, NOT_IMPLEMENTED, ERROR, FORBIDDEN, MISSING, TIMEOUT,
                     CRASHED, MEMORY, PROCESSES, DISK, NOT_RUN, NOT_GRADED)
SUBMISSION = "(submission)"


def outcome(exercise: Exercise, status: str, message: Message, case: Case | None = None,
            hint: bool | Message = False, cases_run: int = 0) -> Outcome:
    """A zero-point verdict (only :func:`passed` gives points).

    ``hint``: ``True`` for the hint of the input that broke the function, or a
    hint of its own that fits the failure (a time-out, a ``SystemExit``).
    """
    if isinstance(hint, Message):
        chosen = hint
    else:
        chosen = (case.hint or exercise.hint) if (hint and case is not None) else None
    return Outcome(exercise.id, status, message, points=0.0, max_points=float(exercise.points),
                   kind=case.kind if case is not None else None, hint=chosen,
                   cases_run=cases_run)


def passed(exercise: Exercise, count: int) -> Outcome:
    return Outcome(exercise.id, PASSED, passed_message(exercise.id, count),
                   points=float(exercise.points), max_points=float(exercise.points),
                   cases_run=count)


def missing(exercise: Exercise, why: Message) -> Outcome:
    return outcome(exercise, MISSING, wrong_message(exercise.id, why))


def no_cell(exercise: Exercise) -> Outcome:
    return missing(exercise, Message(
        zh="笔记本里没有这道题的答案单元格（grade_id 为 {id}）。如果删掉了它，请从原始课程笔记本中"
           "复制回来，把代码写在里面。",
        en="the notebook has no answer cell for this exercise (grade_id {id}). If it was "
           "deleted, copy it back from the original lesson notebook and write your code in it.",
        id=exercise.id))


def not_callable(exercise: Exercise, description: dict, cell_error: str = "") -> Outcome:
    if not description.get("found"):
        why = Message(zh="运行答案单元格后没有找到函数 `{fn}`{after}。",
                      en="no function `{fn}` exists after running its answer cell{after}.",
                      fn=exercise.function, after=_after(cell_error))
    else:
        why = Message(zh="`{fn}` 不是可调用的函数（而是 {got}）。",
                      en="`{fn}` is not a callable function (it is a {got}).",
                      fn=exercise.function, got=str(description.get("type", "?"))[:60])
    return missing(exercise, why)


def _after(cell_error: str) -> str:
    return f" ({cell_error})" if cell_error else ""


# Conversions around a shortcut, not the shortcut itself (named only if nothing else is).
_CONVERSIONS = frozenset({"from_numpy", "tensor", "as_tensor", "Tensor", "numpy", "double",
                          "float", "float32", "float64", "no_grad", "detach", "asarray"})


def meaningful(used: list[str], forbidden) -> list[str]:
    """The forbidden names worth showing a student: the shortcuts themselves.

    ``torch`` is dropped when ``torch.softmax`` is named, a name reached through a
    module attribute (``torch.nn.functional.torch.from_numpy``) or a private module
    (``torch._C._VariableFunctions.softmax``) is cut to the part a reader would write
    (``torch.from_numpy``, ``torch.softmax``), and conversions such as
    ``torch.from_numpy`` are left out when a real shortcut is named.
    """
    roots = {name.split(".")[0] for name in forbidden}
    names = set()
    for name in used:
        parts = name.split(".")
        for index in range(len(parts) - 1, 0, -1):
            if parts[index] in roots:
                parts = parts[index:]
                break
        # private modules in between (torch._C._VariableFunctions.softmax): torch.softmax
        parts = [part for number, part in enumerate(parts)
                 if number in (0, len(parts) - 1) or not part.startswith("_")]
        names.add(".".join(parts))
    names = {name for name in names
             if not any(other != name and other.startswith(name + ".") for other in names)}
    real = {name for name in names if name.split(".")[-1] not in _CONVERSIONS}
    return sorted(real or names)[:6]


def forbidden(exercise: Exercise, used: list[str]) -> Outcome:
    """Zero points for the forbidden names ``used``, of which the message shows the
    shortcuts themselves (:func:`meaningful`)."""
    return outcome(exercise, FORBIDDEN,
                   forbidden_message(exercise.id, meaningful(used, exercise.forbidden)))


def over_limit(status: str, limit: float) -> Message:
    """What a kernel stopped at a cap did: "too many processes", "wrote more than N MB"."""
    if status == PROCESSES:
        return Message(zh="进程过多：达到了 {n} 个进程与线程的上限",
                       en="too many processes: it reached the limit of {n} processes and "
                          "threads", n=int(limit))
    return Message(zh="写入超过 {mb:g} MB", en="wrote more than {mb:g} MB", mb=limit)


def cell_cut_short(exercise: Exercise, status: str, seconds: float,
                   reason: str | Message, exited: bool = False) -> Outcome:
    """The answer cell itself never finished (``reason``: :func:`over_limit` at a cap;
    ``exited``: the kernel ended by its own exit, see :attr:`kernel.Reply.exited`)."""
    if status in (PROCESSES, DISK):
        message = Message(zh="💥 {name}：运行答案单元格时超出限制（{what}），内核被终止。",
                          en="💥 {name}: the answer cell hit a limit ({what}), so its kernel "
                             "was stopped.", name=exercise.id, what=reason)
    elif status == MEMORY:
        message = Message(zh="💥 {name}：运行答案单元格时内存超出上限，内核被终止。",
                          en="💥 {name}: running the answer cell used more memory than allowed, "
                             "so its kernel was stopped.", name=exercise.id)
    elif status == CRASHED and exited:
        message = Message(zh="💥 {name}：运行答案单元格时内核退出了（{reason}）。不要在笔记本里调用 "
                             "sys.exit、os._exit 或 exit()。",
                          en="💥 {name}: the kernel exited while running the answer cell "
                             "({reason}). Do not call sys.exit, os._exit or exit() in a notebook.",
                          name=exercise.id, reason=reason)
    elif status == CRASHED:
        message = Message(zh="💥 {name}：运行答案单元格时内核崩溃了（{reason}）。",
                          en="💥 {name}: the kernel crashed while running the answer cell "
                             "({reason}).", name=exercise.id, reason=reason)
    else:
        message = Message(zh="⏱️ {name}：答案单元格运行超过 {seconds:g} 秒仍未结束（是否有死循环？）。",
                          en="⏱️ {name}: the answer cell was still running after {seconds:g} s "
                             "(an endless loop?).", name=exercise.id, seconds=round(seconds, 1))
        return outcome(exercise, status, message, hint=TIMEOUT_HINT)
    return outcome(exercise, status, message)


def call_cut_short(exercise: Exercise, status: str, case: Case | None, number: int, seconds: float,
                   reason: str | Message, exited: bool = False) -> Outcome:
    """A call of the learner's function never returned (``reason``: as for a cell)."""
    if status in (PROCESSES, DISK):
        message = Message(zh="💥 {name}：第 {number} 个测试中函数超出限制（{what}），内核被终止。",
                          en="💥 {name}: your function hit a limit on test {number} ({what}), "
                             "so its kernel was stopped.", name=exercise.id, number=number,
                          what=reason)
    elif status == MEMORY:
        message = Message(zh="💥 {name}：第 {number} 个测试中函数用的内存超出上限。",
                          en="💥 {name}: your function used more memory than allowed (test "
                             "{number}).", name=exercise.id, number=number)
    elif status == CRASHED and exited:
        message = Message(zh="💥 {name}：第 {number} 个测试中函数让内核退出了（{reason}）。"
                             "函数里不要调用 sys.exit、os._exit 或 exit()。",
                          en="💥 {name}: your function made the kernel exit ({reason}) on test "
                             "{number}. Do not call sys.exit, os._exit or exit() in a function.",
                          name=exercise.id, number=number, reason=reason)
    elif status == CRASHED:
        message = Message(zh="💥 {name}：第 {number} 个测试中内核在运行函数时崩溃了（{reason}）。",
                          en="💥 {name}: the kernel crashed while running your function on test "
                             "{number} ({reason}).", name=exercise.id, number=number,
                          reason=reason)
    else:
        message = Message(zh="⏱️ {name}：第 {number} 个测试中函数超过 {seconds:g} 秒仍未返回"
                             "（是否有死循环？）。",
                          en="⏱️ {name}: your function had not returned after {seconds:g} s "
                             "on test {number} (an endless loop?).",
                          name=exercise.id, number=number, seconds=round(seconds, 1))
    return outcome(exercise, status, message, case,
                   hint=TIMEOUT_HINT if status == TIMEOUT else False, cases_run=number)


def grader_trouble(exercise: Exercise, case: Case | None, number: int, what: str) -> Outcome:
    """The call's result could not be read back (the kernel's helper was broken or bypassed)."""
    return outcome(exercise, ERROR, Message(
        zh="❌ {name}：评分器没能取回第 {number} 个测试的结果（{what}）。笔记本是否改动了 "
           "sys.modules、numpy 或文件系统？",
        en="❌ {name}: the grader could not get the result of test {number} back ({what}). "
           "Does the notebook change sys.modules, numpy or the file system?",
        name=exercise.id, number=number, what=what), case, cases_run=number)


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?")


def scrub(message: str, limit: int = 200) -> str:
    """The first line of an error message, without any number that has a fraction.

    A function may put its input into an exception (``raise ValueError(z)``);
    the feedback must not show the hidden inputs, so decimals become ``…``
    while integers (shapes, axes, indices) stay.
    """
    lines = message.strip().splitlines()
    first = lines[0] if lines else ""
    return _NUMBER.sub("…", first)[:limit]


def _inputs_changed(before, after) -> bool:
    return not inputs_unchanged(before, after)


def judge(exercise: Exercise, case: Case, expected, number: int, result, folder: str) -> Outcome | None:
    """The verdict on one call, or ``None`` if this case passed.

    ``result`` is the JSON the kernel wrote; arrays are read from ``folder``
    without unpickling. Only ``Mismatch.public`` reaches the message.
    """
    if not isinstance(result, dict):
        return grader_trouble(exercise, case, number, "no result")
    raised = result.get("raised")
    if raised is not None:
        if not isinstance(raised, dict):
            return grader_trouble(exercise, case, number, "malformed result")
        if raised.get("not_implemented") is True:
            return outcome(exercise, NOT_IMPLEMENTED, not_implemented_message(exercise.id),
                           cases_run=number)
        error = str(raised.get("type", "Exception"))[:80]
        text = scrub(str(raised.get("message", "")))
        if error == "MemoryError":
            return call_cut_short(exercise, MEMORY, case, number, 0.0, error)
        return outcome(exercise, ERROR, raised_message(exercise.id, number, error, text), case,
                       hint=hint_for_error(error, case, exercise, text) or False,
                       cases_run=number)
    try:
        got = decode(result.get("output"), folder)
    except ExchangeError as problem:
        return grader_trouble(exercise, case, number, str(problem))
    try:
        after = decode(result.get("args_after"), folder)
    except ExchangeError:
        after = None
    if after is not None and _inputs_changed(case.args, after):
        return outcome(exercise, FAILED, changed_input_message(exercise.id), case,
                       cases_run=number)
    try:
        mismatch = compare_output(exercise, got, expected, case)
    except Exception as error:  # an output so odd the comparison itself fails is wrong
        return outcome(exercise, FAILED, Message(
            zh="❌ {name}：返回值无法与正确结果比较（{error}）。",
            en="❌ {name}: the returned value cannot be compared with the correct one ({error}).",
            name=exercise.id, error=type(error).__name__), case, hint=True, cases_run=number)
    if mismatch is not None:
        return outcome(exercise, FAILED, wrong_message(exercise.id, mismatch.public), case,
                       hint=mismatch.hint or True, cases_run=number)
    return None
