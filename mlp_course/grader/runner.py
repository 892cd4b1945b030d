"""Grading a batch: plan the tests once, then run each submission in its own kernel.

批量评分：先统一准备测试，再让每份作业在各自的内核中运行。

Per submission: the code cells run in order (check cells skipped), errors do
not stop the run; right after an exercise's answer cell (found by
``grade_id``) the grader captures the function the exercise names and calls it
on every test case, one call per request with its own deadline. Each output
comes back as plain arrays and is judged here, against PyTorch's answer
computed once for the whole batch. If the kernel dies (``os._exit``, memory,
a loop that ignores interrupts) a new one is started and the cells that had
finished are run again, so one broken cell costs only its own exercise.

Every kernel runs in its submission's sandbox (:mod:`mlp_course.grader.sandbox`).
Nothing is shared and nothing is early: a case's inputs are written into a
folder of that submission's that its kernel can only read, just before the
call that uses them, and removed after it; what the function returned is read
from the kernel's scratch folder without following any link the kernel made;
whether the function changed its input is judged against the grader's own
copy in memory, never against a file a kernel could touch.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import secrets
import shutil
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..course.exercises.core import Case, Exercise, Outcome, exercises_of, load_all
from ..i18n import Message
from . import kernel as kernel_module
from . import sandbox as sandbox_module
from . import verdict
from .kernel_helper import DESCRIPTION, INPUTS, RESULT, ExchangeError, encode, read_json
from .submissions import (Submission, import_aliases, lesson_from_file_name,
                          lesson_from_grade_ids, library_object, read_submission,
                          shortcuts_in, solution_cell)

HELPER_MODULE = "_mlp_course_grader"


@dataclass
class Settings:
    """Limits and choices for one batch.  一次批量评分的设置。"""

    jobs: int = 2
    timeout: float = 300.0        # whole notebook, seconds
    cell_timeout: float = 60.0    # one cell
    call_timeout: float = 10.0    # one call of a learner's function
    memory_mb: int = 2048
    seed: int = 0
    lesson: str | None = None     # the lesson every submission should be
    max_restarts: int = 3
    startup_timeout: float = 60.0
    sandbox: bool = True          # an OS sandbox per submission (see sandbox.py)
    processes: int = 128          # processes and threads of one kernel (in the sandbox)
    disk_mb: int = 256            # what one kernel may write (one file, without the sandbox)


@dataclass
class ExercisePlan:
    exercise: Exercise
    cases: list[Case]
    expected: list                # PyTorch's answers: only ever in the grader's memory

    def write_inputs(self, index: int, folder: Path) -> None:
        """Write case ``index``'s inputs into ``folder``, for the one call that uses them.

        What evaluate() hands the learner's function: deep copies (which may be
        read-only arrays, or a random generator in a given state).
        """
        case = self.cases[index]
        folder.mkdir(parents=True, exist_ok=True)
        spec = {"args": encode(tuple(copy.deepcopy(case.args)), str(folder), prefix="a"),
                "kwargs": encode(dict(copy.deepcopy(case.kwargs)), str(folder), prefix="k")}
        (folder / INPUTS).write_text(json.dumps(spec), encoding="utf-8")


@dataclass
class SubmissionResult:
    """Everything the report needs about one graded notebook.  一份作业的评分结果。"""

    submission: Submission
    lesson: str | None
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[tuple[str, Message]] = field(default_factory=list)
    notes: dict[str, Message] = field(default_factory=dict)   # exercise id -> remark
    seconds: float = 0.0
    # "needs a human look": tricks that can be detected but not prevented (sandbox.suspicious)
    flags: list[Message] = field(default_factory=list)

    @property
    def student(self) -> str:
        return self.submission.student

    @property
    def points(self) -> float:
        return sum(o.points for o in self.outcomes)

    @property
    def max_points(self) -> float:
        return sum(o.max_points for o in self.outcomes)


# ---------------------------------------------------------------------------
# The test plan, shared by every submission of a lesson

def exercise_rng(seed: int, exercise_id: str) -> np.random.Generator:
    """The same cases for every student of a batch, different for each exercise."""
    return np.random.default_rng([int(seed) % 2**63, zlib.crc32(exercise_id.encode("utf-8"))])


class Plan:
    """Cases and PyTorch's expected outputs, computed once per exercise for a batch.

    Held in the grader's memory only: no plan file exists anywhere a kernel could reach.
    """

    def __init__(self, seed: int):
        self.seed = seed
        self._lessons: dict[str, list[ExercisePlan]] = {}

    def exercises(self, lesson_id: str) -> list[ExercisePlan]:
        if lesson_id not in self._lessons:
            self._lessons[lesson_id] = [self._prepare(exercise)
                                        for exercise in exercises_of(lesson_id)]
        return self._lessons[lesson_id]

    def _prepare(self, exercise: Exercise) -> ExercisePlan:
        cases = exercise.cases(exercise_rng(self.seed, exercise.id))
        expected = [exercise.expected(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
                    for case in cases]
        return ExercisePlan(exercise, cases, expected)


# ---------------------------------------------------------------------------
# One notebook in one kernel (restarted and replayed if it dies)

class GiveUp(Exception):
    """The kernel cannot be brought back: the rest of the notebook is not run."""


class NotebookRun:
    def __init__(self, folder: Path, settings: Settings,
                 sandbox: sandbox_module.Sandbox | None = None, lesson: str | None = None):
        self.folder = folder
        self.settings = settings
        self.sandbox = sandbox or sandbox_module.Sandbox(folder.parent, enabled=False)
        # where the grader writes a call's inputs: read-only for the kernel, so nothing a
        # kernel plants (a symbolic link, a pipe) is ever written through by the grader
        self.inbox = Path(tempfile.mkdtemp(prefix="inbox-", dir=folder.parent))
        # readable by the sandbox's own user (the batch's work folder stays private)
        self.inbox.chmod(0o755)
        self.lesson = lesson
        # the helper's module name differs in every kernel: no cell can name it in advance
        self.helper_module = f"{HELPER_MODULE}_{secrets.token_hex(6)}"
        self.incidents: list[tuple[str, Message]] = []  # cells cut short, named, for the report
        self.session: kernel_module.KernelSession | None = None
        self.history: list[str] = []      # cells that finished, for a replay
        self.restarts = 0
        self.deadline = float("inf")
        self.start_problem: GiveUp | None = None
        self.last_limit = 0.0
        self.hung: set[str] = set()       # functions whose calls never returned, or were stopped

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @contextlib.contextmanager
    def _opened(self, folder: Path):
        """A descriptor of ``folder`` of the kernel's scratch folder, opened without
        following any link (see KernelSession.open_folder)."""
        try:
            if self.session is None:
                raise OSError("no kernel")
            descriptor = self.session.open_folder(folder)
        except OSError as error:
            raise ExchangeError(f"no readable result ({type(error).__name__})") from None
        try:
            yield descriptor
        finally:
            os.close(descriptor)

    @contextlib.contextmanager
    def reading(self, folder: Path):
        """``folder`` of the kernel's scratch folder, as the grader reads it."""
        with self._opened(folder) as descriptor:
            yield Path(f"/proc/self/fd/{descriptor}")

    def remove(self, folder: Path) -> None:
        """Remove ``folder`` of the kernel's scratch folder, following no link."""
        try:
            with self._opened(folder.parent) as parent:
                shutil.rmtree(folder.name, ignore_errors=True, dir_fd=parent)
        except ExchangeError:
            pass

    async def _start(self) -> None:
        sandbox, folder = self.sandbox, self.folder
        sandbox.prepare_scratch(folder)
        environment = sandbox.environment(folder)
        disk_bytes = self.settings.disk_mb * 2**20
        wrap = ((lambda argv, files: sandbox.command(argv, folder, self.lesson, environment,
                                                     files, [self.inbox], disk_bytes))
                if sandbox.enabled else None)
        session = kernel_module.KernelSession(
            folder, memory_mb=self.settings.memory_mb,
            startup_timeout=self.settings.startup_timeout, wrap=wrap, base_env=environment,
            disk_mb=self.settings.disk_mb, processes=self.settings.processes)
        self.session = session
        try:
            await session.start()
        except Exception as error:
            raise GiveUp(str(error)) from None
        source = Path(__file__).with_name("kernel_helper.py").read_text(encoding="utf-8")
        name = self.helper_module
        # the helper resolves built-ins from its own copy, taken before any cell ran
        install = (f"import sys as _s, types as _t\n"
                   f"_m = _t.ModuleType({name!r})\n"
                   f"_m.__dict__['__builtins__'] = dict(vars(_s.modules['builtins']))\n"
                   f"exec(compile({source!r}, '<mlp_course grader>', 'exec'), _m.__dict__)\n"
                   f"_m.seal()\n"
                   f"_s.modules[{name!r}] = _m\n"
                   f"del _s, _t, _m\n")
        reply = await session.execute(install, timeout=self.settings.startup_timeout, silent=True)
        if reply.status != kernel_module.OK:
            raise GiveUp(f"helper: {reply.status} {reply.ename}")

    async def prestart(self) -> None:
        """Start the first kernel ahead of time (its start-up is not the notebook's time)."""
        try:
            await self._start()
        except GiveUp as problem:
            self.start_problem = problem

    def begin(self) -> None:
        """Start the notebook's clock."""
        self.deadline = time.monotonic() + self.settings.timeout

    async def ensure_kernel(self) -> None:
        if self.start_problem is not None:
            problem, self.start_problem = self.start_problem, None
            raise problem
        if self.session is not None and await self.session.alive():
            return
        if self.session is None:
            await self._start()
            return
        if self.restarts >= self.settings.max_restarts:
            raise GiveUp("too many restarts")
        self.restarts += 1
        await self.session.stop()
        await self._start()
        for source in self.history:
            reply = await self.session.execute(source, timeout=self._limit(self.settings.cell_timeout))
            if reply.status in (kernel_module.TIMEOUT, kernel_module.DEAD):
                raise GiveUp("replay failed")
        for function_name in self.hung:
            await self.disarm(function_name)

    async def disarm(self, function_name: str) -> None:
        """Make a function that hung or was stopped at a limit fail at once in later cells
        (see kernel_helper.disarm)."""
        self.hung.add(function_name)
        if self.session is not None and await self.session.alive():
            await self.session.execute(
                f"__import__({self.helper_module!r}).disarm(globals(), {function_name!r}, "
                f"{self.settings.call_timeout!r})", timeout=self._limit(5.0), silent=True)

    def _limit(self, wanted: float) -> float:
        # the limit of the request about to run, for messages that name it
        self.last_limit = max(0.0, min(wanted, self.remaining()))
        return self.last_limit

    async def cell(self, source: str) -> kernel_module.Reply:
        await self.ensure_kernel()
        reply = await self.session.execute(source, timeout=self._limit(self.settings.cell_timeout))
        if reply.status in (kernel_module.OK, kernel_module.ERROR):
            self.history.append(source)
        return reply

    async def helper(self, code: str, timeout: float) -> kernel_module.Reply:
        await self.ensure_kernel()
        return await self.session.execute(code, timeout=self._limit(timeout), silent=True)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.stop()
            self.session = None
        shutil.rmtree(self.inbox, ignore_errors=True)


_AT_LIMIT = {"memory": verdict.MEMORY, "timeout": verdict.TIMEOUT,
             "processes": verdict.PROCESSES, "disk": verdict.DISK}


def _dead_status(reply: kernel_module.Reply) -> str:
    return _AT_LIMIT.get(reply.reason.split(":")[0], verdict.CRASHED)


def _reason(reply: kernel_module.Reply, settings: Settings) -> str | Message:
    """How the kernel ended, in the verdict's words: ``SIGSEGV`` (a crash), ``exit code 1``,
    or the cap it reached (:func:`verdict.over_limit`)."""
    reason = reply.reason or "exited"
    if reason == "processes":
        return verdict.over_limit(verdict.PROCESSES, settings.processes)
    if reason.startswith("disk:"):  # the size of what filled up
        return verdict.over_limit(verdict.DISK, round(int(reason[5:]) / 2**20, 1))
    if reason.startswith("signal:"):
        return reason.split(":", 1)[1]
    if reason.startswith("exit:"):
        return f"exit code {reason.split(':', 1)[1]}"
    return reason


def _library_names(description: dict) -> list[str]:
    """Dotted names of library objects the captured function reaches without naming them:
    a callable instance's class, default arguments, closure cells, globals it reads."""
    names = []
    for key in ("defaults", "closure", "referenced"):
        found = description.get(key)
        if isinstance(found, list):
            names += [str(name)[:200] for name in found[:200] if isinstance(name, str)]
    return names


def _shortcuts(description: dict, exercise: Exercise, aliases: dict) -> list[str]:
    used = []
    sources = [description.get("source"), description.get("class_source")]
    helpers = description.get("helpers")
    if isinstance(helpers, dict):
        sources += list(helpers.values())
    for source in sources:
        if isinstance(source, str):
            used += shortcuts_in(source, exercise.forbidden, aliases)
    library = library_object(description, exercise.forbidden)
    if library:
        used.append(library)
    for dotted in _library_names(description):
        found = _reached(dotted, exercise.forbidden)
        if found:
            used.append(found)
    return used


def _reached(dotted: str, forbidden) -> str | None:
    """A library object the function reaches (``module:qualname``), if the exercise forbids it.

    Judged by its own names only (``torch.softmax``; ``mlp_course.nn.layers.linear_backward``
    also as ``mlp_course.linear_backward``): a library function an exercise allows (lesson
    06's ``softmax``) stays allowed however it is reached.
    """
    from ..course.exercises.core import is_forbidden

    module, _, qualname = dotted.partition(":")
    names = {module, f"{module}.{qualname}" if qualname else module}
    if module == "mlp_course" or module.startswith("mlp_course."):
        obj = sandbox_module._resolve(f"{module}.{qualname}" if qualname else module)
        if obj is not None:
            names |= sandbox_module._public_names(obj)
    for name in sorted(names, key=len, reverse=True):
        if is_forbidden(name, forbidden):
            return name
    return None


async def _test(run: NotebookRun, plan: ExercisePlan, aliases: dict, cell_error: str,
                settings: Settings, result: SubmissionResult | None = None) -> Outcome:
    """Capture the exercise's function now and judge it on every case."""
    # Unpredictable names, made fresh: the kernel writes its answers under ``folder`` (in
    # its scratch folder); the grader writes inputs only under ``inputs`` (read-only there).
    folder = run.folder / f"exchange-{secrets.token_hex(8)}"
    inputs = run.inbox / secrets.token_hex(8)
    try:
        return await _capture_and_call(run, plan, aliases, cell_error, settings, result,
                                       folder, inputs)
    finally:
        # nothing of this exercise stays where a later cell could read it
        run.remove(folder)
        shutil.rmtree(inputs, ignore_errors=True)


async def _capture_and_call(run: NotebookRun, plan: ExercisePlan, aliases: dict,
                            cell_error: str, settings: Settings,
                            result: SubmissionResult | None, folder: Path,
                            inputs: Path) -> Outcome:
    exercise = plan.exercise
    description_path = folder / DESCRIPTION
    reply = await run.helper(
        f"import os as _o; _o.makedirs({str(folder)!r}, exist_ok=True); del _o\n"
        f"__import__({run.helper_module!r}).capture(globals(), {exercise.id!r}, "
        f"{exercise.function!r}, {str(description_path)!r})", settings.call_timeout)
    if reply.status == kernel_module.DEAD:
        return verdict.call_cut_short(exercise, _dead_status(reply), None, 0,
                                      run.last_limit, _reason(reply, settings),
                                      exited=reply.exited)
    try:
        if reply.status != kernel_module.OK:
            raise ExchangeError(f"{reply.status} {reply.ename}".strip())
        with run.reading(folder) as seen:
            description = read_json(str(seen / DESCRIPTION))
        if not isinstance(description, dict):
            raise ExchangeError("malformed description")
    except ExchangeError as problem:
        return verdict.grader_trouble(exercise, None, 0, str(problem))
    tampered = description.get("tampered")
    if result is not None and isinstance(tampered, list) and tampered:
        flag = sandbox_module.tampered(", ".join(str(name)[:40] for name in tampered[:8]))
        if all(str(flag) != str(other) for other in result.flags):
            result.flags.append(flag)
    if not description.get("callable"):
        return verdict.not_callable(exercise, description, cell_error)
    used = _shortcuts(description, exercise, aliases)
    if used:
        return verdict.forbidden(exercise, used)
    for number, (case, expected) in enumerate(zip(plan.cases, plan.expected), start=1):
        case_inputs, case_outputs = inputs / str(number), folder / str(number)
        plan.write_inputs(number - 1, case_inputs)   # just before the call, for it alone
        try:
            found = await _call(run, plan, case, expected, number, case_inputs, case_outputs,
                                settings)
        finally:
            shutil.rmtree(case_inputs, ignore_errors=True)
            run.remove(case_outputs)
        if found is not None:
            return found
    return verdict.passed(exercise, len(plan.cases))


async def _call(run: NotebookRun, plan: ExercisePlan, case: Case, expected, number: int,
                case_inputs: Path, case_folder: Path, settings: Settings) -> Outcome | None:
    exercise = plan.exercise
    reply = await run.helper(
        f"__import__({run.helper_module!r}).call({exercise.id!r}, {str(case_inputs)!r}, "
        f"{str(case_folder)!r})", settings.call_timeout)
    if reply.status == kernel_module.TIMEOUT or (
            reply.status == kernel_module.DEAD and reply.reason == "timeout"):
        limit = run.last_limit
        await run.disarm(exercise.function)
        return verdict.call_cut_short(exercise, verdict.TIMEOUT, case, number, limit, "")
    if reply.status == kernel_module.DEAD:
        status = _dead_status(reply)
        if status in (verdict.MEMORY, verdict.PROCESSES, verdict.DISK):
            await run.disarm(exercise.function)  # a later cell would only stop it again
        return verdict.call_cut_short(exercise, status, case, number, run.last_limit,
                                      _reason(reply, settings), exited=reply.exited)
    try:
        if reply.status != kernel_module.OK:
            raise ExchangeError(f"{reply.ename}".strip() or "error")
        with run.reading(case_folder) as seen:
            result = read_json(str(seen / RESULT))
            return verdict.judge(exercise, case, expected, number, result, str(seen))
    except ExchangeError as problem:
        return verdict.grader_trouble(exercise, case, number, str(problem))


# ---------------------------------------------------------------------------
# Deciding what a submission is, before anything runs

def classify(submission: Submission, settings: Settings, registry: dict) -> SubmissionResult:
    """Read a submission and decide its lesson; record a problem if it cannot be graded."""
    read_submission(submission)
    expected = settings.lesson
    result = SubmissionResult(submission, lesson=expected)
    if submission.problem is not None:
        result.lesson = expected or lesson_from_file_name(submission.path)
        result.problems.append((submission.problem_status, submission.problem))
        return result
    found = submission.metadata_lesson or lesson_from_grade_ids(submission, registry)
    if expected is not None and found is not None and found != expected:
        result.problems.append((verdict.WRONG_LESSON, Message(
            zh="这是第 {found} 课的笔记本，但本次评的是第 {expected} 课。请提交正确的笔记本。",
            en="This is the notebook of lesson {found}, but lesson {expected} is being graded. "
               "Please submit the right notebook.", found=found, expected=expected)))
        return result
    if expected is None and found is None:
        result.problems.append((verdict.UNKNOWN_LESSON, Message(
            zh="无法判断这是哪一课的笔记本：元数据里没有课程编号，也没有任何练习单元格。"
               "（评分时可用 --lesson 指定课程。）",
            en="Cannot tell which lesson this notebook is: its metadata names no lesson and it "
               "has no exercise cells. (Use --lesson to name the lesson being graded.)")))
        return result
    result.lesson = expected or found
    return result


def _not_graded(plans: list[ExercisePlan], problem: Message) -> list[Outcome]:
    return [verdict.outcome(plan.exercise, verdict.NOT_GRADED, Message(
        zh="➖ {name}：未评分——{why}", en="➖ {name}: not graded: {why}",
        name=plan.exercise.id, why=problem)) for plan in plans]


def static_verdicts(result: SubmissionResult, plan: Plan) -> tuple[dict, dict, dict]:
    """What can be decided without running anything: missing cells and forbidden shortcuts.

    Returns (verdicts so far, exercises to test keyed by the index of their answer
    cell, import aliases of the notebook).
    """
    plans = plan.exercises(result.lesson) if result.lesson else []
    decided: dict[str, Outcome] = {}
    waiting: dict[int, ExercisePlan] = {}
    if result.problems:
        for outcome in _not_graded(plans, result.problems[0][1]):
            decided[outcome.exercise] = outcome
        return decided, waiting, {}
    submission = result.submission
    aliases = import_aliases([cell.source for cell in submission.cells])
    for exercise_plan in plans:
        exercise = exercise_plan.exercise
        cell = solution_cell(submission, exercise.id)
        if cell is None:
            decided[exercise.id] = verdict.no_cell(exercise)
            continue
        used = shortcuts_in(cell.source, exercise.forbidden, aliases)
        if used:
            decided[exercise.id] = verdict.forbidden(exercise, used)
            continue
        waiting[cell.index] = exercise_plan
    return decided, waiting, aliases


def new_run(result: SubmissionResult, settings: Settings, work: Path,
            sandbox: sandbox_module.Sandbox | None) -> NotebookRun:
    """A run in a fresh scratch folder of its own (mode 0700, inside the batch's work folder)."""
    folder = Path(tempfile.mkdtemp(prefix="submission-", dir=work))
    return NotebookRun(folder, settings, sandbox, result.lesson)


def flag_tricks(result: SubmissionResult, aliases: dict) -> None:
    """Add the "needs a human look" reasons found in the notebook's code."""
    if result.problems or result.submission.problem is not None:
        return
    for reason in sandbox_module.suspicious([cell.source for cell in result.submission.cells
                                             if not cell.is_check], aliases, result.lesson):
        if all(str(reason) != str(other) for other in result.flags):
            result.flags.append(reason)


async def grade_submission(result: SubmissionResult, plan: Plan, settings: Settings,
                           work: Path, run: NotebookRun | None = None,
                           sandbox: sandbox_module.Sandbox | None = None) -> SubmissionResult:
    """Run one submission (already classified) and fill in its outcomes.

    ``run`` may carry a kernel started ahead of time; it is closed here.
    """
    started = time.monotonic()
    decided, waiting, aliases = static_verdicts(result, plan)
    flag_tricks(result, aliases)
    try:
        if waiting:
            if run is None:
                run = new_run(result, settings, work, sandbox)
            run.begin()
            await _run_cells(run, result.submission, waiting, decided, aliases, settings,
                             result)
    finally:
        if run is not None:
            await run.close()
            shutil.rmtree(run.folder, ignore_errors=True)
    plans = plan.exercises(result.lesson) if result.lesson else []
    result.outcomes = [decided[p.exercise.id] for p in plans]
    result.seconds = time.monotonic() - started
    return result


async def _run_cells(run: NotebookRun, submission: Submission, waiting: dict, decided: dict,
                     aliases: dict, settings: Settings, result: SubmissionResult) -> None:
    stopped: Message | None = None
    try:
        for cell in submission.cells:
            if not waiting:
                break  # nothing left to grade: the rest of the notebook does not matter
            if cell.is_check or not cell.source.strip():
                continue
            if run.remaining() <= 0:
                stopped = _notebook_timeout(settings)
                break
            reply = await run.cell(cell.source)
            exercise_plan = waiting.pop(cell.index, None)
            out_of_time = run.remaining() <= 0
            if exercise_plan is not None:
                exercise = exercise_plan.exercise
                if reply.status == kernel_module.TIMEOUT:
                    decided[exercise.id] = verdict.cell_cut_short(exercise, verdict.TIMEOUT,
                                                                  run.last_limit, "")
                elif reply.status == kernel_module.DEAD:
                    decided[exercise.id] = verdict.cell_cut_short(
                        exercise, _dead_status(reply), run.last_limit,
                        _reason(reply, settings), exited=reply.exited)
                else:
                    cell_error = (f"{reply.ename}: {reply.evalue}"[:200]
                                  if reply.status == kernel_module.ERROR else "")
                    if cell_error:
                        result.notes[exercise.id] = Message(
                            zh="答案单元格运行时出错：{error}", en="The answer cell raised {error}",
                            error=cell_error)
                    decided[exercise.id] = await _test(run, exercise_plan, aliases, cell_error,
                                                       settings, result)
            elif reply.status == kernel_module.DEAD or (
                    reply.status == kernel_module.TIMEOUT and not out_of_time):
                # a cell that is not an answer cell, named (the notebook's own limit is
                # reported once, below)
                if reply.status == kernel_module.TIMEOUT:
                    status = verdict.TIMEOUT
                elif _dead_status(reply) in (verdict.PROCESSES, verdict.DISK):
                    status = _dead_status(reply)  # named in the summary by the cap reached
                else:
                    status = verdict.KERNEL_RESTARTED
                run.incidents.append((status, _cell_incident(cell, reply, run.last_limit,
                                                             settings)))
            if out_of_time or (run.remaining() <= 0 and waiting):
                stopped = _notebook_timeout(settings)
                break
    except GiveUp as problem:
        stopped = Message(
            zh="内核多次崩溃或无法重启（{why}），笔记本其余部分没有运行。",
            en="The kernel crashed repeatedly or could not be restarted ({why}); the rest of the "
               "notebook was not run.", why=str(problem))
        result.problems.append((verdict.KERNEL_FAILED, stopped))
    else:
        if stopped is not None:
            result.problems.append((verdict.NOTEBOOK_TIMEOUT, stopped))
    if run.restarts:
        result.problems.append((verdict.KERNEL_RESTARTED, Message(
            zh="内核中途退出或被终止，重启了 {n} 次；重启后重新运行了已完成的单元格。",
            en="The kernel exited or was stopped, so it was restarted ({n}×); the cells that "
               "had finished were run again.", n=run.restarts)))
    result.problems.extend(run.incidents)
    for exercise_plan in waiting.values():
        decided[exercise_plan.exercise.id] = verdict.outcome(
            exercise_plan.exercise, verdict.NOT_RUN, Message(
                zh="➖ {name}：没有运行到答案单元格——{why}", en="➖ {name}: its answer cell was never "
                                                        "reached: {why}",
                name=exercise_plan.exercise.id,
                why=stopped or _notebook_timeout(settings)))


def _cell_incident(cell, reply: kernel_module.Reply, limit: float,
                   settings: Settings) -> Message:
    """Which cell (not an answer cell) was cut short, and why, for the instructor."""
    lines = [line.strip() for line in cell.source.strip().splitlines() if line.strip()]
    first = (lines[0] if lines else "")[:60]
    if reply.status == kernel_module.TIMEOUT:
        return Message(zh="第 {number} 个单元格（{first}）运行超过 {seconds:g} 秒被中断（死循环或输出"
                          "过多？）；其余单元格照常运行。",
                       en="Cell {number} ({first}) was interrupted after {seconds:g} s (an endless "
                          "loop, or too much output?); the other cells ran as usual.",
                       number=cell.index + 1, first=first, seconds=round(limit, 1))
    cause = _reason(reply, settings)
    return Message(zh="第 {number} 个单元格（{first}）使内核终止（{cause}），内核随后重启（restart）。",
                   en="Cell {number} ({first}) stopped the kernel ({cause}); the kernel was "
                      "restarted.", number=cell.index + 1, first=first, cause=cause)


def _notebook_timeout(settings: Settings) -> Message:
    return Message(zh="整个笔记本的运行时间超过了 {seconds:g} 秒的上限。",
                   en="the whole notebook ran longer than its limit of {seconds:g} s.",
                   seconds=settings.timeout)


# ---------------------------------------------------------------------------
# The batch

async def _grade_all(results: list[SubmissionResult], plan: Plan, settings: Settings,
                     work: Path, on_done: Callable[[SubmissionResult], None] | None,
                     sandbox: sandbox_module.Sandbox | None = None) -> None:
    jobs = max(1, settings.jobs)
    running = asyncio.Semaphore(jobs)
    # Kernels start while earlier submissions still run: start-up is mostly waiting
    # (process start, imports from disk, sockets), so up to `jobs` more may be warming up.
    warming = asyncio.Semaphore(2 * jobs)

    async def one(result: SubmissionResult) -> None:
        async with warming:
            run = None
            try:
                if static_verdicts(result, plan)[1]:
                    run = new_run(result, settings, work, sandbox)
                    await run.prestart()
                async with running:
                    await grade_submission(result, plan, settings, work, run, sandbox)
            except Exception as error:  # a grader bug must not lose the other students
                if run is not None:
                    await run.close()
                result.problems.append((verdict.KERNEL_FAILED, Message(
                    zh="评分器内部错误：{error}", en="Internal grader error: {error}",
                    error=f"{type(error).__name__}: {error}"[:300])))
                plans = plan.exercises(result.lesson) if result.lesson else []
                done = {o.exercise for o in result.outcomes}
                result.outcomes += _not_graded([p for p in plans if p.exercise.id not in done],
                                               result.problems[-1][1])
        if on_done is not None:
            on_done(result)

    await asyncio.gather(*(one(result) for result in results))


def grade_batch(submissions: list[Submission], settings: Settings,
                on_done: Callable[[SubmissionResult], None] | None = None,
                work: Path | None = None) -> list[SubmissionResult]:
    """Grade every submission; return one result per submission, in the given order.

    批量评分，按输入顺序返回每份作业的结果。
    """
    if settings.sandbox:
        why = sandbox_module.problem()
        if why is not None:
            raise SandboxUnavailable(why)
    registry = load_all()
    results = [classify(submission, settings, registry) for submission in submissions]
    own_work = work is None
    work = Path(tempfile.mkdtemp(prefix="mlp-course-grade-")) if own_work else Path(work)
    try:
        plan = Plan(settings.seed)
        lessons = sorted({r.lesson for r in results if r.lesson})
        for lesson in lessons:
            plan.exercises(lesson)  # PyTorch runs here once, before any kernel starts
        sandbox = sandbox_module.Sandbox(work / "sandbox", enabled=settings.sandbox)
        sandbox.prepare(lessons)
        asyncio.run(_grade_all(results, plan, settings, work, on_done, sandbox))
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    return results


class SandboxUnavailable(Exception):
    """No sandbox can be made here (see :func:`mlp_course.grader.sandbox.problem`)."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
