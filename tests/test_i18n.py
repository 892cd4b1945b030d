"""The language setting, bilingual text and messages, and the course's error classes."""

from __future__ import annotations

import copy
import pickle

import pytest

from mlp_course import i18n
from mlp_course.i18n import (CourseError, CourseTypeError, CourseValueError, Message, get_language,
                             language, set_language, text)


@pytest.fixture
def no_choice(monkeypatch):
    """No language chosen in code, so the environment variable decides."""
    monkeypatch.setattr(i18n, "_language", None)
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    return monkeypatch


# ---------------------------------------------------------------- choosing the language

def test_default_is_chinese(no_choice):
    assert get_language() == "zh"


@pytest.mark.parametrize("value,expected", [("en", "en"), ("EN_us", "en"), ("english", "en"),
                                            ("zh_CN", "zh"), ("zh-Hans", "zh"), ("中文", "zh"),
                                            ("fr", "zh"), ("", "zh")])
def test_environment_variable(no_choice, value, expected):
    no_choice.setenv(i18n.ENV_VAR, value)
    assert get_language() == expected


def test_set_language_beats_the_environment(no_choice):
    no_choice.setenv(i18n.ENV_VAR, "zh")
    assert set_language("English") == "en"
    assert get_language() == "en"


def test_unknown_language_is_a_bilingual_error(bilingual_error):
    messages = bilingual_error(CourseValueError, lambda: set_language("fr"),
                               en=["set_language", "'zh'", "'en'", "'fr'"],
                               zh=["set_language", "'zh'", "'en'", "'fr'"])
    assert "expects" in messages["en"] and "应为" in messages["zh"]


def test_a_failed_set_language_keeps_the_language():
    set_language("en")
    with pytest.raises(CourseValueError):
        set_language("klingon")
    assert get_language() == "en"


def test_language_block_restores_even_after_an_error(no_choice):
    set_language("zh")
    with pytest.raises(KeyError):
        with language("en") as chosen:
            assert chosen == "en" and get_language() == "en"
            raise KeyError("x")
    assert get_language() == "zh"


def test_nested_language_blocks():
    set_language("zh")
    with language("en"):
        with language("zh"):
            assert get_language() == "zh"
        assert get_language() == "en"
    assert get_language() == "zh"


def test_language_block_restores_the_unset_state(no_choice):
    with language("en"):
        pass
    no_choice.setenv(i18n.ENV_VAR, "en")
    assert get_language() == "en"  # still following the environment, not pinned to zh


# ---------------------------------------------------------------- text and Message

def test_text_picks_the_active_language():
    with language("en"):
        assert text(zh="共 {n} 类", en="{n} classes", n=3) == "3 classes"
    with language("zh"):
        assert text(zh="共 {n} 类", en="{n} classes", n=3) == "共 3 类"
        assert text(zh="值 {v:.2f}，{s!r}", en="value {v:.2f}, {s!r}", v=1 / 3, s="a") == \
            "值 0.33，'a'"


def test_text_requires_the_same_placeholders():
    with pytest.raises(RuntimeError, match="placeholders differ"):
        text(zh="{n} 个", en="{count} items", n=1, count=1)
    with pytest.raises(RuntimeError):
        Message(zh="{a}{b}", en="{a}", a=1, b=2)
    # format specs and attribute access do not count as different placeholders
    assert text(zh="{x.real:.1f}", en="{x.real}", x=2.0) == "2.0"


def test_message_renders_when_shown():
    with language("zh"):
        message = Message(zh="第 {i} 层", en="layer {i}", i=2)
    with language("en"):
        assert str(message) == "layer 2"
        assert repr(message) == "Message('layer 2')"
    assert message.render("zh") == "第 2 层"
    assert message.render("en") == "layer 2"


def test_render_with_a_language_does_not_change_the_setting():
    set_language("zh")
    Message(zh="好", en="ok").render("en")
    assert get_language() == "zh"


def test_message_equality():
    a = Message(zh="第 {i} 层", en="layer {i}", i=2)
    assert a == Message(zh="第 {i} 层", en="layer {i}", i=2)
    assert a != Message(zh="第 {i} 层", en="layer {i}", i=3)
    assert a != "layer 2"
    assert len({a, Message(zh="第 {i} 层", en="layer {i}", i=2)}) == 1


# ---------------------------------------------------------------- errors

def test_error_classes_fit_python_hierarchy():
    assert issubclass(CourseValueError, ValueError) and issubclass(CourseValueError, CourseError)
    assert issubclass(CourseTypeError, TypeError) and issubclass(CourseTypeError, CourseError)
    with pytest.raises(ValueError):
        raise CourseValueError(zh="坏", en="bad")


def test_error_message_follows_the_language_when_printed():
    with language("zh"):
        error = CourseTypeError(zh="参数 {name} 类型错误", en="{name} has the wrong type", name="W")
    with language("en"):
        assert str(error) == "W has the wrong type"
    with language("zh"):
        assert str(error) == "参数 W 类型错误"
    assert error.message.render("en") == "W has the wrong type"
    assert error.message.fields == {"name": "W"}


def test_error_with_mismatched_placeholders_is_loud():
    with pytest.raises(RuntimeError):
        CourseValueError(zh="{a}", en="{b}", a=1, b=2)


def test_errors_survive_pickle_and_copy():
    error = CourseValueError(zh="坏 {x}", en="bad {x}", x=1)
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert isinstance(clone, CourseValueError)
        assert clone.message == error.message


def test_text_without_fields_formats_consistently():
    with language("en"):
        assert text(zh="集合 {{}}", en="a set {{}}") == "a set {}"


# ---------------------------------------------------------------- a message inside a message

def test_a_message_as_a_field_renders_in_the_outer_messages_language():
    with language("en"):
        inner = Message(zh="超时", en="time-out")   # made while English is active
        outer = Message(zh="未评分：{why}", en="not graded: {why}", why=inner)
    assert outer.render("zh") == "未评分：超时"
    assert outer.render("en") == "not graded: time-out"
    assert Message(zh="[{why:>4}]", en="[{why:>4}]", why=inner).render("zh") == "[  超时]"


def test_verbatim_texts_keep_their_braces():
    note = Message.verbatim(zh="集合 {0, 1}，公式 \\frac{a}{b}", en="the set {0, 1}, \\frac{a}{b}")
    assert note.render("zh") == "集合 {0, 1}，公式 \\frac{a}{b}"
    assert note.render("en") == "the set {0, 1}, \\frac{a}{b}"
    outer = Message(zh="说明：{note}", en="note: {note}", note=note)
    assert outer.render("en") == "note: the set {0, 1}, \\frac{a}{b}"


# ---------------------------------------------------------------- --lang on a command line

@pytest.mark.parametrize("argv,expected", [
    ([], (None, [])),
    (["build", "01"], (None, ["build", "01"])),
    (["--lang", "en", "build"], ("en", ["build"])),
    (["build", "--lang", "zh", "01"], ("zh", ["build", "01"])),
    (["drift", "--lang=en"], ("en", ["drift"])),
    (["--lang", "zh", "grade", "--lang", "en"], ("en", ["grade"])),   # the last one wins
])
def test_language_option_finds_lang_anywhere(argv, expected):
    assert i18n.language_option(argv) == expected


@pytest.mark.parametrize("argv,words", [
    (["build", "--lang"], "--lang needs a language"),
    (["--lang", "fr", "build"], "--lang must be zh or en, got 'fr'"),
    (["--lang=english"], "got 'english'"),
])
def test_language_option_rejects_a_missing_or_unknown_language(argv, words):
    with language("en"), pytest.raises(CourseValueError, match=words):
        i18n.language_option(argv)


def _run(main, argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("argv,words", [
    (["--lang", "en", "drift", "99"], "There is no lesson '99'"),
    (["drift", "99", "--lang", "en"], "There is no lesson '99'"),
    (["drift", "--lang=zh", "99"], "没有名为 '99' 的课程"),
    (["--lang", "en", "slides", "99"], "There is no lesson '99'"),
    (["slides", "99", "--lang", "zh"], "没有名为 '99' 的课程"),
    (["glossary", "--lang", "en", "crossentropie"], "is not in the glossary"),
    (["--lang", "zh", "glossary", "crossentropie"], "术语表中没有"),
])
def test_the_command_line_reads_lang_before_or_after_the_command(argv, words, capsys):
    from mlp_course.__main__ import main

    with language("zh" if "en" in argv or "--lang=en" in argv else "en"):
        code, output = _run(main, argv, capsys)
    assert code in (1, 2) and words in output


def test_every_command_reports_a_wrong_lang_the_same_way(capsys):
    from mlp_course.__main__ import main
    from mlp_course.course.glossary import main as glossary_main
    from mlp_course.course.lab import main as lab_main
    from mlp_course.grader.cli import main as grade_main

    with language("en"):
        for run, argv in ((main, ["--lang", "fr", "build"]), (main, ["drift", "--lang", "fr"]),
                          (main, ["lab", "--lang", "fr"]), (glossary_main, ["x", "--lang", "fr"]),
                          (grade_main, ["x", "--lang", "fr"])):
            code, output = _run(run, argv, capsys)
            assert code == 2 and "--lang must be zh or en, got 'fr'" in output, (run, argv)
        with pytest.raises(CourseValueError, match="--lang must be zh or en"):
            lab_main(["--lang=fr", "--no-browser"])


def test_docstring_examples(run_doctests, monkeypatch):
    monkeypatch.setattr(i18n, "_language", i18n._language)   # set_language's example sets it
    assert run_doctests(i18n) >= 5
