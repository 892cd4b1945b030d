"""One language setting for every message the course shows.

每条给学习者看的消息都同时写出中文和英文；一个设置决定显示哪一种。

Every learner-facing string is written as a pair, ``text(zh=..., en=...)``,
so neither language can be missing. The active language comes from
:func:`set_language`, else the ``MLP_COURSE_LANG`` environment variable, else
the language a class release was packed for (``release.json`` inside the
package, written by ``python -m mlp_course release``), else Chinese.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

LANGUAGES = ("zh", "en")
ENV_VAR = "MLP_COURSE_LANG"

_language: str | None = None
# written into the package by `python -m mlp_course release --lang L`
RELEASE_SETTINGS = Path(__file__).with_name("release.json")


def _normalise(lang: str) -> str | None:
    key = str(lang).strip().lower().replace("_", "-")
    if key in ("zh", "zh-cn", "zh-hans", "cn", "chinese", "中文"):
        return "zh"
    if key in ("en", "en-us", "en-gb", "english", "英文"):
        return "en"
    return None


def get_language() -> str:
    """The active language, ``"zh"`` or ``"en"``.  当前语言。"""
    if _language is not None:
        return _language
    from_env = _normalise(os.environ.get(ENV_VAR, ""))
    return from_env or default_language()


def default_language() -> str:
    """The language used when nothing chose one: a release's own, else Chinese."""
    try:
        settings = json.loads(RELEASE_SETTINGS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "zh"
    found = settings.get("language") if isinstance(settings, dict) else None
    return _normalise(found or "") or "zh"


def set_language(lang: str) -> str:
    """Choose the language of every message: ``"zh"`` or ``"en"``.

    选择所有提示信息的语言：``"zh"``（中文）或 ``"en"``（英文）。

    >>> set_language("en")
    'en'
    """
    global _language
    chosen = _normalise(lang)
    if chosen is None:
        raise CourseValueError(
            zh="set_language 的参数应为 'zh' 或 'en'，收到的是 {got!r}。",
            en="set_language expects 'zh' or 'en', got {got!r}.",
            got=lang,
        )
    _language = chosen
    return chosen


def language_option(argv) -> tuple[str | None, list[str]]:
    """Read ``--lang zh|en`` (or ``--lang=zh``) from a command line, anywhere in it.

    从命令行中读出 ``--lang`` 选择的语言（可以出现在任何位置）。

    Returns the language asked for (``None`` if there is no ``--lang``; the last
    one wins, as with argparse) and the other words, in order. Every command of
    the course reads the option this way, before parsing the rest, so even a
    usage error is reported in the language the command line asks for.

    Raises
    ------
    CourseValueError
        ``--lang`` without a value, or a value other than ``zh`` and ``en``.

    >>> language_option(["build", "--lang", "en", "01"])
    ('en', ['build', '01'])
    >>> language_option(["--lang=zh", "drift"])
    ('zh', ['drift'])
    """
    chosen, words, index = None, [], 0
    argv = list(argv)
    while index < len(argv):
        word = argv[index]
        if word == "--lang" or word.startswith("--lang="):
            if word == "--lang":
                if index + 1 >= len(argv):
                    raise CourseValueError(zh="--lang 后面要写语言：zh 或 en。",
                                           en="--lang needs a language: zh or en.")
                value, index = argv[index + 1], index + 2
            else:
                value, index = word.split("=", 1)[1], index + 1
            chosen = require_language(value, "--lang")
            continue
        words.append(word)
        index += 1
    return chosen, words


def require_language(lang, name: str = "lang") -> str:
    """``lang`` itself if it is one of :data:`LANGUAGES`; otherwise a clear error.

    语言参数必须正好是 ``"zh"`` 或 ``"en"``：每个命令和函数都用这一条规则检查。

    ``name`` is what the caller calls the value (``"--lang"`` on a command line).

    >>> require_language("en")
    'en'
    """
    if lang not in LANGUAGES:
        raise CourseValueError(zh="{name} 应为 zh 或 en，收到的是 {got!r}。",
                               en="{name} must be zh or en, got {got!r}.", name=name, got=lang)
    return lang


class language:
    """Context manager that switches the language for a block.

    临时切换语言的上下文管理器::

        with language("en"):
            ...
    """

    def __init__(self, lang: str):
        self._lang = lang
        self._saved: str | None = None

    def __enter__(self) -> str:
        global _language
        self._saved = _language
        return set_language(self._lang)

    def __exit__(self, *exc) -> None:
        global _language
        _language = self._saved


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


def text(zh: str, en: str, **fields) -> str:
    """Pick the active language's version of a message and fill in its fields.

    按当前语言选出消息并填入字段。两种语言的占位符必须一致。

    >>> with language("en"):
    ...     text(zh="共 {n} 个类别", en="{n} classes", n=3)
    '3 classes'
    """
    if _fields(zh) != _fields(en):
        # A programming error in the course itself, so it is loud and bilingual.
        raise RuntimeError(f"zh/en placeholders differ: {zh!r} vs {en!r}")
    template = zh if get_language() == "zh" else en
    return template.format(**fields)


def _escape_braces(value: str) -> str:
    return value.replace("{", "{{").replace("}", "}}")


class Message:
    """A message kept in both languages, rendered in the language active when shown.

    同时保存两种语言的消息；显示时才按当前语言渲染。

    A Message may be a field of another one: it is rendered when the outer one
    is, in the same language (``{why}`` below is Chinese in a Chinese report even
    if the inner message was made while English was active)::

        Message(zh="未评分：{why}", en="not graded: {why}", why=Message(zh="超时", en="time-out"))

    This is the one way the course renders a message later; use
    :meth:`verbatim` for texts whose braces are not placeholders.
    """

    __slots__ = ("zh", "en", "fields")

    def __init__(self, zh: str, en: str, **fields):
        text(zh, en, **fields)  # validates placeholders early
        self.zh, self.en, self.fields = zh, en, fields

    @classmethod
    def verbatim(cls, zh: str, en: str) -> "Message":
        """Two texts shown as they are: braces in them (LaTeX, a note) are not placeholders.

        原样显示的两段文字：其中的花括号不是占位符。

        >>> with language("en"):
        ...     str(Message.verbatim(zh="集合 {1, 2}", en="the set {1, 2}"))
        'the set {1, 2}'
        """
        return cls(_escape_braces(zh), _escape_braces(en))

    def render(self, lang: str | None = None) -> str:
        if lang is None:
            return text(self.zh, self.en, **self.fields)
        with language(lang):
            return text(self.zh, self.en, **self.fields)

    def __str__(self) -> str:
        return self.render()

    def __format__(self, spec: str) -> str:
        # as a field of another message: rendered now, in the outer message's language
        return format(self.render(), spec)

    def __repr__(self) -> str:
        return f"Message({self.render()!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.zh, self.en, self.fields) == (
            other.zh, other.en, other.fields)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))


class CourseError(Exception):
    """Base of the course's errors: the message follows the language setting.

    课程所有错误的基类：消息随语言设置而变。The exception keeps both
    versions (``.message``) so a caller can show the other language too.
    """

    def __init__(self, zh: str, en: str, **fields):
        self.message = Message(zh, en, **fields)
        super().__init__(self.message.render())

    def __str__(self) -> str:
        return self.message.render()

    def __reduce__(self):
        # rebuilt from both texts, so a copied or pickled error keeps both languages
        return (_rebuild_error, (type(self), self.message.zh, self.message.en,
                                 self.message.fields))


def _rebuild_error(cls, zh: str, en: str, fields: dict) -> "CourseError":
    return cls(zh, en, **fields)


class CourseValueError(CourseError, ValueError):
    """A value of the right type but the wrong shape, range or content."""


class CourseTypeError(CourseError, TypeError):
    """An argument of the wrong type or dtype."""
