"""The course's zh–en glossary: look-up, search, export, and a lint for lessons.

课程的中英术语表：查询、搜索、导出，以及检查课程文本用词的 lint。

The vocabulary lives in ``glossary.yaml`` next to this module, as package data (its
schema is documented there). In a notebook::

    >>> from mlp_course import lookup, glossary_search
    >>> lookup("CE").id                 # same entry as "交叉熵", "Cross-Entropy"
    'cross_entropy'
    >>> [e.id for e in glossary_search("soft")][:1]
    ['softmax']

In a terminal: ``python -m mlp_course glossary 交叉熵`` (see ``--help``).

Look-up ignores case, spaces, hyphens, underscores and full-width forms. An
unknown term gives a :class:`NoMatch` with suggestions rather than an
exception; a malformed ``glossary.yaml`` raises :class:`GlossaryError`
naming the file, the line, the entry and the field.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import html
import io
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

from ..syllabus import BY_ID, COURSE, ROOT
from ...i18n import (CourseTypeError, CourseValueError, Message, get_language, language,
                   text)

# The vocabulary is package data, so an installed package finds it too.
GLOSSARY_PATH = Path(str(resources.files(__name__) / "glossary.yaml"))
MARKDOWN_PATH = ROOT / "GLOSSARY.md"
EXPORT_COMMAND = "python -m mlp_course glossary --export markdown --output GLOSSARY.md"

__all__ = [
    "GLOSSARY_PATH", "MARKDOWN_PATH", "EXPORT_COMMAND", "GlossaryError", "Avoid", "Entry",
    "NoMatch", "Glossary", "normalise", "load_glossary", "check_schema", "lookup",
    "glossary_search", "export_csv", "export_markdown", "write_glossary_md",
    "strip_non_prose", "Parenthesised", "parenthesised_terms", "term_table_rows",
    "LintIssue", "lint_notebook", "lint_lessons", "main",
]


# ---------------------------------------------------------------------------
# Errors

def _where(file, line=None, entry=None, field=None) -> Message:
    """"glossary.yaml, line 12, entry 'bias', field 'zh'" in both languages."""
    zh, en = ["{file}"], ["{file}"]
    if line is not None:
        zh.append(" 第 {line} 行")
        en.append(", line {line}")
    if entry is not None:
        zh.append("，条目 {entry!r}")
        en.append(", entry {entry!r}")
    if field is not None:
        zh.append("，字段 {field!r}")
        en.append(", field {field!r}")
    return Message("".join(zh), "".join(en), file=Path(file).name if file else "glossary",
                   line=line, entry=entry, field=field)


class GlossaryError(CourseValueError):
    """``glossary.yaml`` is malformed: the message names file, line, entry and field.

    术语表文件格式有误：消息会指出文件、行号、条目和字段。
    """

    def __init__(self, zh: str, en: str, *, file, line=None, entry=None, field=None,
                 **fields):
        self.file, self.line, self.entry, self.field = file, line, entry, field
        super().__init__(zh, en, where=_where(file, line, entry, field), **fields)


class _Both:
    """Two literal strings, zh and en, that print in the active language.

    Glossary text (notes, LaTeX) may contain braces, so it is passed to a
    Message as a field value, never used as a template.
    """

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return self.zh if get_language() == "zh" else self.en

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


# ---------------------------------------------------------------------------
# Normalisation

# Characters a learner may type or omit freely: spaces, hyphens and dashes,
# underscores, middle dots, apostrophes and markdown emphasis.
_IGNORED = re.compile(r"[\s\-‐‑‒–—―_·・'’`*]+")
_EDGE_PUNCTUATION = ".,;:!?，。；：！？、\"“”「」『』"


def normalise(term: str) -> str:
    """The key a term is looked up by: NFKC, case-folded, separators removed.

    查询用的规范形式：全角转半角、忽略大小写、去掉空格和连字符。

    >>> normalise("Cross-Entropy") == normalise("ｃｒｏｓｓ ｅｎｔｒｏｐｙ") == "crossentropy"
    True
    """
    folded = unicodedata.normalize("NFKC", str(term)).casefold()
    return _IGNORED.sub("", folded).strip(_EDGE_PUNCTUATION)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FA1F)


def _has_cjk(value: str) -> bool:
    return any(_is_cjk(char) for char in value)


def _singular_forms(key: str) -> list[str]:
    """English plural fallbacks: weights -> weight, batches -> batch, ..."""
    if not key.isascii() or len(key) < 4:
        return []
    forms = []
    if key.endswith("ies"):
        forms.append(key[:-3] + "y")
    if key.endswith("es"):
        forms.append(key[:-2])
    if key.endswith("s"):
        forms.append(key[:-1])
    return forms


# ---------------------------------------------------------------------------
# Entries

@dataclass(frozen=True)
class Avoid:
    """A Chinese rendering the lessons must not use for an entry's sense.

    某个词义不应使用的中文译法。
    """

    term: str
    note_zh: str | None = None
    note_en: str | None = None
    context_only: bool = False

    @property
    def note(self) -> str:
        """Why to avoid it, in the active language ("" if no note).  不用它的理由。"""
        return str(_Both(self.note_zh or "", self.note_en or ""))


@dataclass(frozen=True, eq=False)
class Entry:
    """One glossary entry: a sense with its zh and en terms, definitions and links.

    术语表中的一个条目：一个词义及其中英文术语、定义和相关条目。

    ``str(entry)`` is plain text for a terminal; in a notebook the entry shows
    as HTML (its formula rendered by MathJax), in the active language first.
    """

    id: str
    en: str
    zh: str
    definition_zh: str
    definition_en: str
    zh_alt: tuple[str, ...] = ()
    zh_avoid: tuple[Avoid, ...] = ()
    abbr: tuple[str, ...] = ()
    en_variants: tuple[str, ...] = ()
    formula: str | None = None
    see_also: tuple[str, ...] = ()
    contrast: tuple[str, ...] = ()
    lessons: tuple[str, ...] = ()
    glossary: "Glossary | None" = field(default=None, repr=False, compare=False)

    found = True  # an Entry answers a look-up; NoMatch says found = False

    @property
    def term(self) -> str:
        """The term in the active language.  当前语言的术语。"""
        return self.zh if get_language() == "zh" else self.en

    @property
    def definition(self) -> str:
        """The definition in the active language.  当前语言的定义。"""
        return self.definition_zh if get_language() == "zh" else self.definition_en

    @property
    def zh_terms(self) -> tuple[str, ...]:
        """Accepted Chinese renderings, preferred first.  可接受的中文译法（首选在前）。"""
        return (self.zh, *self.zh_alt)

    @property
    def en_terms(self) -> tuple[str, ...]:
        """The English term and its variants.  英文术语及其变体。"""
        return (self.en, *self.en_variants)

    def keys(self) -> set[str]:
        """Every normalised form this entry is found by.  条目的全部查询键。"""
        return {normalise(term) for term in (*self.zh_terms, *self.en_terms, *self.abbr)}

    def short_definition(self, limit: int = 90) -> str:
        """The first sentence of the active language's definition.  定义的第一句。"""
        definition = self.definition
        if get_language() == "zh":
            first = definition.split("。")[0] + "。"
        else:
            first = re.split(r"(?<=\.)\s", definition, maxsplit=1)[0]
        return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"

    def related(self, kind: str = "see_also") -> list["Entry"]:
        """The entries listed under ``see_also`` or ``contrast``.  相关或对照的条目。"""
        ids = self.see_also if kind == "see_also" else self.contrast
        if self.glossary is None:
            return []
        return [self.glossary[related] for related in ids if related in self.glossary]

    def _name(self) -> str:
        """"交叉熵 (cross-entropy)" or "cross-entropy (交叉熵)"."""
        first, second = (self.zh, self.en) if get_language() == "zh" else (self.en, self.zh)
        return first if normalise(first) == normalise(second) else f"{first} ({second})"

    def _headline(self) -> tuple[str, str]:
        first, second = (self.zh, self.en) if get_language() == "zh" else (self.en, self.zh)
        return first, second if normalise(first) != normalise(second) else ""

    def _lesson_titles(self) -> list[str]:
        lang = get_language()
        return [f"{BY_ID[lesson].number} {BY_ID[lesson].title(lang)}" for lesson in self.lessons
                if lesson in BY_ID]

    def _other_forms(self) -> list[str]:
        first, second = ((self.zh_alt, self.en_variants) if get_language() == "zh"
                         else (self.en_variants, self.zh_alt))
        return [*first, *second]

    def __str__(self) -> str:
        first, second = self._headline()
        head = first + (f" · {second}" if second else "")
        if self.abbr:
            head += f"  [{', '.join(self.abbr)}]"
        lines = [head]
        if self._other_forms():
            lines.append(text(zh="也作：{forms}", en="Also: {forms}",
                              forms="、".join(self._other_forms()) if get_language() == "zh"
                              else ", ".join(self._other_forms())))
        own, other = ((self.definition_zh, self.definition_en) if get_language() == "zh"
                      else (self.definition_en, self.definition_zh))
        lines.append(text(zh="定义：{d}", en="Definition: {d}", d=own))
        lines.append(text(zh="英文：{d}", en="Chinese: {d}", d=other))
        if self.formula:
            lines.append(text(zh="公式：{f}", en="Formula: {f}", f=self.formula))
        for avoid in self.zh_avoid:
            note = f" — {avoid.note}" if avoid.note else ""
            lines.append(text(zh="不要写：{term}{note}", en="Avoid in Chinese: {term}{note}",
                              term=avoid.term, note=note))
        for kind, zh_label, en_label in (("see_also", "参见", "See also"),
                                         ("contrast", "对照", "Contrast with")):
            related = self.related(kind)
            if related:
                lines.append(text(zh=zh_label + "：{items}", en=en_label + ": {items}",
                                  items="; ".join(entry._name() for entry in related)))
        if self.lessons:
            lines.append(text(zh="在这些课中讲授：{items}", en="Taught in: {items}",
                              items="; ".join(self._lesson_titles())))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<glossary entry {self.id!r}: {self.zh} / {self.en}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        lang = get_language()
        other_lang = "en" if lang == "zh" else "zh"
        first, second = self._headline()
        own, other = ((self.definition_zh, self.definition_en) if lang == "zh"
                      else (self.definition_en, self.definition_zh))
        parts = [
            f'<div class="mlp-glossary-entry" data-id="{esc(self.id)}" '
            'style="border-left:3px solid #4a7bd0;padding:0.3em 0.8em;margin:0.3em 0">',
            f'<div style="font-size:1.2em;font-weight:bold"><span lang="{lang}">{esc(first)}</span>'
            + (f' · <span lang="{other_lang}">{esc(second)}</span>' if second else "")
            + (f' <span style="font-weight:normal;opacity:0.75">({esc(", ".join(self.abbr))})'
               "</span>" if self.abbr else "")
            + "</div>",
        ]
        if self._other_forms():
            parts.append('<div style="opacity:0.75">' + esc(text(zh="也作：", en="Also: "))
                         + esc(", ".join(self._other_forms())) + "</div>")
        parts.append(f'<p lang="{lang}"><b>{esc(text(zh="定义", en="Definition"))}</b> '
                     f"{esc(own)}</p>")
        parts.append(f'<p lang="{other_lang}" style="opacity:0.85"><b>'
                     f'{esc(text(zh="英文", en="中文 Chinese"))}</b> {esc(other)}</p>')
        if self.formula:
            # MathJax in JupyterLab typesets $$...$$ in HTML output.
            parts.append(f'<div class="mlp-glossary-formula">$${esc(self.formula)}$$</div>')
        for avoid in self.zh_avoid:
            note = f" — {esc(avoid.note)}" if avoid.note else ""
            parts.append(f'<div><b>{esc(text(zh="不要写", en="Avoid in Chinese"))}</b> '
                         f'<s lang="zh">{esc(avoid.term)}</s>{note}</div>')
        for kind, label in (("see_also", text(zh="参见", en="See also")),
                            ("contrast", text(zh="对照", en="Contrast with"))):
            related = self.related(kind)
            if related:
                items = ", ".join(f'<span title="{esc(entry.id)}">{esc(entry._name())}</span>'
                                  for entry in related)
                parts.append(f"<div><b>{esc(label)}</b> {items}</div>")
        if self.lessons:
            parts.append(f'<div style="opacity:0.75"><b>{esc(text(zh="课程", en="Lessons"))}</b> '
                         + esc("; ".join(self._lesson_titles())) + "</div>")
        parts.append("</div>")
        return "\n".join(parts)


@dataclass(frozen=True, eq=False)
class NoMatch:
    """The answer to a look-up that found nothing, with the closest entries.

    查询不到时的结果：说明没有找到，并给出最接近的条目。
    """

    query: str
    suggestions: tuple[Entry, ...] = ()

    found = False

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        head = text(zh="术语表中没有“{query}”。", en="“{query}” is not in the glossary.",
                    query=self.query)
        if self.suggestions:
            names = ("、" if get_language() == "zh" else ", ").join(
                entry._name() for entry in self.suggestions)
            return head + text(zh="你是不是要找：{names}？", en=" Did you mean: {names}?",
                               names=names)
        return head + text(zh="没有相近的术语；可以用 glossary_search() 按片段搜索。",
                           en=" Nothing close; try glossary_search() with part of the term.")

    def __repr__(self) -> str:
        return f"<glossary NoMatch {self.query!r}: {[e.id for e in self.suggestions]}>"

    def _repr_html_(self) -> str:
        return ('<div class="mlp-glossary-nomatch" style="border-left:3px solid #d08a4a;'
                'padding:0.3em 0.8em">' + html.escape(str(self)) + "</div>")


# ---------------------------------------------------------------------------
# The glossary

class Glossary:
    """All entries, indexed by id and by every normalised term.

    全部条目，按 id 和规范化后的术语建立索引。
    """

    def __init__(self, entries: Iterable[Entry], path: Path | None = None):
        self.path = path
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.by_id = {entry.id: entry for entry in self.entries}
        self._index: dict[str, Entry] = {}
        for entry in self.entries:
            object.__setattr__(entry, "glossary", self)
            for key in entry.keys():
                self._index.setdefault(key, entry)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self.by_id

    def __getitem__(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

    def __repr__(self) -> str:
        return f"<Glossary of {len(self)} entries from {self.path.name if self.path else '?'}>"

    def resolve(self, term: str) -> Entry | None:
        """The entry a term names, or None.  术语对应的条目，找不到时为 None。

        Besides the exact normalised match this accepts English plurals
        (``weights``) and a trailing abbreviation in parentheses
        (``Negative Log-Likelihood Loss (NLL)``).
        """
        key = normalise(term)
        if not key:
            return None
        if key in self._index:
            return self._index[key]
        for form in _singular_forms(key):
            if form in self._index:
                return self._index[form]
        inner = re.fullmatch(r"(.+?)\((.+)\)", key)
        if inner:
            main_entry = self.resolve(inner.group(1))
            if main_entry is not None:
                return main_entry
        return None

    def suggest(self, term: str, limit: int = 5) -> list[Entry]:
        """Entries whose terms are close to ``term`` (difflib) or contain it.

        与 ``term`` 相近（difflib）或包含它的条目。
        """
        key = normalise(term)
        if not key:
            return []
        fragment_ok = _has_cjk(key) or len(key) >= 2
        best: dict[str, float] = {}
        for candidate, entry in self._index.items():
            matcher = difflib.SequenceMatcher(None, key, candidate)
            # a fragment of a term ("交叉", "entro") is a strong hint; a term
            # inside a longer query is already rewarded by the similarity ratio
            fragment = fragment_ok and key in candidate
            if not fragment and matcher.real_quick_ratio() < 0.6:
                continue
            score = matcher.ratio() + (0.5 if fragment else 0.0)
            if score >= 0.6 and score > best.get(entry.id, -1.0):
                best[entry.id] = score
        ranked = sorted(best, key=lambda entry_id: (-best[entry_id], entry_id))
        return [self.by_id[entry_id] for entry_id in ranked[:limit]]

    def lookup(self, term: str) -> Entry | NoMatch:
        """The entry for ``term`` in either language, or a :class:`NoMatch`.

        按中文或英文（含缩写、变体）查询条目；查不到时返回带建议的 NoMatch。
        """
        if not isinstance(term, str):
            raise CourseTypeError(
                zh="lookup 的参数 term 应为字符串，收到的是 {got}。",
                en="lookup expects a string term, got {got}.", got=type(term).__name__)
        entry = self.resolve(term)
        return entry if entry is not None else NoMatch(term, tuple(self.suggest(term)))

    def search(self, query: str, limit: int | None = None) -> list[Entry]:
        """Entries matching ``query`` by prefix or substring, best first.

        按前缀或子串在中英文术语中搜索，最佳匹配在前。Ranks: exact match, then
        prefix, then substring, preferred terms before variants, then a match
        in the definitions (queries of 2+ Chinese or 3+ Latin characters).
        """
        if not isinstance(query, str):
            raise CourseTypeError(
                zh="glossary_search 的参数 query 应为字符串，收到的是 {got}。",
                en="glossary_search expects a string query, got {got}.",
                got=type(query).__name__)
        key = normalise(query)
        if not key:
            return []
        long_enough = len(key) >= (2 if _has_cjk(key) else 3)
        scored = []
        for entry in self.entries:
            best = None
            primary = {normalise(entry.zh), normalise(entry.en)}
            for candidate in entry.keys():
                if candidate == key:
                    rank = 0
                elif candidate.startswith(key):
                    rank = 2
                elif key in candidate:
                    rank = 4
                else:
                    continue
                score = (rank + (0 if candidate in primary else 1), len(candidate))
                best = score if best is None else min(best, score)
            if best is None and long_enough and (
                    key in normalise(entry.definition_zh) or key in normalise(entry.definition_en)):
                best = (6, 0)
            if best is not None:
                scored.append((best, entry.en.casefold(), entry))
        scored.sort(key=lambda item: (item[0], item[1]))
        found = [entry for _, _, entry in scored]
        return found if limit is None else found[:limit]


# ---------------------------------------------------------------------------
# Loading and the schema check

_STRING_LISTS = ("zh_alt", "abbr", "en_variants", "see_also", "contrast", "lessons")
_REQUIRED = ("id", "en", "zh", "definition", "lessons")
_KNOWN = {"id", "en", "zh", "zh_alt", "zh_avoid", "abbr", "en_variants", "definition",
          "formula", "see_also", "contrast", "lessons"}
_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def _describe(value) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, (dict, list)) \
        else type(value).__name__


def _type_error(file, line, entry, field_name, expected_zh, expected_en, value):
    return GlossaryError(
        zh="{where}：应为{expected}，实际为 {got}。",
        en="{where}: expected {expected}, got {got}.",
        file=file, line=line, entry=entry, field=field_name,
        expected=_Both(expected_zh, expected_en), got=_describe(value))


def check_schema(data, file=GLOSSARY_PATH, lines: dict | None = None) -> list[dict]:
    """Check the parsed ``glossary.yaml``; return its entries or raise GlossaryError.

    检查解析后的术语表：字段齐全且类型正确、id 唯一、相关条目和课程 id 存在、
    任何术语（含变体、缩写，规范化后）只属于一个条目。

    Parameters
    ----------
    data : object
        What ``yaml.safe_load`` returned for the file.
    file : path
        Named in the error messages.
    lines : dict, optional
        ``{(entry_index, field_or_None): line}`` to put line numbers in errors.

    Raises
    ------
    GlossaryError
        On the first problem, naming the file, the line, the entry and the field.
    """
    lines = lines or {}

    def line_of(index, field_name=None):
        return lines.get((index, field_name), lines.get((index, None)))

    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise GlossaryError(
            zh="{where}：文件顶层应是一个含 entries 列表的映射（entries: [...]），实际为 {got}。",
            en="{where}: the top level must be a mapping with an 'entries' list, got {got}.",
            file=file, got=_describe(data.get("entries") if isinstance(data, dict) else data))
    entries = data["entries"]
    seen_ids: dict[str, int] = {}
    for index, raw in enumerate(entries):
        label = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) \
            else f"#{index + 1}"
        if not isinstance(raw, dict):
            raise _type_error(file, line_of(index), label, None, "一个映射（字段: 值）",
                              "a mapping of fields", raw)
        for name in raw:
            if name not in _KNOWN:
                raise GlossaryError(
                    zh="{where}：未知字段；可用字段：{known}。",
                    en="{where}: unknown field; known fields: {known}.",
                    file=file, line=line_of(index, name), entry=label, field=name,
                    known=", ".join(sorted(_KNOWN)))
        for name in _REQUIRED:
            if name not in raw:
                raise GlossaryError(
                    zh="{where}：缺少必填字段。", en="{where}: required field is missing.",
                    file=file, line=line_of(index), entry=label, field=name)
        for name in ("id", "en", "zh"):
            value = raw[name]
            if not isinstance(value, str) or not value.strip():
                raise _type_error(file, line_of(index, name), label, name, "非空字符串",
                                  "a non-empty string", value)
        if not _ID.fullmatch(raw["id"]):
            raise GlossaryError(
                zh="{where}：id 应为小写英文加下划线（snake_case），实际为 {got!r}。",
                en="{where}: the id must be snake_case English, got {got!r}.",
                file=file, line=line_of(index, "id"), entry=label, field="id", got=raw["id"])
        if raw["id"] in seen_ids:
            raise GlossaryError(
                zh="{where}：id 重复，第 {first} 个条目已经使用了它。",
                en="{where}: duplicate id; entry number {first} already uses it.",
                file=file, line=line_of(index, "id"), entry=label, field="id",
                first=seen_ids[raw["id"]] + 1)
        seen_ids[raw["id"]] = index
        definition = raw["definition"]
        if not isinstance(definition, dict):
            raise _type_error(file, line_of(index, "definition"), label, "definition",
                              "含 zh 和 en 的映射", "a mapping with zh and en", definition)
        for lang in ("zh", "en"):
            value = definition.get(lang)
            if not isinstance(value, str) or not value.strip():
                raise _type_error(file, line_of(index, "definition"), label, f"definition.{lang}",
                                  "非空字符串", "a non-empty string", value)
        extra = set(definition) - {"zh", "en"}
        if extra:
            raise GlossaryError(
                zh="{where}：definition 只能有 zh 和 en，多了 {extra}。",
                en="{where}: definition takes only zh and en, found also {extra}.",
                file=file, line=line_of(index, "definition"), entry=label, field="definition",
                extra=", ".join(sorted(map(str, extra))))
        for name in _STRING_LISTS:
            value = raw.get(name, [])
            if not isinstance(value, list) or not all(
                    isinstance(item, str) and item.strip() for item in value):
                raise _type_error(file, line_of(index, name), label, name,
                                  "非空字符串的列表", "a list of non-empty strings", value)
        if raw.get("formula") is not None and not (
                isinstance(raw["formula"], str) and raw["formula"].strip()):
            raise _type_error(file, line_of(index, "formula"), label, "formula",
                              "LaTeX 字符串", "a LaTeX string", raw["formula"])
        avoids = raw.get("zh_avoid", [])
        if not isinstance(avoids, list):
            raise _type_error(file, line_of(index, "zh_avoid"), label, "zh_avoid",
                              "列表", "a list", avoids)
        for avoid in avoids:
            _check_avoid(avoid, file, line_of(index, "zh_avoid"), label)
        for lesson in raw["lessons"]:
            if lesson not in BY_ID:
                raise GlossaryError(
                    zh="{where}：没有 id 为 {got!r} 的课程；可选：{known}。",
                    en="{where}: there is no lesson {got!r}; known lessons: {known}.",
                    file=file, line=line_of(index, "lessons"), entry=label, field="lessons",
                    got=lesson, known=", ".join(BY_ID))

    owners: dict[str, tuple[str, str, str]] = {}
    for index, raw in enumerate(entries):
        label = raw["id"]
        for name in ("see_also", "contrast"):
            for related in raw.get(name, []):
                if related not in seen_ids or related == label:
                    raise GlossaryError(
                        zh="{where}：相关条目 {got!r} {why}。",
                        en="{where}: related entry {got!r} {why}.",
                        file=file, line=line_of(index, name), entry=label, field=name,
                        got=related,
                        why=_Both("就是本条目自己", "is this entry itself") if related == label
                        else _Both("不存在", "does not exist"))
        accepted = set()
        for name, terms in (("en", [raw["en"]]), ("zh", [raw["zh"]]),
                            ("en_variants", raw.get("en_variants", [])),
                            ("abbr", raw.get("abbr", [])), ("zh_alt", raw.get("zh_alt", []))):
            for term in terms:
                key = normalise(term)
                if not key:
                    raise GlossaryError(
                        zh="{where}：术语 {term!r} 规范化后为空。",
                        en="{where}: the term {term!r} is empty once normalised.",
                        file=file, line=line_of(index, name), entry=label, field=name, term=term)
                owner = owners.get(key)
                if owner is not None and owner[0] != label:
                    raise GlossaryError(
                        zh="{where}：术语 {term!r} 已经属于条目 {other!r}（字段 {other_field}，"
                           "写作 {other_term!r}）；查询时不区分大小写、空格和连字符，"
                           "一个术语只能属于一个条目。",
                        en="{where}: the term {term!r} already belongs to entry {other!r} "
                           "(field {other_field}, written {other_term!r}); look-up ignores case, "
                           "spaces and hyphens, so a term may belong to one entry only.",
                        file=file, line=line_of(index, name), entry=label, field=name, term=term,
                        other=owner[0], other_field=owner[1], other_term=owner[2])
                owners.setdefault(key, (label, name, term))
                accepted.add(key)
        for avoid in raw.get("zh_avoid", []):
            if normalise(avoid["term"]) in accepted:
                raise GlossaryError(
                    zh="{where}：{term!r} 不能既是可接受的译法又是要避免的译法。",
                    en="{where}: {term!r} cannot be both an accepted and an avoided rendering.",
                    file=file, line=line_of(index, "zh_avoid"), entry=label, field="zh_avoid",
                    term=avoid["term"])
    return entries


def _check_avoid(avoid, file, line, label) -> None:
    if not isinstance(avoid, dict) or not isinstance(avoid.get("term"), str) \
            or not avoid["term"].strip():
        raise _type_error(file, line, label, "zh_avoid", "含 term 的映射",
                          "a mapping with a term", avoid)
    unknown = set(avoid) - {"term", "note", "context_only"}
    if unknown:
        raise GlossaryError(
            zh="{where}：zh_avoid 的项只能有 term、note、context_only，多了 {extra}。",
            en="{where}: a zh_avoid item takes only term, note, context_only; found also {extra}.",
            file=file, line=line, entry=label, field="zh_avoid",
            extra=", ".join(sorted(map(str, unknown))))
    note = avoid.get("note")
    if note is not None and not (isinstance(note, dict) and set(note) == {"zh", "en"} and all(
            isinstance(value, str) and value.strip() for value in note.values())):
        raise _type_error(file, line, label, "zh_avoid.note", "含 zh 和 en 的映射",
                          "a mapping with zh and en", note)
    if not isinstance(avoid.get("context_only", False), bool):
        raise _type_error(file, line, label, "zh_avoid.context_only", "true 或 false",
                          "true or false", avoid["context_only"])


def _yaml_loader():
    import yaml  # imported here: only the glossary needs PyYAML

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(source: str, file) -> tuple[object, dict]:
    """``yaml.safe_load`` in its two steps, keeping the node tree for line numbers.

    Composing first (what ``safe_load`` does inside) lets errors name lines and
    catches a field given twice in one entry, which ``safe_load`` would silently
    overwrite. The C loader is used when available; it is the same safe loader.
    """
    yaml, loader_class = _yaml_loader()
    try:
        loader = loader_class(source)
        try:
            root = loader.get_single_node()
            lines = _node_lines(root, file)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise GlossaryError(
            zh="{where}：YAML 语法错误：{problem}。", en="{where}: YAML syntax error: {problem}.",
            file=file, line=mark.line + 1 if mark else None,
            problem=error.problem or error.context or "?") from None
    except yaml.YAMLError as error:
        raise GlossaryError(zh="{where}：YAML 错误：{problem}。", en="{where}: YAML error: {problem}.",
                            file=file, problem=str(error)) from None
    return data, lines


def _node_lines(root, file) -> dict:
    """``{(entry_index, field or None): line}``; raises on a field given twice."""
    lines: dict = {}
    if root is None or root.tag != "tag:yaml.org,2002:map":
        return lines
    entries = next((value for key, value in root.value if key.value == "entries"), None)
    if entries is None or not isinstance(entries.value, list):
        return lines
    for index, node in enumerate(entries.value):
        lines[(index, None)] = node.start_mark.line + 1
        if not isinstance(node.value, list):
            continue
        seen: set[str] = set()
        entry_id = next((value.value for key, value in node.value
                         if getattr(key, "value", None) == "id"
                         and isinstance(value.value, str)), f"#{index + 1}")
        for key, _value in node.value:
            name = key.value if isinstance(key.value, str) else str(key.value)
            if name in seen:
                raise GlossaryError(
                    zh="{where}：同一条目中该字段出现了两次。",
                    en="{where}: the field is given twice in one entry.",
                    file=file, line=key.start_mark.line + 1, entry=entry_id, field=name)
            seen.add(name)
            lines[(index, name)] = key.start_mark.line + 1
    return lines


def _build(entries: list[dict]) -> list[Entry]:
    built = []
    for raw in entries:
        built.append(Entry(
            id=raw["id"], en=raw["en"].strip(), zh=raw["zh"].strip(),
            definition_zh=raw["definition"]["zh"].strip(),
            definition_en=raw["definition"]["en"].strip(),
            zh_alt=tuple(raw.get("zh_alt", [])),
            zh_avoid=tuple(Avoid(term=item["term"],
                                 note_zh=(item.get("note") or {}).get("zh"),
                                 note_en=(item.get("note") or {}).get("en"),
                                 context_only=bool(item.get("context_only", False)))
                           for item in raw.get("zh_avoid", [])),
            abbr=tuple(raw.get("abbr", [])), en_variants=tuple(raw.get("en_variants", [])),
            formula=(raw.get("formula") or "").strip() or None,
            see_also=tuple(raw.get("see_also", [])), contrast=tuple(raw.get("contrast", [])),
            lessons=tuple(raw["lessons"])))
    return built


_CACHE: dict[Path, tuple[tuple[int, int], Glossary]] = {}


def load_glossary(path: str | Path | None = None) -> Glossary:
    """Read and check ``glossary.yaml`` (once; again only if the file changed).

    读取并检查术语表文件；结果会缓存，文件改动后才重新读取。

    Raises
    ------
    GlossaryError
        If the file is missing, is not valid YAML or breaks the schema.
    """
    file = Path(path) if path is not None else GLOSSARY_PATH
    try:
        stat = file.stat()
    except OSError:
        raise GlossaryError(zh="{where}：找不到术语表文件。", en="{where}: glossary file not found.",
                            file=file) from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(file.resolve())
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise GlossaryError(zh="{where}：文件不是 UTF-8 编码（{problem}）。",
                            en="{where}: the file is not UTF-8 ({problem}).",
                            file=file, problem=error.reason) from None
    data, lines = _parse(source, file)
    glossary = Glossary(_build(check_schema(data, file, lines)), file)
    _CACHE[file.resolve()] = (stamp, glossary)
    return glossary


def lookup(term: str) -> Entry | NoMatch:
    """Look a term up in the course glossary, in Chinese or English.

    在课程术语表中查询术语（中文或英文，含缩写与变体）。

    Case, spaces, hyphens and full-width forms do not matter. An unknown term
    gives a :class:`NoMatch` that lists the closest entries; it is not an error.

    >>> lookup("交叉熵") is lookup("Cross-Entropy") is lookup("CE")
    True
    >>> lookup("crossentropie").found
    False
    """
    return load_glossary().lookup(term)


def glossary_search(query: str, limit: int | None = None) -> list[Entry]:
    """Entries whose Chinese or English terms start with or contain ``query``.

    在中英文术语中按前缀或子串搜索，按匹配程度排序。

    >>> [entry.en for entry in glossary_search("交叉")][:1]
    ['cross-entropy']
    """
    return load_glossary().search(query, limit)


# ---------------------------------------------------------------------------
# Export

_CSV_COLUMNS = ("id", "zh", "en", "abbr", "zh_alt", "zh_avoid", "en_variants", "definition_zh",
                "definition_en", "formula", "see_also", "contrast", "lessons")


def export_csv(glossary: Glossary | None = None) -> str:
    """The glossary as CSV (UTF-8, one row per entry, lists joined by "; ").

    把术语表导出为 CSV：每个条目一行，列表字段用 "; " 连接。
    """
    glossary = glossary or load_glossary()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for entry in glossary:
        row = []
        for column in _CSV_COLUMNS:
            value = getattr(entry, column)
            if column == "zh_avoid":
                value = [avoid.term for avoid in value]
            row.append("; ".join(value) if isinstance(value, tuple | list) else (value or ""))
        writer.writerow(row)
    return buffer.getvalue()


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def export_markdown(glossary: Glossary | None = None) -> str:
    """The glossary as a bilingual markdown document (the content of GLOSSARY.md).

    把术语表导出为双语 markdown（即 GLOSSARY.md 的内容），按首次讲授的课分组。
    """
    glossary = glossary or load_glossary()
    out = [
        "# 术语表 · Glossary",
        "",
        f"<!-- Generated from glossary.yaml by `{EXPORT_COMMAND}`. Do not edit by hand. -->",
        "",
        f"本文件由 `glossary.yaml` 生成，请勿手工修改；修改术语表后运行 `{EXPORT_COMMAND}`。"
        "在笔记本中查询：`from mlp_course import lookup; lookup(\"交叉熵\")`；"
        "在终端中查询：`python -m mlp_course glossary 交叉熵`。",
        "",
        f"Generated from `glossary.yaml`; do not edit by hand. After changing the glossary run "
        f"`{EXPORT_COMMAND}`. Look a term up in a notebook with "
        "`from mlp_course import lookup; lookup(\"cross-entropy\")`, or in a terminal with "
        "`python -m mlp_course glossary cross-entropy`.",
        "",
        f"共 {len(glossary)} 个条目 · {len(glossary)} entries. "
        "每组列出首次讲授该术语的课；其余术语在最后一组。"
        " Terms are grouped by the lesson that first teaches them; the rest come last.",
    ]
    groups: dict[str | None, list[Entry]] = {}
    for entry in glossary:
        groups.setdefault(entry.lessons[0] if entry.lessons else None, []).append(entry)
    header = ["", "| 中文 | English | 缩写 Abbr. | 定义 | Definition |",
              "| --- | --- | --- | --- | --- |"]
    for lesson_id in [lesson.id for lesson in COURSE] + [None]:
        members = groups.get(lesson_id)
        if not members:
            continue
        if lesson_id is None:
            out += ["", "## 其他术语 · Further terms"]
        else:
            lesson = BY_ID[lesson_id]
            out += ["", f"## {lesson.number} {lesson.zh} · {lesson.en}"]
        out += header
        for entry in sorted(members, key=lambda item: item.en.casefold()):
            out.append("| " + " | ".join(_cell(value) for value in (
                entry.zh, entry.en, ", ".join(entry.abbr), entry.definition_zh,
                entry.definition_en)) + " |")
    notes = [(entry, avoid) for entry in glossary for avoid in entry.zh_avoid]
    if notes:
        out += ["", "## 译名说明 · Notes on Chinese renderings", "",
                "| 不要写 Avoid | 请写 Write | English | 说明 | Note |",
                "| --- | --- | --- | --- | --- |"]
        for entry, avoid in notes:
            out.append("| " + " | ".join(_cell(value) for value in (
                avoid.term, entry.zh, entry.en, avoid.note_zh or "", avoid.note_en or "")) + " |")
    return "\n".join(out) + "\n"


def write_glossary_md(path: str | Path | None = None, glossary: Glossary | None = None) -> Path:
    """Write GLOSSARY.md from glossary.yaml; return the path written.

    由 glossary.yaml 生成 GLOSSARY.md，返回写入的路径。
    """
    target = Path(path) if path is not None else MARKDOWN_PATH
    target.write_text(export_markdown(glossary), encoding="utf-8")
    return target


# ---------------------------------------------------------------------------
# Lint: the lesson sources must speak the glossary's language

_FENCED = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.MULTILINE | re.DOTALL)
_NON_PROSE = re.compile(
    r"<!--.*?-->"                    # HTML comments
    r"|\$\$.*?\$\$"                  # display maths
    r"|\\\[.*?\\\]|\\\(.*?\\\)"      # LaTeX maths delimiters
    r"|(?<!\\)\$[^$\n]+?(?<!\\)\$"   # inline maths
    r"|(`+).+?\1"                    # inline code
    r"|\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"  # link targets
    r"|<https?://[^>]*>|https?://\S+|www\.\S+"  # URLs
    r"|<[^>\n]+>",                   # HTML tags
    re.DOTALL)
_PLACEHOLDER = "\u2060"  # keeps positions apart; neither CJK nor Latin


def strip_non_prose(markdown: str) -> str:
    """Markdown with code, maths, URLs and HTML replaced by a neutral character.

    去掉 markdown 中的代码、公式、网址和 HTML，只留下正文。
    """
    prose = _FENCED.sub(_PLACEHOLDER, markdown)
    return _NON_PROSE.sub(lambda match: "]" if match.group(0).startswith("](")
                          else _PLACEHOLDER, prose)


@dataclass(frozen=True)
class Parenthesised:
    """An English term found in parentheses in Chinese text, and the text before it."""

    term: str
    before: str


_PARENS = re.compile(r"（([^（）\n]*)）|\(([^()\n]*)\)")
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9'’\-–. ]*[A-Za-z0-9.]|[A-Za-z]{2}")
_LEAD_IN = re.compile(r"^(?:简称|缩写为?|也叫|也称|又称|又叫|即|或|英文|英语|英文名)[：:\s]*")
_NOT_TERMS = {"eg", "e.g", "ie", "i.e", "etc", "vs", "cf", "see", "optional"}


def parenthesised_terms(markdown: str) -> list[Parenthesised]:
    """English terms given in parentheses in Chinese prose, e.g. ``交叉熵（cross-entropy）``.

    找出中文正文里括号中的英文术语。Full-width ``（…）`` always count; ASCII
    ``(…)`` only right after a Chinese character, so ``softmax(z)`` and shapes
    such as ``(N, C)`` are not terms. Maths, code, URLs and HTML are ignored.
    Several terms may share a pair of parentheses (``multilayer perceptron, MLP``).
    """
    prose = strip_non_prose(markdown)
    found = []
    for match in _PARENS.finditer(prose):
        full_width = match.group(1) is not None
        inner = match.group(1) if full_width else match.group(2)
        before = prose[: match.start()].rstrip(" \t*_")
        if not full_width and not (before and _is_cjk(before[-1])):
            continue
        inner = inner.replace("(", ",").replace(")", ",")
        for part in re.split(r"[,，;；、/]|\s+or\s+", inner):
            part = _LEAD_IN.sub("", part.strip()).strip(" \t*_\"“”'‘’")
            if not _TERM.fullmatch(part) or sum(char.isalpha() for char in part) < 2:
                continue
            if normalise(part) in _NOT_TERMS:
                continue
            found.append(Parenthesised(part, before))
    return found


def _table_cells(line: str) -> list[str] | None:
    stripped = line.strip()
    if not stripped.startswith("|"):
        return None
    body = stripped[1:-1] if stripped.endswith("|") and len(stripped) > 1 else stripped[1:]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body)]


def term_table_rows(markdown: str) -> list[tuple[str, str]]:
    """The ``(zh, en)`` rows of every term table in a markdown cell.

    取出 markdown 中术语表格的每一行（中文, 英文）。A term table's header row
    starts with ``| 中文 | English |`` or ``| English | 中文 |``; later columns
    are ignored. Markup, maths and code are stripped from the cells.
    """
    rows: list[tuple[str, str]] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        cells = _table_cells(lines[index])
        index += 1
        if not cells or len(cells) < 2:
            continue
        heads = [normalise(cell) for cell in cells[:2]]
        if heads[0].startswith("中文") and heads[1].startswith(("english", "英文")):
            zh_first = True
        elif heads[0].startswith(("english", "英文")) and heads[1].startswith("中文"):
            zh_first = False
        else:
            continue
        while index < len(lines):
            row = _table_cells(lines[index])
            if row is None:
                break
            index += 1
            if len(row) < 2 or all(re.fullmatch(r":?-{2,}:?", cell) for cell in row if cell):
                continue
            first, second = (_clean_cell(cell) for cell in row[:2])
            if first or second:
                rows.append((first, second) if zh_first else (second, first))
    return rows


def _clean_cell(cell: str) -> str:
    # a term in backticks is still the term; maths and links are not
    cleaned = strip_non_prose(re.sub(r"(`+)(.+?)\1", r"\2", cell)).replace(_PLACEHOLDER, " ")
    return " ".join(re.sub(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)", "", cleaned).split())


@dataclass(frozen=True)
class LintIssue:
    """One problem a lesson has with the glossary, with the fix in the message.

    课程文本与术语表不一致的一处问题；消息中给出改法。
    """

    notebook: str
    cell: int | None
    pair: str | None
    kind: str  # unknown_term | avoided_rendering | table_unknown | table_mismatch | missing_term
    term: str
    message: Message

    def __str__(self) -> str:
        return str(self.message)


def _cell_where(notebook: str, index: int | None, pair: str | None) -> Message:
    if index is None:
        return Message(zh="{notebook}", en="{notebook}", notebook=notebook)
    if pair is None:
        return Message(zh="{notebook} 第 {index} 个单元格", en="{notebook} cell {index}",
                       notebook=notebook, index=index)
    return Message(zh="{notebook} 第 {index} 个单元格（段落对 {pair}）",
                   en="{notebook} cell {index} (pair {pair})",
                   notebook=notebook, index=index, pair=pair)


def _suggestion_note(glossary: Glossary, term: str) -> "Message | _Both":
    close = glossary.suggest(term, limit=3)
    if not close:
        return _Both("", "")
    return Message(zh="（相近的条目：{names}）", en=" (closest entries: {names})",
                   names=", ".join(f"{entry.zh} / {entry.en}" for entry in close))


def _avoid_note(avoid: Avoid) -> "_Both":
    return _Both(avoid.note_zh or "", avoid.note_en or "")


class _AvoidIndex:
    """For every avoided rendering: is it safe to flag anywhere, and what masks it."""

    def __init__(self, glossary: Glossary):
        accepted: dict[str, set[str]] = {}
        for entry in glossary:
            for term in entry.zh_terms:
                accepted.setdefault(normalise(term), set()).add(entry.id)
        self.items = []
        for entry in glossary:
            for avoid in entry.zh_avoid:
                key = normalise(avoid.term)
                owners = accepted.get(key, set()) - {entry.id}
                masks = [other for other in accepted if key in other and other != key]
                self.items.append((entry, avoid, key, avoid.context_only or bool(owners), masks))


def _occurs_unmasked(key: str, prose: str, masks: list[str]) -> bool:
    covered = [False] * len(prose)
    for mask in masks:
        start = prose.find(mask)
        while start != -1:
            for position in range(start, start + len(mask)):
                covered[position] = True
            start = prose.find(mask, start + 1)
    start = prose.find(key)
    while start != -1:
        if not all(covered[start:start + len(key)]):
            return True
        start = prose.find(key, start + 1)
    return False


def _cell_source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _cell_lang(cell) -> str | None:
    tags = cell.get("metadata", {}).get("tags", []) or []
    return "zh" if "lang-zh" in tags else "en" if "lang-en" in tags else None


def _en_pattern(key: str) -> re.Pattern:
    # separators may appear between any letters; a word must start at the term
    return re.compile(r"(?<![a-z0-9])" + r"[\s\-‐‑–—_]*".join(map(re.escape, key)))


def lint_notebook(notebook, name: str | None = None, *, lesson_id: str | None = None,
                  glossary: Glossary | None = None) -> list[LintIssue]:
    """Check a bilingual lesson source against the glossary.

    检查一个双语课程源笔记本的用词是否与术语表一致：

    * every English term in parentheses in Chinese prose is a glossary entry;
    * every row of a term table (``| 中文 | English |``) is a glossary entry,
      both columns naming the same one;
    * no Chinese rendering the glossary marks "avoid" is used for that sense;
    * every term the glossary says this lesson teaches appears in its
      Chinese cells (a Chinese rendering) and its English cells (the English
      term or a variant).

    Parameters
    ----------
    notebook : nbformat.NotebookNode, dict or path
        The source notebook (``solutions/NN_id.ipynb``) or its path.
    name : str, optional
        How messages name the notebook; defaults to the file name.
    lesson_id : str, optional
        The lesson it is; defaults to the file name's stem if that is a lesson id.

    Returns
    -------
    list of LintIssue
        Empty when the lesson agrees with the glossary.
    """
    if isinstance(notebook, (str, Path)):
        path = Path(notebook)
        name = name or path.name
        try:
            # plain JSON is enough for reading cells, and much lighter than nbformat
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CourseValueError(zh="无法读取笔记本 {path}：{error}",
                                   en="Cannot read notebook {path}: {error}",
                                   path=path.name, error=error) from None
    name = name or "notebook"
    if lesson_id is None and Path(name).stem in BY_ID:
        lesson_id = Path(name).stem
    glossary = glossary or load_glossary()
    avoid_index = _AvoidIndex(glossary)
    issues: list[LintIssue] = []
    seen: set[tuple] = set()

    def report(index, pair, kind, term, zh, en, **fields):
        key = (index, kind, normalise(term))
        if key in seen:
            return
        seen.add(key)
        issues.append(LintIssue(name, index, pair, kind, term, Message(
            zh=zh, en=en, where=_cell_where(name, index, pair), term=term, **fields)))

    prose_by_lang = {"zh": [], "en": []}
    for index, cell in enumerate(notebook.get("cells", [])):
        lang = _cell_lang(cell)
        if cell.get("cell_type") != "markdown" or lang is None:
            continue
        source = _cell_source(cell)
        pair = (cell.get("metadata", {}).get("mlp_course") or {}).get("pair")
        prose_by_lang[lang].append(source)
        if lang == "zh":
            _lint_zh_prose(source, index, pair, glossary, avoid_index, report)
        _lint_tables(source, index, pair, glossary, report)

    if lesson_id is not None:
        _lint_taught(lesson_id, prose_by_lang, glossary, report)
    return issues


def _lint_zh_prose(source, index, pair, glossary, avoid_index, report) -> None:
    for found in parenthesised_terms(source):
        entry = glossary.resolve(found.term)
        if entry is None:
            report(index, pair, "unknown_term", found.term,
                   zh="{where}：括号中的英文术语“{term}”不在 glossary.yaml 中{close}。"
                      "请改用术语表中的写法，或请术语表维护者补充这个条目；如果它是代码，请放进反引号。",
                   en="{where}: the English term “{term}” in parentheses is not in "
                      "glossary.yaml{close}. Use the glossary's wording, ask for the entry to be "
                      "added, or, if it is code, put it in backticks.",
                   close=_suggestion_note(glossary, found.term))
            continue
        before = normalise(found.before)
        for owner, avoid, key, ambiguous, _masks in avoid_index.items:
            if owner is entry and ambiguous and before.endswith(key):
                report(index, pair, "avoided_rendering", avoid.term,
                       zh="{where}：“{term}（{en_term}）”：术语表规定 {en_term} 在这里写作“{preferred}”，"
                          "不用“{term}”。{note}",
                       en="{where}: “{term} ({en_term})”: the glossary renders {en_term} as "
                          "“{preferred}”, not “{term}”. {note}",
                       en_term=found.term, preferred=entry.zh, note=_avoid_note(avoid))
    prose = normalise(strip_non_prose(source))
    for entry, avoid, key, ambiguous, masks in avoid_index.items:
        if not ambiguous and _occurs_unmasked(key, prose, masks):
            report(index, pair, "avoided_rendering", avoid.term,
                   zh="{where}：术语表规定不用“{term}”，请写“{preferred}”（{en_term}）。{note}",
                   en="{where}: the glossary says not to write “{term}”; write “{preferred}” "
                      "({en_term}). {note}",
                   en_term=entry.en, preferred=entry.zh, note=_avoid_note(avoid))


def _lint_tables(source, index, pair, glossary, report) -> None:
    for zh_cell, en_cell in term_table_rows(source):
        zh_entry = glossary.resolve(zh_cell) if zh_cell else None
        en_entry = glossary.resolve(en_cell) if en_cell else None
        avoided = next((avoid for avoid in (en_entry.zh_avoid if en_entry else ())
                        if normalise(avoid.term) == normalise(zh_cell)), None)
        if avoided is not None:
            report(index, pair, "avoided_rendering", zh_cell,
                   zh="{where}：术语表格中 {en_term} 写成了“{term}”，术语表规定写“{preferred}”。{note}",
                   en="{where}: the term table renders {en_term} as “{term}”; the glossary says "
                      "“{preferred}”. {note}",
                   en_term=en_entry.en, preferred=en_entry.zh, note=_avoid_note(avoided))
            continue
        for cell_text, entry in ((zh_cell, zh_entry), (en_cell, en_entry)):
            if entry is None:
                report(index, pair, "table_unknown", cell_text,
                       zh="{where}：术语表格中的“{term}”不在 glossary.yaml 中{close}。"
                          "请改用术语表中的写法，或请术语表维护者补充这个条目。",
                       en="{where}: “{term}” in the term table is not in glossary.yaml{close}. "
                          "Use the glossary's wording, or ask for the entry to be added.",
                       close=_suggestion_note(glossary, cell_text))
        if zh_entry is not None and en_entry is not None and zh_entry is not en_entry:
            report(index, pair, "table_mismatch", f"{zh_cell} | {en_cell}",
                   zh="{where}：术语表格的一行“{term}”两栏不是同一个条目：“{zh_cell}”是 {zh_means}，"
                      "“{en_cell}”是 {en_means}。请写“{fix_zh} | {fix_en}”或“{alt_zh} | {alt_en}”。",
                   en="{where}: the term-table row “{term}” names two different entries: "
                      "“{zh_cell}” is {zh_means} and “{en_cell}” is {en_means}. Write "
                      "“{fix_zh} | {fix_en}” or “{alt_zh} | {alt_en}”.",
                   zh_cell=zh_cell, en_cell=en_cell, zh_means=zh_entry.en, en_means=en_entry.zh,
                   fix_zh=en_entry.zh, fix_en=en_entry.en, alt_zh=zh_entry.zh, alt_en=zh_entry.en)


def _lint_taught(lesson_id, prose_by_lang, glossary, report) -> None:
    zh_text = normalise("\n".join(prose_by_lang["zh"]))
    en_text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", "\n".join(prose_by_lang["en"]))
                     .casefold())
    for entry in glossary:
        if lesson_id not in entry.lessons:
            continue
        if not any(normalise(term) in zh_text for term in entry.zh_terms):
            report(None, None, "missing_term", entry.zh,
                   zh="{where}：glossary.yaml 说本课讲授“{term}”（{en_term}），但中文单元格中没有出现"
                      "（可接受的写法：{forms}）。请在中文正文中使用它，或请术语表维护者修改该条目的 lessons。",
                   en="{where}: glossary.yaml says this lesson teaches “{term}” ({en_term}), but "
                      "it does not appear in the Chinese cells (accepted: {forms}). Use it in the "
                      "Chinese text, or ask for the entry's lessons to be changed.",
                   en_term=entry.en, forms="、".join(entry.zh_terms))
        if not any(_en_pattern(normalise(term)).search(en_text) for term in entry.en_terms):
            report(None, None, "missing_term", entry.en,
                   zh="{where}：glossary.yaml 说本课讲授 {term}（{zh_term}），但英文单元格中没有出现"
                      "（可接受的写法：{forms}）。请在英文正文中使用它，或请术语表维护者修改该条目的 lessons。",
                   en="{where}: glossary.yaml says this lesson teaches “{term}” ({zh_term}), but "
                      "it does not appear in the English cells (accepted: {forms}). Use it in the "
                      "English text, or ask for the entry's lessons to be changed.",
                   zh_term=entry.zh, forms=", ".join(entry.en_terms))


def lint_lessons(paths: Iterable[str | Path] | None = None) -> list[LintIssue]:
    """Lint every lesson source that exists (``solutions/*.ipynb`` by default).

    检查所有已存在的课程源笔记本。
    """
    from ..syllabus import SOLUTIONS

    files = sorted(Path(path) for path in paths) if paths is not None \
        else sorted(SOLUTIONS.glob("*.ipynb"))
    issues: list[LintIssue] = []
    for path in files:
        issues += lint_notebook(path)
    return issues


# ---------------------------------------------------------------------------
# Command line: python -m mlp_course glossary ...

def _display_width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in value)


def _pad(value: str, width: int) -> str:
    return value + " " * max(0, width - _display_width(value))


def _peek_language(argv: list[str]) -> str | None:
    for index, word in enumerate(argv):
        if word == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith("--lang="):
            return word.split("=", 1)[1]
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mlp_course glossary",
        description=text(
            zh="查询课程的中英术语表（glossary.yaml）。不区分大小写、空格、连字符和全角。",
            en="Look terms up in the course's zh–en glossary (glossary.yaml). Case, spaces, "
               "hyphens and full-width forms do not matter."),
        epilog=text(zh="例：python -m mlp_course glossary 交叉熵；glossary --search soft；"
                       "glossary --export markdown --output GLOSSARY.md",
                    en="Examples: python -m mlp_course glossary cross entropy; glossary --search "
                       "soft; glossary --export markdown --output GLOSSARY.md"))
    parser.add_argument("term", nargs="*",
                        help=text(zh="要查询的术语（中文、英文或缩写）", en="the term to look up "
                                  "(Chinese, English or an abbreviation)"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true",
                      help=text(zh="列出全部术语", en="list every term"))
    mode.add_argument("--search", metavar="Q",
                      help=text(zh="按前缀或子串搜索", en="search by prefix or substring"))
    mode.add_argument("--export", choices=["csv", "markdown"],
                      help=text(zh="导出整张表", en="export the whole table"))
    parser.add_argument("--output", metavar="FILE",
                        help=text(zh="导出到文件（默认输出到终端）",
                                  en="write the export to FILE (default: standard output)"))
    parser.add_argument("--lang", choices=["zh", "en"],
                        help=text(zh="显示语言", en="language of the output"))
    parser.add_argument("--file", metavar="YAML", help=text(
        zh="使用另一个术语表文件（默认：课程包中的 glossary.yaml）",
        en="use another glossary file (default: the glossary.yaml in the package)"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m mlp_course glossary``: look up, list, search or export the glossary.

    命令行入口：查询、列出、搜索或导出术语表。Returns the exit code: 0 on
    success, 1 for an unknown term or an empty search, 2 for a usage error or a
    malformed glossary.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    requested = _peek_language(argv)
    with language(requested if requested in ("zh", "en") else get_language()):
        try:
            return _main(argv)
        except SystemExit as exit_:  # argparse exits on --help and usage errors
            return exit_.code if isinstance(exit_.code, int) else 2
        except GlossaryError as error:
            print(error, file=sys.stderr)
            return 2


def _main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    term = " ".join(args.term).strip()
    if term and (args.list or args.search is not None or args.export):
        parser.error(text(zh="查询术语时不能同时使用 --list、--search 或 --export。",
                          en="give a term, or --list, --search or --export, not both."))
    if args.output and not args.export:
        parser.error(text(zh="--output 只能与 --export 一起使用。",
                          en="--output only goes with --export."))
    glossary = load_glossary(args.file)
    if args.export:
        content = export_csv(glossary) if args.export == "csv" else export_markdown(glossary)
        if args.output:
            Path(args.output).write_text(content, encoding="utf-8")
            print(text(zh="已写入 {path}（{n} 个条目）。", en="Wrote {path} ({n} entries).",
                       path=args.output, n=len(glossary)))
        else:
            sys.stdout.write(content)
        return 0
    if args.list:
        rows = []
        for entry in sorted(glossary, key=lambda item: item.en.casefold()):
            en = entry.en + (f" ({', '.join(entry.abbr)})" if entry.abbr else "")
            rows.append((entry.zh, en) if get_language() == "zh" else (en, entry.zh))
        width = max(_display_width(first) for first, _ in rows) + 2
        for first, second in rows:
            print(_pad(first, width) + second)
        return 0
    if args.search is not None:
        results = glossary.search(args.search)
        if not results:
            print(NoMatch(args.search, tuple(glossary.suggest(args.search))), file=sys.stderr)
            return 1
        for entry in results:
            print(f"{entry._name()} — {entry.short_definition()}")
        return 0
    if not term:
        parser.print_help()
        return 2
    result = glossary.lookup(term)
    if not result.found:
        print(result, file=sys.stderr)
        return 1
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
