"""The grader against a hostile class: one batch, real bubblewrap, every student's points asserted.

Each notebook is lesson 01 as handed out, with cells added the way a student
trying to cheat or to harm the batch would add them: reading and rewriting
other students' test inputs, a child that double-forks into a new session
and keeps writing after its kernel is gone, printing the grader's
environment, reaching torch through ``exec``, ``importlib`` and
``sys.modules`` (hidden behind a ``__call__`` object or a default argument),
replacing the grader's in-kernel helper and patching built-ins, copying the
package's reference source, ``working()``, a segmentation fault and the
network. The class is graded in ONE run of the real command, in a
subprocess whose environment carries a secret and whose temporary folder and
home are watched.

The sandbox is required: where bubblewrap cannot run, these tests fail and
say why (they are never skipped).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from mlp_course.course import notebooks
from mlp_course.course.syllabus import get_lesson
from mlp_course.grader import sandbox

# kernels and servers: handed out to the test workers first
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
LESSON = get_lesson("01_softmax")
SEED = 4242
SECRET = "grAderSecretTokenXyzzy"        # letters only: no scrubbing could hide it
HOME_SECRET = "homeFileSecretPlugh"
MARKER = "sandboxEscapeMarkerQuux"

# (points, status) per student and exercise
EXPECTED = {
    "correct": {"softmax": (2, "passed"), "log_softmax": (2, "passed")},
    "untouched": {"softmax": (0, "not_implemented"), "log_softmax": (0, "not_implemented")},
    "snoop": {"softmax": (2, "passed"), "log_softmax": (2, "passed")},
    "forker": {"softmax": (2, "passed"), "log_softmax": (2, "passed")},
    "env_printer": {"softmax": (0, "error"), "log_softmax": (2, "passed")},
    "torch_tricks": {"softmax": (0, "forbidden"), "log_softmax": (0, "forbidden")},
    "helper_swap": {"softmax": (0, "error"), "log_softmax": (0, "error")},
    "reference_reader": {"softmax": (0, "forbidden"), "log_softmax": (0, "error")},
    "segfault": {"softmax": (2, "passed"), "log_softmax": (0, "crashed")},
    "network": {"softmax": (0, "error"), "log_softmax": (2, "passed")},
    # stopped at a cap (their kernel restarted without the cell), the answers still graded
    "fork_bomb": {"softmax": (2, "passed"), "log_softmax": (2, "passed")},
    "disk_filler": {"softmax": (0, "disk"), "log_softmax": (2, "passed")},
    # its answers' folders are links to the grader's files: nothing is read or removed there
    "link_planter": {"softmax": (0, "error"), "log_softmax": (0, "error")},
}
PROCESSES, DISK_MB = 32, 64     # the caps the hostile batch runs with
# words each student's "needs a human look" flags must contain (none for the others)
FLAGGED = {
    "forker": ["processes"],
    "torch_tricks": ["cannot read", "imported modules"],
    "helper_swap": ["imported modules", "built-in", "replaced"],
    "reference_reader": ["cannot read", "registry"],
    "segfault": ["native code"],
    "network": ["network"],
    "fork_bomb": ["processes"],
}


@pytest.fixture(scope="module")
def bwrap_works():
    problem = sandbox.problem()
    if problem is not None:
        pytest.fail(f"the grader's sandbox cannot run here, so these tests cannot either: "
                    f"{problem}")


# ---------------------------------------------------------------------------
# The class

def _lesson():
    source = notebooks.read(LESSON.source)
    untouched = notebooks.read(LESSON.student("en"))
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
               if notebooks.nbgrader(cell).get("solution")}
    return untouched, answers


def _build(untouched, answers: dict, before: dict | None = None, **chosen):
    """The handed-out notebook with some answers filled in and cells added before answers."""
    notebook = copy.deepcopy(untouched)
    for cell in notebook.cells:
        grade_id = notebooks.nbgrader(cell).get("grade_id")
        if notebooks.nbgrader(cell).get("solution") and grade_id in chosen:
            cell.source = chosen[grade_id]
    for grade_id, source in (before or {}).items():
        index = next(i for i, cell in enumerate(notebook.cells)
                     if notebooks.nbgrader(cell).get("grade_id") == grade_id)
        notebook.cells.insert(index, v4.new_code_cell(source))
    return notebook


def make_class(folder: Path, paths: dict) -> None:
    untouched, answers = _lesson()
    good = {name: answers[name] for name in ("softmax", "log_softmax")}
    targets = [paths["submitted"], paths["out"], paths["tmp"], paths["home"], paths["root"]]

    def save(student: str, notebook) -> None:
        (folder / student).mkdir()
        nbformat.write(notebook, str(folder / student / "01_softmax.ipynb"))

    save("correct", _build(untouched, answers, **good))
    save("untouched", _build(untouched, answers))

    # Reads and rewrites every test input it can find (the planned inputs once lay in a
    # shared folder), reads the grader's home, writes into other folders: all out of sight.
    snoop = f"""
import os, json, pathlib
found = []
for top in ["/", {str(paths["root"])!r}, str(pathlib.Path.cwd().parent)]:
    for folder, dirs, files in os.walk(top):
        if folder.startswith(("/proc", "/sys", "/dev", "/usr")) or "-packages" in folder:
            dirs[:] = []
            continue
        for name in files:
            if name.endswith((".npy", "inputs.json")) or name == "gradebook.csv":
                path = os.path.join(folder, name)
                found.append(path)
                try:
                    with open(path, "wb") as handle:
                        handle.write(b"0")
                except OSError:
                    pass
for target in {[str(t) for t in targets]!r}:
    for name in ("{MARKER}", "alice/{MARKER}"):
        try:
            pathlib.Path(target, name).write_text("snooped")
        except OSError:
            pass
try:
    stolen = pathlib.Path({str(paths["home"] / "secret.txt")!r}).read_text()
except OSError:
    stolen = ""
"""
    snooping_softmax = good["softmax"].replace(
        "def softmax(z):", "def softmax(z):\n    if stolen:\n        raise ValueError(stolen)", 1)
    save("snoop", _build(untouched, answers, before={"softmax": snoop},
                         softmax=snooping_softmax, log_softmax=good["log_softmax"]))

    # A grandchild in a new session that outlives its kernel unless the sandbox dies with it.
    writes = " ".join(f"{t}/{MARKER}" for t in targets)
    forker = f"""
import os
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c",
                 "sleep 1; while true; do for f in {writes}; do echo x > $f; done; sleep 0.2; done",
                 "{MARKER}"])
    os._exit(0)
os.waitpid(pid, 0)
"""
    save("forker", _build(untouched, answers, before={"softmax": forker}, **good))

    env_printer = ("import os\nprint(dict(os.environ))\n\ndef softmax(z):\n"
                   "    raise ValueError(' '.join(f'{k}={v}' for k, v in os.environ.items()))\n")
    save("env_printer", _build(untouched, answers, softmax=env_printer,
                               log_softmax=good["log_softmax"]))

    torch_tricks = """
import importlib, sys
T = importlib.import_module("torch")
exec("import torch as T3")
T2 = sys.modules.get("torch")

class Hidden:
    def __init__(self):
        self.t = sys.modules["torch"]
    def __call__(self, z):
        return self.t.softmax(self.t.from_numpy(z), -1).numpy()
"""
    save("torch_tricks", _build(
        untouched, answers, before={"softmax": torch_tricks},
        softmax="softmax = Hidden()\n",
        log_softmax="def log_softmax(z, _t=T2):\n"
                    "    return _t.log_softmax(_t.from_numpy(z), -1).numpy()\n"))

    # Full marks for untouched stubs, once: the grader's helper answered from the
    # package's own functions, and isinstance patched to skip the source inspection.
    helper_swap = """
import sys, builtins, json, os, types
import numpy as np
_real_isinstance = isinstance
builtins.isinstance = lambda o, t: False if t is types.FunctionType else _real_isinstance(o, t)
for _name, _module in list(sys.modules.items()):
    if _name.startswith("_mlp_course_grader"):
        def _fake_call(exercise_id, folder):
            from mlp_course.nn.probability import softmax as s, log_softmax as ls
            spec = json.load(open(os.path.join(folder, "inputs.json")))
            z = np.load(os.path.join(folder, spec["args"]["items"][0]["file"]))
            np.save(os.path.join(folder, "o0.npy"), (s if exercise_id == "softmax" else ls)(z))
            json.dump({"output": {"t": "array", "file": "o0.npy"}, "args_after": None},
                      open(os.path.join(folder, "result.json"), "w"))
        _module.call = _fake_call
"""
    save("helper_swap", _build(untouched, answers, before={"softmax": helper_swap}))

    reference_reader = """
import inspect
import mlp_course.nn.probability as P
from mlp_course.course.exercises import get_exercise, working
exec(inspect.getsource(P.log_softmax))
ref = get_exercise("log_softmax").reference
"""
    save("reference_reader", _build(
        untouched, answers, before={"softmax": reference_reader},
        softmax='softmax = working("softmax", None)\n', log_softmax="log_softmax = log_softmax\n"))

    segfault = "import ctypes\n\ndef log_softmax(z):\n    return ctypes.string_at(0)\n"
    save("segfault", _build(untouched, answers, softmax=good["softmax"], log_softmax=segfault))

    network = f"""
import socket

def softmax(z):
    with socket.create_connection(("127.0.0.1", {paths["port"]}), timeout=2) as connection:
        connection.sendall(b"{MARKER}")
    raise ValueError("connected")
"""
    reach_out = (f"import urllib.request\ntry:\n    urllib.request.urlopen("
                 f"'http://127.0.0.1:{paths['port']}/{MARKER}', timeout=2)\n"
                 f"except Exception as error:\n    print(error)\n")
    save("network", _build(untouched, answers, before={"softmax": reach_out}, softmax=network,
                           log_softmax=good["log_softmax"]))

    # Every process forks for ever, ignoring the failures: spinning copies, unless stopped.
    fork_bomb = ("import os\nwhile True:\n    try:\n        os.fork()\n"
                 "    except OSError:\n        pass\n")
    save("fork_bomb", _build(untouched, answers, before={"softmax": fork_bomb}, **good))
    # Writes until the disk is full, and goes on as if nothing happened; then its function
    # does the same while graded.
    fill = ("block = b'x' * 2**20\ntry:\n    with open('filler', 'wb') as handle:\n"
            "        while True:\n            handle.write(block)\n"
            "except OSError as error:\n    print(error)\n")
    filling_softmax = ("def softmax(z):\n    with open('filler', 'wb') as handle:\n"
                       "        while True:\n            handle.write(b'x' * 2**20)\n")
    save("disk_filler", _build(untouched, answers, before={"softmax": fill},
                               softmax=filling_softmax, log_softmax=good["log_softmax"]))
    # Every folder the grader's helper makes for answers becomes a link to the grader's home
    # (which holds a folder named like a test's): read or removed there, were it followed.
    link_planter = f"""
import os
_makedirs = os.makedirs
def makedirs(path, *args, **kwargs):
    if "exchange-" in str(path) and not os.path.lexists(path):
        os.symlink({str(paths["home"])!r}, path)
        return
    return _makedirs(path, *args, **kwargs)
os.makedirs = makedirs
"""
    save("link_planter", _build(untouched, answers, before={"softmax": link_planter}, **good))


# ---------------------------------------------------------------------------
# Grading it once

def _snapshot(root: Path, skip: Path) -> dict:
    found = {}
    for path in root.rglob("*"):
        if path == skip or skip in path.parents:
            continue
        try:
            info = path.lstat()
        except OSError:
            continue
        found[str(path)] = (info.st_size, info.st_mtime_ns, path.is_dir())
    return found


def _listener(received: list):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    received.append(connection.recv(100))
                except OSError:
                    received.append(b"(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, stop, thread


def _processes_mentioning(word: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if word in line:
            found.append(f"{entry.name}: {line[:200]}")
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, bwrap_works):
    root = tmp_path_factory.mktemp("hostile")
    paths = {"root": root, "submitted": root / "submitted", "out": root / "out",
             "tmp": root / "tmp", "home": root / "home"}
    for name in ("submitted", "tmp", "home"):
        paths[name].mkdir()
    (paths["home"] / "secret.txt").write_text(HOME_SECRET)
    (paths["home"] / "1").mkdir()   # named like the folder of a test's answers
    (paths["home"] / "1" / "result.json").write_text('{"output": null}')
    received: list = []
    server, stop, thread = _listener(received)
    paths["port"] = server.getsockname()[1]
    make_class(paths["submitted"], paths)
    before = _snapshot(root, skip=paths["out"])
    # The grader's own libraries keep their caches where they always do (matplotlib's,
    # which torch loads while computing the expected answers): outside the watched folder.
    caches = tmp_path_factory.mktemp("grader-caches")
    env = dict(os.environ, MLP_GRADER_SECRET=SECRET, TMPDIR=str(paths["tmp"]),
               HOME=str(paths["home"]), PYTHONPATH=str(ROOT), MPLCONFIGDIR=str(caches),
               XDG_CACHE_HOME=str(caches))
    command = [sys.executable, "-m", "mlp_course", "grade", str(paths["submitted"]),
               "--out", str(paths["out"]), "--lesson", "01", "--jobs", "3", "--seed", str(SEED),
               "--lang", "en", "--cell-timeout", "20", "--call-timeout", "5",
               "--timeout", "120", "--memory", "1024", "--processes", str(PROCESSES),
               "--disk", str(DISK_MB)]
    try:
        done = subprocess.run(command, env=env, cwd=str(root), capture_output=True, text=True,
                              timeout=600)
        left_right_after = _processes_mentioning(str(paths["tmp"])) + _processes_mentioning(MARKER)
        time.sleep(0.6)  # a surviving grandchild writes every 0.2 s
        left_later = _processes_mentioning(MARKER) + _processes_mentioning(str(paths["tmp"]))
        after = _snapshot(root, skip=paths["out"])
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
    document = json.loads((paths["out"] / "gradebook.json").read_text(encoding="utf-8"))
    with open(paths["out"] / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    feedback = {path.stem: path.read_text(encoding="utf-8")
                for path in (paths["out"] / "feedback").glob("*.md")}
    return {"done": done, "paths": paths, "json": document, "csv": table,
            "feedback": feedback, "before": before, "after": after, "received": received,
            "left": left_right_after + left_later}


def _rows(hostile, student: str) -> list[dict]:
    return [row for row in hostile["json"]["rows"] if row["student"] == student]


# ---------------------------------------------------------------------------
# What the batch must show

def test_the_batch_completes(hostile):
    assert hostile["done"].returncode == 0, hostile["done"].stderr[-3000:]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_every_student_gets_exactly_the_points_a_fair_grader_gives(hostile, student):
    rows = {row["exercise"]: row for row in _rows(hostile, student)}
    for exercise, (points, status) in EXPECTED[student].items():
        assert exercise in rows, (student, exercise, sorted(rows))
        row = rows[exercise]
        assert (float(row["points"]), row["status"]) == (points, status), (
            student, exercise, row["message"])


def test_the_gradebook_rows_are_complete_and_csv_equals_json(hostile):
    students = {row["student"] for row in hostile["json"]["rows"]}
    assert students == set(EXPECTED)
    for student in EXPECTED:
        exercises = {row["exercise"] for row in _rows(hostile, student)}
        assert {"softmax", "log_softmax"} <= exercises, student
    assert len(hostile["csv"]) == len(hostile["json"]["rows"])
    for csv_row, json_row in zip(hostile["csv"], hostile["json"]["rows"]):
        assert csv_row["student"] == json_row["student"]
        assert csv_row["exercise"] == json_row["exercise"]
        assert float(csv_row["points"]) == float(json_row["points"])
        assert csv_row["status"] == json_row["status"]


def test_tricks_that_can_only_be_detected_are_flagged_for_a_human(hostile):
    for student in EXPECTED:
        flags = " ".join(str(row.get("flags") or "") for row in _rows(hostile, student))
        for words in FLAGGED.get(student, []):
            assert words in flags, (student, words, flags)
        if student not in FLAGGED:
            assert "human look" not in flags.lower(), (student, flags)


def test_a_crash_is_named_as_a_crash_not_an_exit(hostile):
    message = next(row["message"] for row in _rows(hostile, "segfault")
                   if row["exercise"] == "log_softmax")
    assert "SIGSEGV" in message and "crashed" in message
    assert "sys.exit" not in message


def test_no_secret_reaches_the_gradebook_or_the_feedback(hostile):
    out = hostile["paths"]["out"]
    texts = [path.read_text(encoding="utf-8", errors="replace")
             for path in out.rglob("*") if path.is_file()]
    assert texts
    for text in texts:
        assert SECRET not in text
        assert HOME_SECRET not in text
    # the environment did reach the feedback: only the sandbox's own variables
    message = next(row["message"] for row in _rows(hostile, "env_printer")
                   if row["exercise"] == "softmax")
    assert "MLP_COURSE_GRADING" in message or "PATH" in message, message


def test_a_fork_bomb_and_a_disk_filler_are_stopped_and_named(hostile):
    for student, status, cell, words in (
            ("fork_bomb", "processes", "(import os)",
             f"too many processes: it reached the limit of {PROCESSES}"),
            ("disk_filler", "disk", "(block = b'x' * 2**20)", f"wrote more than {DISK_MB} MB")):
        problems = {row["status"]: row["message"] for row in _rows(hostile, student)
                    if row["exercise"] == "(submission)"}
        assert set(problems) == {status, "kernel_restarted"}, problems
        assert words in problems[status] and cell in problems[status], problems
    # a function that fills the disk while graded: named on its exercise
    message = next(row["message"] for row in _rows(hostile, "disk_filler")
                   if row["exercise"] == "softmax")
    assert f"on test 1 (wrote more than {DISK_MB} MB)" in message, message
    # the summary names both, and no other student had a problem
    assert "too many processes 1" in hostile["done"].stdout
    assert "disk limit 1" in hostile["done"].stdout
    others = [row for row in hostile["json"]["rows"] if row["exercise"] == "(submission)"
              and row["student"] not in ("fork_bomb", "disk_filler", "segfault")]
    assert others == []


def test_no_process_outlives_the_batch(hostile):
    assert hostile["left"] == []


def test_nothing_is_written_outside_the_output_folder(hostile):
    # the grader's temporary folder: its own work folder came and went (the folder's time
    # changed), and nothing is left in it
    tmp = str(hostile["paths"]["tmp"])
    before = {path: info for path, info in hostile["before"].items() if path != tmp}
    after = {path: info for path, info in hostile["after"].items() if path != tmp}
    assert after == before, sorted(set(after.items()) ^ set(before.items()))[:10]
    assert not list(hostile["paths"]["tmp"].iterdir())
    assert not list(hostile["paths"]["root"].rglob(f"*{MARKER}*"))
    assert not Path("/tmp", MARKER).exists()


def test_no_kernel_reaches_the_network(hostile):
    assert hostile["received"] == []


# ---------------------------------------------------------------------------
# The grader killed outright: its sandboxes die with it

def test_kernels_die_with_a_killed_grader(tmp_path, bwrap_works):
    untouched, answers = _lesson()
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    sleeper = "import time\ntime.sleep(600)\n"
    for student in ("sleeper_a", "sleeper_b"):
        (submitted / student).mkdir()
        nbformat.write(_build(untouched, answers, before={"softmax": sleeper}),
                       str(submitted / student / "01_softmax.ipynb"))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch), PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "mlp_course", "grade", str(submitted), "--out",
         str(tmp_path / "out"), "--lesson", "01", "--jobs", "2", "--lang", "en"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        # both notebooks sit in their sleeping cell: two kernels, each in its sandbox
        while time.monotonic() < deadline and len(
                [p for p in _processes_mentioning(str(scratch)) if "bwrap" in p]) < 2:
            time.sleep(0.2)
        assert len([p for p in _processes_mentioning(str(scratch)) if "bwrap" in p]) >= 2
        time.sleep(1.0)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _processes_mentioning(str(scratch)):
        time.sleep(0.2)
    assert _processes_mentioning(str(scratch)) == []


# ---------------------------------------------------------------------------
# No sandbox possible: refuse, unless the instructor says otherwise

def _grade_without_bwrap(tmp_path, *extra: str, lang: str = "en"):
    submitted = tmp_path / "submitted"
    submitted.mkdir(exist_ok=True)
    (submitted / "bob.ipynb").write_text("not a notebook")   # no kernel, no lesson: quick
    env = dict(os.environ, PATH=str(tmp_path / "no-such-bin"), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "mlp_course", "grade", str(submitted), "--out",
         str(tmp_path / "out"), "--lang", lang, *extra],
        env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("lang, words", [("en", "apt-get install bubblewrap"),
                                         ("zh", "安装")])
def test_without_bubblewrap_the_grader_refuses_and_names_the_fix(tmp_path, lang, words):
    done = _grade_without_bwrap(tmp_path, lang=lang)
    assert done.returncode == 2
    assert words in done.stderr and "--no-sandbox" in done.stderr
    assert "apt-get install bubblewrap" in done.stderr
    assert not (tmp_path / "out" / "gradebook.json").exists()


def test_no_sandbox_grades_and_warns_in_the_summary(tmp_path):
    done = _grade_without_bwrap(tmp_path, "--no-sandbox")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "without the sandbox" in done.stdout
    document = json.loads((tmp_path / "out" / "gradebook.json").read_text(encoding="utf-8"))
    assert document["settings"]["sandbox"] is False


# ---------------------------------------------------------------------------
# The pieces: the package without answers, and what is flagged

def test_the_graded_lessons_answers_are_blanked_and_nothing_else(tmp_path):
    target = tmp_path / "06" / "mlp_course"
    sandbox.build_package(target, "06_backprop")
    probability = (target / "nn" / "probability.py").read_text(encoding="utf-8")
    layers = (target / "nn" / "layers.py").read_text(encoding="utf-8")
    lesson = (target / "course" / "exercises" / "lesson06.py").read_text(encoding="utf-8")
    # mlp_backward may use softmax: it stays; linear_backward answers the lesson: it goes
    assert "def softmax(z" in probability
    assert "def linear_backward(*args, **kwargs):\n    raise" in layers
    assert "def linear_forward(" in layers and "def linear_forward(*args" not in layers
    assert "def mlp_backward_torch(*args, **kwargs)" in lesson
    assert "def output_delta_reference(*args, **kwargs)" in lesson
    assert not (target / "grader").exists()
    # the copy imports and its blanked functions say why they fail
    check = ("import sys; sys.path.insert(0, sys.argv[1]); import mlp_course\n"
             "assert mlp_course.__file__.startswith(sys.argv[1])\n"
             "from mlp_course.nn.layers import linear_backward\n"
             "try:\n    linear_backward(None, None)\nexcept RuntimeError as error:\n"
             "    print(type(error).__name__, error)\n")
    done = subprocess.run([sys.executable, "-c", check, str(target.parent)], capture_output=True,
                          text=True, env=dict(os.environ, MLP_COURSE_LANG="en"))
    assert done.returncode == 0, done.stderr
    assert "NotAvailableWhileGrading" in done.stdout
    assert "not available while grading" in done.stdout


@pytest.mark.parametrize("lesson", sorted({p.stem for p in (ROOT / "solutions").glob("0*.ipynb")}))
def test_the_lessons_own_notebooks_raise_no_flag(lesson):
    for path in [ROOT / "solutions" / f"{lesson}.ipynb",
                 *[ROOT / "lessons" / lang / f"{lesson}.ipynb" for lang in ("zh", "en")]]:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        sources = ["".join(cell["source"]) for cell in notebook["cells"]
                   if cell["cell_type"] == "code"]
        assert sandbox.suspicious(sources, lesson=lesson) == [], path.name


@pytest.mark.parametrize("code, words", [
    ("exec('import torch')", "cannot read"),
    ("import importlib\nt = importlib.import_module('torch')", "cannot read"),
    ("import sys\nt = sys.modules['torch']", "imported modules"),
    ("import sys\nf = sys._getframe(1).f_globals", "frames"),
    ("import builtins\nbuiltins.isinstance = lambda a, b: True", "built-in"),
    ("isinstance = lambda a, b: True", "built-in"),
    ("import ctypes\nctypes.string_at(0)", "native code"),
    ("import os\nos.fork()", "processes"),
    ("import socket\nsocket.create_connection(('example.org', 80))", "network"),
    ("from mlp_course.course.exercises import reference\nf = reference('softmax')", "registry"),
])
def test_tricks_are_flagged_with_their_reason(code, words):
    from mlp_course.i18n import language

    with language("en"):
        reasons = [str(reason) for reason in sandbox.suspicious([code])]
    assert any(words in reason for reason in reasons), reasons
    with language("zh"):
        assert all("需要人工查看" in str(reason) for reason in sandbox.suspicious([code]))


# ---------------------------------------------------------------------------
# Cells that are not answers but flood or hang: named in the report

def _answer_cell(source: str, grade_id: str):
    cell = v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    return cell


def test_a_cell_that_floods_or_hangs_is_named(tmp_path, bwrap_works):
    from mlp_course.grader.runner import Settings, grade_batch
    from mlp_course.grader.submissions import Submission
    from mlp_course.i18n import language

    _, answers = _lesson()
    notebook = v4.new_notebook()
    notebook.metadata["mlp_course"] = {"lesson": LESSON.id}
    notebook.cells = [
        v4.new_code_cell("import numpy as np"),
        v4.new_code_cell("while True:\n    print('flood ' * 1000)"),
        _answer_cell(answers["softmax"], "softmax"),
        v4.new_code_cell("while True:\n    try:\n        while True:\n            pass\n"
                         "    except BaseException:\n        pass"),
        _answer_cell(answers["log_softmax"], "log_softmax"),
    ]
    path = tmp_path / "flood.ipynb"
    nbformat.write(notebook, str(path))
    [result] = grade_batch([Submission("flood", path)],
                           Settings(seed=SEED, cell_timeout=1, call_timeout=5, timeout=120,
                                    jobs=1))
    assert {o.exercise: o.status for o in result.outcomes} == {"softmax": "passed",
                                                               "log_softmax": "passed"}
    with language("en"):
        problems = [str(message) for status, message in result.problems]
    # the flood is interrupted (or, if it cannot be, its kernel is stopped): named either way
    assert any("Cell 2 (while True:)" in text and ("interrupted after 1 s" in text
                                                   or "stopped the kernel" in text)
               for text in problems), problems
    # a loop that swallows the interrupt: its kernel is stopped and restarted, named
    assert any("Cell 4 (while True:)" in text and "stopped the kernel" in text
               for text in problems), problems


# ---------------------------------------------------------------------------
# One sandboxed kernel, looked at from inside

PROBE = r'''
import json, os, sys
seen = {"env": sorted(os.environ), "root": sorted(os.listdir("/")), "cwd": os.getcwd(),
        "traceback mode": get_ipython().InteractiveTB.mode,
        "debugger": getattr(get_ipython().kernel, "debugger", None) is not None,
        "debugpy": [name for name, module in sys.modules.items()
                    if module is not None and name.split(".")[0] in ("debugpy", "pydevd")]}
for folder in FOLDERS:
    sys.path.append(folder)
for name in ("scipy", "scipy.special", "torch.nn.functional", "sklearn"):
    try:
        __import__(name)
        seen[name] = "imported"
    except ImportError as error:
        seen[name] = type(error).__name__
import torch
try:
    torch.softmax
    seen["torch.softmax"] = "reached"
except AttributeError as error:
    seen["torch.softmax"] = str(error)
for path in PATHS:
    seen[path] = os.path.exists(path)
seen["home"] = sorted(os.listdir(HOME)) if os.path.isdir(HOME) else []
try:
    open("/usr/lib/written-by-a-kernel", "w")
    seen["write"] = "written"
except OSError as error:
    seen["write"] = type(error).__name__
import errno
reader, writer = os.pipe()
children = []
try:
    while len(children) < 1000:
        child = os.fork()
        if child == 0:
            os.close(writer)
            os.read(reader, 1)
            os._exit(0)
        children.append(child)
    seen["fork"] = ["no limit", len(children)]
except OSError as error:
    seen["fork"] = [errno.errorcode.get(error.errno), len(children)]
os.close(writer)
for child in children:
    os.waitpid(child, 0)
os.close(reader)
import resource
seen["limits"] = {"processes": resource.getrlimit(resource.RLIMIT_NPROC)[0],
                  "file": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
                  "scratch": os.statvfs(".").f_blocks * os.statvfs(".").f_frsize,
                  "shm": os.statvfs("/dev/shm").f_blocks * os.statvfs("/dev/shm").f_frsize}
# the folders on the way to its own cannot be renamed (into a link the grader would follow)
for what, attempt in (("rename", lambda: os.rename(os.path.dirname(os.getcwd()), "/elsewhere")),
                      ("tmp", lambda: open("/tmp/written-by-a-kernel", "w")),
                      ("root", lambda: os.mkdir("/made-by-a-kernel"))):
    try:
        attempt()
        seen[what] = "done"
    except OSError as error:
        seen[what] = type(error).__name__
with open("seen.json", "w") as handle:
    json.dump(seen, handle)
'''


def test_what_a_sandboxed_kernel_sees(tmp_path, bwrap_works, monkeypatch):
    import asyncio

    from mlp_course.grader import runner

    monkeypatch.setenv("MLP_GRADER_SECRET", SECRET)
    # the watchdog would stop the kernel at the cap: here the cap itself is looked at
    monkeypatch.setattr(runner.kernel_module.KernelSession, "over_limit", lambda self: "")
    work = tmp_path / "work"
    box = sandbox.Sandbox(work / "sandbox")
    box.prepare([LESSON.id])
    scratch = work / "submission"
    scratch.mkdir(parents=True)
    neighbour = work / "neighbour"
    neighbour.mkdir()
    paths = [str(neighbour), str(ROOT / "solutions"), str(work / "sandbox"),
             str(ROOT / "mlp_course" / "grader"), str(ROOT / "README.md")]
    home = Path.home()
    code = (f"FOLDERS = {[str(p) for p in sandbox._site_folders()]!r}\n"
            f"PATHS = {paths!r}\nHOME = {str(home)!r}\n" + PROBE)

    async def probe():
        run = runner.NotebookRun(scratch, runner.Settings(processes=40, disk_mb=32), box,
                                 LESSON.id)
        await run.prestart()
        run.begin()
        try:
            reply = await run.cell(code)
            # what it wrote is in its own file system, seen from here through /proc only
            assert not (scratch / "seen.json").exists()
            with run.reading(scratch) as seen:
                return reply, (seen / "seen.json").read_text(encoding="utf-8")
        finally:
            await run.close()

    reply, written = asyncio.run(probe())
    assert reply.status == "ok", reply
    seen = json.loads(written)
    # forks fail at the cap (the kernel's own threads count too), and the kernel lives on
    assert seen["fork"][0] == "EAGAIN" and 5 < seen["fork"][1] < 40, seen["fork"]
    assert seen["limits"] == {"processes": 40, "file": 32 * 2**20, "scratch": 32 * 2**20,
                              "shm": sandbox.SMALL_BYTES}
    assert seen["rename"] == seen["tmp"] == seen["root"] == "OSError"
    assert "MLP_GRADER_SECRET" not in seen["env"] and "MLP_COURSE_GRADING" in seen["env"]
    assert seen["cwd"] == str(scratch)
    # an error costs the kernel its name and message only (formatting frames costs more
    # than many a cell; the grader reads no traceback)
    assert seen["traceback mode"] == "Minimal"
    # nor a debugger nobody attaches: its imports alone cost every kernel's start-up
    assert seen["debugger"] is False and seen["debugpy"] == [], seen["debugpy"]
    for name in ("scipy", "scipy.special", "torch.nn.functional", "sklearn"):
        assert seen[name] in ("ModuleNotFoundError", "ImportError"), (name, seen[name])
    assert "not available while grading" in seen["torch.softmax"] \
        or "评分时不可用" in seen["torch.softmax"]
    for path in paths:
        assert seen[path] is False, path
    # $HOME holds nothing but, where Python itself is installed there (pyenv), that path
    base = Path(sys.base_prefix).resolve()
    allowed = [base.relative_to(home).parts[0]] if base.is_relative_to(home) else []
    assert seen["home"] == allowed
    assert seen["write"] == "OSError"


# ---------------------------------------------------------------------------
# Blanking answers never costs a correct solution its marks

def test_a_solved_lesson_06_keeps_full_marks_in_the_sandbox(tmp_path, bwrap_works):
    """Lesson 06 forbids library pieces while its solutions use others (softmax,
    one_hot): the blanked package must keep what a correct solution may use."""
    from mlp_course.grader.runner import Settings, grade_batch
    from mlp_course.grader.submissions import Submission

    submissions = [Submission(lesson, ROOT / "solutions" / f"{lesson}.ipynb")
                   for lesson in ("06_backprop",)]
    results = grade_batch(submissions, Settings(seed=SEED, jobs=2, cell_timeout=60,
                                                call_timeout=20, timeout=300))
    for result in results:
        assert result.max_points > 0 and result.points == result.max_points, [
            (o.exercise, o.status, str(o.message)) for o in result.outcomes
            if o.status != "passed"]
        assert result.flags == []


@pytest.mark.parametrize("exercise, reached, verdict", [
    ("mlp_backward", "mlp_course.nn.probability:softmax", None),      # allowed in 06
    ("log_softmax_steps", "mlp_course.nn.probability:softmax",
     "mlp_course.nn.probability.softmax"),
    ("mlp_backward", "mlp_course.nn.layers:linear_backward", "mlp_course.nn.layers.linear_backward"),
    ("softmax", "torch:", "torch"),
    ("softmax", "numpy:", None),
    ("log_softmax", "mlp_course.nn.probability:log_softmax",
     "mlp_course.nn.probability.log_softmax"),
])
def test_a_library_object_reached_by_another_name_is_judged_by_its_own(exercise, reached,
                                                                        verdict):
    from mlp_course.course.exercises import get_exercise
    from mlp_course.grader.runner import _shortcuts

    description = {"callable": True, "module": "__main__", "qualname": exercise,
                   "source": None, "helpers": {}, "defaults": [], "closure": [],
                   "referenced": [reached]}
    used = _shortcuts(description, get_exercise(exercise), {})
    assert used == ([verdict] if verdict else [])


# ---------------------------------------------------------------------------
# What a kernel leaves where the grader reads: never followed, never waited on

def test_the_grader_reads_only_regular_files_a_kernel_wrote(tmp_path):
    import numpy as np

    from mlp_course.grader.kernel_helper import ExchangeError, decode, encode, read_json

    secret = tmp_path / "secret.json"
    secret.write_text('{"output": 1}')
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "link.json").symlink_to(secret)
    (folder / "zero.json").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.json")
    (folder / "big.json").write_text("[" + "0," * 3_000_000 + "0]")
    for name in ("link.json", "zero.json", "pipe.json", "big.json", "missing.json"):
        started = time.monotonic()
        with pytest.raises(ExchangeError):
            read_json(str(folder / name))
        assert time.monotonic() - started < 5, name
    tree = encode(np.arange(3.0), str(folder), prefix="o")
    assert decode(tree, str(folder)).tolist() == [0.0, 1.0, 2.0]
    (folder / "o0.npy").unlink()
    (folder / "o0.npy").symlink_to("/dev/zero")
    with pytest.raises(ExchangeError):
        decode(tree, str(folder))
    (folder / "o0.npy").unlink()
    os.mkfifo(folder / "o0.npy")
    with pytest.raises(ExchangeError):
        decode(tree, str(folder))


@pytest.mark.parametrize("used, shown", [
    (["torch", "torch.from_numpy", "torch.nn.functional", "torch.nn.functional.softmax"],
     ["torch.nn.functional.softmax"]),
    (["torch.nn.functional.torch.from_numpy"], ["torch.from_numpy"]),
    (["torch._C._VariableFunctions.softmax", "torch.from_numpy"], ["torch.softmax"]),
    (["mlp_course.nn.probability", "mlp_course.nn.probability.log_softmax"],
     ["mlp_course.nn.probability.log_softmax"]),
    (["eval"], ["eval"]),
])
def test_forbidden_shortcut_messages_name_only_the_shortcuts(used, shown):
    from mlp_course.course.exercises import get_exercise
    from mlp_course.grader.verdict import meaningful

    assert meaningful(used, get_exercise("softmax").forbidden) == shown


def test_a_root_grader_without_a_control_group_says_its_processes_are_not_capped(monkeypatch):
    from mlp_course.grader import kernel
    from mlp_course.i18n import language

    monkeypatch.setattr(kernel, "_control_groups", lambda: None)
    monkeypatch.setattr(kernel.os, "geteuid", lambda: 0)
    assert not kernel.processes_capped()
    with language("en"):
        assert "RLIMIT_NPROC" in str(kernel.uncapped_warning())
    with language("zh"):
        assert "控制组" in str(kernel.uncapped_warning())
    monkeypatch.setattr(kernel.os, "geteuid", lambda: 1000)   # counted in its own namespace
    assert kernel.processes_capped()
