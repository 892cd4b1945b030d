"""The glossary as CSV and as the bilingual GLOSSARY.md.

把术语表导出为 CSV 和双语的 GLOSSARY.md。
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..syllabus import BY_ID, COURSE, ROOT
from .loading import load_glossary
from .model import Entry, Glossary

MARKDOWN_PATH = ROOT / "GLOSSARY.md"
EXPORT_COMMAND = "python -m mlp_course glossary --export markdown --output GLOSSARY.md"


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
