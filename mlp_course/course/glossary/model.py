"""The glossary's data model: entries, look-up by any spelling, search, and its errors.

术语表的数据模型：条目、按任意写法查询、搜索，以及格式错误。
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..syllabus import BY_ID
from ...i18n import CourseTypeError, CourseValueError, Message, get_language, text


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
        return Message.verbatim(self.note_zh or "", self.note_en or "").render()


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
