"""Instructors' commands: slides from the one source, and a class release archive."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from mlp_course.course import notebooks, publish
from mlp_course.__main__ import main
from mlp_course.course.syllabus import COURSE, get_lesson


def _heading(cell) -> str:
    return next(line.lstrip("# ").strip() for line in cell.source.splitlines()
                if line.startswith("#"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_slides_are_one_language_from_the_source_and_work_offline(tmp_path, lang):
    import html as html_lib

    deck = publish.slides("01", lang, tmp_path)
    page = html_lib.unescape(deck.read_text(encoding="utf-8"))
    assert (tmp_path / "reveal.js" / "dist" / "reveal.js").exists()
    assert 'src="reveal.js/dist/reveal.js"' in page
    assert "require.js" not in page and "unpkg.com" not in page and "jquery" not in page
    assert len(re.findall(r"<section", page)) > 3, "slide boundaries from the cells' metadata"
    first = notebooks.pairs(notebooks.read(get_lesson("01").source))[0]
    other = "en" if lang == "zh" else "zh"
    assert _heading(getattr(first, lang)) in page
    assert _heading(getattr(first, other)) not in page


def test_release_packs_one_language_with_the_package_and_a_howto(tmp_path):
    archive_path = publish.release("zh", tmp_path / "class.zip")
    with zipfile.ZipFile(archive_path) as archive:
        names = set(archive.namelist())
        howto = archive.read("mlp-course-zh/README.md").decode()
    for lesson in COURSE:
        if lesson.student("zh").exists():
            assert f"mlp-course-zh/lessons/zh/{lesson.id}.ipynb" in names
    assert not any("/lessons/en/" in name or name.startswith("mlp-course-zh/solutions")
                   for name in names)
    for needed in ("requirements.txt", "Makefile", "tools/env.py", "mlp_course/__init__.py",
                   "mlp_course/course/glossary/glossary.yaml"):
        assert f"mlp-course-zh/{needed}" in names
    assert "make lab" in howto and "学生" in howto


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_release_is_for_learners_only_and_knows_its_language(tmp_path, lang):
    archive_path = publish.release(lang, tmp_path / "class.zip")
    top = f"mlp-course-{lang}"
    with zipfile.ZipFile(archive_path) as archive:
        names = set(archive.namelist())
        read = lambda name: archive.read(f"{top}/{name}").decode("utf-8")  # noqa: E731
        settings, makefile, howto = read("mlp_course/release.json"), read("Makefile"), read("README.md")
        requirements = read("requirements.txt")
    assert json.loads(settings) == {"language": lang}
    for absent in ("requirements-dev.txt", "tools/authoring.py", "tools/system-deps.sh",
                   "conftest.py", "GLOSSARY.md"):
        assert f"{top}/{absent}" not in names
    assert not any(name.startswith((f"{top}/solutions/", f"{top}/tests/", f"{top}/benchmarks/"))
                   or "__pycache__" in name or name.endswith(".pyc") for name in names)
    assert "lab:" in makefile and "test:" not in makefile and "requirements-dev" not in makefile
    assert "-e ." in requirements.split("\n") and "pytest" not in requirements
    # the how-to: the archive's own environment, and the Windows command
    assert ".venv/bin/python -m mlp_course glossary" in howto
    assert ".venv\\Scripts\\python -m mlp_course glossary" in howto
    assert "py tools\\env.py lab" in howto
    assert f"workspace/{lang}/" in howto
    other = "en" if lang == "zh" else "zh"
    assert f"workspace/{other}/" not in howto


def test_command_line_reports_an_unknown_lesson_in_the_learners_language(capsys):
    assert main(["--lang", "en", "slides", "99"]) == 2
    assert "There is no lesson '99'" in capsys.readouterr().err
    assert main(["--lang", "zh", "slides", "nope"]) == 2
    assert "没有名为 'nope' 的课程" in capsys.readouterr().err
    assert get_lesson(1).id == "01_softmax"
