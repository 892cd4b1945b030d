"""The course's notebooks under real nbgrader: a check cell that does not pass must cost its points.

nbgrader gives a graded cell its points when the cell runs without an error.
``check()`` prints its verdict for a learner, and under nbgrader
(``NBGRADER_EXECUTION=autograde`` or ``validate``) raises ``AssertionError``
with the same verdict instead. This runs nbgrader's own commands on the
smallest lesson (lesson 00, one exercise): ``generate_assignment`` from the
bilingual source, then ``autograde`` on a solved and an untouched submission,
and ``validate`` on the untouched one. (nbgrader starts slowly: about two
minutes in all on a busy two-core machine.)

nbgrader runs ``alembic`` from its environment's ``bin/``, so that folder is
put on ``PATH`` for every command.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from mlp_course.course import notebooks
from mlp_course.course.syllabus import get_lesson

# kernels and servers: handed out to the test workers first
pytestmark = pytest.mark.slow

# found, not imported: nbgrader runs in its own processes, and importing it here would
# cost every test worker a second while it collects
if importlib.util.find_spec("nbgrader") is None:
    pytest.skip("nbgrader is a test dependency (requirements-dev)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
LESSON = get_lesson("00")
ASSIGNMENT = "ps00"


def _environment(kernels: Path | None = None) -> dict:
    """The environment nbgrader runs in; ``kernels``: a ``JUPYTER_PATH`` folder whose
    ``python3`` kernel starts warm (the ``warm_kernels_path`` fixture), or None."""
    env = dict(os.environ)
    if kernels is not None:
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(kernels),
                                                            env.get("JUPYTER_PATH")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MLP_COURSE_LANG"] = "en"
    env.pop("NBGRADER_EXECUTION", None)
    return env


def _nbgrader(course: Path, *arguments: str, kernels: Path | None = None):
    done = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=course,
                          env=_environment(kernels), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


@pytest.fixture(scope="module")
def course(warm_kernels_path) -> Path:
    """A course folder in nbgrader's layout, the assignment generated, two students
    submitted (solved and untouched) and autograded."""
    if not LESSON.source.exists():
        pytest.fail(f"{LESSON.source.name} is missing")
    # a folder of its own (not pytest's rotating temporary folders, which a parallel
    # session may remove while nbgrader still writes its database)
    with tempfile.TemporaryDirectory(prefix="nbgrader-course-") as folder:
        yield _make_course(Path(folder), warm_kernels_path)


def _make_course(course: Path, kernels: Path | None) -> Path:
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.ExecutePreprocessor.timeout = 120\n", encoding="utf-8")
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    name = LESSON.source.name
    nbformat.write(notebooks.read(LESSON.source), str(course / "source" / ASSIGNMENT / name))
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = nbformat.read(str(course / "release" / ASSIGNMENT / name), as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: _without_markers(cell.source)
               for cell in notebooks.read(LESSON.source).cells
               if notebooks.nbgrader(cell).get("solution")}
    assert answers, "the lesson has no answer cell"
    solved = nbformat.from_dict(json.loads(nbformat.writes(released)))
    for cell in solved.cells:
        grade_id = notebooks.nbgrader(cell).get("grade_id")
        if notebooks.nbgrader(cell).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    for student, notebook in (("solved", solved), ("untouched", released)):
        target = course / "submitted" / student / ASSIGNMENT / name
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, str(target))
    # validate reads only the notebook it is given: it runs beside autograde
    validating = subprocess.Popen(
        [sys.executable, "-m", "nbgrader", "validate",
         str(course / "submitted" / "untouched" / ASSIGNMENT / name)],
        cwd=course, env=_environment(kernels), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        _nbgrader(course, "autograde", ASSIGNMENT, "--force", kernels=kernels)
    finally:
        stdout, stderr = validating.communicate(timeout=600)
    (course / "validated.json").write_text(json.dumps({"stdout": stdout, "stderr": stderr}),
                                           encoding="utf-8")
    return course


def _scores(course: Path) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {student: (gradebook.find_submission(ASSIGNMENT, student).score,
                          gradebook.find_submission(ASSIGNMENT, student).max_score)
                for student in ("solved", "untouched")}


def test_autograde_gives_the_marks_the_checks_give(course):
    scores = _scores(course)
    total = sum(exercise.points for exercise in _exercises())
    assert total > 0
    assert scores["solved"] == (total, total)
    assert scores["untouched"] == (0, total)


def test_the_failed_check_cell_carries_the_verdict(course):
    graded = nbformat.read(str(course / "autograded" / "untouched" / ASSIGNMENT
                               / LESSON.source.name), as_version=4)
    errors = [output for cell in graded.cells if notebooks.nbgrader(cell).get("grade")
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert errors and all(output["ename"] in ("CheckFailed", "AssertionError") for output in errors)
    assert any("not implemented yet" in output["evalue"] for output in errors)


def test_validate_fails_an_untouched_notebook(course):
    # (the solved notebook's full marks from autograde above show the passing side)
    untouched = json.loads((course / "validated.json").read_text(encoding="utf-8"))
    assert "VALIDATION FAILED" in untouched["stdout"], untouched["stdout"] + untouched["stderr"]
    assert "not implemented yet" in untouched["stdout"]


def _exercises():
    from mlp_course.course.exercises import exercises_of

    return exercises_of(LESSON.id)
