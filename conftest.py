"""Collect the course notebooks with nbval in one pytest run, and share the work
well between parallel workers.

Source notebooks (``solutions/``) run with their saved outputs compared;
generated student notebooks (``lessons/``) run in lax mode: every cell must
execute without an unhandled error, outputs are not compared. Selecting
``--nbval`` / ``--nbval-lax`` on the command line keeps nbval's own behaviour.

A lesson's two student notebooks run the same statements (proven, cell by cell,
by ``tests/test_notebooks.py``: they differ only in comments, docstrings, the
install cell and the cells tagged for one language), so by default each lesson's
student notebook runs in one language: English for even lesson numbers, Chinese
for odd ones. The browser tests run lessons 00 (Chinese), 01 (both languages) and 05
(English) in JupyterLab, every cell, failing on any error; when they run (selected, with
Chromium there), nbval leaves those three lessons' student notebooks to them. The
release tests run 01 in both languages too. ``--every-student-notebook`` runs all of
them under nbval.

nbval's kernels are forked from a process that has imported the heavy libraries already
(``tests/warm_kernels.py``; ``--fresh-kernels`` turns that off). Every process of the run
uses one BLAS and one PyTorch thread unless the environment says otherwise
(:func:`one_thread_each`).

With ``-n N --dist loadfile`` (the project's default) every file still runs
on one worker — a notebook's cells share one kernel, a module's fixtures are
set up once — but the browser and release tests are split by language (each half
starts its own JupyterLab), and the long files (browsers, lesson 07's notebooks, servers
and subprocesses, then the other notebooks) are handed out first, so no long file is
left to run alone at the end.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"


def pytest_configure(config):
    option = config.option
    if hasattr(option, "nbval_sanitize_with") and not option.nbval_sanitize_with:
        option.nbval_sanitize_with = str(SANITIZE)
    # kernels run in the environment that runs the tests, whatever kernels are installed
    if hasattr(option, "nbval_current_env") and not getattr(option, "nbval_kernel_name", None):
        option.nbval_current_env = True
        if not option.fresh_kernels and hasattr(os, "fork") and sys.platform == "linux":
            _start_kernels_warm(config)
    # plots render off-screen, deterministically
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    one_thread_each()


def one_thread_each() -> None:
    """One thread each for numpy's BLAS and PyTorch in every process of the run, unless set.

    Two test workers, their kernels, servers and browsers already keep every core busy:
    a second BLAS or OpenMP thread in each of them only spins between calls, taking CPU
    from the rest of the run. Set here, before the workers start, so that the workers
    and every process they start (kernels, graders, servers) inherit it; a value the
    developer has set (not empty) is kept.
    """
    from mlp_course.grader.kernel import THREAD_VARIABLES

    for name in THREAD_VARIABLES:
        if not os.environ.get(name):
            os.environ[name] = "1"


def pytest_addoption(parser):
    parser.addoption("--every-student-notebook", action="store_true",
                     help="run both languages' student notebooks of every lesson, not one "
                          "language per lesson")
    parser.addoption("--fresh-kernels", action="store_true",
                     help="start every notebook's kernel as a new Python process, not forked "
                          "from one that has imported numpy, torch and matplotlib already")


def _start_kernels_warm(config) -> None:
    """nbval's kernel in this environment, started from a warm zygote (``tests/warm_kernels.py``).

    The zygote starts with the first notebook this process runs, and stops with the run.
    """
    import importlib.util

    import ipykernel.kernelspec
    import nbval.kernel

    spec = importlib.util.spec_from_file_location("warm_kernels", ROOT / "tests" / "warm_kernels.py")
    warm = sys.modules["warm_kernels"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(warm)
    config.add_cleanup(warm.close_shared)

    class WarmKernelspecManager(nbval.kernel.NbvalKernelspecManager):
        def get_kernel_spec(self, kernel_name):
            if kernel_name != nbval.kernel.CURRENT_ENV_KERNEL_NAME:
                return super().get_kernel_spec(kernel_name)
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **warm.shared().kernel_dict())

    nbval.kernel.NbvalKernelspecManager = WarmKernelspecManager


@pytest.fixture(scope="session")
def warm_kernels_path(request, tmp_path_factory):
    """A folder for ``JUPYTER_PATH`` whose ``python3`` kernel starts warm, for the JupyterLab
    a test starts from this environment; None when kernels start fresh."""
    warm = sys.modules.get("warm_kernels")
    if request.config.option.fresh_kernels or getattr(warm, "shared", None) is None \
            or not hasattr(os, "fork") or sys.platform != "linux":
        return None
    return warm.shared().data_folder(tmp_path_factory.mktemp("warm-kernels"))


def student_language_run(lesson_file: str) -> str:
    """The language whose student notebook of this lesson runs by default."""
    number = int(re.match(r"\d+", lesson_file).group())
    return "en" if number % 2 == 0 else "zh"


def pytest_collect_file(file_path, parent):
    option = parent.config.option
    if file_path.suffix != ".ipynb" or option.nbval or option.nbval_lax:
        return None
    if ".ipynb_checkpoints" in file_path.parts:
        return None
    relative = file_path.relative_to(ROOT).parts if file_path.is_relative_to(ROOT) else ()
    if not relative or relative[0] not in ("solutions", "lessons"):
        return None
    if (relative[0] == "lessons" and not option.every_student_notebook
            and relative[1] != student_language_run(file_path.name)):
        return None
    from nbval.plugin import IPyNbFile

    collector = IPyNbFile.from_parent(parent, path=file_path)
    collector.compare_outputs = relative[0] == "solutions"
    return collector


# notebooks that take several times as long as the others (lesson 07 trains networks)
LONG_NOTEBOOKS = ("07_training.ipynb",)


def _cost_class(item) -> int:
    """The order the files are handed out in, longest first, so that no long file is left
    to run alone at the end: 0 for the tests that start a browser, 1 for the long
    notebooks, 2 for other servers and subprocesses, 3 for the other notebooks (a kernel
    each), 4 for the rest. A file goes out where its first test is: a file with any slow
    test goes out with the slow ones, so the long notebooks go before them."""
    if item.get_closest_marker("browser"):
        return 0
    path = item.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        return 1 if Path(path).name in LONG_NOTEBOOKS else 3
    if item.get_closest_marker("slow"):
        return 2
    return 4


def _lessons_the_browser_runs(items) -> set[str]:
    """The student notebooks (file names) that the selected browser tests run, when
    Chromium is there to run them."""
    module = sys.modules.get("test_browser")
    if module is None or module.CHROMIUM is None:
        return set()
    lessons = set()
    for item in items:
        runs = module.LESSONS_RUN.get(getattr(item, "originalname", None))
        language = _LANGUAGE_PARAMETER.search(item.nodeid)
        if getattr(item, "module", None) is module and runs and language:
            lessons.add(f"{runs[language.group(1)]}.ipynb")
    return lessons


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if not config.option.every_student_notebook:
        run_elsewhere = _lessons_the_browser_runs(items)
        left, dropped = [], []
        for item in items:
            path = item.nodeid.split("::")[0]
            run_by_the_browser = path.startswith("lessons/") and Path(path).name in run_elsewhere
            (dropped if run_by_the_browser else left).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = left
    if getattr(config, "workerinput", None) is not None:
        # Only the test workers collect (the process that starts them does not, and in a
        # worker the options say nothing of --dist or -n): the order they collect in is
        # the order files are handed out. A stable sort: each file's tests keep their order.
        items.sort(key=_cost_class)


# files whose per-language tests share nothing costly within a language pair, so each
# language can run on its own worker: the browser tests (a JupyterLab each) and the
# class releases (an environment and a JupyterLab each)
SPLIT_BY_LANGUAGE = ("test_browser", "test_release")
_LANGUAGE_PARAMETER = re.compile(r"\[(?:.*-)?(en|zh)(?:-.*)?\]$")


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, except that the files in ``SPLIT_BY_LANGUAGE`` are split by language."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            language = _LANGUAGE_PARAMETER.search(nodeid)
            if language and Path(scope).stem in SPLIT_BY_LANGUAGE:
                return f"{scope}[{language.group(1)}]"
            return scope

    # hand the files out in the order above, not by their number of tests
    config.option.loadscopereorder = False
    return Scheduling(config, log)
