"""The gradebook (CSV and JSON), one feedback file per student, the summary and the progress bar.

成绩册（CSV 与 JSON）、每位学生一份反馈、汇总与进度条。

Everything here is written in one language, chosen for the batch. Feedback
carries the public part of each verdict, the kind of input that broke the
function and a hint, never the test inputs or the expected values.

One record per graded notebook (:func:`record_of`) is the only source: the CSV,
the JSON, the feedback files and the summary are all written from the records.
:class:`Gradebook` adds each record as soon as its notebook is graded and
rewrites ``gradebook.json``, ``gradebook.csv`` and that student's feedback file
atomically (a temporary file in the output folder, then ``os.replace``), with
SIGINT and SIGTERM held back for the moment of writing: a run that is stopped
leaves a valid partial gradebook, which ``--resume`` completes and
:func:`verify` checks.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import TextIO

from ..course.syllabus import BY_ID
from ..course.exercises.core import ERROR, FAILED, FORBIDDEN, MISSING, NOT_IMPLEMENTED, PASSED
from ..i18n import Message, language, text
from . import verdict
from .runner import SubmissionResult
from .submissions import DUPLICATE, DUPLICATE_RULE, NAME_MISMATCH, NOT_A_FILE, SYMLINK

COLUMNS = ("student", "lesson", "exercise", "points", "max_points", "status", "message",
           "submission", "counted", "flags")
FORMAT = "mlp_course gradebook 2"

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
    verdict.PROCESSES: Message(zh="进程过多", en="too many processes"),
    verdict.DISK: Message(zh="写入超限", en="disk limit"),
    verdict.NOT_RUN: Message(zh="未运行到", en="not reached"),
    verdict.NOT_GRADED: Message(zh="未评分", en="not graded"),
    verdict.UNREADABLE: Message(zh="无法读取", en="unreadable"),
    verdict.UNKNOWN_LESSON: Message(zh="课程不明", en="unknown lesson"),
    verdict.WRONG_LESSON: Message(zh="课程不符", en="wrong lesson"),
    verdict.NOTEBOOK_TIMEOUT: Message(zh="整体超时", en="notebook time limit"),
    verdict.KERNEL_RESTARTED: Message(zh="内核重启", en="kernel restarted"),
    verdict.KERNEL_FAILED: Message(zh="内核失败", en="kernel failed"),
    SYMLINK: Message(zh="符号链接", en="symbolic link"),
    NOT_A_FILE: Message(zh="不是文件", en="not a file"),
    DUPLICATE: Message(zh="重复提交", en="duplicate"),
    NAME_MISMATCH: Message(zh="文件名与内容不符", en="name and content differ"),
}
TEMPORARY = ".gradebook-writing-"     # prefix of the temporary files in the output folder
FLAG_SEPARATOR = " | "


def status_label(status: str) -> str:
    label = STATUS_LABEL.get(status)
    return label.render() if label is not None else status


def _one_line(value) -> str:
    return " ".join(str(value).split())


def _render(message) -> str:
    return _one_line(message.render() if isinstance(message, Message) else message)


def _row(result: SubmissionResult, exercise: str, points: float, max_points: float, status: str,
         message: str, counted: bool, flags: str, **extra) -> dict:
    return {"student": result.student, "lesson": result.lesson or "", "exercise": exercise,
            "points": points if counted else 0.0, "max_points": max_points, "status": status,
            "message": message, "submission": str(result.submission.path), "counted": counted,
            "flags": flags, "kind": extra.get("kind", ""), "hint": extra.get("hint", ""),
            "note": extra.get("note", "")}


def record_of(result: SubmissionResult, lang: str) -> dict:
    """The one record of a graded notebook, rendered in ``lang``: its rows (one per
    exercise, plus one per submission-level problem or warning), its flags and totals."""
    submission = result.submission
    counted = submission.counted
    with language(lang):
        flags = [_render(flag) for flag in [*submission.flags, *result.flags]]
        flags = list(dict.fromkeys(flags))
        joined = FLAG_SEPARATOR.join(flags)
        rows = []
        for status, message in [*result.problems, *submission.warnings]:
            rows.append(_row(result, verdict.SUBMISSION, 0.0, 0.0, status, _render(message),
                             counted, joined))
        for outcome in result.outcomes:
            note = result.notes.get(outcome.exercise)
            rows.append(_row(
                result, outcome.exercise, float(outcome.points), float(outcome.max_points),
                outcome.status, _render(outcome.message), counted, joined,
                kind=_render(outcome.kind) if outcome.kind is not None else "",
                hint=_render(outcome.hint) if outcome.hint is not None else "",
                note=_render(note) if note is not None else ""))
    return {
        "student": result.student, "lesson": result.lesson or "",
        "submission": str(submission.path), "file": submission.path.name,
        "sha256": submission.digest,
        "points": float(result.points) if counted else 0.0,
        "points_if_counted": float(result.points), "max_points": float(result.max_points),
        "counted": counted, "seconds": round(result.seconds, 2),
        "problems": [status for status, _ in result.problems],
        "warnings": [status for status, _ in submission.warnings],
        "flags": flags, "rows": rows,
    }


def csv_cell(row: dict, column: str) -> str:
    """How a row's value is written in the CSV (the JSON keeps the value itself)."""
    value = row[column]
    if column.endswith("points"):
        return f"{float(value):g}"
    if column == "counted":
        return "yes" if value else "no"
    return str(value)


def summary(records: list[dict], seconds: float, graded_now: int | None = None) -> dict:
    """Counts, means per lesson, failures per exercise, flags and duplicates.

    Only counted notebooks enter the means and the failures.
    """
    counted = [r for r in records if r["counted"]]
    lessons: dict[str, list[dict]] = defaultdict(list)
    for record in counted:
        lessons[record["lesson"]].append(record)
    means = {}
    for lesson, group in sorted(lessons.items()):
        graded = [r for r in group if r["max_points"] > 0]
        if graded:
            means[lesson] = {"submissions": len(group),
                             "mean_points": sum(r["points"] for r in graded) / len(graded),
                             "max_points": max(r["max_points"] for r in graded)}
    failures: dict[str, Counter] = defaultdict(Counter)
    for record in counted:
        for row in record["rows"]:
            if row["exercise"] != verdict.SUBMISSION and row["status"] != PASSED:
                failures[row["exercise"]][row["status"]] += 1
    problems = Counter(status for record in records for status in record["problems"])
    duplicates = defaultdict(list)
    for record in records:
        if DUPLICATE in record["warnings"]:
            duplicates[(record["student"], record["lesson"])].append(record)
    count = len(records) if graded_now is None else graded_now
    return {
        "submissions": len(records),
        "students": len({r["student"] for r in records}),
        "seconds": round(seconds, 2),
        "graded_now": count,
        "per_minute": round(count / seconds * 60, 1) if seconds > 0 and count else None,
        "lessons": means,
        "failures": {exercise: dict(counts) for exercise, counts in sorted(failures.items())},
        "problems": dict(problems),
        "needs_look": [{"student": r["student"], "submission": r["submission"],
                        "flags": r["flags"]} for r in records if r["flags"]],
        "duplicates": [{"student": student, "lesson": lesson,
                        "counted": next((r["file"] for r in group if r["counted"]), ""),
                        "not_counted": sorted(r["file"] for r in group if not r["counted"])}
                       for (student, lesson), group in sorted(duplicates.items())],
    }


def format_summary(data: dict, lang: str) -> str:
    with language(lang):
        lines = [text(zh="已评 {n} 份作业（{students} 名学生），本次用时 {seconds:.1f} 秒，每分钟 {rate} 份。",
                      en="Graded {n} submissions ({students} students); this run took "
                         "{seconds:.1f} s: {rate} per minute.",
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
        if data.get("duplicates"):
            lines.append(text(zh="重复提交（{n} 名学生）：{rule}",
                              en="Duplicates ({n} students): {rule}",
                              n=len(data["duplicates"]), rule=DUPLICATE_RULE))
            for item in data["duplicates"]:
                lines.append(text(zh="  {student}（{lesson}）：计分 {counted}；不计分 {others}",
                                  en="  {student} ({lesson}): counted {counted}; not counted {others}",
                                  student=item["student"], lesson=item["lesson"],
                                  counted=item["counted"], others=", ".join(item["not_counted"])))
        if data.get("needs_look"):
            lines.append(text(zh="需要人工查看（{n} 份）：", en="Needs a human look ({n}):",
                              n=len(data["needs_look"])))
            for item in data["needs_look"]:
                lines.append(f"  {item['student']} ({Path(item['submission']).name}): "
                             + FLAG_SEPARATOR.join(item["flags"]))
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Files, each replaced atomically

class _HeldSignals:
    """SIGINT and SIGTERM wait while the gradebook's files are replaced, so a run
    stopped by either never leaves the CSV and the JSON from different moments.

    Blocking them (``pthread_sigmask``) holds them back from this thread only: another
    thread of the grader (the kernel clients', BLAS's) may still receive one, and Python
    then runs the handler in this thread at its next instruction. So, in the main thread,
    the handlers are also replaced by one that only notes the signal; on the way out the
    handlers come back and each noted signal is raised again, once.
    """

    NUMBERS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.noted: list[int] = []
        self.handlers: dict[int, object] = {}
        if threading.current_thread() is threading.main_thread():
            for number in self.NUMBERS:
                handler = signal.getsignal(number)
                if handler not in (signal.SIG_IGN, None):
                    self.handlers[number] = handler
                    signal.signal(number, self._note)
        self.previous = None
        if hasattr(signal, "pthread_sigmask"):
            try:
                self.previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(self.NUMBERS))
            except (OSError, ValueError):
                self.previous = None
        return self

    def _note(self, number, frame) -> None:
        if number not in self.noted:
            self.noted.append(number)

    def __exit__(self, *exc):
        if self.previous is not None:
            # a signal blocked in this thread arrives now, while the noting handler is in
            # place: it is noted with the others
            signal.pthread_sigmask(signal.SIG_SETMASK, self.previous)
        for number, handler in self.handlers.items():
            signal.signal(number, handler)
        for number in self.noted:
            signal.raise_signal(number)
        return False


def replace_file(path: Path, data: str, encoding: str = "utf-8") -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``."""
    temporary = path.with_name(f"{TEMPORARY}{os.getpid()}-{path.name}")
    try:
        with open(temporary, "w", encoding=encoding, newline="") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def leftover_temporaries(out: Path) -> list[Path]:
    found = []
    for folder in (out, out / "feedback"):
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.name.startswith(TEMPORARY))
    return found


def csv_text(rows: list[dict]) -> str:
    handle = io.StringIO()
    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(row, column) for column in COLUMNS])
    return handle.getvalue()


def read_gradebook(out: Path) -> dict | None:
    """The gradebook document in ``out``, or None if there is none (or it is unreadable)."""
    try:
        document = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and document.get("format") == FORMAT else None


class Gradebook:
    """The records of one batch, saved after every graded notebook.  逐份保存的成绩册。

    ``planned`` is every submission of the batch in order (paths as strings);
    rows follow that order, whatever order the notebooks finish in.
    """

    def __init__(self, out: Path, lang: str, seed: int, settings: dict, planned: list[str],
                 earlier: dict | None = None):
        self.out = Path(out)
        self.lang = lang
        self.seed = seed
        self.settings = settings
        self.planned = list(planned)
        self.records: dict[str, dict] = {}
        self.created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.graded_now = 0
        self.started = time.monotonic()
        if earlier is not None:
            self.created = earlier.get("created", self.created)
            for record in earlier.get("submissions", []):
                self.records[record["submission"]] = record
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "feedback").mkdir(exist_ok=True)
        for stale in leftover_temporaries(self.out):  # from a run killed with SIGKILL
            stale.unlink(missing_ok=True)

    def done(self, submissions=()) -> set[str]:
        """The submissions already graded, as paths: with ``submissions`` (read), only
        those whose file is unchanged since (a notebook handed in again is graded again)."""
        if not submissions:
            return set(self.records)
        unchanged = set()
        for submission in submissions:
            record = self.records.get(str(submission.path))
            if record is not None and record.get("sha256") == submission.digest:
                unchanged.add(str(submission.path))
        return unchanged

    def ordered(self) -> list[dict]:
        order = {path: index for index, path in enumerate(self.planned)}
        return sorted(self.records.values(),
                      key=lambda r: (order.get(r["submission"], len(order)), r["submission"]))

    def add(self, result: SubmissionResult) -> dict:
        """Record one graded notebook and save everything it changes."""
        record = record_of(result, self.lang)
        self.records[record["submission"]] = record
        self.graded_now += 1
        self.save(students={record["student"]})
        return record

    def document(self, complete: bool, seconds: float) -> dict:
        records = self.ordered()
        pending = [path for path in self.planned if path not in self.records]
        return {
            "format": FORMAT,
            "created": self.created,
            "seed": self.seed,
            "lang": self.lang,
            "settings": self.settings,
            "complete": complete and not pending,
            "pending": pending,
            "duplicate_rule": DUPLICATE_RULE.render(self.lang),
            "rows": [row for record in records for row in record["rows"]],
            "submissions": records,
            "summary": summary(records, seconds, self.graded_now),
        }

    def save(self, complete: bool = False, students: set[str] | None = None) -> dict:
        """Rewrite the JSON, the CSV and the feedback of ``students`` (all when None)."""
        document = self.document(complete, time.monotonic() - self.started)
        by_student: dict[str, list[dict]] = defaultdict(list)
        for record in document["submissions"]:
            by_student[record["student"]].append(record)
        names = feedback_names(sorted(by_student))
        with _HeldSignals():
            replace_file(self.out / "gradebook.json",
                         json.dumps(document, ensure_ascii=False, indent=1))
            replace_file(self.out / "gradebook.csv", csv_text(document["rows"]),
                         encoding="utf-8-sig")
            for student in sorted(by_student):
                if students is None or student in students:
                    replace_file(self.out / "feedback" / f"{names[student]}.md",
                                 feedback(by_student[student], self.lang))
        return document

    def finish(self) -> dict:
        """Save the final gradebook (``complete`` when nothing is pending); return its summary."""
        return self.save(complete=True)["summary"]


def safe_name(student: str) -> str:
    """A file name for a student id: letters (any script), digits, ``-``, ``_``, ``.``."""
    name = re.sub(r"[^\w.\-]", "_", student, flags=re.UNICODE).strip("._")
    return name[:100] or "student"


def feedback_names(students: list[str]) -> dict[str, str]:
    """A distinct feedback file name for each student (case-insensitively distinct)."""
    names, used = {}, set()
    for student in sorted(students):
        name = safe_name(student)
        candidate, number = name, 2
        while candidate.lower() in used:
            candidate, number = f"{name}-{number}", number + 1
        used.add(candidate.lower())
        names[student] = candidate
    return names


def feedback(records: list[dict], lang: str) -> str:
    """The Markdown feedback for one student's graded notebooks (their records)."""
    student = records[0]["student"]
    with language(lang):
        parts = [text(zh="# 作业反馈：{student}", en="# Feedback for {student}", student=student), ""]
        for record in records:
            lesson = BY_ID.get(record["lesson"])
            title = f"{lesson.id} — {lesson.title(lang)}" if lesson else (
                record["lesson"] or text(zh="（课程不明）", en="(unknown lesson)"))
            parts += [f"## {title}", "",
                      text(zh="文件：`{name}`", en="File: `{name}`", name=record["file"]), ""]
            if record["max_points"]:
                if record["counted"]:
                    parts += [text(zh="**得分：{points:g} / {total:g}**",
                                   en="**Score: {points:g} / {total:g}**",
                                   points=record["points"], total=record["max_points"]), ""]
                else:
                    parts += [text(zh="**不计分**（这一份若计分将得 {points:g} / {total:g}）",
                                   en="**Not counted** (this one would score {points:g} / {total:g})",
                                   points=record["points_if_counted"],
                                   total=record["max_points"]), ""]
            exercises = [row for row in record["rows"] if row["exercise"] != verdict.SUBMISSION]
            for row in record["rows"]:
                if row["exercise"] == verdict.SUBMISSION:
                    parts += [f"> ⚠️ **{status_label(row['status'])}**: {row['message']}", ""]
            shown = {row["message"] for row in record["rows"]}
            if record["flags"]:
                # a flag that is already a warning above is named, not repeated
                flags = [flag if flag not in shown else status_label(NAME_MISMATCH)
                         for flag in record["flags"]]
                parts += [text(zh="> 🔎 **需要人工查看**：{flags}", en="> 🔎 **Needs a human look**: {flags}",
                               flags=FLAG_SEPARATOR.join(dict.fromkeys(flags))), ""]
            if exercises:
                parts += [text(zh="| 练习 | 得分 | 结果 |", en="| Exercise | Points | Result |"),
                          "|---|---|---|"]
                for row in exercises:
                    parts.append(f"| `{row['exercise']}` | {row['points']:g} / "
                                 f"{row['max_points']:g} | {status_label(row['status'])} |")
                parts.append("")
            for row in exercises:
                if row["status"] == PASSED:
                    continue
                parts += [f"### `{row['exercise']}`", "", row["message"], ""]
                if row.get("kind"):
                    parts.append("- " + text(zh="出错的输入类型：{kind}", en="Input that broke it: {kind}",
                                             kind=row["kind"]))
                if row.get("hint"):
                    parts.append("- " + text(zh="提示：{hint}", en="Hint: {hint}", hint=row["hint"]))
                if row.get("note"):
                    parts.append("- " + row["note"])
                parts.append("")
        parts.append(text(
            zh="---\n评分用的输入每次评分都会重新随机生成，另外还包括课程中列出的各类刁钻输入。"
               "想看到期望值与实际值的对比，请在笔记本里运行对应的 `check(...)` 单元格。",
            en="---\nThe grader draws fresh random inputs for every grading run, plus the tricky "
               "kinds of input the lesson describes. To compare expected and actual values, run "
               "the exercise's `check(...)` cell in your notebook."))
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# Checking a gradebook: CSV = JSON, every row there, nothing half-written

def verify(out: Path, lang: str) -> tuple[int, list[str]]:
    """Check the gradebook in ``out``; return (exit code, lines to print).

    0: consistent and complete; 3: consistent but partial (a stopped run: finish it
    with ``--resume``); 1: inconsistent or unreadable.
    """
    try:
        return _verify(Path(out), lang)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        with language(lang):
            return 1, [text(zh="成绩册的结构不完整或被改动过（{error}）。",
                            en="The gradebook's structure is incomplete or was edited ({error}).",
                            error=f"{type(error).__name__}: {error}"[:200])]


def _verify(out: Path, lang: str) -> tuple[int, list[str]]:
    from ..course.exercises.core import exercises_of

    problems: list[str] = []
    with language(lang):
        document = read_gradebook(out)
        if document is None:
            return 1, [text(zh="{path} 中没有可读的成绩册（gradebook.json，格式 {format}）。",
                            en="No readable gradebook (gradebook.json, format {format}) in {path}.",
                            path=out, format=FORMAT)]
        try:
            with open(out / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
                table = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            table = None
            problems.append(text(zh="无法读取 gradebook.csv：{error}",
                                 en="gradebook.csv cannot be read: {error}",
                                 error=type(error).__name__))
        rows = document.get("rows", [])
        records = document.get("submissions", [])
        if table is not None:
            if not table or tuple(table[0]) != COLUMNS:
                problems.append(text(zh="gradebook.csv 的表头应为 {want}。",
                                     en="gradebook.csv's header should be {want}.",
                                     want=", ".join(COLUMNS)))
            elif len(table) - 1 != len(rows):
                problems.append(text(zh="gradebook.csv 有 {csv} 行，gradebook.json 有 {json} 行。",
                                     en="gradebook.csv has {csv} rows, gradebook.json {json}.",
                                     csv=len(table) - 1, json=len(rows)))
            else:
                for number, (line, row) in enumerate(zip(table[1:], rows), start=2):
                    want = [csv_cell(row, column) for column in COLUMNS]
                    if line != want:
                        problems.append(text(
                            zh="gradebook.csv 第 {n} 行与 gradebook.json 不一致（{student}，{exercise}）。",
                            en="Line {n} of gradebook.csv differs from gradebook.json "
                               "({student}, {exercise}).",
                            n=number, student=row.get("student"), exercise=row.get("exercise")))
                        break
        if [row for record in records for row in record.get("rows", [])] != rows:
            problems.append(text(zh="gradebook.json 的行与各份作业的记录不一致。",
                                 en="gradebook.json's rows differ from its per-submission records."))
        names = feedback_names(sorted({r.get("student", "") for r in records}))
        for record in records:
            own = record.get("rows", [])
            where = f"{record.get('student')} ({record.get('file')})"
            graded = [row["exercise"] for row in own if row["exercise"] != verdict.SUBMISSION]
            wanted = [e.id for e in exercises_of(record["lesson"])] if record.get("lesson") else []
            if record.get("problems") and not any(r["exercise"] == verdict.SUBMISSION for r in own):
                problems.append(text(zh="{where}：有作业层面的问题，却没有对应的行。",
                                     en="{where}: a submission problem without its row.", where=where))
            if not own:
                problems.append(text(zh="{where}：没有任何行。", en="{where}: no rows at all.",
                                     where=where))
            elif wanted and sorted(graded) != sorted(wanted):
                problems.append(text(zh="{where}：练习行应为 {want}，实际为 {got}。",
                                     en="{where}: exercise rows should be {want}, found {got}.",
                                     where=where, want=", ".join(sorted(wanted)),
                                     got=", ".join(sorted(graded)) or "-"))
            total = sum(row["points"] for row in own)
            if abs(total - record.get("points", 0.0)) > 1e-9 or any(
                    row["points"] > row["max_points"] + 1e-9 for row in own):
                problems.append(text(zh="{where}：各行得分之和与总分不符，或某行得分超过满分。",
                                     en="{where}: the rows' points do not add up to the total, or "
                                        "a row scores above its maximum.", where=where))
            if not (out / "feedback" / f"{names.get(record.get('student', ''), '')}.md").is_file():
                problems.append(text(zh="{where}：缺少反馈文件。", en="{where}: no feedback file.",
                                     where=where))
        for path in leftover_temporaries(out):
            problems.append(text(zh="留有未写完的临时文件：{name}",
                                 en="A half-written temporary file is left: {name}", name=path.name))
        if problems:
            return 1, problems + [text(zh="成绩册校验未通过（{n} 个问题）。",
                                       en="The gradebook failed its check ({n} problems).",
                                       n=len(problems))]
        pending = document.get("pending", [])
        counts = text(zh="{subs} 份作业、{rows} 行；CSV 与 JSON 一致，每份作业的行完整。",
                      en="{subs} submissions, {rows} rows; CSV and JSON agree and every "
                         "submission's rows are complete.", subs=len(records), rows=len(rows))
        if pending or not document.get("complete"):
            return 3, [counts, text(
                zh="成绩册只完成了一部分：还有 {n} 份作业未评分。用同样的命令加上 --resume 完成它。",
                en="The gradebook is partial: {n} submissions are not graded yet. Run the same "
                   "command with --resume to finish it.", n=len(pending))]
        return 0, [counts, text(zh="成绩册完整。", en="The gradebook is complete.")]


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
