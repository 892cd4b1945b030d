"""``python -m mlp_course grade``: a folder of notebooks in, a gradebook and feedback out.

命令行：输入作业笔记本（或其所在文件夹），输出成绩册与每位学生的反馈。

    python -m mlp_course grade SUBMISSION... --out DIR [--lesson L] [--jobs N]
        [--timeout S] [--cell-timeout S] [--call-timeout S] [--memory MB]
        [--processes N] [--disk MB] [--seed N] [--lang zh|en] [--resume] [--no-sandbox]
    python -m mlp_course grade --verify DIR [--lang zh|en]

Student ids: folders are searched recursively for ``*.ipynb``; a notebook in
a subfolder belongs to the subfolder (``submitted/alice/x.ipynb`` → ``alice``),
one directly in the folder or named on its own to its file name
(``submitted/bob.ipynb`` → ``bob``), except that a notebook named like a lesson
(``carol/01_softmax.ipynb``) belongs to the folder that holds it.

Writes ``DIR/gradebook.csv``, ``DIR/gradebook.json`` (with the seed, so a run
can be repeated exactly) and ``DIR/feedback/<student>.md``, each saved again
(atomically) as soon as a notebook is graded. Ctrl-C or SIGTERM stops the batch,
keeps what is graded and says how to resume: the same command with
``--resume`` grades only the rest (and any notebook changed since it was
graded), with the recorded seed (a different ``--seed`` is refused). ``python -m mlp_course grade --verify DIR`` checks a
gradebook: CSV = JSON, every submission's rows complete, no half-written file.

Exit code 0 when the batch completed, whatever the grades; 2 for a usage
error; 130 (Ctrl-C) or 143 (SIGTERM) for a stopped run. ``--verify``: 0
complete, 3 partial, 1 inconsistent.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
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
               "(carol/01_softmax.ipynb) belongs to its folder. Symbolic links are refused; of "
               "several notebooks of one lesson from one student, the most recently modified "
               "counts. / 学生编号：笔记本所在的子文件夹名"
               "（submitted/alice/x.ipynb）；否则为文件名（submitted/bob.ipynb）；"
               "若文件名就是课程名（carol/01_softmax.ipynb），则取其所在文件夹名。"
               "符号链接不评分；同一学生同一课有多份笔记本时，以最后修改的一份计分。")
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
    parser.add_argument("--processes", type=int, default=defaults.processes, metavar="N",
                        help="processes and threads one kernel may have (a fork bomb stops "
                             "there), in the sandbox / 每个内核最多的进程与线程数（沙箱内）")
    parser.add_argument("--disk", type=int, default=defaults.disk_mb, metavar="MB",
                        help="what one kernel may write, MB (in the sandbox all its files "
                             "together, in memory; without it, each file) / 每个内核最多写入的"
                             "数据量（MB；沙箱内为全部文件之和，占用内存）")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed of the test inputs (default: random, recorded in the gradebook) "
                             "/ 测试输入的随机种子（默认随机，并记录在成绩册中）")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run submissions without the bubblewrap sandbox (only for work you "
                             "trust) / 不使用 bubblewrap 沙箱运行作业（仅限可信的作业）")
    parser.add_argument("--lang", choices=["zh", "en"], default=None,
                        help="language of the gradebook and feedback / 成绩册与反馈的语言")
    parser.add_argument("--resume", action="store_true",
                        help="finish the gradebook in --out of a stopped run: notebooks graded "
                             "and unchanged since are skipped, the recorded seed and language are "
                             "kept / 续评 --out 中被中止的成绩册：跳过已评且未改动的作业，沿用记录的种子与语言")
    parser.add_argument("--verify", metavar="DIR",
                        help="only check the gradebook in DIR (CSV = JSON, rows complete); exit "
                             "0 complete, 3 partial, 1 inconsistent / 只校验 DIR 中的成绩册")
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
    if any(word == "--verify" or word.startswith("--verify=") for word in argv):
        return _verify(argv)
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
        (args.processes >= 16, text(zh="--processes 应至少为 16，收到 {v}。", en="--processes must be at least 16, got {v}.", v=args.processes)),
        (args.disk >= 8, text(zh="--disk 应至少为 8（MB），收到 {v}。", en="--disk must be at least 8 (MB), got {v}.", v=args.disk)),
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

    from ..course.exercises.core import load_all
    from . import report
    from .runner import Settings, grade_batch
    from .submissions import examine, find_submissions

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
    from . import sandbox
    from .kernel import processes_capped, uncapped_warning

    if not args.no_sandbox and sandbox.problem() is not None:
        print(sandbox.problem(), file=sys.stderr)
        return 2
    earlier = report.read_gradebook(args.out) if args.resume else None
    if args.resume and earlier is None:
        print(text(zh="{path} 中没有可续评的成绩册，从头开始评分。",
                   en="No gradebook to resume in {path}; grading from the start.",
                   path=args.out), file=sys.stderr)
    if earlier is not None:
        recorded_lesson = (earlier.get("settings") or {}).get("lesson")
        for name, asked, kept in (("--seed", args.seed, earlier.get("seed")),
                                  ("--lang", args.lang, earlier.get("lang")),
                                  ("--lesson", lesson, recorded_lesson)):
            if asked is not None and asked != kept:
                return _usage(text(
                    zh="--resume 只能用原来的设置续评：{path} 中的成绩册用的是 {name} {kept}，"
                       "而这次给的是 {asked}。去掉 {name}（沿用原值），或换一个 --out 重新评分。",
                    en="--resume continues with the original settings: the gradebook in {path} "
                       "used {name} {kept}, but {asked} was given. Leave {name} out (the "
                       "recorded value is used) or grade afresh into another --out.",
                    path=args.out, name=name, kept=kept, asked=asked))
        lang = earlier.get("lang", lang)
        lesson = recorded_lesson
    elif (args.out / "gradebook.json").exists():
        print(text(zh="{path} 中已有成绩册，将被这次评分取代（想接着评完它，请加 --resume）。",
                   en="{path} already holds a gradebook; this run replaces it (add --resume "
                      "to finish that one instead).", path=args.out), file=sys.stderr)
    seed = earlier["seed"] if earlier is not None else (
        args.seed if args.seed is not None else secrets.randbits(32))
    settings = Settings(jobs=args.jobs, timeout=args.timeout, cell_timeout=args.cell_timeout,
                        call_timeout=args.call_timeout, memory_mb=args.memory, seed=seed,
                        lesson=lesson, sandbox=not args.no_sandbox, processes=args.processes,
                        disk_mb=args.disk)
    recorded = {"jobs": settings.jobs, "timeout": settings.timeout,
                "cell_timeout": settings.cell_timeout, "call_timeout": settings.call_timeout,
                "memory_mb": settings.memory_mb, "processes": settings.processes,
                "disk_mb": settings.disk_mb, "lesson": settings.lesson,
                "sandbox": settings.sandbox}
    examine(submissions, load_all(), lesson)
    gradebook = report.Gradebook(args.out, lang, seed, recorded,
                                 [str(s.path) for s in submissions], earlier)
    done = gradebook.done(submissions)
    todo = [s for s in submissions if str(s.path) not in done]
    with language(lang):
        if earlier is not None:
            print(text(zh="续评：{done} 份已评过（跳过），还剩 {n} 份。",
                       en="Resuming: {done} already graded (skipped), {n} to go.",
                       done=len(submissions) - len(todo), n=len(todo)), file=sys.stderr)
        print(text(zh="评分 {n} 份作业（并行 {jobs} 个，随机种子 {seed}）……",
                   en="Grading {n} submissions ({jobs} at a time, seed {seed})...",
                   n=len(todo), jobs=settings.jobs, seed=seed), file=sys.stderr)
    progress = report.Progress(len(todo), lang)

    def finished(result) -> None:
        gradebook.add(result)
        progress.update(result)

    stopped = []

    def terminate(number, frame) -> None:  # SIGTERM stops the batch as Ctrl-C does
        stopped.append(number)
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
            raise KeyboardInterrupt  # Ctrl-C is ignored here (a background job): stop anyway
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        if todo:
            grade_batch(todo, settings, on_done=finished)
    except KeyboardInterrupt:
        progress.finish()
        with language(lang):
            print(text(zh="评分已中止：{done}/{n} 份作业已评完并保存在 {path}（成绩册可用，但不完整）。"
                          "用同样的命令加上 --resume 评完其余的。",
                       en="Grading stopped: {done} of {n} submissions are graded and saved in "
                          "{path} (a valid but partial gradebook). Run the same command with "
                          "--resume to grade the rest.",
                       done=len(gradebook.records), n=len(submissions), path=args.out),
                  file=sys.stderr)
        return 143 if stopped else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    progress.finish()
    data = gradebook.finish()
    with language(lang):
        print(report.format_summary(data, lang))
        if not settings.sandbox:
            print(sandbox.no_sandbox_warning())
        elif not processes_capped():
            print(uncapped_warning())
        print(text(zh="成绩册：{csv}、{json}；反馈：{feedback}",
                   en="Gradebook: {csv}, {json}; feedback: {feedback}",
                   csv=args.out / "gradebook.csv", json=args.out / "gradebook.json",
                   feedback=args.out / "feedback"))
    return 0


def _verify(argv: list[str]) -> int:
    """``grade --verify DIR``: check a gradebook (CSV = JSON, rows complete, nothing half-written)."""
    parser = _Parser(prog="python -m mlp_course grade --verify",
                     description="Check a gradebook / 校验成绩册")
    parser.add_argument("--verify", required=True, type=Path, metavar="DIR",
                        help="the --out folder of a grading run / 评分时 --out 指定的文件夹")
    parser.add_argument("--lang", choices=["zh", "en"], default=None,
                        help="language of the report / 报告的语言")
    try:
        args = parser.parse_args(argv)
    except UsageError as problem:
        return _usage(str(problem), parser)
    except SystemExit as done:
        return int(done.code or 0)
    from . import report

    code, lines = report.verify(args.verify, args.lang or get_language())
    for line in lines:
        print(line, file=sys.stdout if code in (0, 3) else sys.stderr)
    return code
