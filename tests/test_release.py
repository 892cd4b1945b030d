"""What reaches learners works on its own, away from this repository.

* The built wheel, installed with nothing but its declared dependencies in a fresh
  virtual environment (seeded with exactly the distributions its metadata names, then
  installed by pip with no package index), works from another folder: import, a loss,
  the glossary in both languages and its command line; authoring commands say they need
  a checkout.
* Each language's class release, unpacked into a fresh folder, sets itself up with its
  own ``tools/env.py`` into a fresh environment (its own requirements only), opens
  JupyterLab in its language on its own lessons, runs lesson 01 (torch, widgets, plots
  and checks) top to bottom, finds every module any of its lessons imports, and answers
  its glossary command in its language. (Every lesson of both languages already runs, cell by cell,
  under nbval in the development environment; here the question is whether the
  learner's runtime alone carries them, and the imports answer it for all nine.)

Each release gets its own fresh environment, seeded before its set-up with hard links to
the installed files of exactly the distributions its ``requirements.txt`` names and what
they depend on (read from this test run's own metadata, extras and markers included).
Its ``tools/env.py setup`` then resolves the release's own requirements file against that
environment and installs the release's own package; a package the release forgot to ask
for is simply not there, which the import check finds. What the seed skips is downloading
and unpacking torch and JupyterLab again, and installing uv (the installer the set-up
fetches with pip first): the suite's own set-up (``tools/env.py test``) has just done that
from the same requirements file, with the same commands.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from mlp_course.course import publish
from mlp_course.course.syllabus import COURSE, ROOT
from learner_env import requirement_closure
from test_browser import _free_port

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")
BIN = "Scripts" if os.name == "nt" else "bin"


def _clean_env(**extra) -> dict:
    """The environment of a learner's terminal: nothing from this test run's venv."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MLP_COURSE", "JUPYTER", "PYTHON", "VIRTUAL_ENV", "PYTEST"))}
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep)
                                  if not part.startswith(sys.prefix))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # compiling every installed file to bytecode is the slowest part of installing torch
    # and changes nothing these tests look at; Python compiles what it imports anyway
    env["PIP_NO_COMPILE"] = "1"
    env.update(extra)
    return env


def _run(command, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env or _clean_env(),
                            capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    assert result.returncode == 0, (f"{command} failed ({result.returncode}):\n"
                                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


# ---------------------------------------------------------------------------
# The wheel

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # built by the development environment's setuptools (requirements-dev.txt asks for
    # the version pyproject.toml's build-system names), not in a fresh build environment
    # that pip would download and install first
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
          "-w", out, ROOT], cwd=out, env=_clean_env())
    [built] = out.glob("mlp_course-*.whl")
    return built


def _declared(wheel: Path) -> list[str]:
    """The wheel's own requirements, extras left out (its METADATA's Requires-Dist)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist()
                                     if n.endswith(".dist-info/METADATA"))).decode()
    required = re.findall(r"^Requires-Dist: ([^;\n]+)(.*)$", metadata, re.MULTILINE)
    return [name.strip() for name, rest in required if "extra ==" not in rest]


def test_the_wheel_carries_every_file_the_package_reads(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    package = ROOT / "mlp_course"
    wanted = {path.relative_to(ROOT).as_posix() for path in package.rglob("*")
              if path.is_file() and "__pycache__" not in path.parts
              and path.suffix != ".pyc" and path.name != "release.json"}
    assert wanted - names == set(), "files of the package missing from the wheel"
    assert "mlp_course/course/glossary/glossary.yaml" in names
    assert not any(name.startswith(("solutions/", "lessons/", "tests/")) for name in names)
    assert {re.split(r"[<>=!~;\[ ]", name)[0].lower() for name in _declared(wheel)} == \
        {"numpy", "pyyaml"}


SMOKE = r"""
import json, sys
import numpy as np
import mlp_course
from mlp_course import cross_entropy, log_softmax, lookup, set_language
from mlp_course.course import glossary

logits = np.array([[2.0, -1.0, 0.5], [1000.0, 0.0, -1000.0]])
target = np.array([0, 2])
loss = float(cross_entropy(logits, target))
z = logits - logits.max(axis=1, keepdims=True)
expected = float(np.mean(-(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))[[0, 1], target]))
entry_zh, entry_en = lookup("交叉熵"), lookup("cross entropy")
set_language("en")
english = str(lookup("softmax"))
set_language("zh")
chinese = str(lookup("softmax"))
print(json.dumps({"file": mlp_course.__file__, "loss": loss, "expected": expected,
                  "ids": [entry_zh.id, entry_en.id], "glossary": str(glossary.GLOSSARY_PATH),
                  "english": english, "chinese": chinese}))
"""


def test_the_wheel_works_in_a_fresh_environment_from_another_folder(wheel, tmp_path):
    # only the wheel and what it declares (numpy, pyyaml): no extras, no checkout. The
    # environment is seeded with exactly what the wheel's metadata asks for, then pip
    # installs the wheel without an index, so nothing else can come in
    declared = tmp_path / "declared.txt"
    declared.write_text("\n".join(_declared(wheel)) + "\n", encoding="utf-8")
    environment = _seeded_venv(tmp_path / "venv", declared)
    python = environment / BIN / ("python.exe" if os.name == "nt" else "python")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index",
          wheel], cwd=tmp_path, env=_clean_env())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = json.loads(_run([python, "-c", SMOKE], cwd=elsewhere).stdout)
    assert found["file"].startswith(str(environment)), "imported from the installed wheel"
    assert abs(found["loss"] - found["expected"]) < 1e-12 and found["loss"] > 0
    assert found["ids"] == ["cross_entropy", "cross_entropy"]
    assert found["glossary"].startswith(str(environment))
    assert "Softmax" in found["english"] and CJK.search(found["chinese"])

    chinese = _run([python, "-m", "mlp_course", "glossary", "交叉熵"], cwd=elsewhere).stdout
    assert chinese.startswith("交叉熵 · cross-entropy") and "定义" in chinese
    english = _run([python, "-m", "mlp_course", "glossary", "交叉熵", "--lang", "en"],
                   cwd=elsewhere).stdout
    assert english.startswith("cross-entropy · 交叉熵") and "Definition" in english

    refused = subprocess.run([python, "-m", "mlp_course", "--lang", "en", "build"],
                             cwd=elsewhere, env=_clean_env(), capture_output=True, text=True)
    assert refused.returncode == 2
    assert "authoring command" in refused.stderr and "Traceback" not in refused.stderr


# ---------------------------------------------------------------------------
# The class releases

def _seeded_venv(target: Path, requirements: Path, uv: bool = False) -> Path:
    """A fresh environment holding, as hard links, the installed files of exactly the
    distributions ``requirements`` needs (no console scripts), with their compiled
    bytecode, which stays valid beside sources that keep their size and time.

    Some 30 000 files: plain strings and one system call per file, not ``Path`` objects
    and a check before each link (which took three times as long)."""
    from importlib import metadata

    venv.EnvBuilder(with_pip=False).create(target)
    [site] = target.glob("lib/python*/site-packages") if os.name != "nt" else \
        [target / "Lib" / "site-packages"]
    root, scripts, site = os.fspath(target), os.fspath(target / BIN), os.fspath(site)

    def inside(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder + os.sep)

    def link(source: str, destination: str) -> None:
        try:
            os.link(source, destination)
        except FileExistsError:
            pass
        except FileNotFoundError:   # its folder is not made yet, or there is no source
            if os.path.exists(source):
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                link(source, destination)
        except OSError:     # another file system: copy, keeping the time bytecode checks
            shutil.copy2(source, destination)

    # pip too, which the release's own set-up has uv install with the rest; with ``uv``,
    # uv and its program, which that set-up has pip install first of all (the suite's own
    # set-up, on every run, has just done both with the same commands)
    for name in requirement_closure(requirements) | {"pip"} | ({"uv"} if uv else set()):
        installed = metadata.distribution(name)
        base = os.fspath(installed.locate_file(""))
        for file in installed.files or ():
            source = os.path.join(base, file)
            destination = os.path.normpath(os.path.join(site, file))
            program = name == "uv" and os.path.dirname(destination) == scripts
            if not inside(destination, root) or (inside(destination, scripts) and not program):
                continue
            link(source, destination)
            if source.endswith(".py"):
                # the bytecode Python wrote beside the source on first import (installs
                # compile nothing, so no record lists it): valid beside a linked source
                link(importlib.util.cache_from_source(source),
                     importlib.util.cache_from_source(destination))
    return target


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode())


def _lab_in(folder: Path, lang: str, env: dict) -> tuple[str, list[str]]:
    """Start the release's own `lab` command; return its interface locale and workspace."""
    port, token = _free_port(), secrets.token_hex(8)
    log = open(folder / "lab.log", "w")
    process = subprocess.Popen(
        [sys.executable, "tools/env.py", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert process.poll() is None, (folder / "lab.log").read_text()
                assert time.time() < deadline, "JupyterLab did not start"
                time.sleep(0.3)
        settings = _get(f"{base}/lab/api/settings/@jupyterlab/translation-extension:plugin"
                        f"?token={token}")
        listing = _get(f"{base}/api/contents/workspace/{lang}?token={token}")
        return settings["settings"]["locale"], sorted(item["name"] for item in listing["content"])
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()


RUN_LESSONS = r"""
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

report = {}
for path in [Path(sys.argv[1]) / name for name in sys.argv[2:]]:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    report[path.name] = texts
print(json.dumps(report))
"""

FIND_IMPORTS = r"""
import ast, importlib.machinery, importlib.util, json, sys
from pathlib import Path
import nbformat

wanted, missing = set(), []
for path in sorted(Path(sys.argv[1]).glob("*.ipynb")):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                wanted |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                wanted.add(node.module)
def findable(name):
    # found on disk without importing it (importing torch alone takes seconds): the top
    # level by the path finders, each submodule in its parent package's folders
    parts = name.split(".")
    spec = importlib.util.find_spec(parts[0])
    for depth, part in enumerate(parts[1:], start=2):
        if spec is None:
            return False
        if spec.submodule_search_locations is None:  # a module, not a package (os.path)
            return importlib.util.find_spec(".".join(parts[:depth])) is not None
        spec = importlib.machinery.PathFinder.find_spec(part, spec.submodule_search_locations)
    return spec is not None

for name in sorted(wanted):
    if not findable(name):
        missing.append(name)
print(json.dumps({"wanted": sorted(wanted), "missing": missing}))
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unpacked_release_installs_from_its_own_files_and_runs_in_its_language(
        lang, tmp_path):
    archive = publish.release(lang, tmp_path / f"mlp-course-{lang}.zip")
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(unpacked)
    folder = unpacked / f"mlp-course-{lang}"
    other = "en" if lang == "zh" else "zh"
    # student-only: one language's lessons, the package, the learner's requirements
    assert sorted(p.name for p in (folder / "lessons").iterdir()) == [lang]
    assert not (folder / "solutions").exists() and not (folder / "tests").exists()
    assert not (folder / "requirements-dev.txt").exists()
    assert json.loads((folder / "mlp_course" / "release.json").read_text()) == {"language": lang}
    requirements = (folder / "requirements.txt").read_text()
    for tool in ("pytest", "playwright", "hypothesis", "sphinx", "nbval", "jupyterhub"):
        assert tool not in requirements, f"{tool} is not for learners"
    howto = (folder / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/python -m mlp_course glossary" in howto
    assert "py tools\\env.py lab" in howto
    assert bool(CJK.search(howto.split("```")[0])) == (lang == "zh")

    environment = _seeded_venv(tmp_path / "venv", folder / "requirements.txt", uv=True)
    env = _clean_env(MLP_COURSE_VENV=str(environment))
    _run([sys.executable, "tools/env.py", "setup"], cwd=folder, env=env)
    python = environment / BIN / "python"

    # the release's language is the default everywhere, with no setting anywhere
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert _run([python, "-c", "import mlp_course; print(mlp_course.get_language())"],
                cwd=elsewhere).stdout.strip() == lang
    term = "交叉熵" if lang == "zh" else "cross entropy"
    answer = _run([python, "-m", "mlp_course", "glossary", term], cwd=elsewhere).stdout
    assert answer.startswith("交叉熵 · cross-entropy" if lang == "zh" else "cross-entropy · 交叉熵")
    assert ("定义" in answer) == (lang == "zh") and ("Definition" in answer) == (lang == "en")
    # the test run's own package is not the one used: the release's copy is
    where = _run([python, "-c", "import mlp_course; print(mlp_course.__file__)"],
                 cwd=elsewhere).stdout.strip()
    assert Path(where).resolve().is_relative_to(folder.resolve())

    # its `lab` opens its own lessons, interface in its language
    locale, workspace = _lab_in(folder, lang, env)
    assert locale == {"zh": "zh_CN", "en": "en"}[lang]
    assert workspace == sorted(f"{lesson.id}.ipynb" for lesson in COURSE
                               if lesson.student(lang).exists())
    assert not (folder / "workspace" / other).exists()

    # every module any lesson imports is there, in the learner's runtime alone
    imports = json.loads(_run([python, "-c", FIND_IMPORTS, folder / "workspace" / lang],
                              cwd=folder, env=env).stdout)
    assert {"numpy", "torch", "mlp_course"} <= {name.split(".")[0]
                                                              for name in imports["wanted"]}
    assert imports["missing"] == [], "lessons import what the release does not install"

    # lesson 01 (torch, widgets, plots, checks) runs top to bottom in the release's
    # environment; the other lessons run under nbval and in the browser tests
    report = json.loads(_run([python, "-c", RUN_LESSONS, folder / "workspace" / lang,
                              "01_softmax.ipynb"],
                             cwd=folder, env=env, timeout=900).stdout)
    assert sorted(report) == ["01_softmax.ipynb"]
    said = "\n".join(text for texts in report.values() for text in texts)
    # every check's verdict (passed, failed, not implemented yet) is in the release's language
    checks = [line for line in said.splitlines() if line.startswith(("✅", "❌", "⏳"))]
    assert checks, "the lessons' checks said nothing"
    in_chinese = [bool(CJK.search(line)) for line in checks]
    assert all(in_chinese) if lang == "zh" else not any(in_chinese), checks[:5]
