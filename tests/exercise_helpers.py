"""Shared by the lesson exercise tests."""

from __future__ import annotations

from mlp_course.course.exercises import evaluate
from mlp_course.i18n import language


def verdict(exercise, fn, seed=0):
    """Evaluate ``fn`` on ``exercise`` in English: (outcome, rendered text)."""
    with language("en"):
        outcome = evaluate(exercise, fn, seed=seed)
        return outcome, outcome.render()
