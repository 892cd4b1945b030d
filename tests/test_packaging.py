"""A real package: learner and developer requirements apart, nothing read from above the
package at run time, a first lesson cell that installs the package only where it is
missing, notebooks that carry their kernel's metadata, and a release's baked-in language.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mlp_course
from mlp_course import i18n
from mlp_course.course import notebooks, syllabus
from mlp_course.course.syllabus import COURSE, ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

LEARNER_ONLY = {"numpy", "matplotlib", "ipywidgets", "zlib-ng", "pyyaml", "torch", "jupyterlab",
                "jupyterlab-language-pack-zh-cn", "jsonschema"}
DEV_TOOLS = {"pytest", "pytest-xdist", "hypothesis", "playwright", "nbval", "sphinx-revealjs"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip())[0].lower()


def _requirements(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            found[_name(line)] = line.replace(" ", "")
    return found


def _pyproject() -> dict:
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_learner_installs_only_what_the_lessons_need():
    runtime = _requirements(ROOT / "requirements.txt")
    assert set(runtime) == LEARNER_ONLY
    assert runtime["torch"] == "torch==2.13.0"
    lines = (ROOT / "requirements.txt").read_text().split("\n")
    assert "-e ." in lines, "the course's own package"
    dev_lines = (ROOT / "requirements-dev.txt").read_text().split("\n")
    assert "-r requirements.txt" in dev_lines
    dev = _requirements(ROOT / "requirements-dev.txt")
    assert DEV_TOOLS <= set(dev) and not set(dev) & set(runtime)
    for name, line in {**runtime, **dev}.items():
        assert name == "torch" or "==" not in line, f"{line}: only torch is pinned exactly"


def test_the_extras_match_the_requirements_files():
    project = _pyproject()["project"]
    base = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    extras = {key: {_name(r): r.replace(" ", "") for r in value}
              for key, value in project["optional-dependencies"].items()}
    assert set(base) == {"numpy", "pyyaml"}, "import mlp_course and its command line"
    runtime = _requirements(ROOT / "requirements.txt")
    dev = _requirements(ROOT / "requirements-dev.txt")
    learner = {**base, **extras["course"], **extras["lab"]}
    learner.pop("mlp-course")
    assert learner == runtime
    developer = dict(extras["dev"])
    developer.pop("mlp-course")
    assert developer == dev
    # the release tests build the wheel with the development environment's build backend
    from packaging.requirements import Requirement

    [backend] = [Requirement(r) for r in _pyproject()["build-system"]["requires"]]
    lowest = next(s.version for s in Requirement(dev[backend.name]).specifier
                  if s.operator == ">=")
    assert backend.specifier.contains(lowest), \
        "requirements-dev.txt's setuptools satisfies pyproject.toml's build-system"
    assert set(extras["course"]) == {"matplotlib", "ipywidgets", "zlib-ng", "torch"}


def test_package_data_covers_every_file_the_package_reads():
    data = _pyproject()["tool"]["setuptools"]["package-data"]["mlp_course"]
    package = ROOT / "mlp_course"
    for path in package.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".py", ".pyc"):
            continue
        relative = path.relative_to(package).as_posix()
        assert any(Path(relative).match(pattern) for pattern in data), \
            f"{relative} would be missing from an installed package"
    assert "release.json" in data


# modules that serve authoring commands (build, review, drift, run-solutions, slides,
# release, student-repo, the glossary's export and lint over solutions/) or look for the
# course folder (lab: the current folder first); they may use the checkout's paths
AUTHORING = {"__main__.py", "course/syllabus.py", "course/notebooks.py", "course/publish.py",
             "course/student_repo.py", "course/lab.py", "course/glossary/export.py",
             "course/glossary/lint.py", "nn/digits/make_digits.py"}


def _runtime_modules() -> list[Path]:
    package = ROOT / "mlp_course"
    return [path for path in sorted(package.rglob("*.py"))
            if path.relative_to(package).as_posix() not in AUTHORING]


@pytest.mark.parametrize("path", _runtime_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_runtime_code_reads_nothing_above_the_package(path):
    """What a learner's kernel runs never reaches for the repository around the package:
    no ROOT / SOLUTIONS / LESSONS, no parents[n] of its own file."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("syllabus"):
            imported = {alias.name for alias in node.names} & {"ROOT", "SOLUTIONS", "LESSONS"}
            assert not imported, f"{path.name} line {node.lineno} imports {imported}"
        if isinstance(node, ast.Attribute) and node.attr in ("parents", "parent"):
            chain = ast.unparse(node)
            if "__file__" in chain:  # a path built from the module's own file
                above = chain.count(".parent.") + chain.endswith(".parent") > 1
                assert ".parents" not in chain and not above, \
                    f"{path.name} line {node.lineno}: {chain} reaches above the package"


def test_authoring_commands_say_clearly_when_there_is_no_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(syllabus, "SOLUTIONS", tmp_path / "solutions")
    with i18n.language("en"), pytest.raises(ValueError, match="authoring command"):
        notebooks.build(check_only=True)
    with i18n.language("zh"), pytest.raises(ValueError, match="编写课程用的命令"):
        notebooks.lessons_from_args([], "run-solutions")
    from mlp_course.course import publish

    with i18n.language("en"), pytest.raises(ValueError, match="`slides`"):
        publish.slides("01", "en", tmp_path)
    with i18n.language("en"), pytest.raises(ValueError, match="`release`"):
        publish.release("en", tmp_path / "x.zip")


# ---------------------------------------------------------------------------
# The first cell of every lesson

def _install_cell(path: Path) -> dict:
    cell = json.loads(path.read_text(encoding="utf-8"))["cells"][0]
    assert cell["cell_type"] == "code" and notebooks.INSTALL_TAG in cell["metadata"]["tags"]
    return cell


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_lesson_starts_with_the_install_cell_in_its_language(lang):
    for lesson in COURSE:
        path = lesson.student(lang)
        if not path.exists():
            continue
        source = "".join(_install_cell(path)["source"])
        assert source == notebooks.install_source(lang)
        comments = [line for line in source.splitlines() if line.startswith("#")]
        assert comments and all(bool(re.search(r"[\u4e00-\u9fff]", c)) == (lang == "zh")
                                for c in comments)


class _Recorder:
    def __init__(self, returncode: int = 0):
        self.calls = []
        self.returncode = returncode

    def __call__(self, command, check=False, **kwargs):
        self.calls.append(command)
        return subprocess.CompletedProcess(command, self.returncode)


def _run_install_cell(monkeypatch, cwd: Path, present: set[str], returncode: int = 0,
                      lang: str = "en") -> list:
    recorder = _Recorder(returncode)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(subprocess, "run", recorder)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: real_find_spec(name, *a) if name in present else None)
    monkeypatch.chdir(cwd)
    exec(compile(notebooks.install_source(lang), "<install cell>", "exec"), {})
    return recorder.calls


def test_the_install_cell_does_nothing_where_the_package_is_installed(monkeypatch, tmp_path):
    calls = _run_install_cell(monkeypatch, tmp_path,
                              {"mlp_course", "torch", "matplotlib", "ipywidgets"})
    assert calls == []


def test_the_install_cell_runs_quietly_where_the_package_is_installed(tmp_path):
    lesson = COURSE[1].student("en")
    source = "".join(_install_cell(lesson)["source"])
    result = subprocess.run([sys.executable, "-c", source + "\nprint('done')"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "done\n" and result.stderr == ""


def test_on_colab_the_install_cell_installs_the_package_from_the_project(monkeypatch, tmp_path):
    # Colab: torch, matplotlib and ipywidgets are there, the course's package is not
    calls = _run_install_cell(monkeypatch, tmp_path, {"torch", "matplotlib", "ipywidgets"})
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet",
                      f"mlp-course @ {syllabus.PACKAGE_SOURCE}"]]
    assert syllabus.PACKAGE_SOURCE.startswith("git+https://")


def test_in_a_course_folder_the_install_cell_installs_that_folders_package(monkeypatch, tmp_path):
    folder = tmp_path / "mlp-course-en"
    (folder / "mlp_course").mkdir(parents=True)
    (folder / "mlp_course" / "__init__.py").write_text("")
    (folder / "pyproject.toml").write_text("")
    (folder / "workspace" / "en").mkdir(parents=True)
    calls = _run_install_cell(monkeypatch, folder / "workspace" / "en", set())
    # nothing else installed either: the lessons' libraries come with it
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", f"{folder}[course]"]]


# ---------------------------------------------------------------------------
# Notebook metadata and the release language

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lessons_carry_kernelspec_and_language_info(lang):
    for lesson in COURSE:
        path = lesson.student(lang)
        if path.exists():
            meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
            assert meta["kernelspec"] == notebooks.KERNELSPEC
            assert meta["language_info"]["name"] == "python"
            assert meta["language_info"]["codemirror_mode"] == {"name": "ipython", "version": 3}


def test_a_releases_language_is_the_default_and_a_choice_still_wins(monkeypatch, tmp_path):
    settings = tmp_path / "release.json"
    monkeypatch.setattr(i18n, "RELEASE_SETTINGS", settings)
    monkeypatch.setattr(i18n, "_language", None)
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    assert i18n.get_language() == "zh"
    settings.write_text(json.dumps({"language": "en"}))
    assert i18n.get_language() == "en"
    monkeypatch.setenv(i18n.ENV_VAR, "zh")
    assert i18n.get_language() == "zh"
    monkeypatch.delenv(i18n.ENV_VAR)
    mlp_course.set_language("zh")
    assert i18n.get_language() == "zh"
    monkeypatch.setattr(i18n, "_language", None)
    settings.write_text("not json")
    assert i18n.get_language() == "zh"


def test_the_install_source_can_be_set_by_the_teacher(monkeypatch, tmp_path):
    monkeypatch.setenv("MLP_COURSE_SOURCE", "git+https://example.edu/course.git@v2")
    calls = _run_install_cell(monkeypatch, tmp_path, {"torch", "matplotlib", "ipywidgets"})
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet",
                      "mlp-course @ git+https://example.edu/course.git@v2"]]


@pytest.mark.parametrize("lang, words", [("zh", "没能安装课程包"), ("en", "Could not install")])
def test_a_failed_install_says_what_to_do_in_the_lessons_language(monkeypatch, tmp_path, lang, words):
    monkeypatch.delenv("MLP_COURSE_SOURCE", raising=False)
    with pytest.raises(SystemExit) as stopped:
        _run_install_cell(monkeypatch, tmp_path, {"torch"}, returncode=1, lang=lang)
    said = str(stopped.value)
    assert words in said and "MLP_COURSE_SOURCE" in said
    assert f"mlp-course[course] @ {syllabus.PACKAGE_SOURCE}" in said
