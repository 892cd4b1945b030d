"""Instructors' commands: slides from the one source, and a class release archive."""

from __future__ import annotations

import re
import zipfile

import pytest

from mlp_course import publish
from mlp_course.__main__ import main
from mlp_course.course import COURSE, get_lesson


@pytest.mark.parametrize("lang,other_word", [("en", "概率"), ("zh", "probabilities")])
def test_slides_are_one_language_from_the_source_and_work_offline(tmp_path, lang, other_word):
    deck = publish.slides("01", lang, tmp_path)
    html = deck.read_text(encoding="utf-8")
    assert (tmp_path / "reveal.js" / "dist" / "reveal.js").exists()
    assert 'src="reveal.js/dist/reveal.js"' in html
    assert "require.js" not in html and "unpkg.com" not in html
    sections = re.findall(r"<section", html)
    assert len(sections) > 3, "slide boundaries from the cells' metadata"
    markdown_text = " ".join(re.findall(r'jp-RenderedMarkdown[^>]*>(.*?)</div>', html, re.S))
    assert other_word not in markdown_text


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
                   "glossary.yaml"):
        assert f"mlp-course-zh/{needed}" in names
    assert "make lab" in howto and "学生" in howto


def test_command_line_reports_an_unknown_lesson_in_the_learners_language(capsys):
    assert main(["--lang", "en", "slides", "99"]) == 2
    assert "There is no lesson '99'" in capsys.readouterr().err
    assert main(["--lang", "zh", "slides", "nope"]) == 2
    assert "没有名为 'nope' 的课程" in capsys.readouterr().err
    assert get_lesson(1).id == "01_softmax"
