"""A lesson opened by `make lab` is not "unsaved": JupyterLab marks a notebook changed
the moment its kernel reports a ``language_info`` different from the saved one, so
the learner's copies carry exactly what the kernel reports.

Real JupyterLab on 127.0.0.1 and Debian's Chromium; the control (a copy whose
``language_info`` lacks the Python version) shows the check can fail.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from mlp_course.course import lab
from mlp_course.course.syllabus import ROOT
from test_browser import _free_port

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LESSON = "01_softmax.ipynb"
KERNEL_READY = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const context = panel && panel.sessionContext;
    const kernel = context && context.session && context.session.kernel;
    return Boolean(context && context.isReady && !context.hasNoKernel && kernel
                   && kernel.connectionStatus === 'connected' && kernel.status === 'idle'
                   && panel.model && panel.model.getMetadata('language_info')
                   && panel.model.getMetadata('language_info').version);
}"""
DIRTY = "() => window.jupyterapp.shell.currentWidget.context.model.dirty"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if CHROMIUM is None:
        reason = "Chromium is not installed (Debian package 'chromium'); run tools/system-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("course")
    (root / "lessons" / "en").mkdir(parents=True)
    shutil.copy2(ROOT / "lessons" / "en" / LESSON, root / "lessons" / "en" / LESSON)
    lab.prepare_workspace("en", root / "workspace", root / "lessons")
    # the control: the published notebook as it is, without this Python's version
    (root / "plain").mkdir()
    shutil.copy2(ROOT / "lessons" / "en" / LESSON, root / "plain" / LESSON)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, MLP_COURSE_LANG="en",
               JUPYTERLAB_SETTINGS_DIR=str(lab.write_settings("en", root / ".settings")),
               JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"),
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    log = open(root / "jupyterlab.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True",
         *lab.server_options(root)],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert process.poll() is None and time.time() < deadline, \
                    (root / "jupyterlab.log").read_text()
                time.sleep(0.3)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            yield browser, base, token, root
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _opened_dirty(served, path: str) -> bool:
    browser, base, token, root = served
    page = browser.new_page()
    try:
        page.goto(f"{base}/lab/tree/{path}?reset&token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(KERNEL_READY, timeout=60_000)
        page.wait_for_timeout(1500)  # let every change the kernel's reply causes land
        return bool(page.evaluate(DIRTY))
    finally:
        page.close()


def test_a_lesson_from_the_workspace_opens_unchanged(served):
    assert _opened_dirty(served, f"workspace/en/{LESSON}") is False
    saved = json.loads((served[3] / "workspace" / "en" / LESSON).read_text(encoding="utf-8"))
    assert saved["metadata"]["language_info"] == lab.kernel_language_info()


def test_without_the_kernels_exact_language_info_jupyterlab_marks_it_changed(served):
    assert _opened_dirty(served, f"plain/{LESSON}") is True
