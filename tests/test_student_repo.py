"""The language argument of every course function is checked by the one rule of ``i18n``.

每个课程函数的语言参数都由 ``i18n`` 中的同一条规则检查。
"""

from __future__ import annotations

import pytest

from mlp_course.course import bilingual_code, publish, student_repo
from mlp_course.i18n import CourseValueError, language, require_language

CALLS = {
    "release": lambda lang, tmp_path: publish.release(lang, tmp_path / "out.zip"),
    "nbgitpuller_link": lambda lang, tmp_path: student_repo.nbgitpuller_link(
        "https://hub.example.edu", "https://git.example.edu/c.git", lang),
    "build_student_repo": lambda lang, tmp_path: student_repo.build_student_repo(
        lang, tmp_path / "repo.git"),
    "localize": lambda lang, tmp_path: bilingual_code.localize("x = 1  # zh: 一  # en: one", lang),
}


@pytest.mark.parametrize("shown", ["zh", "en"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_wrong_language_gets_the_one_rules_message(call, shown, tmp_path):
    with language(shown):
        with pytest.raises(CourseValueError) as expected:
            require_language("fr")
        with pytest.raises(CourseValueError) as caught:
            CALLS[call]("fr", tmp_path)
        assert str(caught.value) == str(expected.value)
        assert "'fr'" in str(caught.value) and ("应为" in str(caught.value)) == (shown == "zh")
    assert not list(tmp_path.iterdir()), f"{call} wrote files before checking its language"


def test_the_rule_accepts_exactly_the_two_languages():
    assert [require_language(lang) for lang in ("zh", "en")] == ["zh", "en"]
    for wrong in ("ZH", "en-US", "", None, "chinese"):
        with pytest.raises(CourseValueError):
            require_language(wrong)
