"""``python -m mlp_course grade``: a folder of notebooks in, a gradebook and feedback out.

命令行：输入作业笔记本（或其所在文件夹），输出成绩册与每位学生的反馈。

    python -m mlp_course grade SUBMISSION... --out DIR [--lesson L] [--jobs N]
        [--timeout S] [--cell-timeout S] [--call-timeout S] [--memory MB]
        [--seed N] [--lang zh|en]

Student ids: folders are searched recursively for ``*.ipynb``; a notebook in
a subfolder belongs to the subfolder (``submitted/alice/x.ipynb`` → ``alice``),
one directly in the folder or named on its own to its file name
(``submitted/bob.ipynb`` → ``bob``), except that a notebook named like a lesson
(``carol/01_softmax.ipynb``) belongs to the folder that holds it.

Writes ``DIR/gradebook.csv``, ``DIR/gradebook.json`` (with the seed, so a run
can be repeated exactly) and ``DIR/feedback/<student>.md``. Exit code 0 when
the batch completed, whatever the grades; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

from ..i18n import CourseValueError, get_language, language, language_option, text


class UsageError(Exception):
    """Bad command-line arguments (argparse's own words, wrapped in a bilingual message)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    from .runner import Settings, default_jobs

    defaults = Settings()
    parser = _Parser(
        prog="python -m mlp_course grade",
        description="Grade submitted notebooks into a gradebook / 批量评分作业笔记本，生成成绩册",
        epilog="Student id: the subfolder a notebook is in (submitted/alice/x.ipynb), else its "
               "file name (submitted/bob.ipynb); a notebook named like a lesson "
               "(carol/01_softmax.ipynb) belongs to its folder. / 学生编号：笔记本所在的子文件夹名"
               "（submitted/alice/x.ipynb）；否则为文件名（submitted/bob.ipynb）；"
               "若文件名就是课程名（carol/01_softmax.ipynb），则取其所在文件夹名。")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help="notebooks or folders of them / 笔记本或其所在文件夹")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="folder for the gradebook and feedback / 成绩册与反馈的输出文件夹")
    parser.add_argument("--lesson", default=None,
                        help="the lesson being graded, e.g. 01 or 01_softmax (default: from each "
                             "notebook) / 本次评分的课程（默认按笔记本判断）")
    parser.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                        help="submissions graded at the same time / 同时评分的作业数")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, metavar="S",
                        help="time limit for a whole notebook, seconds / 整个笔记本的时限（秒）")
    parser.add_argument("--cell-timeout", type=float, default=defaults.cell_timeout, metavar="S",
                        help="time limit for one cell, seconds / 单个单元格的时限（秒）")
    parser.add_argument("--call-timeout", type=float, default=defaults.call_timeout, metavar="S",
                        help="time limit for one call of a learner's function / 每次调用学生函数的时限（秒）")
    parser.add_argument("--memory", type=int, default=defaults.memory_mb, metavar="MB",
                        help="memory limit of each kernel, MB / 每个内核的内存上限（MB）")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the test inputs (default: random, recorded in the gradebook) "
                             "/ 测试输入的随机种子（默认随机，并记录在成绩册中）")
    parser.add_argument("--lang", choices=["zh", "en"], default=None,
                        help="language of the gradebook and feedback / 成绩册与反馈的语言")
    return parser


def _usage(problem: str, parser: argparse.ArgumentParser | None = None) -> int:
    message = text(zh="评分命令用法有误：{problem}", en="Usage error in the grade command: {problem}",
                   problem=problem)
    print(message, file=sys.stderr)
    if parser is not None:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print(text(zh="运行 `python -m mlp_course grade --help` 查看全部选项。",
                   en="Run `python -m mlp_course grade --help` for every option."), file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        requested = language_option(argv)[0]
    except CourseValueError as problem:
        return _usage(str(problem))
    with language(requested or get_language()):
        return _main(argv)


def _main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as problem:
        return _usage(str(problem), parser)
    except SystemExit as done:  # --help
        return int(done.code or 0)
    lang = args.lang or get_language()
    checks = [
        (args.jobs >= 1, text(zh="--jobs 应为至少 1 的整数，收到 {v}。", en="--jobs must be at least 1, got {v}.", v=args.jobs)),
        (args.timeout > 0, text(zh="--timeout 应为正数，收到 {v}。", en="--timeout must be positive, got {v}.", v=args.timeout)),
        (args.cell_timeout > 0, text(zh="--cell-timeout 应为正数，收到 {v}。", en="--cell-timeout must be positive, got {v}.", v=args.cell_timeout)),
        (args.call_timeout > 0, text(zh="--call-timeout 应为正数，收到 {v}。", en="--call-timeout must be positive, got {v}.", v=args.call_timeout)),
        (args.memory >= 128, text(zh="--memory 应至少为 128（MB），收到 {v}。", en="--memory must be at least 128 (MB), got {v}.", v=args.memory)),
        (args.seed is None or args.seed >= 0, text(zh="--seed 应为非负整数，收到 {v}。", en="--seed must be a non-negative integer, got {v}.", v=args.seed)),
    ]
    for ok, problem in checks:
        if not ok:
            return _usage(problem, parser)
    lesson = None
    if args.lesson is not None:
        from ..course.syllabus import get_lesson

        try:
            lesson = get_lesson(args.lesson).id
        except CourseValueError as error:
            return _usage(str(error), parser)

    from . import report
    from .runner import Settings, grade_batch
    from .submissions import find_submissions

    submissions, missing = find_submissions(args.submissions)
    for name in missing:
        print(text(zh="找不到：{path}", en="Not found: {path}", path=name), file=sys.stderr)
    if not submissions:
        return _usage(text(zh="没有找到任何作业笔记本（.ipynb）：{paths}。",
                           en="no submitted notebooks (.ipynb) found in: {paths}.",
                           paths=", ".join(args.submissions)))
    if args.out.exists() and not args.out.is_dir():
        return _usage(text(zh="--out 应为文件夹，但 {path} 是一个文件。",
                           en="--out must be a folder, but {path} is a file.", path=args.out))
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    settings = Settings(jobs=args.jobs, timeout=args.timeout, cell_timeout=args.cell_timeout,
                        call_timeout=args.call_timeout, memory_mb=args.memory, seed=seed,
                        lesson=lesson)
    print(text(zh="评分 {n} 份作业（并行 {jobs} 个，随机种子 {seed}）……",
               en="Grading {n} submissions ({jobs} at a time, seed {seed})...",
               n=len(submissions), jobs=settings.jobs, seed=seed), file=sys.stderr)
    progress = report.Progress(len(submissions), lang)
    started = time.monotonic()
    results = grade_batch(submissions, settings, on_done=progress.update)
    progress.finish()
    seconds = time.monotonic() - started
    recorded = {"jobs": settings.jobs, "timeout": settings.timeout,
                "cell_timeout": settings.cell_timeout, "call_timeout": settings.call_timeout,
                "memory_mb": settings.memory_mb, "lesson": settings.lesson}
    data = report.write_gradebook(results, args.out, lang, seed, recorded, seconds)
    report.write_feedback(results, args.out, lang)
    with language(lang):
        print(report.format_summary(data, lang))
        print(text(zh="成绩册：{csv}、{json}；反馈：{feedback}",
                   en="Gradebook: {csv}, {json}; feedback: {feedback}",
                   csv=args.out / "gradebook.csv", json=args.out / "gradebook.json",
                   feedback=args.out / "feedback"))
    return 0
