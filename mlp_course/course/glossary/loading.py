"""Reading ``glossary.yaml`` (package data) and checking it against its schema.

读取课程包中的术语表文件，并按其格式说明逐项检查。
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ..syllabus import BY_ID
from ...i18n import Message
from .model import Avoid, Entry, Glossary, GlossaryError, NoMatch, normalise

# The vocabulary is package data, so an installed package finds it too.
GLOSSARY_PATH = Path(str(resources.files(__package__) / "glossary.yaml"))


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
        expected=Message.verbatim(expected_zh, expected_en), got=_describe(value))


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
                        why=Message.verbatim("就是本条目自己", "is this entry itself") if related == label
                        else Message.verbatim("不存在", "does not exist"))
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
