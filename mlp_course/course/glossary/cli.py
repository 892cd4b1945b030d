"""``python -m mlp_course glossary``: look up, list, search or export the glossary.

命令行：查询、列出、搜索或导出术语表。
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

from ...i18n import get_language, language, language_option, text
from .export import export_csv, export_markdown
from .loading import load_glossary
from .model import GlossaryError, NoMatch


def _display_width(value: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in value)


def _pad(value: str, width: int) -> str:
    return value + " " * max(0, width - _display_width(value))


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
    try:
        requested = language_option(argv)[0]
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    with language(requested or get_language()):
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
