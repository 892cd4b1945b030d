"""Collect the course notebooks with nbval in one pytest run.

Source notebooks (``solutions/``) run with their saved outputs compared;
generated student notebooks (``lessons/``) run in lax mode: every cell must
execute without an unhandled error, outputs are not compared. Selecting
``--nbval`` / ``--nbval-lax`` on the command line keeps nbval's own behaviour.
"""

from __future__ import annotations

import os
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
    # plots render off-screen, deterministically
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")


def pytest_collect_file(file_path, parent):
    option = parent.config.option
    if file_path.suffix != ".ipynb" or option.nbval or option.nbval_lax:
        return None
    if ".ipynb_checkpoints" in file_path.parts:
        return None
    relative = file_path.relative_to(ROOT).parts if file_path.is_relative_to(ROOT) else ()
    if not relative or relative[0] not in ("solutions", "lessons"):
        return None
    from nbval.plugin import IPyNbFile

    collector = IPyNbFile.from_parent(parent, path=file_path)
    collector.compare_outputs = relative[0] == "solutions"
    return collector
