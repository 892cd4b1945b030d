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
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
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


@dataclass
class ExercisePlan:
    exercise: Exercise
    cases: list[Case]
    expected: list
    folders: list[Path]           # encoded inputs, copied next to each kernel before a call


@dataclass
class SubmissionResult:
    """Everything the report needs about one graded notebook.  一份作业的评分结果。"""

    submission: Submission
    lesson: str | None
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[tuple[str, Message]] = field(default_factory=list)
    notes: dict[str, Message] = field(default_factory=dict)   # exercise id -> remark
    seconds: float = 0.0

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
    """Cases and PyTorch's expected outputs, computed once per exercise for a batch."""

    def __init__(self, seed: int, folder: Path):
        self.seed = seed
        self.folder = Path(folder)
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
        folders = []
        for number, case in enumerate(cases, start=1):
            folder = self.folder / "cases" / exercise.id / str(number)
            folder.mkdir(parents=True, exist_ok=True)
            # what evaluate() hands the learner's function: deep copies (which may be
            # read-only arrays, or a random generator in a given state)
            spec = {"args": encode(tuple(copy.deepcopy(case.args)), str(folder), prefix="a"),
                    "kwargs": encode(dict(copy.deepcopy(case.kwargs)), str(folder), prefix="k")}
            (folder / INPUTS).write_text(json.dumps(spec), encoding="utf-8")
            folders.append(folder)
        return ExercisePlan(exercise, cases, expected, folders)


# ---------------------------------------------------------------------------
# One notebook in one kernel (restarted and replayed if it dies)

class GiveUp(Exception):
    """The kernel cannot be brought back: the rest of the notebook is not run."""


class NotebookRun:
    def __init__(self, folder: Path, settings: Settings):
        self.folder = folder
        self.settings = settings
        self.session: kernel_module.KernelSession | None = None
        self.history: list[str] = []      # cells that finished, for a replay
        self.restarts = 0
        self.deadline = float("inf")
        self.start_problem: GiveUp | None = None
        self.last_limit = 0.0
        self.hung: set[str] = set()       # functions whose calls never returned

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def _start(self) -> None:
        session = kernel_module.KernelSession(
            self.folder, memory_mb=self.settings.memory_mb,
            startup_timeout=self.settings.startup_timeout)
        self.session = session
        try:
            await session.start()
        except Exception as error:
            raise GiveUp(str(error)) from None
        source = Path(__file__).with_name("kernel_helper.py").read_text(encoding="utf-8")
        install = (f"import sys as _s, types as _t\n"
                   f"_m = _t.ModuleType({HELPER_MODULE!r})\n"
                   f"exec(compile({source!r}, '<mlp_course grader>', 'exec'), _m.__dict__)\n"
                   f"_s.modules[{HELPER_MODULE!r}] = _m\n"
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
        """Make a function known to hang fail at once in later cells (see kernel_helper.disarm)."""
        self.hung.add(function_name)
        if self.session is not None and await self.session.alive():
            await self.session.execute(
                f"__import__({HELPER_MODULE!r}).disarm(globals(), {function_name!r}, "
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


def _dead_status(reply: kernel_module.Reply) -> str:
    if reply.reason == "memory":
        return verdict.MEMORY
    if reply.reason == "timeout":
        return verdict.TIMEOUT
    return verdict.CRASHED


def _reason(reply: kernel_module.Reply) -> str:
    return {"exited": "sys.exit / os._exit / exit()", "memory": "memory",
            "timeout": "timeout"}.get(reply.reason, reply.reason or "?")


async def _test(run: NotebookRun, plan: ExercisePlan, aliases: dict, cell_error: str,
                settings: Settings) -> Outcome:
    """Capture the exercise's function now and judge it on every case."""
    exercise = plan.exercise
    folder = run.folder / "exchange" / exercise.id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    description_path = folder / DESCRIPTION
    reply = await run.helper(
        f"__import__({HELPER_MODULE!r}).capture(globals(), {exercise.id!r}, "
        f"{exercise.function!r}, {str(description_path)!r})", settings.call_timeout)
    if reply.status == kernel_module.DEAD:
        return verdict.call_cut_short(exercise, _dead_status(reply), None, 0,
                                      run.last_limit, _reason(reply))
    try:
        if reply.status != kernel_module.OK:
            raise ExchangeError(f"{reply.status} {reply.ename}".strip())
        description = read_json(str(description_path))
        if not isinstance(description, dict):
            raise ExchangeError("malformed description")
    except ExchangeError as problem:
        return verdict.grader_trouble(exercise, None, 0, str(problem))
    if not description.get("callable"):
        return verdict.not_callable(exercise, description, cell_error)
    used = []
    sources = [description.get("source")]
    helpers = description.get("helpers")
    if isinstance(helpers, dict):
        sources += list(helpers.values())
    for source in sources:
        if isinstance(source, str):
            used += shortcuts_in(source, exercise.forbidden, aliases)
    library = library_object(description, exercise.forbidden)
    if library:
        used.append(library)
    if used:
        return verdict.forbidden(exercise, used)
    for number, (case, expected, inputs) in enumerate(
            zip(plan.cases, plan.expected, plan.folders), start=1):
        case_folder = folder / str(number)
        shutil.copytree(inputs, case_folder)
        reply = await run.helper(
            f"__import__({HELPER_MODULE!r}).call({exercise.id!r}, {str(case_folder)!r})",
            settings.call_timeout)
        if reply.status == kernel_module.TIMEOUT or (
                reply.status == kernel_module.DEAD and reply.reason == "timeout"):
            limit = run.last_limit
            await run.disarm(exercise.function)
            return verdict.call_cut_short(exercise, verdict.TIMEOUT, case, number, limit, "")
        if reply.status == kernel_module.DEAD:
            return verdict.call_cut_short(exercise, _dead_status(reply), case, number,
                                          run.last_limit, _reason(reply))
        try:
            if reply.status != kernel_module.OK:
                raise ExchangeError(f"{reply.ename}".strip() or "error")
            result = read_json(str(case_folder / RESULT))
        except ExchangeError as problem:
            return verdict.grader_trouble(exercise, case, number, str(problem))
        found = verdict.judge(exercise, case, expected, number, result, str(case_folder))
        shutil.rmtree(case_folder, ignore_errors=True)
        if found is not None:
            return found
    return verdict.passed(exercise, len(plan.cases))


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
        name=plan.exercise.id, why=verdict.Nested(problem))) for plan in plans]


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


async def grade_submission(result: SubmissionResult, plan: Plan, settings: Settings,
                           work: Path, run: NotebookRun | None = None) -> SubmissionResult:
    """Run one submission (already classified) and fill in its outcomes.

    ``run`` may carry a kernel started ahead of time; it is closed here.
    """
    started = time.monotonic()
    decided, waiting, aliases = static_verdicts(result, plan)
    try:
        if waiting:
            if run is None:
                run = NotebookRun(Path(tempfile.mkdtemp(prefix="submission-", dir=work)),
                                  settings)
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
                        exercise, _dead_status(reply), run.last_limit, _reason(reply))
                else:
                    cell_error = (f"{reply.ename}: {reply.evalue}"[:200]
                                  if reply.status == kernel_module.ERROR else "")
                    if cell_error:
                        result.notes[exercise.id] = Message(
                            zh="答案单元格运行时出错：{error}", en="The answer cell raised {error}",
                            error=cell_error)
                    decided[exercise.id] = await _test(run, exercise_plan, aliases, cell_error,
                                                       settings)
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
    for exercise_plan in waiting.values():
        decided[exercise_plan.exercise.id] = verdict.outcome(
            exercise_plan.exercise, verdict.NOT_RUN, Message(
                zh="➖ {name}：没有运行到答案单元格——{why}", en="➖ {name}: its answer cell was never "
                                                        "reached: {why}",
                name=exercise_plan.exercise.id,
                why=verdict.Nested(stopped or _notebook_timeout(settings))))


def _notebook_timeout(settings: Settings) -> Message:
    return Message(zh="整个笔记本的运行时间超过了 {seconds:g} 秒的上限。",
                   en="the whole notebook ran longer than its limit of {seconds:g} s.",
                   seconds=settings.timeout)


# ---------------------------------------------------------------------------
# The batch

async def _grade_all(results: list[SubmissionResult], plan: Plan, settings: Settings,
                     work: Path, on_done: Callable[[SubmissionResult], None] | None) -> None:
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
                    run = NotebookRun(Path(tempfile.mkdtemp(prefix="submission-", dir=work)),
                                      settings)
                    await run.prestart()
                async with running:
                    await grade_submission(result, plan, settings, work, run)
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
    registry = load_all()
    results = [classify(submission, settings, registry) for submission in submissions]
    own_work = work is None
    work = Path(tempfile.mkdtemp(prefix="mlp-course-grade-")) if own_work else Path(work)
    try:
        plan = Plan(settings.seed, work / "plan")
        for lesson in sorted({r.lesson for r in results if r.lesson}):
            plan.exercises(lesson)  # PyTorch runs here once, before any kernel starts
        asyncio.run(_grade_all(results, plan, settings, work, on_done))
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    return results


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
