"""Every learner-facing message in the package exists in both languages, in step.

The package writes messages as ``text(zh=..., en=...)``, ``Message(zh=..., en=...)``,
``label(zh=..., en=...)`` or ``Course*Error(zh=..., en=...)``. This test reads the
source and checks every such call: both sides present, the same placeholders, and
the Chinese side really Chinese (so a copy-pasted English text cannot pass as a
translation).
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mlp_course"
CALLS = {"text", "Message", "label", "CourseError", "CourseValueError", "CourseTypeError",
         "GlossaryError"}
CJK = re.compile(r"[\u3400-\u9fff]")


def _name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return None  # an f-string: checked for presence only
    return None


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


def message_calls():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in CALLS:
                keywords = {k.arg: k.value for k in node.keywords if k.arg}
                if "zh" in keywords or "en" in keywords:
                    yield path.relative_to(PACKAGE.parent), node.lineno, keywords


CALL_LIST = list(message_calls())


def test_the_package_has_bilingual_messages():
    assert len(CALL_LIST) > 50


@pytest.mark.parametrize("where,line,keywords", CALL_LIST,
                         ids=[f"{w}:{l}" for w, l, _ in CALL_LIST])
def test_message_has_both_languages_with_the_same_placeholders(where, line, keywords):
    assert "zh" in keywords and "en" in keywords, f"{where}:{line} has only one language"
    zh, en = _literal(keywords["zh"]), _literal(keywords["en"])
    if zh is None or en is None:
        return  # built at run time; i18n.text() checks placeholders when it runs
    assert zh.strip() and en.strip(), f"{where}:{line}: an empty side"
    assert _fields(zh) == _fields(en), f"{where}:{line}: placeholders differ"
    prose = re.sub(r"\{[^}]*\}|`[^`]*`|\$[^$]*\$|\w+\[[^\]]*\]", " ", zh)
    english_words = re.findall(r"\b[A-Za-z]{3,}\b", prose)
    assert CJK.search(prose) or len(english_words) < 3, \
        f"{where}:{line}: the Chinese side has no Chinese: {zh!r}"
