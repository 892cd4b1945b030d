"""The contract every registered exercise keeps, whatever its lesson."""

from __future__ import annotations

import numpy as np
import pytest

from mlp_course.course.syllabus import BY_ID
from mlp_course.course.exercises import PASSED, load_all
from mlp_course.course.exercises.core import _BROKEN, find_forbidden, get_exercise

from exercise_helpers import verdict

EXERCISES = sorted(load_all().values(), key=lambda exercise: (exercise.lesson, exercise.id))


def test_every_lesson_exercise_module_imports():
    assert _BROKEN == {}
    assert len(EXERCISES) >= 19


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_exercise_contract(exercise):
    assert exercise.lesson in BY_ID and exercise.points > 0
    assert exercise.title.render("zh") != exercise.title.render("en")
    counts = {len(exercise.cases(np.random.default_rng(seed))) for seed in range(5)}
    assert len(counts) == 1, "the number of cases must not depend on the seed"
    for case in exercise.cases(np.random.default_rng(0)):
        assert case.kind.render("zh") != case.kind.render("en")
    for seed in (0, 1):
        outcome, shown = verdict(exercise, exercise.reference, seed)
        assert outcome.status == PASSED, shown


@pytest.mark.parametrize("exercise_id", sorted(load_all()))
def test_calling_the_exercises_own_reference_is_a_forbidden_shortcut(exercise_id):
    exercise = get_exercise(exercise_id)
    module, name = exercise.reference.__module__, exercise.reference.__qualname__
    source = (f"def {exercise.function}(*args, **kwargs):\n"
              f"    from {module} import {name} as answer\n"
              f"    return answer(*args, **kwargs)\n")
    assert find_forbidden(source, exercise.forbidden), exercise_id
