"""Command line: ``python -m mlp_course [--lang zh|en] <command> ...``.

``--lang`` may also come after the command; it is read once, by
:func:`mlp_course.i18n.language_option`, here and in every command.

命令行入口。The commands and what they do are listed by :func:`usage`, in the
learner's language.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .i18n import language_option, set_language, text


def _build(argv: list[str]) -> int:
    from .course import notebooks

    parser = argparse.ArgumentParser(prog="python -m mlp_course build",
                                     description="Generate student notebooks / 生成学生版笔记本")
    parser.add_argument("lessons", nargs="*")
    parser.add_argument("--check", action="store_true",
                        help="only report stale files / 只检查，不写入")
    args = parser.parse_args(argv)
    stale = notebooks.build(notebooks.lessons_from_args(args.lessons), check_only=args.check)
    for path in stale:
        if args.check:
            print(text(zh="过期：{path}", en="stale: {path}", path=path))
        else:
            print(text(zh="已生成：{path}", en="wrote: {path}", path=path))
    if args.check and stale:
        print(text(zh="学生版笔记本与源不一致：请运行 `python -m mlp_course build`。",
                   en="Student notebooks are out of date: run `python -m mlp_course build`."))
        return 1
    return 0


def _review(argv: list[str]) -> int:
    from .course import notebooks

    parser = argparse.ArgumentParser(prog="python -m mlp_course review",
                                     description="Mark zh/en pairs reviewed / 标记段落对已审阅")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--pair", action="append", default=None,
                        help="pair id (repeatable); default: all pairs / 段落对 id，默认全部")
    args = parser.parse_args(argv)
    marked = notebooks.review(args.notebook, args.pair)
    print(text(zh="已标记 {n} 个段落对为已审阅：{ids}", en="Marked {n} pairs reviewed: {ids}",
               n=len(marked), ids=", ".join(marked)))
    return 0


def _drift(argv: list[str]) -> int:
    from .course import notebooks

    parser = argparse.ArgumentParser(prog="python -m mlp_course drift")
    parser.add_argument("lessons", nargs="*")
    args = parser.parse_args(argv)
    problems = []
    for lesson in notebooks.lessons_from_args(args.lessons, "drift"):
        if lesson.source.exists():
            problems += notebooks.drift(notebooks.read(lesson.source),
                                        str(lesson.source.relative_to(lesson.source.parents[1])))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def _run_solutions(argv: list[str]) -> int:
    from .course import notebooks

    parser = argparse.ArgumentParser(prog="python -m mlp_course run-solutions")
    parser.add_argument("lessons", nargs="*")
    args = parser.parse_args(argv)
    for lesson in notebooks.lessons_from_args(args.lessons, "run-solutions"):
        if lesson.source.exists():
            print(text(zh="运行 {path}", en="running {path}", path=lesson.source.name), flush=True)
            notebooks.execute(lesson.source)
    return 0


def _delegate(module: str):
    def run(argv: list[str]) -> int:
        return importlib.import_module(module).main(argv)
    return run


COMMANDS = {
    "build": _build,
    "review": _review,
    "drift": _drift,
    "run-solutions": _run_solutions,
    "glossary": _delegate("mlp_course.course.glossary"),
    "grade": _delegate("mlp_course.grader"),
    "slides": _delegate("mlp_course.course.publish"),
    "release": _delegate("mlp_course.course.publish"),
    "lab": _delegate("mlp_course.course.lab"),
    "student-repo": _delegate("mlp_course.course.student_repo"),
}


def usage() -> str:
    """The list of commands, in the active language."""
    return text(
        zh="""用法：python -m mlp_course [--lang zh|en] <命令> ...

  build [课程...] [--check]        由 solutions/ 生成 lessons/zh 与 lessons/en
  review 笔记本 [--pair ID...]     标记中英段落对已对照审阅
  drift [课程...]                  列出审阅后改动过的中英段落对
  run-solutions [课程...]          运行源笔记本并保存输出
  glossary 术语 | --list | ...     查术语（见 `glossary --help`）
  grade 作业... --out 文件夹       批量自动评分，生成成绩册
  slides 课程 [--lang L]           把一课渲染成 reveal.js 幻灯片
  release --lang L [--out 文件]    打包发给学生的材料
  lab [--lang L] [jupyter 参数]    在 JupyterLab 中打开课程
  student-repo --lang L [--out 仓库]  生成不含答案的学生版 git 分支（供 nbgitpuller）""",
        en="""usage: python -m mlp_course [--lang zh|en] <command> ...

  build [LESSON...] [--check]     generate lessons/zh and lessons/en from solutions/
  review NOTEBOOK [--pair ID...]  mark zh/en pairs as reviewed side by side
  drift [LESSON...]               list zh/en pairs changed since their review
  run-solutions [LESSON...]       execute the source notebooks, saving outputs
  glossary TERM | --list | ...    look terms up (see `glossary --help`)
  grade SUBMISSION... --out DIR   auto-grade notebooks into a gradebook
  slides LESSON [--lang L]        render a lesson as reveal.js slides
  release --lang L [--out FILE]   pack the student notebooks for a class
  lab [--lang L] [jupyter args]   open the course in JupyterLab
  student-repo --lang L [--out REPO]  a student-only git branch (for nbgitpuller)""")


# commands whose own parser takes --lang (some require it): the option is passed on to them
TAKES_LANG = ("slides", "release", "lab", "grade", "glossary", "student-repo")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --lang, before or after the command, sets the language of every message
    try:
        lang, argv = language_option(argv)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if lang is not None:
        set_language(lang)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        if argv and argv[0] not in ("-h", "--help"):
            print(text(zh="未知命令 {command!r}。", en="Unknown command {command!r}.",
                       command=argv[0]), file=sys.stderr)
        print(usage())
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    if command in ("slides", "release"):
        rest = [command, *rest]
    if command in TAKES_LANG and lang is not None:
        rest = [*rest, "--lang", lang]
    try:
        return COMMANDS[command](rest)
    except ValueError as error:  # course errors are already in the learner's language
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
