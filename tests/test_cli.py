"""`python -m mlp_course`: usage and errors in the learner's language."""

from __future__ import annotations

import subprocess
import sys

from mlp_course.__main__ import main
from mlp_course.course.syllabus import ROOT


def test_usage_follows_the_language(capsys):
    assert main(["--lang", "zh", "--help"]) == 0
    assert "用法" in capsys.readouterr().out
    assert main(["--lang", "en"]) == 0
    assert "usage: python -m mlp_course" in capsys.readouterr().out


def test_unknown_command_is_named_and_exits_non_zero(capsys):
    assert main(["--lang", "en", "frobnicate"]) == 2
    captured = capsys.readouterr()
    assert "Unknown command 'frobnicate'" in captured.err and "build" in captured.out


def test_build_check_reports_the_lessons_are_current():
    result = subprocess.run([sys.executable, "-m", "mlp_course", "--lang", "en", "build", "--check"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_drift_reports_no_pair_needing_review():
    result = subprocess.run([sys.executable, "-m", "mlp_course", "drift"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout
