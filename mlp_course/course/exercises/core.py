"""Exercises: what a learner writes, how it is checked, and what the checker says.

练习：学习者要写什么、如何检查、检查器如何反馈。

An :class:`Exercise` is data: the name of the function the learner defines,
a generator of test cases (random and adversarial), a function computing the
expected output with PyTorch, the library's own reference implementation, and
the shortcuts the exercise forbids. The same object serves the learner's
instant ``check(...)`` in a notebook and the auto-grader, which evaluates the
learner's function in a separate kernel but compares outside it.
"""

from __future__ import annotations

import ast
import copy
import inspect
import os
import textwrap
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ...i18n import CourseValueError, Message

# Every status a check can end in; the grader adds timeouts and crashes of its own.
PASSED = "passed"
FAILED = "failed"
NOT_IMPLEMENTED = "not_implemented"
ERROR = "error"
FORBIDDEN = "forbidden"
MISSING = "missing"


@dataclass
class Case:
    """One input to try on the learner's function.  一个测试输入。

    ``kind`` describes the input without giving its values away (it is shown
    to graded students); ``hint`` says what usually goes wrong for this kind.
    """

    args: tuple
    kind: Message
    kwargs: dict = field(default_factory=dict)
    hint: Message | None = None
    rtol: float | None = None
    atol: float | None = None
    check_dtype: bool = True


@dataclass
class Symptom:
    """What a wrong output shows, and the hint that fits it.  错误输出呈现的症状及对应提示。

    ``seen(got, expected, case)`` is true when the learner's output ``got``
    shows the symptom (rows that do not sum to 1, a result N times too large, a
    transposed matrix, ...); ``hint`` then says what the output shows and where
    the learner's own derivation leads, never the formula itself.
    """

    seen: Callable[[Any, Any, Case], bool]
    hint: Message


@dataclass
class Exercise:
    """A function the learner implements, and how to check it.  一道练习题。

    Hints go from gentle to specific: ``hint`` points back to the lesson's
    derivation, a case's ``hint`` says what its kind of input probes, and a
    matching ``symptoms`` entry says what the learner's own output shows.
    """

    id: str
    lesson: str
    function: str
    points: int
    title: Message
    cases: Callable[[np.random.Generator], list[Case]]
    expected: Callable[..., Any]
    reference: Callable[..., Any]
    forbidden: tuple[str, ...] = ()
    hint: Message | None = None
    compare: Callable[[Any, Any, Case], "Mismatch | None"] | None = None
    symptoms: tuple[Symptom, ...] = ()

    def __post_init__(self):
        # Calling the exercise's own reference answer is never a solution, whichever lesson
        # module holds it: forbidden here, once, for check() and the grader alike.
        own = f"{self.reference.__module__}.{self.reference.__qualname__}"
        if not is_forbidden(own, self.forbidden):
            self.forbidden = (*self.forbidden, own)

    @property
    def check_id(self) -> str:
        """The nbgrader ``grade_id`` of this exercise's check cell."""
        return f"{self.id}_check"


@dataclass
class Mismatch:
    """Why an output is wrong: ``public`` may be shown to a graded student,
    ``detail`` (expected vs got) only to a self-learner."""

    public: Message
    detail: str = ""
    hint: Message | None = None


@dataclass
class Outcome:
    """The verdict on one exercise.  一道练习的判定结果。

    ``hints`` are every hint that fits the failure, from gentle to specific (the
    exercise's pointer to the derivation, the case's, the symptom the output shows);
    ``hint`` is the one shown, the most specific unless ``check`` climbs the ladder
    one step per repeated failure. ``more_hints`` says a more specific one is left.
    """

    exercise: str
    status: str
    message: Message
    points: float = 0.0
    max_points: float = 0.0
    kind: Message | None = None
    hint: Message | None = None
    detail: str = ""
    cases_run: int = 0
    hints: tuple[Message, ...] = ()
    more_hints: bool = False

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def render(self, lang: str | None = None, detail: bool = True) -> str:
        """One short paragraph in the chosen language.  用所选语言给出简短结论。"""
        lines = [self.message.render(lang)]
        if self.kind is not None:
            lines.append(Message(zh="  出错的输入类型：{kind}", en="  Input that broke it: {kind}",
                                 kind=self.kind.render(lang)).render(lang))
        if detail and self.detail:
            lines.append(textwrap.indent(self.detail, "  "))
        if self.hint is not None:
            lines.append(Message(zh="  提示：{hint}", en="  Hint: {hint}",
                                 hint=self.hint.render(lang)).render(lang))
        if self.more_hints:
            lines.append(Message(zh="  （改过之后如果还是同样的错误，再检查一次会给出更具体的提示。）",
                                 en="  (If the same failure comes back after a change, the next "
                                    "check gives a more specific hint.)").render(lang))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


# ---------------------------------------------------------------------------
# Comparing outputs

# How many units of the dtype's resolution an answer computed in that dtype may be
# off at the values' magnitude. A correct float32 log_softmax (z − logsumexp(z)) on
# |z| ≈ 200 is off by up to about 1.7 eps·max|z| (measured over 20 000 seeds, as is
# PyTorch's own); 8 leaves room for longer reductions, and is still four orders of
# magnitude below any mistake of formula.
RESOLUTION_UNITS = 8.0


def _magnitude(values) -> float:
    """The largest finite absolute value among the floating-point arrays in ``values``."""
    largest = 0.0
    stack = [values]
    while stack:
        value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (np.ndarray, np.floating, float)):
            array = np.asarray(value)
            if array.dtype.kind == "f" and array.size:
                finite = np.abs(array[np.isfinite(array)])
                if finite.size:
                    largest = max(largest, float(finite.max()))
    return largest


def tolerances(dtype: np.dtype, case: Case, expected: Any = None) -> tuple[float, float]:
    """(rtol, atol) for comparing an output of ``dtype`` with the expected one.

    The absolute tolerance is never finer than the dtype's resolution at the
    magnitude of the case's inputs and of the expected output
    (``RESOLUTION_UNITS`` × eps(dtype) × max|value|): a correct answer cannot
    be closer than its dtype can resolve, whatever the seed drew.
    """
    dtype = np.dtype(dtype)
    if case.rtol is not None or case.atol is not None:
        rtol, atol = case.rtol or 0.0, case.atol or 0.0
    elif dtype == np.float32:
        rtol, atol = 1e-4, 1e-5
    else:
        rtol, atol = 1e-6, 1e-9
    if dtype.kind == "f":
        scale = max(_magnitude((case.args, case.kwargs)), _magnitude(expected))
        atol = max(atol, RESOLUTION_UNITS * float(np.finfo(dtype).eps) * scale)
    return rtol, atol


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray shape={value.shape} dtype={value.dtype}"
    return type(value).__name__


def _format_array(value: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=12, edgeitems=3, linewidth=100):
        return np.array2string(np.asarray(value))


def default_compare(got: Any, expected: Any, case: Case, where: str = "") -> Mismatch | None:
    """Compare an output with the expected one: structure, shape, dtype, nan/inf, values."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return Mismatch(Message(
                zh="{where}应返回 {n} 个值组成的元组，实际返回了 {got}。",
                en="{where}should return a tuple of {n} values, got {got}.",
                where=where, n=len(expected), got=_describe(got)))
        for index, (g, e) in enumerate(zip(got, expected)):
            found = default_compare(g, e, case, where=f"{where}[{index}] ")
            if found is not None:
                return found
        return None
    if got is None:
        return Mismatch(Message(zh="{where}函数返回了 None——是不是忘了 return？",
                                en="{where}your function returned None: did you forget `return`?",
                                where=where))
    expected_array = np.asarray(expected)
    try:
        got_array = np.asarray(got)
    except Exception:  # an object numpy cannot read is simply the wrong kind of output
        got_array = np.asarray(None, dtype=object)
    if got_array.dtype == object or got_array.dtype.kind not in "biuf":
        return Mismatch(Message(zh="{where}应返回数值数组，实际返回了 {got}。",
                                en="{where}should return a numeric array, got {got}.",
                                where=where, got=_describe(got)))
    if got_array.shape != expected_array.shape:
        return Mismatch(Message(zh="{where}形状不对：应为 {want}，实际为 {got}。",
                                en="{where}wrong shape: expected {want}, got {got}.",
                                where=where, want=expected_array.shape, got=got_array.shape))
    if (case.check_dtype and expected_array.dtype.kind == "f"
            and got_array.dtype != expected_array.dtype):
        return Mismatch(Message(
            zh="{where}数据类型（dtype）应为 {want}（与输入一致），实际为 {got}。",
            en="{where}the dtype should be {want} (the same as the input), got {got}.",
            where=where, want=expected_array.dtype, got=got_array.dtype))
    rtol, atol = tolerances(expected_array.dtype, case, expected_array)
    expected_f = expected_array.astype(np.float64)
    got_f = got_array.astype(np.float64)
    nan_expected, nan_got = np.isnan(expected_f), np.isnan(got_f)
    if np.any(nan_got & ~nan_expected):
        return Mismatch(Message(zh="{where}结果中出现了 nan（数值溢出或 0/0），而正确结果没有。",
                                en="{where}the result contains nan (overflow or 0/0) where the "
                                   "correct one does not.", where=where),
                        detail=_detail(got_array, expected_array))
    if np.any(nan_expected & ~nan_got):
        return Mismatch(Message(zh="{where}在本应为 nan 的位置给出了数值。",
                                en="{where}gave a number where the correct result is nan.",
                                where=where),
                        detail=_detail(got_array, expected_array))
    finite = ~nan_expected
    if not np.allclose(got_f[finite], expected_f[finite], rtol=rtol, atol=atol, equal_nan=True):
        bad = ~np.isclose(got_f, expected_f, rtol=rtol, atol=atol, equal_nan=True)
        worst = np.unravel_index(int(np.argmax(bad)), bad.shape) if bad.ndim else ()
        return Mismatch(Message(zh="{where}数值不对（容差 rtol={rtol:g}, atol={atol:g}），"
                                   "第一个不符的位置是 {index}。",
                                en="{where}the values are wrong (tolerance rtol={rtol:g}, "
                                   "atol={atol:g}); the first wrong entry is at {index}.",
                                where=where, rtol=rtol, atol=atol, index=tuple(map(int, worst))),
                        detail=_detail(got_array, expected_array))
    return None


def compare_array_list(got: Any, expected: Sequence, case: Case, name: str) -> Mismatch | None:
    """Compare a list of arrays (parameters, gradients) entry by entry, naming the entry."""
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        from ...nn.validation import describe

        what = (Message(zh="长度为 {k} 的 {kind}", en="{kind} of length {k}",
                        kind=type(got).__name__, k=len(got))
                if isinstance(got, (list, tuple)) else describe(got))
        return Mismatch(Message(
            zh="{name} 应为 {n} 个数组组成的列表（与输入的参数一一对应，顺序相同），实际是 {got}。",
            en="{name} should be a list of {n} arrays (one per parameter, in the input's "
               "order), got {got}.",
            name=name, n=len(expected), got=what))
    for index, (g, e) in enumerate(zip(got, expected)):
        found = default_compare(g, e, case, where=f"{name}[{index}]: ")
        if found is not None:
            return found
    return None


def compare_output(exercise: "Exercise", got: Any, expected: Any, case: Case) -> Mismatch | None:
    """Compare with the exercise's own rule; a mismatch carries the hint of the first
    symptom the output shows (the learner's check and the grader both call this)."""
    mismatch = (exercise.compare or default_compare)(got, expected, case)
    if mismatch is not None and mismatch.hint is None:
        mismatch.hint = diagnose(exercise, got, expected, case)
    return mismatch


def diagnose(exercise: "Exercise", got: Any, expected: Any, case: Case) -> Message | None:
    """The hint of the first of the exercise's symptoms that ``got`` shows, if any."""
    for symptom in exercise.symptoms:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                seen = bool(symptom.seen(got, expected, case))
        except Exception:  # an output too odd to read shows no symptom
            seen = False
        if seen:
            return symptom.hint
    return None


def _detail(got: np.ndarray, expected: np.ndarray) -> str:
    return "\n".join([
        str(Message(zh="期望：", en="expected:")) + " " + _format_array(expected),
        str(Message(zh="实际：", en="got:     ")) + " " + _format_array(got),
    ])


def _snapshot(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    return copy.deepcopy(args), copy.deepcopy(kwargs)


def inputs_unchanged(before, after) -> bool:
    """Whether the learner's function left its inputs as they were (arrays inside
    lists, tuples and dicts included). The one test of an in-place change, used by
    the learner's check and by the grader alike."""
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, (list, tuple)):
        return (isinstance(after, (list, tuple)) and len(before) == len(after)
                and all(inputs_unchanged(a, b) for a, b in zip(before, after)))
    if isinstance(before, dict):
        return (isinstance(after, dict) and before.keys() == after.keys()
                and all(inputs_unchanged(before[k], after[k]) for k in before))
    return True


# ---------------------------------------------------------------------------
# Forbidden shortcuts

SUSPICIOUS = ("eval", "exec", "__import__", "importlib.import_module", "compile")


def aliases_in(tree: ast.AST) -> dict[str, str]:
    """Names bound by the import statements of a syntax tree: ``F`` → ``torch.nn.functional``."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def names_used(tree: ast.AST, aliases: dict[str, str]) -> set[str]:
    """Every dotted name a syntax tree uses or imports, its first part resolved by ``aliases``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            parts = []
            current = node
            while isinstance(current, ast.Attribute):
                parts.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name):
                parts.append(aliases.get(current.id, current.id))
                names.add(".".join(reversed(parts)))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def dotted_names(source: str) -> set[str]:
    """Every dotted name a piece of code uses, with import aliases resolved.

    ``import torch.nn.functional as F; F.softmax(x)`` yields
    ``torch.nn.functional.softmax``; ``from torch import softmax`` yields
    ``torch.softmax``.
    """
    tree = ast.parse(textwrap.dedent(source))
    return names_used(tree, aliases_in(tree))


def is_forbidden(name: str, forbidden: Sequence[str]) -> bool:
    return any(name == bad or name.startswith(bad + ".") for bad in forbidden)


def find_forbidden(source: str, forbidden: Sequence[str]) -> list[str]:
    """The forbidden shortcuts a piece of code uses (also via import aliases).

    Dynamic look-ups (``eval``, ``getattr`` with a computed name, ``__import__``)
    are reported too when anything is forbidden: they could hide a shortcut.
    """
    if not forbidden:
        return []
    try:
        names = dotted_names(source)
    except SyntaxError:
        return []
    found = sorted({name for name in names if is_forbidden(name, forbidden)})
    found += sorted(name for name in names if name in SUSPICIOUS)
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "getattr" and len(node.args) >= 2
                and not isinstance(node.args[1], ast.Constant)):
            found.append("getattr(…)")
    return found


def function_source(fn: Callable) -> str | None:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None


# ---------------------------------------------------------------------------
# Verdict texts: the one place both the learner's check and the grader take them from

def passed_message(exercise_id: str, count: int) -> Message:
    return Message(zh="✅ {name}：通过全部 {n} 项测试，与 PyTorch 的结果一致。",
                   en="✅ {name}: passed all {n} tests; matches PyTorch.", name=exercise_id,
                   n=count)


def not_implemented_message(exercise_id: str) -> Message:
    return Message(zh="⏳ {name}：还没有实现——把 `raise NotImplementedError` 换成你的代码吧。",
                   en="⏳ {name}: not implemented yet: replace `raise NotImplementedError` "
                      "with your code.", name=exercise_id)


def raised_message(exercise_id: str, number: int, error: str, text: str) -> Message:
    return Message(zh="❌ {name}：第 {number} 个测试中函数抛出了 {error}: {text}",
                   en="❌ {name}: your function raised {error}: {text} (test {number})",
                   name=exercise_id, number=number, error=error, text=text)


def changed_input_message(exercise_id: str) -> Message:
    return Message(zh="❌ {name}：函数修改了传入的数组（原地修改）。请不要改动输入，返回新数组。",
                   en="❌ {name}: your function changed its input array in place. Leave inputs "
                      "untouched and return a new array.", name=exercise_id)


def forbidden_message(exercise_id: str, used: Sequence[str]) -> Message:
    return Message(zh="🚫 {name}：不能使用现成的 {used}——这道题的目的就是亲手实现它。",
                   en="🚫 {name}: the shortcut {used} is not allowed here: the point of this "
                      "exercise is to write it yourself.",
                   name=exercise_id, used=", ".join(sorted(set(used))))


def wrong_message(exercise_id: str, why: Any) -> Message:
    """``why`` is the Mismatch's public message (or anything that formats as one)."""
    return Message(zh="❌ {name}：{why}", en="❌ {name}: {why}", name=exercise_id, why=why)


EXIT_HINT = Message(
    zh="sys.exit()、exit() 和 quit() 会结束整个程序（在笔记本里是结束内核），而不是从函数返回。"
       "用 return 交回结果；要报告错误就 raise 一个异常。",
    en="sys.exit(), exit() and quit() end the whole program (in a notebook, the kernel) "
       "instead of returning from your function. Hand the result back with return; raise an "
       "exception to report an error.")
TIMEOUT_HINT = Message(
    zh="检查每个 while 循环的条件是否会在有限步内变为假，以及是否有无意中遍历了巨大范围的循环；"
       "这里的函数只需要几次 numpy 运算，不需要逐个元素循环。",
    en="Check that every while loop's condition becomes false after finitely many steps and "
       "that no loop runs over a huge range by mistake; these functions need only a few numpy "
       "operations, no loop over single elements.")
RECURSION_HINT = Message(
    zh="函数在调用自己（或两个函数互相调用）且没有终止条件。检查是否不小心在函数体里调用了同名函数。",
    en="The function calls itself (or two functions call each other) without an end. Check "
       "whether the body calls a function of the same name by mistake.")

READ_ONLY_HINT = Message(
    zh="你的函数想改动传入的数组，而检查时传入的数组是只读的。返回新的数组，不要原地修改"
       "（例如不要写 `p -= …` 或 `p[...] = …`）：原地修改会悄悄改掉调用者的数据。",
    en="Your function tried to change an array it was given, and the check passes read-only "
       "arrays. Return new arrays instead of changing them in place (no `p -= …` or "
       "`p[...] = …`): an in-place change silently alters the caller's data.")


def hint_ladder(exercise: "Exercise", case: Case | None,
                specific: Message | None = None) -> tuple[Message, ...]:
    """The hints that fit a failure, gentle first: the exercise's own (back to the
    derivation), the case's (what this input probes), then ``specific`` (what the output
    shows, or what the error means)."""
    ladder: list[Message] = []
    for hint in (exercise.hint, case.hint if case is not None else None, specific):
        if hint is not None and hint not in ladder:
            ladder.append(hint)
    return tuple(ladder)


def hint_for_error(error: str, case: Case | None, exercise: "Exercise",
                   text: str = "") -> Message | None:
    """The hint that fits an exception (``error`` is its type's name, ``text`` its message):
    the way out of the program, a runaway recursion and a write to a read-only input have
    their own; any other error the hint of the input that triggered it."""
    if error == "SystemExit":
        return EXIT_HINT
    if error == "RecursionError":
        return RECURSION_HINT
    if "read-only" in text:
        return READ_ONLY_HINT
    return (case.hint if case is not None else None) or exercise.hint


# ---------------------------------------------------------------------------
# Check cells under nbgrader

NBGRADER_MODES = ("autograde", "validate")


def under_nbgrader() -> bool:
    """Whether nbgrader is running the notebook (``nbgrader autograde`` or ``validate``
    set ``NBGRADER_EXECUTION``): a check cell must then fail by raising."""
    return os.environ.get("NBGRADER_EXECUTION", "") in NBGRADER_MODES


class CheckFailed(AssertionError):
    """A check that did not pass while nbgrader grades the notebook (its cell scores 0)."""


def report(outcome: "Outcome", detail: bool = True) -> None:
    """Print a verdict; under nbgrader a verdict that is not a pass raises
    :class:`CheckFailed` (an ``AssertionError``) with the same text instead, so
    nbgrader's marks follow the check."""
    words = outcome.render(detail=detail)
    if not outcome.passed and under_nbgrader():
        raise CheckFailed(words)
    print(words)


# ---------------------------------------------------------------------------
# Running an exercise on a function

def evaluate(exercise: Exercise, fn: Any, seed: int | None = None,
             cases: list[Case] | None = None) -> Outcome:
    """Run every case of ``exercise`` on ``fn`` and return the first failure, or a pass.

    Never raises for anything the learner's function does: exceptions become
    an :class:`Outcome` with status ``error`` or ``not_implemented``.
    """
    max_points = float(exercise.points)
    if not callable(fn):
        return Outcome(exercise.id, MISSING, Message(
            zh="❌ {name}：没有找到可调用的函数 `{fn}`（收到的是 {got}）。",
            en="❌ {name}: no callable function `{fn}` was found (got {got}).",
            name=exercise.id, fn=exercise.function, got=type(fn).__name__),
            max_points=max_points)
    source = function_source(fn)
    if source is not None:
        used = find_forbidden(source, exercise.forbidden)
        if used:
            return Outcome(exercise.id, FORBIDDEN, forbidden_message(exercise.id, used),
                           max_points=max_points)
    if cases is None:
        rng = np.random.default_rng(seed)
        cases = exercise.cases(rng)
    for number, case in enumerate(cases, start=1):
        args, kwargs = _snapshot(case.args, case.kwargs)
        expected = exercise.expected(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    got = fn(*args, **kwargs)
        except NotImplementedError:
            return Outcome(exercise.id, NOT_IMPLEMENTED, not_implemented_message(exercise.id),
                           max_points=max_points)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # the learner's bug, reported, never re-raised
            hint = hint_for_error(type(error).__name__, case, exercise, str(error))
            ladder = (hint_ladder(exercise, case) if hint in (case.hint, exercise.hint)
                      else (hint,))
            return Outcome(exercise.id, ERROR, raised_message(
                exercise.id, number, type(error).__name__, str(error)[:300]),
                kind=case.kind, hint=hint, hints=ladder, max_points=max_points,
                cases_run=number)
        if not (inputs_unchanged(case.args, args) and inputs_unchanged(case.kwargs, kwargs)):
            return Outcome(exercise.id, FAILED, changed_input_message(exercise.id),
                           kind=case.kind, max_points=max_points, cases_run=number)
        mismatch = compare_output(exercise, got, expected, case)
        if mismatch is not None:
            ladder = hint_ladder(exercise, case, mismatch.hint)
            return Outcome(exercise.id, FAILED, wrong_message(exercise.id, mismatch.public),
                           kind=case.kind, hint=ladder[-1] if ladder else None, hints=ladder,
                           detail=mismatch.detail, max_points=max_points, cases_run=number)
    return Outcome(exercise.id, PASSED, passed_message(exercise.id, len(cases)),
                   points=max_points, max_points=max_points, cases_run=len(cases))


# ---------------------------------------------------------------------------
# The registry

REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    if exercise.id in REGISTRY and REGISTRY[exercise.id] is not exercise:
        raise RuntimeError(f"exercise id {exercise.id!r} registered twice")
    REGISTRY[exercise.id] = exercise
    return exercise


def load_all() -> dict[str, Exercise]:
    """Import every lesson's exercise module so the registry is complete."""
    import importlib
    import pkgutil

    from .. import exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("lesson"):
            try:
                importlib.import_module(f"{package.__name__}.{info.name}")
            except Exception as error:  # one broken lesson must not break every check
                _BROKEN[info.name] = f"{type(error).__name__}: {error}"
            else:
                _BROKEN.pop(info.name, None)
    return REGISTRY


_BROKEN: dict[str, str] = {}


def get_exercise(exercise_id: str) -> Exercise:
    if exercise_id not in REGISTRY:
        load_all()
    if exercise_id not in REGISTRY:
        raise CourseValueError(
            zh="没有名为 {id!r} 的练习；已有的练习：{known}。{broken}",
            en="There is no exercise {id!r}; known exercises: {known}.{broken}",
            id=exercise_id, known=", ".join(sorted(REGISTRY)) or "-",
            broken="".join(f" [{name}: {why}]" for name, why in _BROKEN.items()))
    return REGISTRY[exercise_id]


def exercises_of(lesson_id: str) -> list[Exercise]:
    load_all()
    return [ex for ex in REGISTRY.values() if ex.lesson == lesson_id]


# ---------------------------------------------------------------------------
# While the grader runs a notebook

GRADING_VARIABLE = "MLP_COURSE_GRADING"


def grading() -> bool:
    """Whether this kernel is one the auto-grader started (its sandbox sets the variable)."""
    return os.environ.get(GRADING_VARIABLE) == "1"


def unavailable_while_grading(exercise_id: str) -> Callable:
    """A stand-in that fails: no reference implementation is handed out while grading."""
    def unavailable(*args, **kwargs):
        raise RuntimeError(Message(
            zh="评分时没有 {name} 的参考实现可用：后面的单元格只能使用你自己的函数。",
            en="No reference implementation of {name} is available while grading: the cells "
               "below can only use your own function.", name=exercise_id).render())

    unavailable.__name__ = unavailable.__qualname__ = f"{exercise_id}_unavailable"
    return unavailable
