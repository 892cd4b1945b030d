"""Code comments and docstrings in the learner's language.

代码注释与文档字符串也用学习者的语言：源笔记本的代码单元格里写成中英成对的形式，
``build`` 生成学生版时只保留学习者的那一种语言。

A source code cell is shared by both languages, so its comments and docstrings
are written as pairs that ``build`` resolves:

* **Comment pairs.** A comment that starts with ``zh:`` reaches only Chinese
  learners, one that starts with ``en:`` only English learners; the prefix is
  removed. A whole-line pair is two (or more) lines, Chinese first::

      # zh: 每一行减去它的最大值，exp 就不会上溢
      # en: subtract each row's maximum so that exp cannot overflow
      shifted = z - z.max(axis=-1, keepdims=True)

  A trailing pair sits on one line, Chinese first::

      y = np.array([0, 2, 1])  # zh: 类别索引从 0 开始  # en: class indices start at 0

* **Docstring sections.** Inside a triple-quoted docstring, a line holding only
  ``[zh]`` or ``[en]`` opens that language's section; it runs to the next
  marker or to the closing quotes. Lines before the first marker are shared::

      def softmax(z):
          \"\"\"
          [zh]
          沿最后一个轴计算 softmax。

          参数
          ----
          z : numpy.ndarray，形状 (N, C) 或 (C,)
          [en]
          Softmax along the last axis.

          Parameters
          ----------
          z : numpy.ndarray, shape (N, C) or (C,)
          \"\"\"

Comments and strings are found with Python's tokenizer, so ``"# zh:"`` inside a
string literal is left alone. IPython magics (``%matplotlib inline``) are fine.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from ..i18n import require_language

_PREFIX = re.compile(r"^#\s*(zh|en):\s?(.*)$", re.DOTALL)
_TRAILING_PAIR = re.compile(r"^#\s*zh:\s?(.*?)\s*#\s*en:\s?(.*)$", re.DOTALL)
_MARKER = re.compile(r"^\s*\[(zh|en)\]\s*$")
_MAGIC = re.compile(r"^([ \t]*)([%!].*)$")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _masked(source: str) -> str:
    """The source with IPython magic lines replaced by same-length names, for the tokenizer."""
    lines = source.split("\n")
    for index, line in enumerate(lines):
        match = _MAGIC.match(line)
        if match:
            lines[index] = match.group(1) + "_" * len(match.group(2))
    return "\n".join(lines)


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(_masked(source) + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def _offsets(source: str) -> list[int]:
    starts, total = [], 0
    for line in source.split("\n"):
        starts.append(total)
        total += len(line) + 1
    return starts


def _docstrings(tokens: list[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    """Triple-quoted strings that stand alone as a statement (docstrings and the like)."""
    found, previous = [], None
    for token in tokens:
        if token.type in (tokenize.NL, tokenize.COMMENT):
            continue
        if (token.type == tokenize.STRING
                and re.match(r"^[rRuU]?('''|\"\"\")", token.string)
                and (previous is None or previous.type in (tokenize.NEWLINE, tokenize.INDENT,
                                                           tokenize.DEDENT))):
            found.append(token)
        previous = token
    return found


def _resolve_docstring(text: str, lang: str) -> str:
    lines = text.split("\n")
    if len(lines) == 1 or not any(_MARKER.match(line) for line in lines):
        return text
    kept, section = [], None
    last = len(lines) - 1
    for index, line in enumerate(lines):
        marker = _MARKER.match(line)
        if marker:
            section = marker.group(1)
            continue
        if index == last:
            section = None
        if section is None or section == lang:
            kept.append(line)
    # no blank line left just before the closing quotes
    while len(kept) > 2 and not kept[-2].strip():
        del kept[-2]
    # the summary moves up onto the line of the opening quotes
    opening = kept[0].strip()
    if opening in ('"""', "'''", 'r"""', "r'''") and len(kept) > 2 and kept[1].strip():
        kept[0] = kept[0] + kept[1].strip()
        del kept[1]
    return "\n".join(kept)


def localize(source: str, lang: str) -> str:
    """The code of a source cell as a learner of ``lang`` sees it.

    把源单元格的代码变成学习者所用语言的版本：只保留该语言的注释和文档字符串段落。
    """
    require_language(lang)
    if "zh:" not in source and "en:" not in source and "[zh]" not in source:
        return source
    tokens = _tokens(source)
    if not tokens:
        return source
    starts = _offsets(source)
    lines = source.split("\n")
    edits: list[tuple[int, int, str]] = []  # (start offset, end offset, replacement)

    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        (row, col), (_, end_col) = token.start, token.end
        comment = source[starts[row - 1] + col: starts[row - 1] + end_col]
        pair = _TRAILING_PAIR.match(comment)
        single = _PREFIX.match(comment)
        if pair:
            kept = pair.group(1 if lang == "zh" else 2).strip()
        elif single:
            kept = single.group(2).rstrip() if single.group(1) == lang else None
        else:
            continue
        line = lines[row - 1]
        whole_line = not line[:col].strip()
        if kept is not None:
            edits.append((starts[row - 1] + col, starts[row - 1] + end_col, "# " + kept))
        elif whole_line:
            end = starts[row] if row < len(lines) else len(source)
            begin = starts[row - 1]
            if row == len(lines) and row > 1:  # the last line: take the newline before it
                begin -= 1
            edits.append((begin, end, ""))
        else:
            code_end = len(line[:col].rstrip())
            edits.append((starts[row - 1] + code_end, starts[row - 1] + end_col, ""))

    for token in _docstrings(tokens):
        (row, col), (end_row, end_col) = token.start, token.end
        begin, end = starts[row - 1] + col, starts[end_row - 1] + end_col
        text = source[begin:end]
        resolved = _resolve_docstring(text, lang)
        if resolved != text:
            edits.append((begin, end, resolved))

    for begin, end, replacement in sorted(edits, reverse=True):
        source = source[:begin] + replacement + source[end:]
    return source


# ---------------------------------------------------------------------------
# What the tests look at

@dataclass
class Remark:
    """One line of a comment or docstring: where it is and what it says."""
    kind: str   # "comment" or "docstring"
    line: int   # 1-based line in the cell
    text: str


def remarks(source: str) -> list[Remark]:
    """Every comment and every docstring line of a cell's code."""
    found = []
    tokens = _tokens(source)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            found.append(Remark("comment", token.start[0], token.string))
    for token in _docstrings(tokens):
        for offset, line in enumerate(token.string.split("\n")):
            found.append(Remark("docstring", token.start[0] + offset, line))
    return sorted(found, key=lambda remark: remark.line)


def unpaired(source: str) -> list[Remark]:
    """Comments or docstring sections of a source cell that lack their other language.

    源单元格中缺少另一种语言的注释或文档字符串段落。
    """
    problems = []
    tokens = _tokens(source)
    runs: list[list[tuple[str, int, str]]] = []
    last_row = None
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        if _TRAILING_PAIR.match(token.string):
            last_row = None
            continue
        single = _PREFIX.match(token.string)
        if not single:
            last_row = None
            continue
        entry = (single.group(1), token.start[0], token.string)
        if token.line[:token.start[1]].strip():  # a trailing comment pairs on its own line
            problems.append(Remark("comment", token.start[0], token.string))
            last_row = None
            continue
        if last_row is not None and token.start[0] == last_row + 1 and runs:
            runs[-1].append(entry)
        else:
            runs.append([entry])
        last_row = token.start[0]
    for run in runs:
        langs = [entry[0] for entry in run]
        first_en = langs.index("en") if "en" in langs else len(langs)
        ordered = (langs[:first_en] == ["zh"] * first_en
                   and langs[first_en:] == ["en"] * (len(langs) - first_en))
        if not ("zh" in langs and "en" in langs and ordered):
            problems.append(Remark("comment", run[0][1], run[0][2]))
    for token in _docstrings(tokens):
        markers = [m.group(1) for m in map(_MARKER.match, token.string.split("\n")) if m]
        if markers and sorted(set(markers)) != ["en", "zh"]:
            problems.append(Remark("docstring", token.start[0], token.string.split("\n")[0]))
    return problems


# English words that show a line is written in English prose (not a formula or a name)
_ENGLISH = frozenset("""
an the of to in on at by for from with without into onto as is are was were be been being
it its this that these those each every and or not no nor but if then else when while than
which who whose what where how only also same one two here there can cannot must may might
should would will do does did done has have had use uses used so such any all some
shape shapes returns return parameters parameter raises example examples notes see
""".split())
# names of formulas and code that read the same in both languages
_NEUTRAL = frozenset("""
exp log ln max min sum mean softmax logsumexp lse logits logit nan inf argmax argmin relu
tanh sigmoid torch numpy np dtype float int dim axis keepdims grad std var nll kl ce mse sgd
abs sign diag outer eye zeros ones true false none self def lambda print len range lr eps id
float32 float64 int64 noqa autograd jacobian hessian mlp sigma delta
""".split())
_SECTION = re.compile(r"^\s*(Parameters|Returns|Raises|Yields|Examples?|Notes|See Also)\s*$")
_CODE_SPAN = re.compile(r"`[^`]*`")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\w*[_0-9]\w*")


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def is_english_prose(text: str) -> bool:
    """True for a line without Chinese that reads as English (not just a formula or names):
    an English function word, a section header, or two plain English words."""
    if has_chinese(text):
        return False
    if _SECTION.match(text.lstrip("# ")):
        return True
    bare = _IDENTIFIER.sub(" ", _CODE_SPAN.sub(" ", text))
    words = [word.lower() for word in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", bare)]
    if any(word in _ENGLISH for word in words):
        return True
    plain = [word for word in words if len(word) >= 3 and word not in _NEUTRAL]
    return len(plain) >= 2


def wrong_language(source: str, lang: str) -> list[Remark]:
    """Comment and docstring lines of a student cell not written in ``lang``.

    学生版单元格中不是 ``lang`` 语言的注释和文档字符串行。Chinese learners must
    not meet English prose; English learners must not meet Chinese.
    """
    found = []
    for remark in remarks(source):
        text = remark.text
        if remark.kind == "comment" and re.match(r"^#+\s*(noqa|type:|pragma|BEGIN SOLUTION|END SOLUTION)",
                                                  text):
            continue
        if lang == "zh" and is_english_prose(text):
            found.append(remark)
        elif lang == "en" and has_chinese(text):
            found.append(remark)
    return found
