"""End-to-end: the course in a real browser (Debian's Chromium, driven by Playwright).

A learner who runs ``make lab`` must see lessons that run without errors, sliders
that move bars and a glossary that answers (slides are shown in
``test_slides_offline.py``); and a lesson that
``make lab`` copied into the workspace must not open as changed ("unsaved"):
JupyterLab marks a notebook changed the moment its kernel reports a ``language_info``
other than the saved one, so the workspace copies carry exactly what the kernel
reports. The published copies, which lack this Python's version, are the control
that shows the check can fail. These tests start
JupyterLab from the project's environment on 127.0.0.1 (free port, throw-away
token, throw-away copies of the lessons), drive Chromium, and keep a screenshot
of every page in ``artifacts/browser/``. That JupyterLab loads what a learner's does:
the extensions that only the development tools bring (nbgrader's menus, the classic
notebook's, nbgitpuller's) are turned off for it (``tests/learner_env.py``), which also
spares each page and server about a second of CPU.

Without Chromium they are skipped, with the reason printed; in CI (``CI`` set)
a missing browser fails the run instead.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mlp_course.course.syllabus import ROOT
from mlp_course.course.lab import (kernel_language_info, prepare_workspace, server_options,
                                   write_settings)
from learner_env import check_extensions, learner_jupyter_config

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# JupyterLab's own messages, not the course's: resources it cannot fetch offline.
BENIGN_CONSOLE = (
    re.compile(r"Failed to load resource.*(404|net::ERR)", re.I),
    re.compile(r"favicon", re.I),
)


def _require_browser():
    if CHROMIUM is None:
        reason = "Chromium is not installed (Debian package 'chromium'); run tools/system-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        print(f"\n[browser tests skipped] {reason}", file=sys.stderr)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    def __init__(self, root: Path, lang: str, tmp: Path, kernels: Path | None = None):
        self.root = root
        self.lang = lang
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        env = dict(os.environ)
        env["MLP_COURSE_LANG"] = lang
        env["JUPYTERLAB_SETTINGS_DIR"] = str(write_settings(lang, tmp / "settings"))
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(tmp / "workspaces")
        env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
        # the learner's JupyterLab: none of the development tools' extensions
        env["JUPYTER_CONFIG_DIR"] = str(learner_jupyter_config(tmp / "config"))
        env.pop("MPLBACKEND", None)
        if kernels is not None:     # its python3 kernel starts warm (tests/warm_kernels.py)
            env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(kernels),
                                                                env.get("JUPYTER_PATH")]))
        self.log = open(tmp / f"jupyterlab-{lang}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", f"--IdentityProvider.token={self.token}",
             "--ServerApp.port_retries=0",
             # window.jupyterapp: the tests read the notebook's session and kernel state
             "--LabApp.expose_app_in_browser=True", *server_options(root)],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not start; see {self.log.name}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        # ?reset: open only this notebook, not the tabs restored from the last page
        return f"{self.base}/lab/tree/{path}?reset&token={self.token}"

    def shut_down_kernels(self):
        """End every session, so each test's notebook starts with its own fresh kernel."""

        def call(method, path):
            request = urllib.request.Request(f"{self.base}{path}?token={self.token}",
                                             method=method)
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
            return json.loads(body) if body else None

        for session in call("GET", "/api/sessions") or []:
            call("DELETE", f"/api/sessions/{session['id']}")

    def stop(self):
        try:
            self.shut_down_kernels()  # JupyterLab then stops at once, with no kernel to wait for
        except OSError:
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory):
    """Throw-away copies of the student notebooks, so a test run never edits the repo:
    the published ones, and the workspace copies ``make lab`` opens."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "lessons", root / "lessons")
    for lang in ("en", "zh"):
        prepare_workspace(lang, root / "workspace", root / "lessons")
    return root


@pytest.fixture(scope="module", params=["en", "zh"])
def lab(request, course_copy, tmp_path_factory, browser, warm_kernels_path):
    server = Lab(course_copy, request.param, tmp_path_factory.mktemp(f"lab-{request.param}"),
                 warm_kernels_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """One page per JupyterLab, as a learner keeps one tab: each test opens its lesson
    in it (the first from its address, the next from inside JupyterLab)."""
    page = Page(browser, f"lab-{lab.lang}")
    yield page
    page.close()


class Page:
    """A JupyterLab page with console errors recorded."""

    def __init__(self, browser, name: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.name = name
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message):
        if message.type == "error" and not any(p.search(message.text) for p in BENIGN_CONSOLE):
            self.errors.append(message.text)

    def screenshot(self, suffix: str = ""):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}{suffix}.png"), full_page=False)

    def close(self):
        self.context.close()


def open_notebook(page: Page, lab: Lab, path: str):
    """Open ``path`` from its address, or, on a page where JupyterLab already runs, as a
    learner opens a second lesson: the open notebook's tab closed without saving, then
    the lesson opened inside JupyterLab (no reload of the whole application)."""
    if page.page.url.startswith(lab.base) and page.page.evaluate(APP_STARTED):
        page.page.evaluate(CLOSE_ALL_UNSAVED)
        # (JupyterLab then shows its launcher in the empty main area)
        page.page.wait_for_function(NO_DOCUMENT_OPEN, timeout=30_000)
        lab.shut_down_kernels()
        page.page.evaluate("path => window.jupyterapp.commands.execute("
                           "'docmanager:open', {path})", path)
    else:
        lab.shut_down_kernels()
        page.page.goto(lab.url(path))
    wait_for_notebook(page)


APP_STARTED = "() => Boolean(window.jupyterapp && window.jupyterapp.shell)"
# close every document tab as if "close without saving" were chosen
CLOSE_ALL_UNSAVED = """() => {
    for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
        if (widget.context) { widget.context.model.dirty = false; }
        widget.close();
    }
}"""
NO_DOCUMENT_OPEN = ("() => ![...window.jupyterapp.shell.widgets('main')]"
                    ".some(widget => widget.context)")


# The notebook's session is ready and its kernel connected and idle. This is the
# state JupyterLab itself needs before it runs a cell: with no kernel yet, Run All
# clears the cells and runs nothing. The toolbar's execution indicator cannot tell:
# it reads "idle" from the moment the page is drawn, before any kernel exists.
KERNEL_READY = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const context = panel && panel.sessionContext;
    const kernel = context && context.session && context.session.kernel;
    return Boolean(context && context.isReady && !context.hasNoKernel && kernel
                   && kernel.connectionStatus === 'connected' && kernel.status === 'idle');
}"""


def wait_for_notebook(page: Page):
    page.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.page.wait_for_function(KERNEL_READY, timeout=60_000)


# The kernel's reply has been merged into the notebook's metadata (its language_info
# carries a version), so the notebook's changed mark is final.
LANGUAGE_INFO_MERGED = """() => {
    const model = window.jupyterapp.shell.currentWidget.model;
    const info = model && model.getMetadata('language_info');
    return Boolean(info && info.version);
}"""


def opened_as_changed(page: Page) -> bool:
    """Whether JupyterLab marks the notebook just opened as changed before anything ran."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.page.wait_for_function(LANGUAGE_INFO_MERGED, timeout=30_000)
    # every change the kernel's reply causes lands within a second: changed as soon as
    # the mark shows, unchanged only if it has not shown a second later
    try:
        page.page.wait_for_function("() => window.jupyterapp.shell.currentWidget.model.dirty",
                                    timeout=1000)
    except PlaywrightTimeout:
        return False
    return True


def run_all(page: Page, timeout_s: float = 120):
    """Run ▸ Run All Cells, as a learner would (the menu and its item found by
    position and command, so it works in both interface languages); then wait
    until every code cell has run."""
    try:
        page.page.locator(".lm-MenuBar-item").nth(3).click()  # File, Edit, View, Run
        page.page.click(".lm-Menu-item[data-command='runmenu:run-all']")
        wait_until_all_cells_ran(page, timeout_s)
    except Exception:
        page.screenshot("-timeout")
        raise


def wait_until_all_cells_ran(page: Page, timeout_s: float):
    """Wait until every code cell shows an execution count, or Run All stopped at an
    error (then the test fails with the error instead of waiting for the timeout)."""
    handle = page.page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
                .map(p => p.textContent.trim());
            if (prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t))) return 'done';
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
            const stopped = document.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
            if (stopped && kernel && kernel.status === 'idle' && !prompts.includes('[*]:')) return 'error';
            return false;
        }""", timeout=timeout_s * 1000)
    if handle.json_value() == "error":
        ran = page.page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        raise AssertionError(f"Run All stopped: {sum(t.strip() != '[ ]:' for t in ran)} of "
                             f"{len(ran)} cells ran; errors: {tracebacks(page)}")


def tracebacks(page: Page) -> list[str]:
    texts = page.page.locator(".jp-OutputArea-output").all_inner_texts()
    return [t[:400] for t in texts if "Traceback (most recent call last)" in t
            or re.search(r"^\w*(Error|Exception)\s+Traceback", t, re.M)]


def probabilities_shown(page: Page) -> list[float]:
    text = page.page.locator(".mlp-softmax-probs").first.inner_text()
    return [float(x) for x in re.findall(r"\d+\.\d+", text)]


def slider_values(widget) -> list[float]:
    texts = widget.locator(".widget-readout").all_inner_texts()
    return [float(v) for v in texts if re.fullmatch(r"-?\d+(\.\d+)?", v.strip())]


def move_a_logit_slider_and_check_the_probabilities(page: Page):
    """Press → on the first logit's slider; the shown probabilities must become
    softmax(z / T) of the values the sliders now show."""
    import numpy as np

    widget = page.page.locator(".mlp-softmax-explorer").first
    widget.scroll_into_view_if_needed()
    before = probabilities_shown(page)
    widget.locator(".noUi-handle, .ui-slider-handle").first.focus()
    for _ in range(5):
        page.page.keyboard.press("ArrowRight")
    deadline = time.time() + 20
    while True:
        values = slider_values(widget)
        shown = probabilities_shown(page)
        z = np.array(values[:len(shown)]) / values[len(shown)]  # logits, then temperature
        expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        if np.allclose(shown, expected, atol=2e-4) and shown != before:
            break
        if time.time() > deadline:
            raise AssertionError(f"sliders show {values}, probabilities {shown}, "
                                 f"expected {expected.round(4).tolist()} (before: {before})")
        page.page.wait_for_timeout(200)
    page.screenshot("-slider")
    assert values[0] > 2.0, "the first logit moved right"


def check_interface_language(page: Page, lang: str):
    menus = " ".join(page.page.locator(".lm-MenuBar-item").all_inner_texts())
    assert ("文件" if lang == "zh" else "File") in menus, f"JupyterLab menus: {menus}"


def check_only_the_learners_extensions(page: Page, lab: Lab):
    """No extension that only the development tools bring (nbgrader's, say) is loaded,
    in the page or in the server; the widgets' and JupyterLab's own are."""
    check_extensions(page.page.evaluate("() => window.jupyterapp.listPlugins()"),
                     Path(lab.log.name).read_text(encoding="utf-8"))


def type_in_the_glossary(page: Page):
    box = page.page.locator(".mlp-glossary-widget input").first
    box.scroll_into_view_if_needed()
    box.fill("")
    box.type("交叉熵", delay=30)
    page.page.wait_for_function(
        "() => /cross-entropy/i.test(document.querySelector('.mlp-glossary-widget').innerText)",
        timeout=10_000)
    page.screenshot("-glossary")


FIRST_LESSON = "01_softmax"


def test_softmax_lesson_runs_and_its_sliders_move_the_bars(lab_page, lab):
    """Lesson 01 in both languages, as ``make lab`` opens it from the workspace: it
    opens unchanged, every cell runs, the interface speaks the learner's language,
    and moving a logit slider changes the probabilities."""
    lesson = f"workspace/{lab.lang}/{FIRST_LESSON}.ipynb"
    saved = json.loads((lab.root / lesson).read_text(encoding="utf-8"))
    assert saved["metadata"]["language_info"] == kernel_language_info()

    page = lab_page
    page.name = f"{FIRST_LESSON}-{lab.lang}"
    open_notebook(page, lab, lesson)
    assert opened_as_changed(page) is False, "a workspace lesson opened as unsaved"
    check_interface_language(page, lab.lang)
    check_only_the_learners_extensions(page, lab)
    run_all(page)
    page.screenshot()
    assert tracebacks(page) == [], f"cells with errors in {FIRST_LESSON} ({lab.lang})"
    move_a_logit_slider_and_check_the_probabilities(page)
    assert page.errors == [], f"JavaScript console errors: {page.errors}"


# One more lesson per language keeps the run short: the MLP lesson in English,
# the start page (with the glossary search box) in Chinese.
SECOND_LESSON = {"en": "05_mlp_forward", "zh": "00_start_here"}
# the student notebook each test runs, by language: when these tests run, nbval does not
# run those lessons' student notebooks again (conftest.py)
LESSONS_RUN = {
    "test_softmax_lesson_runs_and_its_sliders_move_the_bars": {"zh": FIRST_LESSON,
                                                               "en": FIRST_LESSON},
    "test_a_second_lesson_runs_and_the_glossary_answers": SECOND_LESSON,
}


def test_a_second_lesson_runs_and_the_glossary_answers(lab_page, lab):
    lesson = SECOND_LESSON[lab.lang]
    page = lab_page
    page.name = f"{lesson}-{lab.lang}"
    page.errors.clear()
    # the published copy, without this Python's version: the control
    open_notebook(page, lab, f"lessons/{lab.lang}/{lesson}.ipynb")
    assert opened_as_changed(page) is True, "the control did not open as changed"
    run_all(page)
    page.screenshot()
    assert tracebacks(page) == [], f"cells with errors in {lesson} ({lab.lang})"
    if lesson == "00_start_here":
        type_in_the_glossary(page)
    assert page.errors == [], f"JavaScript console errors: {page.errors}"
