"""The auto-grader: a whole class of faulty submissions graded in one call, then checked per student.

The class is made from lesson 01: the generated English student notebook is
the untouched submission, its answer cells filled from the source notebook the
correct one, and edited copies the faults. (If the lesson source is missing,
a small notebook in the same format stands in for it.) Kernel-free parts --
finding students, reading notebooks, the forbidden-shortcut scan, the value
exchange, the verdicts -- are tested directly, against ``evaluate``.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import importlib.util
import io
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from nbformat import v4

from mlp_course.course import notebooks
from mlp_course.course.syllabus import get_lesson
from mlp_course.course.exercises import evaluate, get_exercise, progress
from mlp_course.course.exercises.core import Case, default_compare, load_all
from mlp_course.grader import main
from mlp_course.grader.kernel_helper import ExchangeError, Opaque, decode, encode
from mlp_course.grader.report import feedback, record_of, safe_name
from mlp_course.grader.runner import (Plan, Settings, SubmissionResult, classify, exercise_rng,
                                      grade_batch)
from mlp_course.grader.submissions import (Submission, find_submissions, import_aliases,
                                           read_submission, shortcuts_in, student_of)
from mlp_course.grader.verdict import judge, no_cell, scrub
from mlp_course.i18n import Message, language

# kernels and servers: handed out to the test workers first
pytestmark = pytest.mark.slow

LESSON = get_lesson("01_softmax")
SEED = 20240917
EXERCISES = ("softmax", "log_softmax")

# ---------------------------------------------------------------------------
# Lesson 01 notebooks: the real ones, or a stand-in in the same format

SYNTHETIC_SOLUTIONS = {
    "softmax": ("def softmax(z):\n    ### BEGIN SOLUTION\n"
                "    shifted = z - z.max(axis=-1, keepdims=True)\n    e = np.exp(shifted)\n"
                "    return e / e.sum(axis=-1, keepdims=True)\n    ### END SOLUTION"),
    "log_softmax": ("def log_softmax(z):\n    ### BEGIN SOLUTION\n"
                    "    shifted = z - z.max(axis=-1, keepdims=True)\n"
                    "    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))\n"
                    "    ### END SOLUTION"),
}


def _nbgrader_cell(source: str, grade_id: str, check: bool):
    cell = v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": check, "grade_id": grade_id, "locked": check,
                                 "schema_version": 3, "solution": not check, "task": False}
    if check:
        cell.metadata["nbgrader"]["points"] = 2
    return cell


def synthetic_source(lesson_id: str = LESSON.id, solutions: dict = SYNTHETIC_SOLUTIONS):
    """A source notebook in the course format, for when the real lesson is not there."""
    cells = []
    for lang, line in (("zh", 'mlp_course.set_language("zh")'), ("en", 'mlp_course.set_language("en")')):
        cell = v4.new_code_cell("import mlp_course\n" + line)
        cell.metadata["tags"] = [f"lang-{lang}"]
        cells.append(cell)
    cells.append(v4.new_code_cell("import numpy as np\nimport torch\n"
                                  "from mlp_course.course.exercises import check, working, progress"))
    for grade_id, source in solutions.items():
        for lang, words in (("zh", "写出函数。"), ("en", "Write the function.")):
            cell = v4.new_markdown_cell(f"{grade_id}: {words}")
            cell.metadata["tags"] = [f"lang-{lang}"]
            cell.metadata["mlp_course"] = {"pair": grade_id}
            cells.append(cell)
        cells.append(_nbgrader_cell(source, grade_id, check=False))
        cells.append(_nbgrader_cell(f'check("{grade_id}", {grade_id})', f"{grade_id}_check",
                                    check=True))
    cells.append(v4.new_code_cell(f'progress("{lesson_id[:2]}")'))
    notebook = v4.new_notebook()
    notebook.cells = cells
    notebook.metadata["mlp_course"] = {"lesson": lesson_id}
    return notebook


def lesson_notebooks():
    """(untouched student notebook, solved student notebook, answer sources by grade_id,
    the bilingual source notebook)."""
    if LESSON.source.exists():
        source = notebooks.read(LESSON.source)
    else:
        source = synthetic_source()
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
               if notebooks.nbgrader(cell).get("solution")}
    student_file = LESSON.student("en")
    if student_file.exists() and LESSON.source.exists():
        untouched = notebooks.read(student_file)
    else:
        untouched = notebooks.student_notebook(source, "en", LESSON)
    solved = with_answers(untouched, answers)
    return untouched, solved, answers, source


def with_answers(notebook, answers: dict):
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        grade_id = notebooks.nbgrader(cell).get("grade_id")
        if notebooks.nbgrader(cell).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def index_of(notebook, grade_id: str) -> int:
    return next(i for i, cell in enumerate(notebook.cells)
                if notebooks.nbgrader(cell).get("grade_id") == grade_id)


def insert_before(notebook, grade_id: str, source: str):
    notebook = copy.deepcopy(notebook)
    notebook.cells.insert(index_of(notebook, grade_id), v4.new_code_cell(source))
    return notebook


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if "### " not in line)


# ---------------------------------------------------------------------------
# The class of faulty submissions, and the grade each must get

GOOD_BUT_EXITS = "\nimport os\nos._exit(0)\n"
LOOP_CELL = "import time\nwhile True:\n    time.sleep(0.05)\n"
STUBBORN_LOOP = ("def log_softmax(z):\n    while True:\n        try:\n            while True:\n"
                 "                pass\n        except BaseException:\n            continue\n")
# the message carries the hidden input: the feedback must not
RAISES = "def softmax(z):\n    raise ValueError(f'the shapes do not line up: {z}')\n"
SYS_EXIT = "import sys\n\ndef log_softmax(z):\n    sys.exit(0)\n"
# a widget and a prompt for input: neither may block the run
WIDGET_AND_INPUT = """
import ipywidgets as widgets
from IPython.display import display
slider = widgets.FloatSlider(value=1.0, min=0.1, max=10.0)
display(slider)
widgets.interact(lambda temperature: temperature * 2, temperature=slider)
name = input("Your name? ")
"""
KILLER = "import os, signal\n\ndef log_softmax(z):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
HOG_FUNCTION = "import numpy as np\n\ndef softmax(z):\n    return np.ones((200_000, 100_000))\n"
HOG_CELL = "import numpy as np\nhog = [np.ones(10**7) for _ in range(1000)]\n"
NAIVE = ("import numpy as np\n\ndef softmax(z):\n    e = np.exp(z)\n"
         "    return e / e.sum(axis=-1, keepdims=True)\n")
PATCHES = """
import numpy as np
import mlp_course
import mlp_course.course.exercises as exercises
import mlp_course.course.exercises.core as core
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.array_equal = lambda *a, **k: True
core.evaluate = lambda *a, **k: None
core.default_compare = lambda *a, **k: None
exercises.check = lambda *a, **k: print("✅ passed")
mlp_course.softmax = lambda z: z
"""
FAKE_OUTPUT = """
print("✅ softmax: passed all 10 tests; matches PyTorch.")
print("✅ log_softmax: passed all 10 tests; matches PyTorch.")
print("—— Progress: 2/2 exercises pass, 4/4 points.")
"""
SHORTCUT_IMPORTS = ("import torch\nimport torch.nn.functional as F\n"
                    "from mlp_course import log_softmax as library_log_softmax\n")
SHORTCUT_SOFTMAX = "def softmax(z):\n    return F.softmax(torch.from_numpy(z), dim=-1).numpy()\n"
SHORTCUT_LOG_SOFTMAX = "def log_softmax(z):\n    return library_log_softmax(z)\n"
DISGUISE = "import mlp_course.nn.probability as hidden\nreference = hidden.log_softmax\n"
IN_PLACE = ("import numpy as np\n\ndef softmax(z):\n    z -= z.max(axis=-1, keepdims=True)\n"
            "    np.exp(z, out=z)\n    z /= z.sum(axis=-1, keepdims=True)\n    return z\n")

# student -> {exercise: (points, status)}; and the submission-level problems expected
EXPECTED = {
    "correct": {"softmax": (2, "passed"), "log_softmax": (2, "passed")},
    "untouched": {"softmax": (0, "not_implemented"), "log_softmax": (0, "not_implemented")},
    "partial": {"softmax": (2, "passed"), "log_softmax": (0, "not_implemented")},
    "loop_in_cell": {"softmax": (0, "timeout"), "log_softmax": (2, "passed")},
    "loop_in_function": {"softmax": (2, "passed"), "log_softmax": (0, "timeout")},
    "raises_and_exits": {"softmax": (0, "error"), "log_softmax": (0, "error")},
    "kills_its_kernel": {"softmax": (0, "crashed"), "log_softmax": (0, "crashed")},
    "memory_hog": {"softmax": (0, "memory"), "log_softmax": (2, "passed")},
    "patches_and_fakes": {"softmax": (0, "failed"), "log_softmax": (0, "not_implemented")},
    "shortcuts": {"softmax": (0, "forbidden"), "log_softmax": (0, "forbidden")},
    "in_place_and_disguised": {"softmax": (0, "failed"), "log_softmax": (0, "forbidden")},
    "reordered_and_deleted": {"softmax": (2, "passed"), "log_softmax": (0, "missing")},
    "empty": {"softmax": (0, "not_graded"), "log_softmax": (0, "not_graded")},
    "not_json": {"softmax": (0, "not_graded"), "log_softmax": (0, "not_graded")},
    "other_lesson": {"softmax": (0, "not_graded"), "log_softmax": (0, "not_graded")},
    # a symbolic link to the correct student's notebook, and one to a system file
    "mallory": {"softmax": (0, "not_graded"), "log_softmax": (0, "not_graded")},
    "system_link": {"softmax": (0, "not_graded"), "log_softmax": (0, "not_graded")},
    # a solved lesson 01 saved under lesson 02's name: graded by content, flagged
    "misnamed": {"softmax": (2, "passed"), "log_softmax": (2, "passed")},
}
# two notebooks of the lesson from one student: the most recently modified counts
TWICE = {"newer.ipynb": {"softmax": (2, "passed"), "log_softmax": (0, "not_implemented")},
         "older.ipynb": {"softmax": (0, "passed"), "log_softmax": (0, "passed")}}
NOTEBOOKS = len(EXPECTED) + len(TWICE)
PROBLEMS = {"empty": {"unreadable"}, "not_json": {"unreadable"}, "other_lesson": {"wrong_lesson"},
            "mallory": {"symlink"}, "system_link": {"symlink"}, "misnamed": {"name_mismatch"},
            "kills_its_kernel": {"kernel_restarted"}}
# the cell time limit of the batch: loop_in_cell waits it out (a normal cell takes well
# under a second)
CELL_TIMEOUT = 6
# students whose answer functions can safely run in this process too
IN_PROCESS = ("correct", "untouched", "partial", "raises_and_exits", "patches_and_fakes")


def make_class(folder: Path) -> dict[str, dict[str, str]]:
    """Write the class's notebooks; return each student's answer sources (for ``evaluate``)."""
    untouched, solved, answers, source = lesson_notebooks()
    good = {name: answers[name] for name in EXERCISES}
    stub = {name: next(c.source for c in untouched.cells
                       if notebooks.nbgrader(c).get("grade_id") == name) for name in EXERCISES}
    sources: dict[str, dict[str, str]] = {}

    def answer(student: str, base=untouched, **chosen) -> None:
        picked = {**stub, **chosen}
        sources[student] = picked
        save(student, with_answers(base, picked))

    def save(student: str, notebook) -> None:
        nbformat.write(notebook, str(folder / f"{student}.ipynb"))

    # the solution notebook itself (both languages' cells, saved outputs) is the correct one
    save("correct", source)
    sources["correct"] = good
    answer("untouched")
    answer("partial", base=insert_before(untouched, "softmax", WIDGET_AND_INPUT),
           softmax=good["softmax"])
    answer("loop_in_cell", softmax=LOOP_CELL, log_softmax=good["log_softmax"])
    # a loop that ignores interrupts: the kernel is killed (no later answer cell
    # needs a restart; kills_its_kernel covers restarting)
    answer("loop_in_function", softmax=good["softmax"], log_softmax=STUBBORN_LOOP)
    answer("raises_and_exits", softmax=RAISES, log_softmax=SYS_EXIT)
    # the answer cell ends the kernel, then (in a restarted kernel) the next function kills it
    answer("kills_its_kernel", softmax=good["softmax"] + GOOD_BUT_EXITS, log_softmax=KILLER)
    answer("memory_hog", base=insert_before(untouched, "log_softmax", HOG_CELL),
           softmax=HOG_FUNCTION, log_softmax=good["log_softmax"])
    answer("patches_and_fakes",
           base=insert_before(insert_before(untouched, "softmax", PATCHES), "log_softmax",
                              FAKE_OUTPUT), softmax=NAIVE)
    answer("shortcuts", base=insert_before(untouched, "softmax", SHORTCUT_IMPORTS),
           softmax=SHORTCUT_SOFTMAX, log_softmax=SHORTCUT_LOG_SOFTMAX)
    answer("in_place_and_disguised", base=insert_before(untouched, "softmax", DISGUISE),
           softmax=IN_PLACE, log_softmax="log_softmax = reference\n")

    # reordered: everything after the set-up cells runs backwards, plus a new cell and a
    # markdown cell fewer; the answers are still found by grade_id
    reordered = copy.deepcopy(solved)
    first_code = [i for i, c in enumerate(reordered.cells) if c.cell_type == "code"][:3]
    head = reordered.cells[:max(first_code) + 1]
    tail = [c for c in reordered.cells[max(first_code) + 1:]]
    tail = [c for i, c in enumerate(tail) if not (c.cell_type == "markdown" and i == 0)]
    reordered.cells = head + [v4.new_code_cell("scratch = 1 + 1")] + tail[::-1]
    reordered.cells.pop(index_of(reordered, "log_softmax"))  # and one answer cell deleted
    save("reordered_and_deleted", reordered)

    (folder / "empty.ipynb").write_bytes(b"")
    (folder / "not_json.ipynb").write_text("softmax = lambda z: z  # saved as .py by mistake\n")
    other = synthetic_source("02_nll", {"nll_loss": "def nll_loss(log_probs, target):\n"
                                        "    ### BEGIN SOLUTION\n    return 0.0\n"
                                        "    ### END SOLUTION"})
    save("other_lesson", other)

    (folder / "mallory.ipynb").symlink_to("correct.ipynb")
    (folder / "system_link.ipynb").symlink_to("/etc/passwd")
    (folder / "misnamed").mkdir()
    nbformat.write(solved, str(folder / "misnamed" / "02_nll.ipynb"))
    sources["misnamed"] = good
    (folder / "twice").mkdir()
    nbformat.write(solved, str(folder / "twice" / "older.ipynb"))
    nbformat.write(with_answers(untouched, {**stub, "softmax": good["softmax"]}),
                   str(folder / "twice" / "newer.ipynb"))
    os.utime(folder / "twice" / "older.ipynb", (1_600_000_000, 1_600_000_000))
    return sources


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole class in ONE call (three at a time: several only wait out a limit),
    as a teaching assistant would."""
    root = tmp_path_factory.mktemp("class")
    submitted, out = root / "submitted", root / "out"
    submitted.mkdir()
    sources = make_class(submitted)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(submitted), "--out", str(out), "--lesson", "01", "--jobs", "3",
                     "--seed", str(SEED), "--lang", "en", "--cell-timeout", str(CELL_TIMEOUT),
                     "--call-timeout", "2", "--memory", "512", "--timeout", "120"])
    document = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    with open(out / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    return {"code": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "json": document, "csv": table, "out": out, "sources": sources}


def _rows(graded, student: str, file: str | None = None) -> list[dict]:
    return [row for row in graded["json"]["rows"] if row["student"] == student
            and (file is None or Path(row["submission"]).name == file)]


def test_the_batch_completes_with_exit_code_zero_and_a_summary(graded):
    assert graded["code"] == 0, graded["stderr"]
    count = NOTEBOOKS
    assert f"Graded {count} submissions" in graded["stdout"]
    assert "01_softmax: mean" in graded["stdout"]
    assert "Not passed, by exercise:" in graded["stdout"]
    # the progress bar went to stderr, one line per submission (not a terminal here)
    assert graded["stderr"].count(f"/{count}  ") == count
    assert graded["json"]["seed"] == SEED
    assert graded["json"]["summary"]["submissions"] == count


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_every_student_gets_exactly_the_points_earned(graded, student):
    rows = _rows(graded, student)
    by_exercise = {row["exercise"]: row for row in rows if row["exercise"] != "(submission)"}
    assert set(by_exercise) == set(EXERCISES), rows
    for exercise, (points, status) in EXPECTED[student].items():
        row = by_exercise[exercise]
        assert (row["points"], row["status"]) == (points, status), row["message"]
        assert row["max_points"] == get_exercise(exercise).points
        assert row["message"].strip()
    problems = {row["status"] for row in rows if row["exercise"] == "(submission)"}
    assert problems == PROBLEMS.get(student, set()), rows


def test_csv_and_json_hold_the_same_rows(graded):
    assert [r["student"] for r in graded["csv"]] == [r["student"] for r in graded["json"]["rows"]]
    for from_csv, from_json in zip(graded["csv"], graded["json"]["rows"]):
        assert float(from_csv["points"]) == from_json["points"]
        assert float(from_csv["max_points"]) == from_json["max_points"]
        for column in ("student", "lesson", "exercise", "status", "message", "submission",
                       "flags"):
            assert from_csv[column] == from_json[column]
        assert from_csv["counted"] == ("yes" if from_json["counted"] else "no")
    assert list(graded["csv"][0]) == ["student", "lesson", "exercise", "points", "max_points",
                                      "status", "message", "submission", "counted", "flags"]
    assert graded["json"]["complete"] is True and graded["json"]["pending"] == []


def test_the_gradebook_passes_its_own_check(graded, capsys):
    assert main(["--verify", str(graded["out"]), "--lang", "en"]) == 0
    assert "CSV and JSON agree" in capsys.readouterr().out
    # every submission's rows are complete: one per exercise of its lesson
    for record in graded["json"]["submissions"]:
        exercises = [r["exercise"] for r in record["rows"] if r["exercise"] != "(submission)"]
        assert sorted(exercises) == sorted(EXERCISES), record["submission"]
        assert sum(r["points"] for r in record["rows"]) == record["points"]


def test_a_tampered_gradebook_fails_its_check(graded, tmp_path, capsys):
    import shutil

    copy_out = tmp_path / "out"
    shutil.copytree(graded["out"], copy_out)
    text = (copy_out / "gradebook.csv").read_text(encoding="utf-8-sig")
    (copy_out / "gradebook.csv").write_text(text.replace(",0,2,not_implemented", ",2,2,not_implemented", 1),
                                            encoding="utf-8-sig")
    assert main(["--verify", str(copy_out), "--lang", "en"]) == 1
    assert "differs from gradebook.json" in capsys.readouterr().err


def test_links_duplicates_and_misnamed_notebooks(graded):
    # the link is refused by name; the student it points at keeps their own row
    link = next(r for r in _rows(graded, "mallory") if r["exercise"] == "(submission)")
    assert "symbolic link" in link["message"] and "correct.ipynb" in link["message"]
    assert {r["points"] for r in _rows(graded, "correct")} == {2}
    system = next(r for r in _rows(graded, "system_link") if r["exercise"] == "(submission)")
    assert "symbolic link" in system["message"] and "JSON" not in system["message"]
    # two notebooks: both graded and reported, the newer one counts
    for file, expected in TWICE.items():
        rows = _rows(graded, "twice", file)
        for exercise, (points, status) in expected.items():
            row = next(r for r in rows if r["exercise"] == exercise)
            assert (row["points"], row["status"]) == (points, status), row
            assert row["counted"] is (file == "newer.ipynb")
        warning = next(r for r in rows if r["exercise"] == "(submission)")
        assert warning["status"] == "duplicate" and "most recently modified" in warning["message"]
    records = {Path(r["submission"]).name: r for r in graded["json"]["submissions"]
               if r["student"] == "twice"}
    assert records["older.ipynb"]["points_if_counted"] == 4 and records["older.ipynb"]["points"] == 0
    feedback_text = (graded["out"] / "feedback" / "twice.md").read_text(encoding="utf-8")
    assert "Not counted" in feedback_text and "Score: 2 / 4" in feedback_text
    # the misnamed notebook: graded as its content, with a flag for a human look
    flagged = _rows(graded, "misnamed")
    assert all("02_nll" in r["flags"] and "01_softmax" in r["flags"] for r in flagged)
    summary = graded["json"]["summary"]
    assert any(item["student"] == "misnamed" for item in summary["needs_look"])
    assert summary["duplicates"] == [{"student": "twice", "lesson": "01_softmax",
                                      "counted": "newer.ipynb", "not_counted": ["older.ipynb"]}]
    assert "Needs a human look" in graded["stdout"] and "Duplicates (1 students)" in graded["stdout"]
    assert "Needs a human look" in (graded["out"] / "feedback" / "misnamed.md").read_text(
        encoding="utf-8")


def test_messages_say_why(graded):
    def message(student, exercise):
        return next(r["message"] for r in _rows(graded, student) if r["exercise"] == exercise)

    assert "F.softmax" in message("shortcuts", "softmax") or "torch" in message("shortcuts", "softmax")
    assert "mlp_course.log_softmax" in message("shortcuts", "log_softmax")
    assert "mlp_course.nn.probability" in message("in_place_and_disguised", "log_softmax")
    assert "ValueError" in message("raises_and_exits", "softmax")
    assert "SystemExit" in message("raises_and_exits", "log_softmax")
    assert "in place" in message("in_place_and_disguised", "softmax")
    assert "answer cell" in message("kills_its_kernel", "softmax")
    # the function kills its own kernel with SIGKILL: named as the signal, not as an exit
    assert "crashed" in message("kills_its_kernel", "log_softmax")
    assert "SIGKILL" in message("kills_its_kernel", "log_softmax")
    assert "exit code 0" in message("kills_its_kernel", "softmax")
    assert "memory" in message("memory_hog", "softmax")
    assert "after 2 s" in message("loop_in_function", "log_softmax")
    assert f"after {CELL_TIMEOUT} s" in message("loop_in_cell", "softmax")
    assert "grade_id log_softmax" in message("reordered_and_deleted", "log_softmax")

    def hint(student, exercise):
        return next(r["hint"] for r in _rows(graded, student) if r["exercise"] == exercise)

    # hints that fit the failure: an exit is not a keepdims problem, a loop is a loop
    assert "sys.exit()" in hint("raises_and_exits", "log_softmax")
    assert "keepdims" not in hint("raises_and_exits", "log_softmax")
    for student, exercise in (("loop_in_function", "log_softmax"), ("loop_in_cell", "softmax")):
        assert "while loop" in hint(student, exercise)
    problem = next(r["message"] for r in _rows(graded, "other_lesson")
                   if r["exercise"] == "(submission)")
    assert "02_nll" in problem and "01_softmax" in problem
    assert "not JSON" in next(r["message"] for r in _rows(graded, "not_json")
                              if r["exercise"] == "(submission)")


def test_one_feedback_file_per_student_in_the_chosen_language(graded):
    folder = graded["out"] / "feedback"
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted([*EXPECTED, "twice"])
    text = (folder / "patches_and_fakes.md").read_text(encoding="utf-8")
    assert text.startswith("# Feedback for patches_and_fakes")
    assert "Input that broke it:" in text and "Hint:" in text
    assert "0 / 4" in text
    assert not re.search(r"[\u4e00-\u9fff]", (folder / "correct.md").read_text(encoding="utf-8"))


def _secret_numbers() -> set[str]:
    """Inputs and expected outputs of every case of the batch, as they would be printed."""
    numbers = set()
    for name in EXERCISES:
        exercise = get_exercise(name)
        for case in exercise.cases(exercise_rng(SEED, name)):
            arrays = [np.asarray(a, dtype=np.float64) for a in case.args]
            arrays.append(np.asarray(exercise.expected(*copy.deepcopy(case.args)), dtype=np.float64))
            for array in arrays:
                for value in array.ravel()[:200]:
                    if np.isfinite(value) and 0.01 < abs(value) and abs(value - round(value)) > 1e-3:
                        numbers.add(f"{value:.4f}")
    return numbers


def test_feedback_never_shows_hidden_inputs_or_expected_values(graded):
    secrets = _secret_numbers()
    assert len(secrets) > 100  # the check below looks for something real
    texts = [p.read_text(encoding="utf-8") for p in (graded["out"] / "feedback").glob("*.md")]
    texts.append((graded["out"] / "gradebook.csv").read_text(encoding="utf-8-sig"))
    for text in texts:
        leaked = [number for number in secrets if number in text]
        assert not leaked, leaked[:5]
    failed = (graded["out"] / "feedback" / "patches_and_fakes.md").read_text(encoding="utf-8")
    assert "expected:" not in failed and "got:" not in failed


@pytest.mark.parametrize("student", IN_PROCESS)
def test_the_learner_check_and_the_grader_agree(graded, student, tmp_path):
    """``evaluate`` (what ``check`` runs) gives the same verdict on the same functions and cases."""
    grades = {r["exercise"]: r["status"] for r in _rows(graded, student)}
    for name in EXERCISES:
        module_file = tmp_path / f"{student}_{name}.py"
        module_file.write_text("import numpy as np\n" + graded["sources"][student][name],
                               encoding="utf-8")
        spec = importlib.util.spec_from_file_location(module_file.stem, module_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        exercise = get_exercise(name)
        outcome = evaluate(exercise, getattr(module, name),
                           cases=exercise.cases(exercise_rng(SEED, name)))
        assert outcome.status == grades[name], (name, str(outcome))


def test_a_notebook_over_its_time_limit_stops_and_says_so(tmp_path):
    """The whole-notebook limit: cells that each finish in time, but too many of them."""
    notebook = synthetic_source()
    for cell in notebook.cells:  # no torch: this kernel should start quickly
        cell.source = cell.source.replace("import torch\n", "")
    position = index_of(notebook, "log_softmax")
    for _ in range(4):
        notebook.cells.insert(position, v4.new_code_cell("import time\ntime.sleep(1)"))
    path = tmp_path / "slow.ipynb"
    nbformat.write(with_answers(notebook, SYNTHETIC_SOLUTIONS), str(path))
    [result] = grade_batch([Submission("slow", path)],
                           Settings(seed=SEED, timeout=2.5, cell_timeout=10, jobs=1))
    statuses = {o.exercise: o.status for o in result.outcomes}
    assert statuses == {"softmax": "passed", "log_softmax": "not_run"}
    assert result.points == 2
    assert [status for status, _ in result.problems] == ["notebook_timeout"]


def test_a_function_that_hung_does_not_hang_the_cells_that_call_it_again(tmp_path):
    """Lessons call the learner's function again (``working``, plots): after it hung
    once it fails at once there, instead of eating the notebook's time."""
    notebook = synthetic_source()
    for cell in notebook.cells:
        cell.source = cell.source.replace("import torch\n", "")
    notebook.cells.insert(index_of(notebook, "log_softmax"),
                          v4.new_code_cell("import numpy as np\nsoftmax(np.zeros(3))"))
    answers = {**SYNTHETIC_SOLUTIONS, "softmax": "def softmax(z):\n    while True:\n        pass\n"}
    path = tmp_path / "hangs.ipynb"
    nbformat.write(with_answers(notebook, answers), str(path))
    [result] = grade_batch([Submission("hangs", path)],
                           Settings(seed=SEED, timeout=20, cell_timeout=60, call_timeout=1,
                                    jobs=1))
    assert {o.exercise: o.status for o in result.outcomes} == {"softmax": "timeout",
                                                                "log_softmax": "passed"}
    assert result.problems == []


def test_a_random_seed_is_chosen_and_recorded_when_none_is_given(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "alice.ipynb").write_text("{}")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(tmp_path / "sub"), "--out", str(tmp_path / "out"), "--lesson", "01"])
    assert code == 0
    document = json.loads((tmp_path / "out" / "gradebook.json").read_text(encoding="utf-8"))
    assert isinstance(document["seed"], int)
    assert {r["status"] for r in document["rows"]} == {"unreadable", "not_graded"}


# ---------------------------------------------------------------------------
# Usage errors: a clear message in the chosen language, exit code 2

@pytest.mark.parametrize("lang,words", [("en", "Usage error"), ("zh", "用法有误")])
@pytest.mark.parametrize("argv", [
    [],
    ["missing-folder", "--out", "OUT"],
    ["SUB", "--out", "OUT", "--jobs", "0"],
    ["SUB", "--out", "OUT", "--jobs", "many"],
    ["SUB", "--out", "OUT", "--lesson", "99"],
    ["SUB", "--out", "OUT", "--memory", "10"],
    ["SUB", "--out", "OUT", "--processes", "4"],
    ["SUB", "--out", "OUT", "--disk", "1"],
    ["SUB"],
])
def test_usage_errors_exit_2_with_a_message_in_the_chosen_language(tmp_path, argv, lang, words):
    (tmp_path / "SUB").mkdir()
    argv = [str(tmp_path / a) if a in ("SUB", "OUT", "missing-folder") else a for a in argv]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main([*argv, "--lang", lang])
    assert code == 2
    assert words in stderr.getvalue()
    assert not (tmp_path / "OUT").exists()


def test_help_exits_0():
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert main(["--help"]) == 0
    assert "--cell-timeout" in out.getvalue() and "时限" in out.getvalue()
    assert "--processes" in out.getvalue() and "--disk" in out.getvalue()


# ---------------------------------------------------------------------------
# Finding and reading submissions (no kernels)

@pytest.mark.parametrize("path,student", [
    ("alice.ipynb", "alice"),
    ("submitted/bob.ipynb", "bob"),
    ("submitted/carol/01_softmax.ipynb", "carol"),
    ("submitted/dave/01_softmax/01_softmax.ipynb", "dave"),
    ("submitted/王小明.ipynb", "王小明"),
])
def test_student_id_rule(tmp_path, path, student):
    assert student_of(tmp_path / path) == student


def test_folders_are_searched_skipping_checkpoints_and_hidden_folders(tmp_path):
    root = tmp_path / "submitted"
    for name in ("a.ipynb", "b/01_softmax.ipynb", "e/homework.ipynb", ".hidden/c.ipynb",
                 "d/.ipynb_checkpoints/01_softmax-checkpoint.ipynb", "notes.txt",
                 "f/01_softmax/01_softmax.ipynb"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")
    found, missing = find_submissions([str(root), str(root / "a.ipynb"),
                                       str(tmp_path / "nowhere")])
    assert sorted(s.student for s in found) == ["a", "b", "e", "f"]
    assert missing == [str(tmp_path / "nowhere")]
    # one student's folder given by itself
    found, _ = find_submissions([str(root / "b")])
    assert [s.student for s in found] == ["b"]


@pytest.mark.parametrize("content,problem", [
    (b"", "empty"),
    (b"\n  \n", "empty"),
    (b"\x89PNG\r\n", "not JSON"),
    (b'{"cells": 3}', "no list of cells"),
    (b"[1, 2]", "no list of cells"),
])
def test_unreadable_files_are_reported_not_raised(tmp_path, content, problem):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    submission = read_submission(Submission("x", path))
    with language("en"):
        assert problem in str(submission.problem)
    with language("zh"):
        assert re.search(r"[\u4e00-\u9fff]", str(submission.problem))


def test_cells_are_read_leniently(tmp_path):
    notebook = {"cells": [
        {"cell_type": "markdown", "source": "# hi"},
        {"cell_type": "code", "source": ["def softmax(z):\n", "    return z\n"],
         "metadata": {"nbgrader": {"grade_id": "softmax", "solution": True}}},
        {"cell_type": "code", "source": "check('softmax', softmax)",
         "metadata": {"nbgrader": {"grade_id": "softmax_check", "grade": True}}},
        {"cell_type": "code", "source": 42, "metadata": "not a dict"},
        "not a cell",
    ], "metadata": {"mlp_course": {"lesson": "01_softmax"}}}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(notebook))
    submission = read_submission(Submission("x", path))
    assert submission.problem is None and submission.metadata_lesson == "01_softmax"
    assert [c.index for c in submission.cells] == [1, 2, 3]
    assert submission.cells[0].source == "def softmax(z):\n    return z\n"
    assert submission.cells[1].is_check and not submission.cells[0].is_check
    assert submission.cells[2].source == ""


def _write(path: Path, notebook) -> Path:
    nbformat.write(notebook, str(path))
    return path


def test_the_lesson_comes_from_metadata_then_grade_ids_then_the_file_name(tmp_path):
    registry = load_all()
    plain = synthetic_source()
    plain.metadata.pop("mlp_course")
    (tmp_path / "carol").mkdir()
    cases = {
        "with_metadata": (_write(tmp_path / "a.ipynb", synthetic_source()), None, "01_softmax"),
        "from_grade_ids": (_write(tmp_path / "b.ipynb", plain), None, "01_softmax"),
        "from_file_name": (_write(tmp_path / "carol" / "01_softmax.ipynb", v4.new_notebook()),
                           None, None),
    }
    for name, (path, lesson, expected) in cases.items():
        result = classify(Submission(student_of(path), path), Settings(lesson=lesson), registry)
        assert result.lesson == expected, name
    # nothing to go on: reported, not guessed
    result = classify(Submission("x", tmp_path / "carol" / "01_softmax.ipynb"), Settings(),
                      registry)
    assert [status for status, _ in result.problems] == ["unknown_lesson"]
    # an unreadable lesson-named file still belongs to its lesson
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "01_softmax.ipynb").write_text("")
    result = classify(Submission("dave", tmp_path / "dave" / "01_softmax.ipynb"), Settings(),
                      registry)
    assert result.lesson == "01_softmax"
    assert [status for status, _ in result.problems] == ["unreadable"]
    # with --lesson, another lesson's notebook is named as such
    other = _write(tmp_path / "e.ipynb", synthetic_source("02_nll", {}))
    result = classify(Submission("e", other), Settings(lesson="01_softmax"), registry)
    assert [status for status, _ in result.problems] == ["wrong_lesson"]
    with language("zh"):
        assert "02_nll" in str(result.problems[0][1]) and "课" in str(result.problems[0][1])


def test_feedback_in_chinese_has_no_english_sentences(tmp_path):
    path = tmp_path / "王小明.ipynb"
    path.write_text("")
    result = SubmissionResult(Submission("王小明", path), lesson="01_softmax")
    result.problems.append(("unreadable", Message(zh="文件是空的。", en="The file is empty.")))
    result.outcomes = [no_cell(get_exercise(name)) for name in EXERCISES]
    text = feedback([record_of(result, "zh")], "zh")
    assert text.startswith("# 作业反馈：王小明")
    assert "得分：0 / 4" in text and "| 练习 | 得分 | 结果 |" in text
    for english in ("Feedback", "Score", "the notebook has no answer cell", "File:"):
        assert english not in text
    assert safe_name("王小明") == "王小明" and safe_name("../etc/passwd") == "etc_passwd"


@pytest.mark.parametrize("message,kept,gone", [
    ("shapes (3, 4) and (5,) not aligned", "(3, 4)", None),
    ("bad value [[ 1.2345 -3.5e+03 ]]\nmore 9.87", "bad value", "1.2345"),
    ("got 1e-05 and .5 and 7.", "got", "1e-05"),
])
def test_error_messages_lose_their_decimals(message, kept, gone):
    cleaned = scrub(message)
    assert kept in cleaned and "\n" not in cleaned
    if gone:
        assert gone not in cleaned and "9.87" not in cleaned


# ---------------------------------------------------------------------------
# Forbidden shortcuts, judged from the source

FORBIDDEN = get_exercise("softmax").forbidden


@pytest.mark.parametrize("cells,answer,flagged", [
    ([], "def softmax(z):\n    return torch.softmax(z, -1)", "torch.softmax"),
    (["import torch.nn.functional as F"], "def softmax(z):\n    return F.softmax(z, -1)",
     "torch.nn.functional.softmax"),
    (["from scipy.special import softmax as sm"], "softmax = sm", "scipy.special.softmax"),
    (["%matplotlib inline\nimport mlp_course as mc"], "%time x = 1\nsoftmax = mc.softmax",
     "mlp_course.softmax"),
    ([], "def softmax(z):\n    return eval('z')", "eval"),
])
def test_shortcuts_are_found_across_cells(cells, answer, flagged):
    aliases = import_aliases([*cells, answer])
    assert flagged in shortcuts_in(answer, FORBIDDEN, aliases)


@pytest.mark.parametrize("cells,answer", [
    (["import torch as t"], "def softmax(t):\n    e = np.exp(t - t.max())\n    return e / e.sum()"),
    (["from torch import tensor as F"], "def softmax(z):\n    F = np.exp(z)\n    return F / F.sum()"),
    (["import torch"], "def softmax(z):\n    e = np.exp(z - z.max(-1, keepdims=True))\n"
                       "    return e / e.sum(-1, keepdims=True)"),
])
def test_an_own_name_is_not_mistaken_for_an_import_elsewhere(cells, answer):
    assert shortcuts_in(answer, FORBIDDEN, import_aliases([*cells, answer])) == []


# ---------------------------------------------------------------------------
# Values cross between the processes as JSON plus .npy files, never pickles

DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]
arrays = st.sampled_from(DTYPES).flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
values = st.recursive(
    st.one_of(arrays, st.none(), st.booleans(), st.integers(), st.text(max_size=5),
              st.floats(allow_nan=True, allow_infinity=True)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return type(a) is type(b) and a == b


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values)
def test_values_round_trip_exactly(tmp_path, value):
    folder = tmp_path / "x"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    tree = json.loads(json.dumps(encode(value, str(folder))))
    assert _same(value, decode(tree, str(folder)))


def test_numpy_scalars_keep_their_dtype(tmp_path):
    for value in (np.float32(1.5), np.float64(-np.inf), np.int64(3)):
        back = decode(encode(value, str(tmp_path)), str(tmp_path))
        assert type(back) is type(value) and (back == value or np.isnan(back))


def test_generators_and_read_only_arrays_cross_as_they_are(tmp_path):
    rng = np.random.default_rng(5)
    rng.standard_normal(3)  # not at its initial state
    frozen = np.arange(4.0)
    frozen.flags.writeable = False
    generator, array, plain = decode(json.loads(json.dumps(encode(
        (copy.deepcopy(rng), frozen, np.zeros(2)), str(tmp_path)))), str(tmp_path))
    assert np.array_equal(generator.permutation(10), rng.permutation(10))
    assert not array.flags.writeable and plain.flags.writeable
    with pytest.raises(ExchangeError):
        decode({"t": "rng", "kind": "os.system", "state": {}}, str(tmp_path))


@pytest.fixture(scope="module")
def every_plan() -> Plan:
    return Plan(SEED)


@pytest.mark.parametrize("exercise_id", sorted(load_all()))
def test_every_exercise_input_crosses_intact(every_plan, exercise_id, tmp_path):
    """The reference implementation, fed the inputs as the kernel reads them, passes."""
    exercise = get_exercise(exercise_id)
    [exercise_plan] = [p for p in every_plan.exercises(exercise.lesson)
                       if p.exercise.id == exercise_id]
    for number, (case, expected) in enumerate(
            zip(exercise_plan.cases, exercise_plan.expected), start=1):
        folder = tmp_path / str(number)
        exercise_plan.write_inputs(number - 1, folder)
        spec = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
        args, kwargs = decode(spec["args"], str(folder)), decode(spec["kwargs"], str(folder))
        output = exercise.reference(*args, **kwargs)
        result = {"output": encode(output, str(folder), prefix="o"),
                  "args_after": encode(args, str(folder), prefix="m")}
        verdict = judge(exercise, case, expected, number, result, str(folder))
        assert verdict is None, (exercise_id, number, str(verdict))


def test_objects_arrive_as_named_placeholders(tmp_path):
    class Weird:
        pass

    back = decode(encode((Weird(), np.array([object()])), str(tmp_path)), str(tmp_path))
    assert all(isinstance(part, Opaque) for part in back)
    assert type(back[0]).__name__.endswith("Weird")
    mismatch = default_compare(back[0], np.zeros(3), Case((), Message(zh="x", en="x")))
    with language("en"):
        assert "Weird" in str(mismatch.public)


@pytest.mark.parametrize("tree", [
    {"t": "array", "file": "../secret.npy"},
    {"t": "array", "file": "a0.npy"},       # a pickled object array
    {"t": "array", "file": "missing0.npy"},
    {"t": "tuple", "items": "no"},
    {"t": "mystery"},
    [1, 2],
])
def test_malformed_or_pickled_results_are_refused(tmp_path, tree):
    np.save(tmp_path / "a0.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ExchangeError):
        decode(tree, str(tmp_path))


# ---------------------------------------------------------------------------
# Verdicts, decided outside the kernel, agree with evaluate()

def _result(folder: Path, output, args) -> dict:
    return {"output": encode(output, str(folder), prefix="o"),
            "args_after": encode(args, str(folder), prefix="m")}


logits = st.sampled_from([np.float32, np.float64]).flatmap(lambda dtype: hnp.arrays(
    dtype, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6),
    elements=st.floats(-1e4, 1e4, width=32)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(z=logits, shift=st.floats(1e-3, 1.0))
def test_judge_agrees_with_evaluate_against_torch(tmp_path, z, shift):
    exercise = get_exercise("softmax")
    case = Case((z,), Message(zh="随机", en="random"))
    expected = exercise.expected(z.copy())
    right = exercise.reference(z.copy())
    wrong = (right + np.asarray(shift, dtype=right.dtype)).astype(right.dtype)
    for output in (right, wrong, right.astype(np.float16), right.T.copy(), None, right.tolist()):
        with language("en"):
            verdict = judge(exercise, case, expected, 1, _result(tmp_path, output, (z,)),
                            str(tmp_path))
            reference = evaluate(exercise, lambda x, out=output: out, cases=[case])
            assert (verdict is None) == reference.passed
            if verdict is not None:
                assert verdict.status == reference.status
                assert str(verdict.message) == str(reference.message)


def test_judge_reports_a_changed_input(tmp_path):
    exercise = get_exercise("softmax")
    z = np.array([[1.0, 2.0, 3.0]])
    case = Case((z,), Message(zh="随机", en="random"))
    expected = exercise.expected(z.copy())
    verdict = judge(exercise, case, expected, 1, _result(tmp_path, expected, (z * 0,)), str(tmp_path))
    assert verdict is not None and verdict.status == "failed"


def test_judge_messages_never_carry_the_expected_values(tmp_path):
    exercise = get_exercise("log_softmax")
    z = np.array([[0.123456, 2.5, -1.75]])
    case = Case((z,), Message(zh="随机", en="random"))
    expected = exercise.expected(z.copy())
    verdict = judge(exercise, case, expected, 1, _result(tmp_path, expected + 0.5, (z,)),
                    str(tmp_path))
    for lang in ("en", "zh"):
        words = verdict.render(lang, detail=True)
        assert not any(f"{v:.3f}" in words for v in expected.ravel())
        assert not any(f"{v:.3f}" in words for v in z.ravel())


def test_the_plan_is_the_same_for_the_same_seed():
    first = Plan(7).exercises(LESSON.id)
    second = Plan(7).exercises(LESSON.id)
    other = Plan(8).exercises(LESSON.id)
    assert [p.exercise.id for p in first] == list(EXERCISES)
    for a, b, c in zip(first, second, other):
        assert all(np.array_equal(x.args[0], y.args[0], equal_nan=True)
                   for x, y in zip(a.cases, b.cases))
        assert not all(x.args[0].shape == y.args[0].shape and
                       np.array_equal(x.args[0], y.args[0], equal_nan=True)
                       for x, y in zip(a.cases, c.cases))


# ---------------------------------------------------------------------------
# progress(): what a learner sees in the lesson

def _namespace(**functions) -> dict:
    return dict(functions)


def test_progress_reports_solved_and_stubbed_functions():
    def log_softmax(z):
        raise NotImplementedError()

    exercise = get_exercise("softmax")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), language("en"):
        statuses = progress("01", namespace=_namespace(softmax=exercise.reference,
                                                       log_softmax=log_softmax))
    assert statuses == {"softmax": "passed", "log_softmax": "not_implemented"}
    assert "1/2 exercises pass, 2/4 points" in out.getvalue()


def test_progress_reports_a_missing_and_a_wrong_function():
    def softmax(z):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    out = io.StringIO()
    with contextlib.redirect_stdout(out), language("zh"):
        statuses = progress("01_softmax", namespace=_namespace(softmax=softmax))
    assert statuses == {"softmax": "failed", "log_softmax": "missing"}
    assert "0/2" in out.getvalue() and "进度" in out.getvalue()


def test_progress_is_all_passed_for_the_lesson_answers():
    _, _, answers, _ = lesson_notebooks()
    namespace: dict = {"np": np}
    for name in EXERCISES:
        exec(compile(strip_markers(answers[name]), f"<{name}>", "exec"), namespace)
    with contextlib.redirect_stdout(io.StringIO()):
        statuses = progress("01", namespace=namespace)
    assert statuses == {name: "passed" for name in EXERCISES}


def test_the_kernel_helper_needs_only_numpy_and_the_standard_library():
    source = Path(sys.modules["mlp_course.grader.kernel_helper"].__file__).read_text(encoding="utf-8")
    imported = set(re.findall(r"^\s*(?:import|from)\s+([\w.]+)", source, flags=re.MULTILINE))
    assert imported <= {"__future__", "json", "os", "re", "numpy", "inspect", "types", "warnings",
                        "builtins", "io", "stat"}


# ---------------------------------------------------------------------------
# Grades that do not depend on the seed

SWEEP_SEEDS = 4000


def _float32_cases(exercise_id: str, seeds: range) -> list[Case]:
    exercise = get_exercise(exercise_id)
    found = []
    for seed in seeds:
        cases = exercise.cases(exercise_rng(seed, exercise_id))
        found += [case for case in cases if np.asarray(case.args[0]).dtype == np.float32]
    return found


@pytest.fixture(scope="module")
def float32_sweep():
    """The float32 case of lesson 01 for thousands of seeds, with PyTorch's answers
    (computed in one call: the case is the same shape for every seed)."""
    exercise = get_exercise("log_softmax")
    cases = _float32_cases("log_softmax", range(SWEEP_SEEDS))
    stacked = np.stack([case.args[0] for case in cases])
    assert stacked.dtype == np.float32 and np.abs(stacked).max() > 150
    return cases, exercise.expected(stacked)


def test_a_correct_float32_answer_passes_for_every_seed(float32_sweep):
    """``z - logaddexp.reduce(z)`` is right to float32's resolution at |z| ≈ 200 (as is
    PyTorch's own answer): no seed may fail it."""
    cases, expected = float32_sweep
    failed = [number for number, (case, want) in enumerate(zip(cases, expected))
              if default_compare(case.args[0] - np.logaddexp.reduce(case.args[0], axis=-1,
                                                                     keepdims=True),
                                 want, case) is not None]
    assert failed == []


def test_a_wrong_float32_answer_fails_for_every_seed(float32_sweep):
    """Still strict: an answer a float16 step or a missing term spoils fails every seed."""
    cases, expected = float32_sweep
    for case, want in zip(cases[:500], expected[:500]):
        z = case.args[0]
        half = (z.astype(np.float16) - np.logaddexp.reduce(z.astype(np.float16), axis=-1,
                                                            keepdims=True)).astype(np.float32)
        shifted = z - z.max(axis=-1, keepdims=True) - np.float32(1e-3)
        assert default_compare(half, want, case) is not None
        assert default_compare(shifted, want, case) is not None


def test_the_tolerance_follows_the_dtype_and_the_magnitude():
    from mlp_course.course.exercises.core import tolerances

    small = Case((np.ones(3, dtype=np.float32),), Message(zh="小", en="small"))
    big = Case((np.full(3, 200.0, dtype=np.float32),), Message(zh="大", en="big"))
    assert tolerances(np.float32, small) == (1e-4, 1e-5)
    assert tolerances(np.float32, big)[1] == pytest.approx(8 * np.finfo(np.float32).eps * 200)
    assert tolerances(np.float64, Case((np.full(3, 200.0),), small.kind)) == (1e-6, 1e-9)


# ---------------------------------------------------------------------------
# Check cells under nbgrader

def test_check_raises_under_nbgrader_and_prints_otherwise(monkeypatch, capsys):
    from mlp_course.course.exercises import check

    def stub(z):
        raise NotImplementedError

    def solved(z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    with language("en"):
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
        check("softmax", stub)
        assert "not implemented yet" in capsys.readouterr().out
        for mode in ("autograde", "validate"):
            monkeypatch.setenv("NBGRADER_EXECUTION", mode)
            with pytest.raises(AssertionError, match="not implemented yet"):
                check("softmax", stub)
            with pytest.raises(AssertionError, match="no exercise"):
                check("no_such_exercise", stub)
            check("softmax", solved)
            assert "passed all" in capsys.readouterr().out
    with language("zh"):
        with pytest.raises(AssertionError, match="还没有实现"):
            check("softmax", stub)


# ---------------------------------------------------------------------------
# Links, odd files, duplicates (no kernel)

def test_a_link_is_refused_by_name_and_its_target_keeps_its_row(tmp_path):
    folder = tmp_path / "submitted"
    (folder / "alice").mkdir(parents=True)
    (folder / "mallory").mkdir()
    nbformat.write(synthetic_source(), str(folder / "alice" / "01_softmax.ipynb"))
    (folder / "mallory" / "01_softmax.ipynb").symlink_to("../alice/01_softmax.ipynb")
    (folder / "eve.ipynb").symlink_to("/etc/passwd")
    (folder / "gone.ipynb").symlink_to("nowhere.ipynb")
    (folder / "linked").symlink_to(folder / "alice", target_is_directory=True)
    os.mkfifo(folder / "pipe.ipynb")
    found, missing = find_submissions([str(folder)])
    assert missing == []
    by_student = {s.student: read_submission(s) for s in found}
    assert sorted(by_student) == ["alice", "eve", "gone", "mallory", "pipe"]
    assert by_student["alice"].problem is None
    for student in ("mallory", "eve", "gone"):
        assert by_student[student].problem_status == "symlink"
        assert "symbolic link" in by_student[student].problem.render("en")
    assert "/etc/passwd" in by_student["eve"].problem.render("en")
    assert by_student["pipe"].problem_status == "not_a_file"


def test_duplicates_count_the_most_recent_and_misnamed_files_are_flagged(tmp_path):
    from mlp_course.grader.submissions import examine

    folder = tmp_path / "submitted" / "dora"
    folder.mkdir(parents=True)
    for name in ("a.ipynb", "b.ipynb"):
        nbformat.write(synthetic_source(), str(folder / name))
    nbformat.write(synthetic_source("02_nll", {"nll_loss": "def nll_loss(p, t):\n    return 0"}),
                   str(folder / "01_softmax.ipynb"))
    os.utime(folder / "b.ipynb", (1_600_000_000, 1_600_000_000))
    found, _ = find_submissions([str(tmp_path / "submitted")])
    examine(found, load_all())
    by_name = {s.path.name: s for s in found}
    assert by_name["a.ipynb"].counted and not by_name["b.ipynb"].counted
    assert [status for status, _ in by_name["b.ipynb"].warnings] == ["duplicate"]
    assert "a.ipynb" in by_name["b.ipynb"].warnings[0][1].render("en")
    misnamed = by_name["01_softmax.ipynb"]
    assert misnamed.counted and [s for s, _ in misnamed.warnings] == ["name_mismatch"]
    assert misnamed.flags and "02_nll" in misnamed.flags[0].render("en")
    assert "最后修改" in by_name["a.ipynb"].warnings[0][1].render("zh")
    # graded as lesson 01: the lesson-02 notebook is refused on its own, never a duplicate
    nbformat.write(synthetic_source("02_nll", {"nll_loss": "def nll_loss(p, t):\n    return 0"}),
                   str(folder / "c.ipynb"))
    found, _ = find_submissions([str(tmp_path / "submitted")])
    examine(found, load_all(), "01_softmax")
    by_name = {s.path.name: s for s in found}
    assert by_name["a.ipynb"].counted and not by_name["b.ipynb"].counted
    assert by_name["c.ipynb"].counted and by_name["c.ipynb"].warnings == []
    assert "c.ipynb" not in by_name["a.ipynb"].warnings[0][1].render("en")


# ---------------------------------------------------------------------------
# A stopped run: a valid partial gradebook, nothing left behind, --resume finishes it

def _grade_command(submitted: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mlp_course", "grade", str(submitted), "--out", str(out),
            "--jobs", "2", "--lang", "en", "--cell-timeout", "30", "--call-timeout", "5",
            *extra]


def _ignore_ctrl_c() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for a job started in the background


def _hear_ctrl_c() -> None:
    """As for a run in the foreground of a terminal, however the tests were started: a
    shell that starts a command in the background (``make test &`` in a script, as CI
    runners may) makes it ignore SIGINT, and every process it starts inherits that."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop_after(command: list[str], out: Path, graded: int, signal_number: int, env: dict,
                background: bool = False):
    import subprocess
    import time

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=Path(__file__).resolve().parent.parent,
                               preexec_fn=_ignore_ctrl_c if background else _hear_ctrl_c)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            document = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            document = None
        if document is not None and len(document["submissions"]) >= graded:
            break
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal_number)
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


def _processes_mentioning(word: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if word in line:
                found.append(line)
    return found


def test_a_stopped_run_leaves_a_valid_partial_gradebook_and_resume_finishes_it(tmp_path):
    import shutil
    import tempfile

    untouched, solved, _, _ = lesson_notebooks()
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    submitted.mkdir()
    # the grader's own temporary folder goes here (a short path: kernel sockets live below it)
    scratch = Path(tempfile.mkdtemp(prefix="mlpg-"))
    try:
        _stop_and_resume(untouched, solved, submitted, out, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _stop_and_resume(untouched, solved, submitted: Path, out: Path, scratch: Path) -> None:
    import signal

    for number in range(5):
        nbformat.write(solved if number % 2 else untouched,
                       str(submitted / f"student{number}.ipynb"))
    env = dict(os.environ, TMPDIR=str(scratch), MLP_COURSE_LANG="en")

    # SIGTERM after the first notebook, to a run that ignores Ctrl-C (a background job)
    code, _, stderr = _stop_after(_grade_command(submitted, out, "--seed", "7"), out, 1,
                                  signal.SIGTERM, env, background=True)
    assert code == 143, stderr
    assert "--resume" in stderr
    assert main(["--verify", str(out), "--lang", "en"]) == 3
    first = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    assert first["complete"] is False and 1 <= len(first["submissions"]) < 5
    assert not [p for p in out.rglob("*") if p.name.startswith(".gradebook-writing-")]
    assert list(scratch.iterdir()) == []        # the grader's own temporary folder is gone
    assert _processes_mentioning(str(scratch)) == []

    # a different seed is refused; the recorded one is kept
    refused = main([str(submitted), "--out", str(out), "--resume", "--seed", "8", "--lang", "en"])
    assert refused == 2

    # Ctrl-C (SIGINT) during the resumed run: what was done is kept
    code, _, stderr = _stop_after(_grade_command(submitted, out, "--resume"), out,
                                  len(first["submissions"]) + 1, signal.SIGINT, env)
    assert code == 130, stderr
    second = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    assert second["seed"] == 7 and len(second["submissions"]) > len(first["submissions"])
    assert main(["--verify", str(out), "--lang", "en"]) in (0, 3)
    assert list(scratch.iterdir()) == []

    # one graded student hands in again (solved if it was untouched, and the reverse)
    import subprocess

    changed = second["submissions"][0]["submission"]
    number = int(Path(changed).stem[-1])
    nbformat.write(untouched if number % 2 else solved, changed)

    # --resume finishes it, grading only what is left or changed
    done = subprocess.run(_grade_command(submitted, out, "--resume"), env=env, text=True,
                          capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert f"{len(second['submissions']) - 1} already graded (skipped)" in done.stderr
    final = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    assert final["complete"] is True and len(final["submissions"]) == 5
    kept = {r["submission"]: r for r in second["submissions"]}
    for record in final["submissions"]:
        if record["submission"] in kept and record["submission"] != changed:
            assert record == kept[record["submission"]]  # not graded again
        solved_one = int(Path(record["submission"]).stem[-1]) % 2 == 1
        if record["submission"] == changed:
            solved_one = not solved_one
        assert record["points"] == (4 if solved_one else 0), record
    assert main(["--verify", str(out), "--lang", "en"]) == 0
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("number", ["SIGTERM", "SIGINT"])
def test_a_signal_sent_while_the_gradebook_is_written_waits_until_it_is_written(number):
    """Another thread of the grader (its kernel clients', BLAS's) can receive a signal
    sent to the process; its handler must still wait for the files to be replaced."""
    import signal
    import threading

    from mlp_course.grader.report import _HeldSignals

    number = getattr(signal, number)
    seen = []
    previous = signal.signal(number, lambda got, frame: seen.append(got))
    try:
        with _HeldSignals():
            # a thread that does not block the signal, alive when it is sent: the kernel
            # may hand the signal to it
            ready, release = threading.Event(), threading.Event()
            other = threading.Thread(target=lambda: (ready.set(), release.wait(5)))
            other.start()
            ready.wait(5)
            os.kill(os.getpid(), number)
            for _ in range(20):                 # bytecode runs: a handler would run here
                time.sleep(0.005)
            held = list(seen)
            release.set()
            other.join()
        assert held == [], "the handler ran while the files were being replaced"
        assert seen == [number], "the signal is delivered once the files are written"
    finally:
        signal.signal(number, previous)


def test_the_gradebook_is_valid_after_every_notebook_and_cleans_up_after_a_kill(tmp_path, capsys):
    """Kernel-free: records added one by one; a half-written file left by SIGKILL is
    reported by --verify and removed by the next run."""
    from mlp_course.grader.report import Gradebook

    out = tmp_path / "out"
    paths = [tmp_path / f"{name}.ipynb" for name in ("ann", "ben")]
    for path in paths:
        path.write_text("")
    results = []
    for path in paths:
        result = SubmissionResult(Submission(path.stem, path), lesson="01_softmax")
        result.outcomes = [no_cell(get_exercise(name)) for name in EXERCISES]
        results.append(result)
    book = Gradebook(out, "en", 3, {"lesson": "01_softmax"}, [str(p) for p in paths])
    book.add(results[1])
    assert main(["--verify", str(out), "--lang", "en"]) == 3
    assert "partial: 1 submissions are not graded yet" in capsys.readouterr().out
    (out / ".gradebook-writing-99-gradebook.json").write_text("{")
    assert main(["--verify", str(out), "--lang", "en"]) == 1
    assert "half-written" in capsys.readouterr().err
    book = Gradebook(out, "en", 3, {"lesson": "01_softmax"}, [str(p) for p in paths],
                     json.loads((out / "gradebook.json").read_text(encoding="utf-8")))
    assert not (out / ".gradebook-writing-99-gradebook.json").exists()
    assert book.done() == {str(paths[1])}
    book.add(results[0])
    book.finish()
    assert main(["--verify", str(out), "--lang", "en"]) == 0
    document = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    # rows in the order of the batch, whatever order the notebooks finished in
    assert [r["student"] for r in document["submissions"]] == ["ann", "ben"]
    assert document["complete"] is True
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.md", "ben.md"]
