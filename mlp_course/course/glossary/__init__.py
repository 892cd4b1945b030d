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

The package's modules, each importing only those above it:

* :mod:`.model` — entries, look-up, search, :class:`GlossaryError`;
* :mod:`.loading` — reading ``glossary.yaml`` and its schema check;
* :mod:`.export` — CSV and GLOSSARY.md;
* :mod:`.lint` — the lesson lint;
* :mod:`.cli` — ``python -m mlp_course glossary``.
"""

from __future__ import annotations

from .model import Avoid, Entry, Glossary, GlossaryError, NoMatch, normalise
from .loading import GLOSSARY_PATH, check_schema, glossary_search, load_glossary, lookup
from .export import EXPORT_COMMAND, MARKDOWN_PATH, export_csv, export_markdown, write_glossary_md
from .lint import (LintIssue, Parenthesised, lint_lessons, lint_notebook, parenthesised_terms,
                   strip_non_prose, term_table_rows)
from .cli import main

__all__ = [
    "GLOSSARY_PATH", "MARKDOWN_PATH", "EXPORT_COMMAND", "GlossaryError", "Avoid", "Entry",
    "NoMatch", "Glossary", "normalise", "load_glossary", "check_schema", "lookup",
    "glossary_search", "export_csv", "export_markdown", "write_glossary_md",
    "strip_non_prose", "Parenthesised", "parenthesised_terms", "term_table_rows",
    "LintIssue", "lint_notebook", "lint_lessons", "main",
]
