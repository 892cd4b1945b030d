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
class Exercise:
    """A function the learner implements, and how to check it.  一道练习题。"""

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


@dataclass
class Outcome:
    """The verdict on one exercise.  一道练习的判定结果。"""

    exercise: str
    status: str
    message: Message
    points: float = 0.0
    max_points: float = 0.0
    kind: Message | None = None
    hint: Message | None = None
    detail: str = ""
    cases_run: int = 0

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
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


# ---------------------------------------------------------------------------
# Comparing outputs

def tolerances(dtype: np.dtype, case: Case) -> tuple[float, float]:
    if case.rtol is not None or case.atol is not None:
        return case.rtol or 0.0, case.atol or 0.0
    if np.dtype(dtype) == np.float32:
        return 1e-4, 1e-5
    return 1e-6, 1e-9


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
    rtol, atol = tolerances(expected_array.dtype, case)
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


def _detail(got: np.ndarray, expected: np.ndarray) -> str:
    return "\n".join([
        str(Message(zh="期望：", en="expected:")) + " " + _format_array(expected),
        str(Message(zh="实际：", en="got:     ")) + " " + _format_array(got),
    ])


def _snapshot(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    return copy.deepcopy(args), copy.deepcopy(kwargs)


def _same_inputs(before, after) -> bool:
    """Whether the learner's function left its inputs as they were (arrays inside
    lists, tuples and dicts included)."""
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, (list, tuple)):
        return (isinstance(after, (list, tuple)) and len(before) == len(after)
                and all(_same_inputs(a, b) for a, b in zip(before, after)))
    if isinstance(before, dict):
        return (isinstance(after, dict) and before.keys() == after.keys()
                and all(_same_inputs(before[k], after[k]) for k in before))
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
            return Outcome(exercise.id, FORBIDDEN, Message(
                zh="🚫 {name}：不能使用现成的 {used}——这道题的目的就是亲手实现它。",
                en="🚫 {name}: the shortcut {used} is not allowed here: the point of this "
                   "exercise is to write it yourself.",
                name=exercise.id, used=", ".join(used)), max_points=max_points)
    if cases is None:
        rng = np.random.default_rng(seed)
        cases = exercise.cases(rng)
    compare = exercise.compare or default_compare
    for number, case in enumerate(cases, start=1):
        args, kwargs = _snapshot(case.args, case.kwargs)
        expected = exercise.expected(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    got = fn(*args, **kwargs)
        except NotImplementedError:
            return Outcome(exercise.id, NOT_IMPLEMENTED, Message(
                zh="⏳ {name}：还没有实现——把 `raise NotImplementedError` 换成你的代码吧。",
                en="⏳ {name}: not implemented yet: replace `raise NotImplementedError` "
                   "with your code.", name=exercise.id), max_points=max_points)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # the learner's bug, reported, never re-raised
            return Outcome(exercise.id, ERROR, Message(
                zh="❌ {name}：第 {number} 个测试中函数抛出了 {error}: {text}",
                en="❌ {name}: your function raised {error}: {text} (test {number})",
                name=exercise.id, number=number, error=type(error).__name__,
                text=str(error)[:300]),
                kind=case.kind, hint=case.hint or exercise.hint,
                max_points=max_points, cases_run=number)
        if not (_same_inputs(case.args, args) and _same_inputs(case.kwargs, kwargs)):
            return Outcome(exercise.id, FAILED, Message(
                zh="❌ {name}：函数修改了传入的数组（原地修改）。请不要改动输入，返回新数组。",
                en="❌ {name}: your function changed its input array in place. Leave inputs "
                   "untouched and return a new array.", name=exercise.id),
                kind=case.kind, max_points=max_points, cases_run=number)
        mismatch = compare(got, expected, case)
        if mismatch is not None:
            return Outcome(exercise.id, FAILED, Message(
                zh="❌ {name}：{why}", en="❌ {name}: {why}",
                name=exercise.id, why=mismatch.public),
                kind=case.kind, hint=case.hint or exercise.hint, detail=mismatch.detail,
                max_points=max_points, cases_run=number)
    return Outcome(exercise.id, PASSED, Message(
        zh="✅ {name}：通过全部 {n} 项测试，与 PyTorch 的结果一致。",
        en="✅ {name}: passed all {n} tests; matches PyTorch.",
        name=exercise.id, n=len(cases)),
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
