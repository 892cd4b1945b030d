"""The lesson lint (mlp_course/course/glossary/lint.py): lessons must use the glossary's terms.

Unit tests run on small notebooks built in memory; the last test lints every
lesson source that exists under solutions/.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from mlp_course.course import glossary as g
from mlp_course.course.syllabus import SOLUTIONS
from mlp_course.i18n import CourseValueError, language


def _pair(pair_id: str, zh: str, en: str) -> list:
    zh_cell = nbformat.v4.new_markdown_cell(zh, metadata={
        "tags": ["lang-zh"], "mlp_course": {"pair": pair_id}})
    en_cell = nbformat.v4.new_markdown_cell(en, metadata={
        "tags": ["lang-en"], "mlp_course": {"pair": pair_id}})
    return [zh_cell, en_cell]


def _notebook(*pairs: tuple[str, str, str], code: str = "x = 1") -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(code)]
    for pair in pairs:
        cells += _pair(*pair)
    return nbformat.v4.new_notebook(cells=cells)


def _kinds(issues) -> list[tuple[str, str]]:
    return sorted((issue.kind, issue.term) for issue in issues)


# ---------------------------------------------------------------------------
# Finding English terms in parentheses

@pytest.mark.parametrize("markdown, terms", [
    ("交叉熵（cross-entropy）衡量两个分布的差异。", ["cross-entropy"]),
    ("交叉熵 (cross entropy) 与 **熵**（entropy）", ["cross entropy", "entropy"]),
    ("多层感知机（multilayer perceptron, MLP）", ["multilayer perceptron", "MLP"]),
    ("负对数似然（negative log-likelihood，简称 NLL）", ["negative log-likelihood", "NLL"]),
    ("单位是奈特（nat/bit）", ["nat", "bit"]),
    ("交叉熵（cross-entropy (CE)）", ["cross-entropy", "CE"]),
    ("**反向传播**（*backpropagation*）", ["backpropagation"]),
])
def test_parenthesised_terms_are_found(markdown, terms):
    assert [found.term for found in g.parenthesised_terms(markdown)] == terms


@pytest.mark.parametrize("markdown", [
    "形状为 (N, C) 的矩阵",                   # a shape, and no term
    "调用 softmax(z) 得到概率",               # a call after a Latin letter
    "公式 $\\mathrm{softmax}(z)$（见上）",     # maths, and Chinese in the parentheses
    "代码 `np.exp(x)`（numpy）里",             # the term sits right after code: still checked
    "见 [文档](https://example.org/(page))",   # a URL
    "（例如 N）个样本",                        # one letter is not a term
    "（即 e.g.）",                             # Latin abbreviations are not terms
    "```python\n交叉熵（crossentropy_fn）\n```",  # fenced code
    "<!-- 注释（comment） -->",               # HTML comment
    "English text (cross-entropy) only",      # ASCII parentheses after Latin text
])
def test_non_terms_are_ignored(markdown):
    found = [item.term for item in g.parenthesised_terms(markdown)]
    if "numpy" in markdown:
        assert found == ["numpy"]
    else:
        assert found == []


def test_text_before_the_parenthesis_is_kept_for_the_rendering_check():
    (found,) = g.parenthesised_terms("每层都有**偏置**（bias）")
    assert found.term == "bias" and found.before.endswith("偏置")


# ---------------------------------------------------------------------------
# Term tables

def test_term_table_rows_in_both_column_orders():
    zh = "| 中文 | English | 说明 |\n|---|---|---|\n| **交叉熵** | `cross-entropy` | 损失 |\n| 熵 | entropy | |"
    en = "| English | 中文 |\n| :-- | --: |\n| cross-entropy | 交叉熵 |\n\nAfter the table."
    assert g.term_table_rows(zh) == [("交叉熵", "cross-entropy"), ("熵", "entropy")]
    assert g.term_table_rows(en) == [("交叉熵", "cross-entropy")]


def test_other_tables_are_not_term_tables():
    assert g.term_table_rows("| 名称 | 公式 |\n|---|---|\n| 输出层误差 | $\\delta$ |") == []


# ---------------------------------------------------------------------------
# Linting a notebook

CLEAN = _notebook(
    ("intro", "交叉熵（cross-entropy）衡量两个分布的差异；熵（entropy）是它的下界。",
     "Cross-entropy measures how two distributions differ; entropy is its lower bound."),
    ("table", "| 中文 | English |\n|---|---|\n| 交叉熵 | cross-entropy |\n| 偏置 | bias |",
     "| English | 中文 |\n|---|---|\n| cross-entropy | 交叉熵 |\n| bias | 偏置 |"),
)


def test_clean_notebook_has_no_issues():
    assert g.lint_notebook(CLEAN, "draft.ipynb") == []


def test_unknown_parenthesised_term_is_named_with_notebook_cell_and_fix():
    notebook = _notebook(("p1", "交叉熵（crossentropie）很重要。", "Cross-entropy matters."))
    (issue,) = g.lint_notebook(notebook, "draft.ipynb")
    assert (issue.kind, issue.term, issue.cell, issue.pair) == (
        "unknown_term", "crossentropie", 1, "p1")
    with language("en"):
        message = str(issue)
        assert "draft.ipynb" in message and "cell 1" in message and "pair p1" in message
        assert "crossentropie" in message and "glossary.yaml" in message
        assert "cross-entropy" in message  # the closest entry is suggested
    with language("zh"):
        assert "第 1 个单元格" in str(issue) and "段落对 p1" in str(issue)


def test_english_cells_are_not_checked_for_parentheses():
    notebook = _notebook(("p1", "交叉熵很重要。", "Cross-entropy (crossentropie) matters."))
    assert g.lint_notebook(notebook, "draft.ipynb") == []


def test_ambiguous_avoided_rendering_is_flagged_next_to_its_english_term():
    notebook = _notebook(("p1", "线性层有权重和偏差（bias）。", "A linear layer has weights and a bias."))
    (issue,) = g.lint_notebook(notebook, "draft.ipynb")
    assert (issue.kind, issue.term) == ("avoided_rendering", "偏差")
    with language("en"):
        assert "“偏置”" in str(issue) and "d2l" in str(issue)


def test_ambiguous_avoided_rendering_is_fine_in_its_own_sense():
    # 偏差 is the preferred term for statistical bias, so plain use is allowed
    notebook = _notebook(("p1", "估计量的偏差（statistical bias）与方差。",
                          "The statistical bias and the variance of an estimator."))
    assert g.lint_notebook(notebook, "draft.ipynb") == []


def test_unambiguous_avoided_rendering_is_flagged_anywhere_in_chinese_text():
    notebook = _notebook(
        ("p1", "softmax 又称柔性最大值。", "Softmax."),
        ("p2", "训练 10 个纪元。", "Train for 10 epochs."),
    )
    issues = g.lint_notebook(notebook, "draft.ipynb")
    assert _kinds(issues) == [("avoided_rendering", "柔性最大值"), ("avoided_rendering", "纪元")]
    assert {issue.pair for issue in issues} == {"p1", "p2"}
    with language("zh"):
        assert "“轮次”" in str(issues[1]) or "“轮次”" in str(issues[0])


def test_avoided_rendering_inside_an_accepted_term_is_not_flagged():
    glossary = g.Glossary([
        g.Entry(id="alpha", en="alpha", zh="甲乙", definition_zh="定义。", definition_en="Def.",
                zh_avoid=(g.Avoid("乙"),)),
        g.Entry(id="beta", en="beta", zh="乙丙丁", definition_zh="定义。", definition_en="Def."),
    ])
    clean = _notebook(("p1", "乙丙丁与甲乙。", "beta and alpha"))
    assert g.lint_notebook(clean, "x.ipynb", glossary=glossary) == []
    dirty = _notebook(("p1", "乙丙丁与乙。", "beta and alpha"))
    assert _kinds(g.lint_notebook(dirty, "x.ipynb", glossary=glossary)) == [
        ("avoided_rendering", "乙")]


def test_context_only_avoid_is_not_flagged_in_ordinary_prose():
    notebook = _notebook(("p1", "另一种可能性是学习率太大；似然（likelihood）另说。",
                          "Another possibility; likelihood."))
    assert g.lint_notebook(notebook, "draft.ipynb") == []
    notebook = _notebook(("p1", "模型的可能性（likelihood）", "The likelihood."))
    assert _kinds(g.lint_notebook(notebook, "draft.ipynb")) == [("avoided_rendering", "可能性")]


def test_term_table_problems():
    notebook = _notebook(("terms",
                          "| 中文 | English |\n|---|---|\n| 交叉熵 | cross-entropy |\n"
                          "| 熵 | cross-entropy |\n| 未知词 | entropy |\n| 偏差 | bias |",
                          "| English | 中文 |\n|---|---|\n| cross-entropy | 交叉熵 |\n"
                          "| wrongterm | 熵 |"))
    issues = g.lint_notebook(notebook, "draft.ipynb")
    assert _kinds(issues) == [
        ("avoided_rendering", "偏差"),
        ("table_mismatch", "熵 | cross-entropy"),
        ("table_unknown", "wrongterm"),
        ("table_unknown", "未知词"),
    ]
    mismatch = next(issue for issue in issues if issue.kind == "table_mismatch")
    with language("en"):
        assert "交叉熵 | cross-entropy" in str(mismatch)  # the suggested fix
        assert "pair terms" in str(mismatch)


def test_seed_style_term_table_is_accepted():
    table = ("| 中文 | English |\n|---|---|\n"
             "| 负对数似然损失 | Negative Log-Likelihood Loss (NLL) |\n"
             "| 多层感知机 | Multilayer Perceptron (MLP) |\n| 偏置项 | Bias Term |\n"
             "| softmax 函数 | Softmax Function |\n| one-hot 标签 | One-hot Label |")
    assert len(g.term_table_rows(table)) == 5
    # the zh-first header may be used in both cells of the pair
    assert g.lint_notebook(_notebook(("terms", table, table)), "x.ipynb") == []


def test_taught_terms_must_appear_in_both_languages():
    lesson = "03_cross_entropy"
    taught = [entry for entry in g.load_glossary() if lesson in entry.lessons]
    assert taught
    zh = "。".join(entry.zh for entry in taught)
    en = ". ".join(entry.en for entry in taught)
    complete = _notebook(("all", zh, en))
    assert g.lint_notebook(complete, f"{lesson}.ipynb") == []
    first = taught[0]
    missing = _notebook(("all", zh.replace(first.zh, "某词"), en.replace(first.en, "something")))
    issues = g.lint_notebook(missing, f"{lesson}.ipynb")
    assert _kinds(issues) == sorted([("missing_term", first.zh), ("missing_term", first.en)])
    with language("en"):
        text = " ".join(map(str, issues))
        assert f"{lesson}.ipynb" in text and "Chinese cells" in text and "English cells" in text
        assert "lessons" in text  # the fix names the glossary field


def test_taught_terms_accept_alternative_renderings_and_variants():
    glossary = g.Glossary([g.Entry(
        id="mini_batch", en="mini-batch", zh="小批量", zh_alt=("小批次",),
        en_variants=("minibatch",), definition_zh="定义。", definition_en="Def.",
        lessons=("07_training",))])
    notebook = _notebook(("p", "每个小批次有 32 个样本。", "Each Minibatches has 32 examples."))
    assert g.lint_notebook(notebook, "07_training.ipynb", glossary=glossary) == []
    # a word must start where the term starts: "orbit" does not contain the term "bit"
    glossary = g.Glossary([g.Entry(id="bit", en="bit", zh="比特", definition_zh="定义。",
                                   definition_en="Def.", lessons=("07_training",))])
    notebook = _notebook(("p", "比特", "an orbit"))
    assert _kinds(g.lint_notebook(notebook, "07_training.ipynb", glossary=glossary)) == [
        ("missing_term", "bit")]


def test_lesson_id_comes_from_the_name_only_when_it_is_a_lesson():
    empty = _notebook()
    assert g.lint_notebook(empty, "scratch.ipynb") == []
    assert g.lint_notebook(empty, "scratch.ipynb", lesson_id="01_softmax") != []


def test_lint_reads_a_notebook_file(tmp_path):
    path = tmp_path / "draft.ipynb"
    nbformat.write(_notebook(("p1", "交叉熵（crossentropie）", "Cross-entropy")), str(path))
    (issue,) = g.lint_notebook(path)
    assert issue.notebook == "draft.ipynb"
    assert [str(found) for found in g.lint_lessons([path])] == [str(issue)]


def test_unreadable_notebook_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CourseValueError, match="broken.ipynb"):
        g.lint_notebook(path)


# ---------------------------------------------------------------------------
# The lesson sources that exist today

LESSON_SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))


@pytest.mark.parametrize("path", LESSON_SOURCES, ids=lambda path: path.name)
def test_lesson_source_speaks_the_glossary(path: Path):
    issues = g.lint_notebook(path, f"solutions/{path.name}")
    with language("en"):
        report = "\n".join(f"- {issue}" for issue in issues)
    assert not issues, f"{len(issues)} glossary problem(s) in solutions/{path.name}:\n{report}"
