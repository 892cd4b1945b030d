"""How the root conftest orders the collected tests, and so the order files reach the workers.

Only the test workers collect under ``-n``; in a worker the options say ``dist="no"`` and
no ``numprocesses``, so the order is decided by whether the process is a worker at all.
These tests drive the real hook with stand-in items and configs (a worker's config is the
one with ``workerinput``). The last two check the thread counts the root conftest gives
every process of the run.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlp_course.grader.kernel import THREAD_VARIABLES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest_for_tests", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Item:
    def __init__(self, nodeid: str, *markers: str):
        self.nodeid, self.markers = nodeid, set(markers)

    def get_closest_marker(self, name):
        return name if name in self.markers else None

    def __repr__(self):
        return self.nodeid


def _items() -> list[Item]:
    return [
        Item("tests/test_a.py::test_fast"),
        Item("tests/test_a.py::test_server", "slow"),
        Item("tests/test_b.py::test_fast"),
        Item("tests/test_browser.py::test_lesson[zh]", "browser", "slow"),
        Item("solutions/01_softmax.ipynb::Cell 0"),
        Item("solutions/01_softmax.ipynb::Cell 1"),
        Item("solutions/07_training.ipynb::Cell 0"),
        Item("lessons/zh/07_training.ipynb::Cell 0"),
        Item("tests/test_c.py::test_grader", "slow"),
    ]


def _config(worker: bool):
    config = SimpleNamespace(option=SimpleNamespace(every_student_notebook=True, dist="no",
                                                    numprocesses=None))
    if worker:
        config.workerinput = {"workerid": "gw0", "workercount": 2}
    return config


def test_a_worker_hands_out_browsers_then_long_notebooks_then_servers_notebooks_and_the_rest(
        root_conftest):
    items = _items()
    root_conftest.pytest_collection_modifyitems(_config(worker=True), items)
    assert [item.nodeid for item in items] == [
        "tests/test_browser.py::test_lesson[zh]",
        "solutions/07_training.ipynb::Cell 0",
        "lessons/zh/07_training.ipynb::Cell 0",
        "tests/test_a.py::test_server",
        "tests/test_c.py::test_grader",
        "solutions/01_softmax.ipynb::Cell 0",
        "solutions/01_softmax.ipynb::Cell 1",
        "tests/test_a.py::test_fast",
        "tests/test_b.py::test_fast",
    ]


def test_a_run_without_workers_keeps_the_collection_order(root_conftest):
    items = _items()
    root_conftest.pytest_collection_modifyitems(_config(worker=False), items)
    assert [item.nodeid for item in items] == [item.nodeid for item in _items()]


def test_one_thread_each_sets_what_is_unset_and_keeps_what_the_developer_set(root_conftest,
                                                                              monkeypatch):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    monkeypatch.setenv("MKL_NUM_THREADS", "")
    root_conftest.one_thread_each()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
    assert all(os.environ[name] == "1" for name in THREAD_VARIABLES
               if name != "OPENBLAS_NUM_THREADS")


def test_this_worker_and_what_it_starts_were_given_a_thread_count():
    """Set before the workers started: a worker inherits it, and passes it on."""
    child = subprocess.run([sys.executable, "-c", "import os, sys; print(' '.join("
                            "os.environ.get(n, '-') for n in sys.argv[1:]))", *THREAD_VARIABLES],
                           capture_output=True, text=True, check=True).stdout.split()
    assert "-" not in child and child == [os.environ[name] for name in THREAD_VARIABLES]
