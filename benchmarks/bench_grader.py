"""How fast does the auto-grader grade a class?  自动评分器每分钟能评多少份作业？

Generates a class of lesson 01 submissions in a temporary folder -- correct,
partly solved, untouched and faulty ones (wrong, raising, forbidden shortcut,
endless loop, exiting kernel, unreadable) -- grades it with
``python -m mlp_course grade --jobs 2`` and prints submissions per minute.
Then the same notebooks with nbgrader's ``autograde``, if nbgrader is installed.

    .venv/bin/python benchmarks/bench_grader.py [--students 40] [--jobs 2]
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlp_course.course import notebooks  # noqa: E402
from mlp_course.course.syllabus import get_lesson  # noqa: E402

LESSON = get_lesson("01_softmax")

FAULTS = {
    "wrong": {"softmax": "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=-1, keepdims=True)\n"},
    "raises": {"log_softmax": "def log_softmax(z):\n    raise ValueError('oops')\n"},
    "shortcut": {"softmax": "import torch\n\ndef softmax(z):\n    return torch.softmax(torch.from_numpy(z), -1).numpy()\n"},
    "loop": {"softmax": "def softmax(z):\n    while True:\n        pass\n"},
    "exits": {"log_softmax": "import os\n\ndef log_softmax(z):\n    os._exit(1)\n"},
}
# of every 40 students: what each one handed in
MIX = ["correct"] * 16 + ["partial"] * 8 + ["untouched"] * 8 + ["wrong", "raises", "shortcut",
                                                                  "loop", "exits", "wrong",
                                                                  "not_json", "empty"]


def make_class(folder: Path, students: int) -> dict[str, int]:
    """Write ``students`` notebooks into ``folder``; return how many of each kind."""
    source = notebooks.read(LESSON.source)
    untouched = notebooks.student_notebook(source, "en", LESSON)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
               if notebooks.nbgrader(cell).get("solution")}

    def filled(chosen: dict):
        notebook = copy.deepcopy(untouched)
        for cell in notebook.cells:
            grade_id = notebooks.nbgrader(cell).get("grade_id")
            if notebooks.nbgrader(cell).get("solution") and grade_id in chosen:
                cell.source = chosen[grade_id]
        return notebook

    counts: dict[str, int] = {}
    for number in range(students):
        kind = MIX[number % len(MIX)]
        counts[kind] = counts.get(kind, 0) + 1
        path = folder / f"student{number:03d}.ipynb"
        if kind == "not_json":
            path.write_text("not a notebook")
            continue
        if kind == "empty":
            path.write_bytes(b"")
            continue
        chosen = {"correct": answers, "untouched": {},
                  "partial": {"softmax": answers["softmax"]}}.get(kind)
        if chosen is None:
            chosen = {**answers, **FAULTS[kind]}
        notebooks.write(filled(chosen), path)
    return counts


def bench_ours(folder: Path, out: Path, jobs: int, students: int, sandbox: bool = True) -> float:
    """Grade the class once; ``sandbox=False`` adds ``--no-sandbox`` (for the sandbox's cost)."""
    command = [sys.executable, "-m", "mlp_course", "grade", str(folder), "--out", str(out),
               "--jobs", str(jobs), "--seed", "0", "--lesson", LESSON.id, "--lang", "en"]
    if not sandbox:
        command.append("--no-sandbox")
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout, done.stderr)
        raise SystemExit(f"grading failed with exit code {done.returncode}")
    summary = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))["summary"]
    print(done.stdout.rstrip())
    rate = students / seconds * 60
    print(f"mlp_course grade ({'sandbox' if sandbox else '--no-sandbox'}): {students} "
          f"submissions, --jobs {jobs}, {seconds:.1f} s wall (including start-up) -> "
          f"{rate:.1f} submissions per minute (grading loop alone: {summary['per_minute']} "
          f"per minute); load average now {os.getloadavg()[0]:.1f}")
    return rate


def bench_sandbox(folder: Path, work: Path, jobs: int, students: int) -> float:
    """The class graded in the sandbox and without it, in the same run: rates and their ratio."""
    sandboxed = bench_ours(folder, work / "out", jobs, students, sandbox=True)
    plain = bench_ours(folder, work / "out-no-sandbox", jobs, students, sandbox=False)
    print(f"sandbox cost: {sandboxed:.1f} vs {plain:.1f} submissions per minute without it "
          f"(ratio {sandboxed / plain:.2f}; target >= 35 per minute with the sandbox)")
    return sandboxed


def bench_nbgrader(folder: Path, work: Path, students: int) -> float | None:
    """nbgrader ``autograde`` on the same notebooks; return submissions per minute."""
    if importlib.util.find_spec("nbgrader") is None:
        print("nbgrader autograde: skipped -- nbgrader is not installed in this environment "
              "(it is a test dependency: pip install -r requirements-dev.txt).")
        return None
    # nbgrader's layout: source/<assignment>/<notebook>, submitted/<student>/<assignment>/<notebook>
    course = work / "nbgrader-course"
    assignment = "ps01"
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copy(LESSON.source, course / "source" / assignment / LESSON.source.name)
    config = course / "nbgrader_config.py"
    config.write_text("c = get_config()\nc.CourseDirectory.root = %r\n"
                      "c.ExecutePreprocessor.timeout = 60\n" % str(course))
    # nbgrader runs alembic (its database migrations) from its environment's bin/
    env = dict(os.environ, PYTHONPATH=str(ROOT), MLP_COURSE_LANG="en",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    env.pop("NBGRADER_EXECUTION", None)

    def nbgrader(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nbgrader", *arguments], cwd=course,
                              env=env, capture_output=True, text=True)

    done = nbgrader("generate_assignment", assignment, "--force")
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:])
        raise SystemExit("nbgrader generate_assignment failed")
    for path in sorted(folder.glob("*.ipynb")):
        target = course / "submitted" / path.stem / assignment / LESSON.source.name
        target.parent.mkdir(parents=True)
        shutil.copy(path, target)
    started = time.perf_counter()
    done = nbgrader("autograde", assignment, "--force")  # students are created as found
    seconds = time.perf_counter() - started
    graded = len(list((course / "autograded").glob(f"*/{assignment}/*.ipynb")))
    if graded == 0:
        print(done.stdout[-2000:], done.stderr[-2000:])
        raise SystemExit("nbgrader autograde graded nothing")
    rate = students / seconds * 60
    print(f"nbgrader autograde: {students} submissions ({graded} notebooks it could grade), "
          f"{seconds:.1f} s -> {rate:.1f} submissions per minute (one at a time)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not LESSON.source.exists():
        print(f"skipped: {LESSON.source.relative_to(ROOT)} does not exist yet")
        return
    print(f"{os.cpu_count()} CPUs; load average before: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as temporary:
        work = Path(temporary)
        folder = work / "submitted"
        folder.mkdir()
        counts = make_class(folder, args.students)
        print("class:", ", ".join(f"{n} {kind}" for kind, n in counts.items()))
        ours = bench_sandbox(folder, work, args.jobs, args.students)
        theirs = bench_nbgrader(folder, work, args.students)
        if theirs:
            print(f"ratio: mlp_course grade --jobs {args.jobs} (sandbox) is {ours / theirs:.1f}x "
                  f"as fast as nbgrader autograde on the same {args.students} notebooks")


if __name__ == "__main__":
    main()
