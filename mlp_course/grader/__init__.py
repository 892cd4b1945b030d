"""The auto-grader: ``python -m mlp_course grade SUBMISSION... --out DIR``.

自动评分器：把一个文件夹的作业笔记本变成可信的成绩册。

Each submission runs in its own fresh kernel with time and memory limits; the
grader captures each exercise's function right after its answer cell, calls it
on test cases drawn from a seed it chooses, and judges the outputs in its own
process against PyTorch. What a notebook prints, its own check cells, or
changes it makes to ``mlp_course``, numpy or torch inside its kernel cannot
change its grade. See :mod:`mlp_course.grader.cli` for the command and
:mod:`mlp_course.grader.submissions` for how students are named.

On Linux every kernel runs in a bubblewrap sandbox of its own (no network, its
own process namespace, a read-only system, only its scratch folder writable, a
clean environment, no torch and no reference answers): see
:mod:`mlp_course.grader.sandbox`. Without bubblewrap the command refuses to
run unless ``--no-sandbox`` is given, for work the instructor trusts.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the ``grade`` command; return its exit code.  运行 grade 命令，返回退出码。"""
    from .cli import main as run

    return run(argv)


def __getattr__(name: str):
    # the runner pulls in jupyter_client and the exercises: load it only when asked
    if name in ("grade_batch", "Settings", "SubmissionResult"):
        from . import runner

        return getattr(runner, name)
    if name in ("find_submissions", "Submission"):
        from . import submissions

        return getattr(submissions, name)
    raise AttributeError(f"module 'mlp_course.grader' has no attribute {name!r}")
