"""The gradebook (CSV and JSON), one feedback file per student, the summary and the progress bar.

成绩册（CSV 与 JSON）、每位学生一份反馈、汇总与进度条。

Everything here is written in one language, chosen for the batch. Feedback
carries the public part of each verdict, the kind of input that broke the
function and a hint, never the test inputs or the expected values.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from ..course.syllabus import BY_ID
from ..course.exercises.core import ERROR, FAILED, FORBIDDEN, MISSING, NOT_IMPLEMENTED, PASSED
from ..i18n import Message, language, text
from . import verdict
from .runner import SubmissionResult

COLUMNS = ("student", "lesson", "exercise", "points", "max_points", "status", "message",
           "submission")

STATUS_LABEL = {
    PASSED: Message(zh="通过", en="passed"),
    FAILED: Message(zh="结果不对", en="wrong result"),
    NOT_IMPLEMENTED: Message(zh="未完成", en="not implemented"),
    ERROR: Message(zh="出错", en="raised an error"),
    FORBIDDEN: Message(zh="使用了禁止的捷径", en="forbidden shortcut"),
    MISSING: Message(zh="缺失", en="missing"),
    verdict.TIMEOUT: Message(zh="超时", en="time limit"),
    verdict.CRASHED: Message(zh="内核退出", en="kernel exited"),
    verdict.MEMORY: Message(zh="内存超限", en="memory limit"),
    verdict.NOT_RUN: Message(zh="未运行到", en="not reached"),
    verdict.NOT_GRADED: Message(zh="未评分", en="not graded"),
    verdict.UNREADABLE: Message(zh="无法读取", en="unreadable"),
    verdict.UNKNOWN_LESSON: Message(zh="课程不明", en="unknown lesson"),
    verdict.WRONG_LESSON: Message(zh="课程不符", en="wrong lesson"),
    verdict.NOTEBOOK_TIMEOUT: Message(zh="整体超时", en="notebook time limit"),
    verdict.KERNEL_RESTARTED: Message(zh="内核重启", en="kernel restarted"),
    verdict.KERNEL_FAILED: Message(zh="内核失败", en="kernel failed"),
}


def status_label(status: str) -> str:
    label = STATUS_LABEL.get(status)
    return label.render() if label is not None else status


@dataclass
class Row:
    student: str
    lesson: str
    exercise: str
    points: float
    max_points: float
    status: str
    message: str
    submission: str
    kind: str = ""
    hint: str = ""


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def rows(results: list[SubmissionResult], lang: str) -> list[Row]:
    """One row per exercise of each submission, plus one per submission-level problem."""
    found = []
    with language(lang):
        for result in results:
            where = str(result.submission.path)
            for status, message in result.problems:
                found.append(Row(result.student, result.lesson or "", verdict.SUBMISSION, 0.0, 0.0,
                                 status, _one_line(message.render()), where))
            for outcome in result.outcomes:
                found.append(Row(
                    result.student, result.lesson or "", outcome.exercise, outcome.points,
                    outcome.max_points, outcome.status, _one_line(outcome.message.render()), where,
                    kind=_one_line(outcome.kind.render()) if outcome.kind is not None else "",
                    hint=_one_line(outcome.hint.render()) if outcome.hint is not None else ""))
    return found


def summary(results: list[SubmissionResult], seconds: float) -> dict:
    """Counts, means per lesson and failures per exercise."""
    lessons: dict[str, list[SubmissionResult]] = defaultdict(list)
    for result in results:
        lessons[result.lesson or ""].append(result)
    means = {}
    for lesson, group in sorted(lessons.items()):
        graded = [r for r in group if r.max_points > 0]
        if graded:
            means[lesson] = {"submissions": len(group),
                             "mean_points": sum(r.points for r in graded) / len(graded),
                             "max_points": max(r.max_points for r in graded)}
    failures: dict[str, Counter] = defaultdict(Counter)
    for result in results:
        for outcome in result.outcomes:
            if outcome.status != PASSED:
                failures[outcome.exercise][outcome.status] += 1
    problems = Counter(status for result in results for status, _ in result.problems)
    return {
        "submissions": len(results),
        "students": len({r.student for r in results}),
        "seconds": round(seconds, 2),
        "per_minute": round(len(results) / seconds * 60, 1) if seconds > 0 else None,
        "lessons": means,
        "failures": {exercise: dict(counts) for exercise, counts in sorted(failures.items())},
        "problems": dict(problems),
    }


def format_summary(data: dict, lang: str) -> str:
    with language(lang):
        lines = [text(zh="已评 {n} 份作业（{students} 名学生），用时 {seconds:.1f} 秒，每分钟 {rate} 份。",
                      en="Graded {n} submissions ({students} students) in {seconds:.1f} s: "
                         "{rate} per minute.",
                      n=data["submissions"], students=data["students"], seconds=data["seconds"],
                      rate=data["per_minute"] if data["per_minute"] is not None else "-")]
        for lesson, mean in data["lessons"].items():
            lines.append(text(zh="  {lesson}：平均 {mean:.2f} / {top:g} 分（{n} 份）",
                              en="  {lesson}: mean {mean:.2f} / {top:g} points ({n} submissions)",
                              lesson=lesson, mean=mean["mean_points"], top=mean["max_points"],
                              n=mean["submissions"]))
        if data["failures"]:
            lines.append(text(zh="各练习未通过的人数：", en="Not passed, by exercise:"))
            for exercise, counts in data["failures"].items():
                detail = ", ".join(f"{status_label(s)} {n}" for s, n in sorted(counts.items()))
                lines.append(f"  {exercise}: {sum(counts.values())} ({detail})")
        else:
            lines.append(text(zh="所有练习全部通过。", en="Every exercise passed."))
        if data["problems"]:
            detail = ", ".join(f"{status_label(s)} {n}" for s, n in sorted(data["problems"].items()))
            lines.append(text(zh="作业层面的问题：{detail}", en="Submission problems: {detail}",
                              detail=detail))
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Files

def write_gradebook(results: list[SubmissionResult], out: Path, lang: str, seed: int,
                    settings: dict, seconds: float) -> dict:
    """Write ``gradebook.csv`` and ``gradebook.json``; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    table = rows(results, lang)
    with open(out / "gradebook.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in table:
            writer.writerow([f"{getattr(row, column):g}" if column.endswith("points")
                             else getattr(row, column) for column in COLUMNS])
    data = summary(results, seconds)
    document = {
        "format": "mlp_course gradebook 1",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seed": seed,
        "lang": lang,
        "settings": settings,
        "rows": [asdict(row) for row in table],
        "submissions": [{
            "student": r.student, "lesson": r.lesson or "", "submission": str(r.submission.path),
            "points": r.points, "max_points": r.max_points, "seconds": round(r.seconds, 2),
            "problems": [status for status, _ in r.problems],
        } for r in results],
        "summary": data,
    }
    (out / "gradebook.json").write_text(json.dumps(document, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    return data


def safe_name(student: str) -> str:
    """A file name for a student id: letters (any script), digits, ``-``, ``_``, ``.``."""
    name = re.sub(r"[^\w.\-]", "_", student, flags=re.UNICODE).strip("._")
    return name[:100] or "student"


def feedback(results: list[SubmissionResult], lang: str) -> str:
    """The Markdown feedback for one student's submissions."""
    student = results[0].student
    with language(lang):
        parts = [text(zh="# 作业反馈：{student}", en="# Feedback for {student}", student=student), ""]
        for result in results:
            lesson = BY_ID.get(result.lesson or "")
            title = f"{lesson.id} — {lesson.title(lang)}" if lesson else (
                result.lesson or text(zh="（课程不明）", en="(unknown lesson)"))
            parts += [f"## {title}", "",
                      text(zh="文件：`{name}`", en="File: `{name}`", name=result.submission.path.name),
                      ""]
            if result.max_points:
                parts += [text(zh="**得分：{points:g} / {total:g}**", en="**Score: {points:g} / {total:g}**",
                               points=result.points, total=result.max_points), ""]
            for status, message in result.problems:
                parts += [f"> ⚠️ **{status_label(status)}**: {_one_line(message.render())}", ""]
            if result.outcomes:
                parts += [text(zh="| 练习 | 得分 | 结果 |", en="| Exercise | Points | Result |"),
                          "|---|---|---|"]
                for outcome in result.outcomes:
                    parts.append(f"| `{outcome.exercise}` | {outcome.points:g} / "
                                 f"{outcome.max_points:g} | {status_label(outcome.status)} |")
                parts.append("")
            for outcome in result.outcomes:
                if outcome.passed:
                    continue
                parts += [f"### `{outcome.exercise}`", "", _one_line(outcome.message.render()), ""]
                if outcome.kind is not None:
                    parts.append("- " + text(zh="出错的输入类型：{kind}", en="Input that broke it: {kind}",
                                             kind=_one_line(outcome.kind.render())))
                if outcome.hint is not None:
                    parts.append("- " + text(zh="提示：{hint}", en="Hint: {hint}",
                                             hint=_one_line(outcome.hint.render())))
                note = result.notes.get(outcome.exercise)
                if note is not None:
                    parts.append("- " + _one_line(note.render()))
                parts.append("")
        parts.append(text(
            zh="---\n评分用的输入每次评分都会重新随机生成，另外还包括课程中列出的各类刁钻输入。"
               "想看到期望值与实际值的对比，请在笔记本里运行对应的 `check(...)` 单元格。",
            en="---\nThe grader draws fresh random inputs for every grading run, plus the tricky "
               "kinds of input the lesson describes. To compare expected and actual values, run "
               "the exercise's `check(...)` cell in your notebook."))
    return "\n".join(parts) + "\n"


def write_feedback(results: list[SubmissionResult], out: Path, lang: str) -> list[Path]:
    """One Markdown file per student in ``out/feedback``."""
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    by_student: dict[str, list[SubmissionResult]] = defaultdict(list)
    for result in results:
        by_student[result.student].append(result)
    written, used = [], set()
    for student in sorted(by_student):
        name = safe_name(student)
        candidate, number = name, 2
        while candidate.lower() in used:
            candidate, number = f"{name}-{number}", number + 1
        used.add(candidate.lower())
        path = folder / f"{candidate}.md"
        path.write_text(feedback(by_student[student], lang), encoding="utf-8")
        written.append(path)
    return written


# ---------------------------------------------------------------------------
# Progress on the terminal

class Progress:
    """A plain-text progress bar on stderr (one line per submission when not a terminal)."""

    def __init__(self, total: int, lang: str, stream: TextIO | None = None, width: int = 24):
        self.total = max(total, 1)
        self.lang = lang
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, result: SubmissionResult) -> None:
        self.done += 1
        filled = int(self.width * self.done / self.total)
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        with language(self.lang):
            score = (f"{result.points:g}/{result.max_points:g}" if result.max_points
                     else status_label(result.problems[0][0]) if result.problems else "-")
            line = text(zh="[{bar}] {done}/{total}  {student}: {score}  已用 {elapsed:.0f} 秒，约剩 {left:.0f} 秒",
                        en="[{bar}] {done}/{total}  {student}: {score}  {elapsed:.0f} s, ~{left:.0f} s left",
                        bar="#" * filled + "-" * (self.width - filled), done=self.done,
                        total=self.total, student=result.student, score=score,
                        elapsed=elapsed, left=left)
        if self.tty:
            self.stream.write("\r" + line[:150].ljust(150))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
