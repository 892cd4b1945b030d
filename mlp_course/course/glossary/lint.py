"""The lesson lint: the lesson sources must speak the glossary's language.

课程文本用词检查：课程源笔记本必须使用术语表中的译法。
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..syllabus import BY_ID
from ...i18n import CourseValueError, Message
from .loading import load_glossary
from .model import Avoid, Glossary, _is_cjk, normalise


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


def _suggestion_note(glossary: Glossary, term: str) -> Message:
    close = glossary.suggest(term, limit=3)
    if not close:
        return Message.verbatim("", "")
    return Message(zh="（相近的条目：{names}）", en=" (closest entries: {names})",
                   names=", ".join(f"{entry.zh} / {entry.en}" for entry in close))


def _avoid_note(avoid: Avoid) -> Message:
    return Message.verbatim(avoid.note_zh or "", avoid.note_en or "")


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
