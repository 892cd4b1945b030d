"""Chinese typography of the lessons: one style, checked, with file, cell and text named.

中文排版检查。规则（每条都在下面的单元测试里有正反例）：

1. 引号用全角 “ ”（不用 ASCII 的 " 或 '，也不用「」）。
2. 括号成对且同宽：中文语境用全角（），内容含中文的括号一律全角；不混用（…) 或 (…）。
3. 空格：中文与拉丁字母、数字、希腊字母、行内代码或公式之间留一个半角空格；
   中文标点两侧不留空格。
4. 一个概念一个词，用术语表（glossary.yaml）首选的写法：类别索引（不写类别编号、类别序号、
   类别下标），批量（不写批次）……
5. 每课第一次在中文里写 one-hot 之前（或同时）要先给出中文名“独热编码”。

Checked: the Chinese markdown cells of every source notebook, the Chinese comments
and docstrings of its code (as a Chinese learner sees them) and the ``zh=`` strings
of its ``text(...)`` / ``label(...)`` calls. Code spans, maths, fenced code, HTML
tags and link targets are left out.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

import pytest

from mlp_course.course import notebooks
from mlp_course.course.bilingual_code import localize, remarks
from mlp_course.course.glossary import load_glossary
from mlp_course.course.syllabus import COURSE

SOURCES = [lesson for lesson in COURSE if lesson.source.exists()]
IDS = [lesson.id for lesson in SOURCES]

HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
CJK_PUNCT = "，。、；：？！“”‘’（）《》【】…—「」"
LATIN = r"A-Za-z0-9\u0370-\u03ff"
# the placeholder that stands for a code span or a formula: it counts as Latin text
SPAN = "\ue000"

# rule 4: the avoided term → the glossary's preferred one
PREFERRED = {
    "类别编号": "类别索引",
    "类别序号": "类别索引",
    "类别下标": "类别索引",
    "批次大小": "批量大小",
    "批大小": "批量大小",
    "小批次": "小批量",
    "批次": "批量",
}


@dataclass
class Finding:
    rule: str
    text: str

    def __str__(self) -> str:
        return f"[{self.rule}] …{self.text}…"


def prose(markdown: str) -> str:
    """The Chinese prose of a markdown text: code, maths, HTML and URLs replaced by a placeholder."""
    text = re.sub(r"```.*?```", "\n", markdown, flags=re.DOTALL)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$\$.*?\$\$", SPAN, text, flags=re.DOTALL)
    text = re.sub(r"(?<!\\)\$[^$\n]+?(?<!\\)\$", SPAN, text)
    text = re.sub(r"``[^`]+``|`[^`\n]+`", SPAN, text)
    text = re.sub(r"\]\([^)\s]*\)", "]", text)          # link targets
    text = re.sub(r"<[A-Za-z/][^>\n]*>", " ", text)     # HTML tags such as <details>
    text = re.sub(r"https?://\S+", SPAN, text)
    # CommonMark needs a space between `。**` and a following Chinese character (and between
    # a Chinese character and `**“`) for the emphasis to close (open): that space is no mistake
    text = re.sub(f"([{CJK_PUNCT}])(\\*\\*?) +", r"\1\2", text)
    text = re.sub(f" +(\\*\\*?)([{CJK_PUNCT}])", r"\1\2", text)
    text = re.sub(r"\*\*|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])", "", text)  # emphasis marks
    text = re.sub(r"^\s*(?:[-*+]|\d+\.|>|#+|\|)\s*", "", text, flags=re.MULTILINE)
    return text


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 12): end + 12].replace("\n", " ").replace(SPAN, "`…`")


def lint(text: str) -> list[Finding]:
    """Typography problems of one piece of Chinese prose (already passed through ``prose``)."""
    if not re.search(f"[{HAN}]", text):
        return []
    found: list[Finding] = []

    def add(rule, match):
        found.append(Finding(rule, _context(text, match.start(), match.end())))

    # 1. quotes
    for match in re.finditer(r'"', text):
        add("ASCII 引号 → “ ”", match)
    for match in re.finditer(f"(?<=[{HAN}])'|'(?=[{HAN}])", text):
        add("ASCII 引号 → ‘ ’ 或 “ ”", match)
    for match in re.finditer(r"[「」『』]", text):
        add("引号统一用 “ ”", match)

    # 2. brackets: pair them up on each line
    for line in text.split("\n"):
        stack: list[tuple[str, int]] = []
        for index, char in enumerate(line):
            if char in "(（":
                stack.append((char, index))
            elif char in ")）" and stack:
                opening, start = stack.pop()
                inner = line[start + 1:index]
                if (opening == "(") != (char == ")"):
                    found.append(Finding("括号半角全角混用", _context(line, start, index)))
                elif (opening == "(" and re.search(f"[{HAN}]", inner)
                      and not (start > 0 and re.match(r"[A-Za-z0-9_)\]]", line[start - 1]))
                      and ", " not in inner):
                    # a call such as log(似然) or p(第 0 类), or a tuple such as a shape
                    # (输出, 输入), is maths notation: half-width
                    found.append(Finding("内容含中文的括号用全角（）", _context(line, start, index)))
                elif opening == "(" and start > 0 and re.match(f"[{HAN}]", line[start - 1]):
                    found.append(Finding("中文后的括号用全角（）", _context(line, start, index)))

    # 3. spacing
    for match in re.finditer(f"[{HAN}](?=[{LATIN}{SPAN}])|[{LATIN}{SPAN}](?=[{HAN}])", text):
        add("中文与拉丁字母、数字、代码或公式之间要有空格", match)
    for match in re.finditer(f"[{CJK_PUNCT}] +(?=\\S)|(?<=\\S) +[{CJK_PUNCT}]", text):
        if match.group().strip() in "“‘（《【" and match.group().startswith(" "):
            continue  # a space before an opening quote or bracket after Latin text is fine
        if match.group().strip() in "”’）》】" and match.group().endswith(" "):
            continue  # and after a closing one
        add("中文标点两侧不留空格", match)

    # 4. one term per concept
    for avoided, preferred in PREFERRED.items():
        for match in re.finditer(re.escape(avoided), text):
            if preferred.startswith(avoided) or avoided in preferred:
                continue
            if avoided == "批次" and text[match.end():match.end() + 2] == "大小":
                continue  # reported as 批次大小 already
            if avoided == "批次" and text[max(0, match.start() - 1):match.start()] == "小":
                continue  # reported as 小批次 already
            found.append(Finding(f"术语统一：{avoided} → {preferred}",
                                 _context(text, match.start(), match.end())))
    return found


# ---------------------------------------------------------------------------
# Collecting the Chinese text of a source notebook

def _zh_strings(code: str) -> list[str]:
    """The values of ``zh="..."`` keyword arguments in a code cell."""
    masked = re.sub(r"(?m)^([ \t]*)([%!].*)$", lambda m: m.group(1) + "_" * len(m.group(2)), code)
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(masked + "\n").readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError):
        return []
    values = []
    for first, second, third in zip(tokens, tokens[1:], tokens[2:]):
        if (first.type == tokenize.NAME and first.string == "zh" and second.string == "="
                and third.type == tokenize.STRING):
            raw = re.sub(r"^[rRbBuUfF]*", "", third.string)
            quote = raw[:3] if raw[:3] in ('"""', "'''") else raw[0]
            values.append(raw[len(quote):-len(quote)])
    return values


def chinese_texts(notebook) -> list[tuple[int, str, str]]:
    """(cell index, where, prose) for every piece of Chinese a learner reads."""
    texts = []
    for index, cell in enumerate(notebook.cells):
        lang = notebooks.cell_lang(cell)
        if cell.cell_type == "markdown" and lang == "zh":
            texts.append((index, "markdown", prose(cell.source)))
        elif cell.cell_type == "code" and lang in (None, "zh"):
            code = localize(cell.source, "zh")
            for remark in remarks(code):
                line = re.sub(r'^[rRuU]?("""|\'\'\')|("""|\'\'\')$', "", remark.text.strip())
                line = line.lstrip("#").strip()
                # a quoted ASCII value in code text is a Python literal ("relu"), not a quotation
                line = re.sub(r"([\"'])[\x20-\x7e]*?\1", SPAN, line)
                texts.append((index, f"{remark.kind} line {remark.line}", prose(line)))
            for value in _zh_strings(cell.source):
                # {placeholders} stand for numbers or names: Latin text
                texts.append((index, "zh= string", prose(re.sub(r"\{[^{}]*\}", "x", value))))
    return texts


def lesson_findings(lesson) -> list[str]:
    notebook = notebooks.read(lesson.source)
    name = f"solutions/{lesson.source.name}"
    report = []
    for index, where, text in chinese_texts(notebook):
        report += [f"{name} cell {index} ({where}) {finding}" for finding in lint(text)]
    # rule 5: 独热编码 comes with (or before) the first one-hot of a lesson
    joined = "\n".join(text for _, where, text in chinese_texts(notebook) if where == "markdown")
    first_one_hot, first_name = joined.find("one-hot"), joined.find("独热")
    if first_one_hot >= 0 and (first_name < 0 or first_name > first_one_hot + 20):
        report.append(f"{name} [one-hot 先出现，中文名“独热编码”后出现] "
                      f"…{_context(joined, first_one_hot, first_one_hot + 7)}…")
    return report


# ---------------------------------------------------------------------------
# The rules on small examples

@pytest.mark.parametrize("text, rule", [
    ('例如"与 PyTorch 的最大差"', "ASCII 引号"),
    ("菜单「运行」", "引号统一用"),
    ("交叉熵（cross-entropy)", "混用"),
    ("样本 (N 个样本)", "内容含中文"),
    ("交叉熵(cross-entropy)", "中文后的括号"),
    ("损失(θ_A) 更小", "中文后的括号"),
    ("用NumPy实现", "之间要有空格"),
    ("共3类", "之间要有空格"),
    ("调用`softmax`函数", "之间要有空格"),
    ("公式$p$的值", "之间要有空格"),
    ("概率 ， 然后", "中文标点两侧不留空格"),
    ("第 n 个样本的类别编号", "类别编号 → 类别索引"),
    ("每个批次的损失", "批次 → 批量"),
    ("批次大小为 32", "批次大小 → 批量大小"),
])
def test_a_rule_catches_its_mistake(text, rule):
    findings = lint(prose(text))
    assert any(rule in f.rule for f in findings), (text, findings)


@pytest.mark.parametrize("text", [
    "例如“与 PyTorch 的最大差 `1e-16`”。",
    "交叉熵（cross-entropy）衡量差异，形状为 (N, C)。",
    "调用 `softmax(z)` 得到概率，公式 $p_i$ 见上。",
    "用 **softmax** 把分数变成概率；第 1 课讲过。",
    "见 [01 Softmax](01_softmax.ipynb)，或 <details><summary>答案</summary>",
    "```python\nprint(\"不检查代码块\")\n```",
    "批量大小 N、小批量与类别索引都按术语表书写。",
    "English only \"quotes\" (here) are not checked",
    "**1. 输出是概率分布。** 每一项都为正；-log(似然) / N 与 p(第 0 类) 是函数记号。",
    "用 **“独热编码”** 表示",
])
def test_good_text_passes(text):
    assert lint(prose(text)) == []


def test_zh_strings_are_read_from_code():
    code = 'print(text(zh="总和 = {s}", en="sum = {s}", s=1))\n%matplotlib inline\nlabel(zh=\'类别\', en="class")'
    assert _zh_strings(code) == ["总和 = {s}", "类别"]


def test_the_preferred_terms_are_the_glossarys():
    glossary = load_glossary()
    by_zh = {entry.zh: entry for entry in glossary}
    for avoided, preferred in PREFERRED.items():
        assert preferred in by_zh, f"{preferred} is not a glossary term"
        entry = by_zh[preferred]
        known = set(entry.zh_alt) | {avoid.term for avoid in entry.zh_avoid}
        assert avoided in known, f"the glossary entry {entry.id} does not know {avoided}"


# ---------------------------------------------------------------------------
# Every lesson

@pytest.mark.parametrize("lesson", SOURCES, ids=IDS)
def test_chinese_typography_of_the_lesson(lesson):
    report = lesson_findings(lesson)
    assert not report, f"{len(report)} typography problem(s):\n" + "\n".join(report)
