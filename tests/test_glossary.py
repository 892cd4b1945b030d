"""Tests for the glossary package (mlp_course/course/glossary/), its glossary.yaml, GLOSSARY.md and the search widget."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_course.course import glossary as g
from mlp_course.course.syllabus import BY_ID, ROOT
from mlp_course.i18n import CourseTypeError, CourseValueError, language

GLOSSARY = g.load_glossary()


# ---------------------------------------------------------------------------
# The data in glossary.yaml

# Terms the course needs: the seed's tables and what the lessons teach.
REQUIRED_TERMS = {
    "softmax": "softmax", "logits": "logits", "temperature": "temperature",
    "one-hot": "one_hot", "likelihood": "likelihood", "log-likelihood": "log_likelihood",
    "MLE": "maximum_likelihood_estimation", "maximum likelihood": "maximum_likelihood_estimation",
    "NLL": "negative_log_likelihood", "cross-entropy": "cross_entropy", "entropy": "entropy",
    "KL divergence": "kl_divergence", "Kullback-Leibler divergence": "kl_divergence",
    "nat": "nat", "bit": "bit", "label smoothing": "label_smoothing",
    "class weight": "class_weight", "gradient": "gradient",
    "partial derivative": "partial_derivative", "Jacobian": "jacobian",
    "chain rule": "chain_rule", "computational graph": "computational_graph",
    "forward propagation": "forward_propagation", "forward pass": "forward_propagation",
    "backpropagation": "backpropagation", "backward propagation": "backpropagation",
    "MLP": "mlp", "layer": "layer", "hidden layer": "hidden_layer", "neuron": "neuron",
    "weight matrix": "weight_matrix", "bias": "bias", "bias term": "bias",
    "activation function": "activation_function", "ReLU": "relu", "sigmoid": "sigmoid",
    "tanh": "tanh", "Hadamard product": "hadamard_product", "loss function": "loss",
    "mini-batch": "mini_batch", "epoch": "epoch", "learning rate": "learning_rate",
    "SGD": "sgd", "gradient check": "gradient_check", "finite difference": "finite_difference",
    "numerical stability": "numerical_stability", "overflow": "overflow",
    "underflow": "underflow", "log-sum-exp": "logsumexp", "convexity": "convexity",
    "autograd": "autograd", "tensor": "tensor", "broadcasting": "broadcasting",
    "initialization": "initialization", "initialisation": "initialization",
    "accuracy": "accuracy", "decision boundary": "decision_boundary",
    "overfitting": "overfitting", "probability distribution": "probability_distribution",
    "feedforward neural network": "feedforward_network", "linear layer": "linear_layer",
    "reduction": "reduction", "ignore index": "ignore_index", "class index": "class_index",
    "information theory": "information_theory", "optimisation": "optimization",
    "parameter": "parameter", "batch": "batch", "label": "label", "prediction": "prediction",
    "perplexity": "perplexity", "vectorisation": "vectorization", "transpose": "transpose",
    "outer product": "outer_product", "matrix product": "matrix_product",
    "log-softmax": "log_softmax", "softmax function": "softmax",
    "negative log-likelihood loss": "negative_log_likelihood",
    "cross-entropy loss": "cross_entropy", "one-hot label": "one_hot",
    "maximum likelihood estimation": "maximum_likelihood_estimation",
    "multilayer perceptron": "mlp", "weight matrix": "weight_matrix",
}

# Chinese terms of the seed's tables, with the entry they belong to.
SEED_ZH_TERMS = {
    "负对数似然损失": "negative_log_likelihood", "交叉熵损失": "cross_entropy",
    "softmax 输出": "softmax", "one-hot 标签": "one_hot", "对数似然": "log_likelihood",
    "熵": "entropy", "softmax 函数": "softmax", "最大似然估计": "maximum_likelihood_estimation",
    "多层感知机": "mlp", "前向传播": "forward_propagation", "反向传播": "backpropagation",
    "链式法则": "chain_rule", "激活函数": "activation_function", "权重矩阵": "weight_matrix",
    "偏置项": "bias", "梯度": "gradient", "前馈神经网络": "feedforward_network",
    "线性层": "linear_layer", "隐藏层": "hidden_layer", "哈达玛积": "hadamard_product",
}

ABBREVIATIONS = {"CE": "cross_entropy", "NLL": "negative_log_likelihood",
                 "MLE": "maximum_likelihood_estimation", "KL": "kl_divergence", "MLP": "mlp",
                 "SGD": "sgd", "ReLU": "relu", "LSE": "logsumexp", "BCE": "binary_cross_entropy"}


def test_glossary_has_at_least_80_entries_and_passes_its_schema():
    assert len(GLOSSARY) >= 80
    assert len({entry.id for entry in GLOSSARY}) == len(GLOSSARY)


@pytest.mark.parametrize("term, entry_id", sorted(REQUIRED_TERMS.items()))
def test_every_course_term_is_in_the_glossary(term, entry_id):
    entry = g.lookup(term)
    assert entry.found, str(entry)
    assert entry.id == entry_id


@pytest.mark.parametrize("term, entry_id", sorted(SEED_ZH_TERMS.items()))
def test_chinese_terms_of_the_seed_tables_are_found(term, entry_id):
    assert g.lookup(term).id == entry_id


@pytest.mark.parametrize("abbreviation, entry_id", sorted(ABBREVIATIONS.items()))
def test_abbreviations_name_their_entry(abbreviation, entry_id):
    entry = GLOSSARY[entry_id]
    assert abbreviation in entry.abbr
    assert g.lookup(abbreviation) is entry
    assert g.lookup(abbreviation.lower()) is entry


@pytest.mark.parametrize("entry", list(GLOSSARY), ids=lambda entry: entry.id)
def test_entry_is_complete_and_consistent(entry):
    assert re.fullmatch(r"[a-z][a-z0-9_]*", entry.id)
    assert entry.zh and entry.en
    # the Chinese definition is Chinese, the English one is not
    assert re.search(r"[\u4e00-\u9fff]", entry.definition_zh)
    assert not re.search(r"[\u4e00-\u9fff]{4,}", entry.definition_en), entry.definition_en
    assert 1 <= entry.definition_en.count(". ") + 1 <= 4
    assert entry.definition_zh.count("。") <= 3
    for lesson in entry.lessons:
        assert lesson in BY_ID
    for related in (*entry.see_also, *entry.contrast):
        assert related in GLOSSARY and related != entry.id
    if entry.formula:
        assert "$" not in entry.formula  # the renderer adds the delimiters
        assert entry.formula.count("{") == entry.formula.count("}")
        assert len(re.findall(r"\\left\b", entry.formula)) == \
            len(re.findall(r"\\right\b", entry.formula))


def test_every_lesson_after_the_first_teaches_some_term():
    taught = {lesson for entry in GLOSSARY for lesson in entry.lessons}
    assert set(BY_ID) - {"00_start_here"} <= taught


def test_bias_prefers_偏置_and_notes_why_not_偏差():
    bias = g.lookup("bias")
    assert bias.zh == "偏置"
    avoid = {item.term: item for item in bias.zh_avoid}
    assert "偏差" in avoid and avoid["偏差"].note_zh and avoid["偏差"].note_en
    assert "d2l" in avoid["偏差"].note_en
    assert g.lookup("偏差").id == "statistical_bias"
    assert "bias" in bias.contrast or "statistical_bias" in bias.contrast


# ---------------------------------------------------------------------------
# Look-up

@pytest.mark.parametrize("query", [
    "交叉熵", "cross entropy", "Cross-Entropy", "CE", "ce", "CROSS ENTROPY", "cross_entropy",
    "  cross-entropy  ", "ｃｒｏｓｓ－ｅｎｔｒｏｐｙ", "ＣＥ", "交叉熵损失", "Cross-Entropy Loss",
    "cross–entropy", "交 叉 熵",
])
def test_lookup_finds_cross_entropy_in_every_spelling(query):
    assert g.lookup(query) is GLOSSARY["cross_entropy"]


@pytest.mark.parametrize("query, entry_id", [
    ("weights", "weight_matrix"), ("logit", "logits"), ("mini-batches", "mini_batch"),
    ("Negative Log-Likelihood Loss (NLL)", "negative_log_likelihood"),
    ("Multilayer Perceptron (MLP)", "mlp"), ("Softmax Output", "softmax"),
    ("Bias Term", "bias"), ("Backward Propagation", "backpropagation"),
    ("Linear", "linear_layer"), ("ln", "logarithm"), ("i.i.d.", "iid"),
])
def test_lookup_accepts_plurals_variants_and_trailing_abbreviations(query, entry_id):
    assert g.lookup(query).id == entry_id


def test_normalise_ignores_case_spaces_hyphens_and_full_width():
    assert g.normalise("Cross-Entropy") == g.normalise("ｃｒｏｓｓ ｅｎｔｒｏｐｙ") == "crossentropy"
    assert g.normalise("Kullback–Leibler") == "kullbackleibler"
    assert g.normalise("**softmax**") == "softmax"
    assert g.normalise("one-hot 编码") == "onehot编码"


# every key of every entry, perturbed the way a learner might type it
_ALL_KEYS = sorted({(term, entry.id) for entry in GLOSSARY
                    for term in (*entry.zh_terms, *entry.en_terms, *entry.abbr)})


def _full_width(term: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in term)


@settings(max_examples=60, deadline=None)
@given(pick=st.sampled_from(_ALL_KEYS), data=st.data())
def test_lookup_is_insensitive_to_case_spacing_hyphens_and_width(pick, data):
    term, entry_id = pick
    chars = []
    for char in term:
        if char in " -":
            char = data.draw(st.sampled_from([" ", "-", "", "  ", "_", "–"]))
        elif char.isascii() and char.isalpha():
            char = char.upper() if data.draw(st.booleans()) else char.lower()
        chars.append(char)
    typed = "".join(chars)
    if data.draw(st.booleans()):
        typed = _full_width(typed)
    typed = data.draw(st.sampled_from(["", " "])) + typed + data.draw(st.sampled_from(["", " "]))
    assert g.lookup(typed).id == entry_id


@pytest.mark.parametrize("query, expected", [
    ("corss entropy", "cross_entropy"), ("交叉", "cross_entropy"), ("softmx", "softmax"),
    ("backprop algorithm", "backpropagation"), ("隐藏层数", "hidden_layer"),
    ("lerning rate", "learning_rate"), ("反向传", "backpropagation"),
])
def test_unknown_term_gives_suggestions_not_an_exception(query, expected):
    result = g.lookup(query)
    assert not result.found and not result
    assert isinstance(result, g.NoMatch)
    assert result.suggestions[0].id == expected
    with language("zh"):
        assert "没有" in str(result) and query in str(result)
        assert result.suggestions[0].zh in str(result)
    with language("en"):
        assert "not in the glossary" in str(result)
        assert result.suggestions[0].en in str(result)
        assert "not in the glossary" in result._repr_html_()


def test_nonsense_and_empty_queries_give_no_match_without_suggestions():
    for query in ("qqqqzzzz", "", "   "):
        result = g.lookup(query)
        assert not result.found
        assert result.suggestions == ()
    with language("en"):
        assert "Nothing close" in str(g.lookup("qqqqzzzz"))


@pytest.mark.parametrize("bad", [3, None, ["softmax"], b"softmax"])
def test_lookup_of_a_non_string_is_a_clear_type_error(bad):
    with pytest.raises(CourseTypeError, match="str|字符串"):
        g.lookup(bad)
    with pytest.raises(TypeError):
        g.glossary_search(bad)


def test_lookup_is_exported_from_the_package():
    import mlp_course

    assert mlp_course.lookup("CE") is GLOSSARY["cross_entropy"]
    assert mlp_course.glossary_search("soft")[0].id == "softmax"


# ---------------------------------------------------------------------------
# Rendering

def test_plain_text_puts_the_active_language_first():
    entry = g.lookup("cross entropy")
    with language("zh"):
        plain = str(entry)
        assert plain.splitlines()[0].startswith("交叉熵 · cross-entropy")
        assert plain.index(entry.definition_zh) < plain.index(entry.definition_en)
        assert "参见" in plain and "熵 (entropy)" in plain
        assert "03 交叉熵" in plain
    with language("en"):
        plain = str(entry)
        assert plain.splitlines()[0].startswith("cross-entropy · 交叉熵")
        assert "[CE]" in plain.splitlines()[0]
        assert plain.index(entry.definition_en) < plain.index(entry.definition_zh)
        assert "See also" in plain and "entropy (熵)" in plain
        assert entry.formula in plain


def test_html_has_formula_for_mathjax_related_terms_and_language_order():
    entry = g.lookup("softmax")
    with language("en"):
        page = entry._repr_html_()
        assert page.index(entry.definition_en[:40]) < page.index(entry.definition_zh[:20])
        assert "See also" in page
    with language("zh"):
        page = entry._repr_html_()
        assert page.index(entry.definition_zh[:20]) < page.index(entry.definition_en[:40])
        assert "参见" in page
    formula = re.search(r"\$\$(.*?)\$\$", page, re.DOTALL)
    assert formula and "frac" in formula.group(1)
    for related in entry.see_also:
        assert GLOSSARY[related].en.replace("&", "&amp;") in page or \
            GLOSSARY[related].en in page
    assert "柔性最大值" in page  # the rendering to avoid is shown, struck through
    assert "<s" in page


def test_html_escapes_markup_in_the_data():
    entry = g.Entry(id="x", en="a <b> & c", zh="甲<乙>", definition_zh="定义 <script>",
                    definition_en="def <script>", formula=r"a < b \& c")
    page = entry._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "$$a &lt; b \\&amp; c$$" in page


def test_short_definition_is_the_first_sentence():
    entry = g.lookup("softmax")
    with language("zh"):
        assert entry.short_definition(200) == entry.definition_zh.split("。")[0] + "。"
    with language("en"):
        assert entry.short_definition(200).endswith("exponentials.")
        assert len(entry.short_definition(30)) == 30


# ---------------------------------------------------------------------------
# Search

@pytest.mark.parametrize("query, first", [
    ("soft", "softmax"), ("熵", "entropy"), ("交叉", "cross_entropy"), ("CE", "cross_entropy"),
    ("grad", "gradient"), ("梯度", "gradient"), ("隐藏", "hidden_layer"), ("relu", "relu"),
    ("back", "backpropagation"), ("mini", "mini_batch"),
])
def test_search_ranks_the_best_match_first(query, first):
    assert g.glossary_search(query)[0].id == first


def test_search_orders_exact_then_prefix_then_substring():
    results = [entry.id for entry in g.glossary_search("entropy")]
    assert results[0] == "entropy"
    assert results.index("cross_entropy") < results.index("perplexity")  # term before definition
    assert g.glossary_search("熵", limit=2)[1].id in {"cross_entropy", "binary_cross_entropy"}


def test_search_limit_and_empty_query():
    assert len(g.glossary_search("a", limit=3)) == 3
    assert g.glossary_search("") == [] and g.glossary_search("  ") == []
    assert g.glossary_search("qqqqzzzz") == []


# ---------------------------------------------------------------------------
# Loading, caching and the schema check

def test_load_is_cached_until_the_file_changes(tmp_path):
    assert g.load_glossary() is g.load_glossary()
    path = tmp_path / "glossary.yaml"
    path.write_text(_yaml(_entry("alpha"), _entry("beta")), encoding="utf-8")
    first = g.load_glossary(path)
    assert g.load_glossary(path) is first
    path.write_text(_yaml(_entry("alpha"), _entry("beta"), _entry("gamma")), encoding="utf-8")
    os.utime(path, ns=(first_stamp := path.stat().st_mtime_ns + 10**9, first_stamp))
    assert len(g.load_glossary(path)) == 3


def test_importing_the_glossary_module_does_not_import_yaml():
    code = ("import sys, mlp_course, mlp_course.course.glossary; "
            "assert 'yaml' not in sys.modules; "
            "mlp_course.lookup('CE'); assert 'yaml' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def _entry(entry_id: str, **fields) -> dict:
    entry = {"id": entry_id, "en": entry_id.replace("_", " "), "zh": "术语" + entry_id,
             "definition": {"zh": "定义。", "en": "A definition."}, "lessons": ["01_softmax"]}
    entry.update(fields)
    return {key: value for key, value in entry.items() if value is not None}


def _yaml(*entries: dict) -> str:
    import yaml

    return yaml.safe_dump({"version": 1, "entries": list(entries)}, allow_unicode=True,
                          sort_keys=False)


def _load_error(tmp_path, content: str) -> g.GlossaryError:
    path = tmp_path / "broken_glossary.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(g.GlossaryError) as info:
        g.load_glossary(path)
    error = info.value
    assert isinstance(error, CourseValueError) and isinstance(error, ValueError)
    for lang in ("zh", "en"):
        assert "broken_glossary.yaml" in error.message.render(lang)
    return error


def test_minimal_valid_glossary_loads(tmp_path):
    path = tmp_path / "glossary.yaml"
    path.write_text(_yaml(_entry("alpha", see_also=["beta"]), _entry("beta")), encoding="utf-8")
    loaded = g.load_glossary(path)
    assert [entry.id for entry in loaded] == ["alpha", "beta"]
    assert loaded.lookup("ALPHA").related()[0].id == "beta"


def test_yaml_syntax_error_names_the_line(tmp_path):
    content = "version: 1\nentries:\n  - id: alpha\n    en: [unclosed\n    zh: 甲\n"
    error = _load_error(tmp_path, content)
    assert error.line is not None and 4 <= error.line <= 6
    with language("en"):
        assert f"line {error.line}" in str(error) and "YAML syntax error" in str(error)
    with language("zh"):
        assert f"第 {error.line} 行" in str(error) and "语法错误" in str(error)


@pytest.mark.parametrize("missing", ["id", "en", "zh", "definition", "lessons"])
def test_missing_required_field_names_entry_and_field(tmp_path, missing):
    broken = _entry("beta")
    del broken[missing]
    error = _load_error(tmp_path, _yaml(_entry("alpha"), broken))
    assert error.field == missing
    with language("en"):
        message = str(error)
        assert f"field '{missing}'" in message and "missing" in message
        assert "'beta'" in message or missing == "id"
        assert "line " in message
    with language("zh"):
        assert "缺少必填字段" in str(error)


@pytest.mark.parametrize("field_name, value, expected", [
    ("en", 3, "non-empty string"), ("zh", "", "non-empty string"),
    ("lessons", "01_softmax", "list of non-empty strings"),
    ("see_also", [1], "list of non-empty strings"),
    ("definition", "just text", "mapping with zh and en"),
    ("definition", {"zh": "定义。"}, "non-empty string"),
    ("formula", 3.5, "LaTeX string"),
    ("zh_avoid", [{"term": "坏词", "note": "only one language"}], "mapping with zh and en"),
    ("zh_avoid", ["坏词"], "mapping with a term"),
])
def test_wrong_type_names_entry_field_and_expectation(tmp_path, field_name, value, expected):
    error = _load_error(tmp_path, _yaml(_entry("alpha"), _entry("beta", **{field_name: value})))
    with language("en"):
        message = str(error)
    assert error.entry == "beta"
    assert field_name in message and expected in message


def test_duplicate_id(tmp_path):
    error = _load_error(tmp_path, _yaml(_entry("alpha"), _entry("alpha", zh="别的")))
    assert error.entry == "alpha" and error.field == "id"
    with language("en"):
        assert "duplicate id" in str(error)


def test_field_given_twice_in_one_entry(tmp_path):
    content = textwrap.dedent("""\
        entries:
          - id: alpha
            en: alpha
            zh: 甲
            zh: 乙
            definition: {zh: 定义。, en: A definition.}
            lessons: []
        """)
    error = _load_error(tmp_path, content)
    assert (error.entry, error.field, error.line) == ("alpha", "zh", 5)


@pytest.mark.parametrize("second", [
    {"en": "Alpha"}, {"en_variants": ["ALPHA"]}, {"abbr": ["al-pha"]},
    {"zh_alt": ["术语 alpha"]}, {"en_variants": ["ａｌｐｈａ"]},
])
def test_a_term_may_belong_to_one_entry_only(tmp_path, second):
    error = _load_error(tmp_path, _yaml(_entry("alpha"), _entry("beta", **second)))
    assert error.entry == "beta"
    with language("en"):
        assert "already belongs to entry 'alpha'" in str(error)
    with language("zh"):
        assert "已经属于条目 'alpha'" in str(error)


def test_unknown_related_id_and_self_reference(tmp_path):
    error = _load_error(tmp_path, _yaml(_entry("alpha", see_also=["gamma"]), _entry("beta")))
    assert (error.entry, error.field) == ("alpha", "see_also")
    with language("en"):
        assert "'gamma' does not exist" in str(error)
    error = _load_error(tmp_path, _yaml(_entry("alpha", contrast=["alpha"])))
    with language("en"):
        assert "is this entry itself" in str(error)


def test_unknown_lesson_id(tmp_path):
    error = _load_error(tmp_path, _yaml(_entry("alpha", lessons=["09_attention"])))
    assert error.field == "lessons"
    with language("en"):
        assert "'09_attention'" in str(error) and "01_softmax" in str(error)


def test_unknown_field_catches_typos(tmp_path):
    error = _load_error(tmp_path, _yaml(_entry("alpha", seealso=["beta"])))
    assert error.field == "seealso"
    with language("en"):
        assert "unknown field" in str(error) and "see_also" in str(error)


@pytest.mark.parametrize("content", ["", "- just\n- a list\n", "entries: nope\n"])
def test_top_level_must_be_a_mapping_with_entries(tmp_path, content):
    error = _load_error(tmp_path, content)
    with language("en"):
        assert "'entries' list" in str(error)


def test_bad_id_and_avoid_that_is_also_accepted(tmp_path):
    error = _load_error(tmp_path, _yaml(_entry("Alpha-1")))
    with language("en"):
        assert "snake_case" in str(error)
    avoid = [{"term": "术语 alpha", "note": {"zh": "说明。", "en": "Note."}}]
    error = _load_error(tmp_path, _yaml(_entry("alpha", zh_avoid=avoid)))
    assert error.field == "zh_avoid"


def test_missing_file_is_a_glossary_error(tmp_path):
    with pytest.raises(g.GlossaryError, match="nowhere.yaml"):
        g.load_glossary(tmp_path / "nowhere.yaml")


def test_check_schema_accepts_the_parsed_real_file():
    import yaml

    data = yaml.safe_load(g.GLOSSARY_PATH.read_text(encoding="utf-8"))
    assert len(g.check_schema(data)) == len(GLOSSARY)


# ---------------------------------------------------------------------------
# Export and GLOSSARY.md

def test_csv_export_has_one_row_per_entry():
    rows = list(csv.DictReader(io.StringIO(g.export_csv())))
    assert len(rows) == len(GLOSSARY)
    by_id = {row["id"]: row for row in rows}
    assert by_id["cross_entropy"]["zh"] == "交叉熵"
    assert by_id["cross_entropy"]["abbr"] == "CE"
    assert "偏差" in by_id["bias"]["zh_avoid"]
    assert by_id["softmax"]["formula"].startswith(r"\operatorname{softmax}")


def test_markdown_export_is_a_bilingual_table_of_every_entry():
    document = g.export_markdown()
    assert document.startswith("# 术语表 · Glossary")
    assert document.count("| 中文 | English | 缩写 Abbr. | 定义 | Definition |") >= 8
    rows = [line for line in document.splitlines() if line.startswith("| ")
            and not line.startswith(("| 中文", "| ---", "| 不要写"))]
    assert len(rows) >= len(GLOSSARY)
    for entry in GLOSSARY:
        assert f"| {entry.zh} | {entry.en} |" in document
    # a pipe inside a definition must not break the table
    for line in rows:
        assert len(re.split(r"(?<!\\)\|", line)) == 7, line


def test_glossary_md_is_in_sync_with_glossary_yaml():
    written = g.MARKDOWN_PATH.read_text(encoding="utf-8") if g.MARKDOWN_PATH.exists() else ""
    assert written == g.export_markdown(), (
        f"GLOSSARY.md is out of date with glossary.yaml. Regenerate it with:\n"
        f"    {g.EXPORT_COMMAND}\n"
        f"GLOSSARY.md 与 glossary.yaml 不一致，请运行上面的命令重新生成。")


def test_write_glossary_md(tmp_path):
    target = g.write_glossary_md(tmp_path / "G.md")
    assert target.read_text(encoding="utf-8") == g.export_markdown()


# ---------------------------------------------------------------------------
# Command line

def test_cli_prints_an_entry(capsys):
    assert g.main(["交叉熵"]) == 0
    out = capsys.readouterr().out
    assert "cross-entropy" in out and "交叉熵" in out


def test_cli_joins_words_and_follows_lang(capsys):
    assert g.main(["--lang", "en", "cross", "entropy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cross-entropy · 交叉熵") and "Definition:" in out
    assert g.main(["--lang", "zh", "CE"]) == 0
    assert capsys.readouterr().out.startswith("交叉熵 · cross-entropy")


def test_cli_unknown_term_fails_with_suggestions(capsys):
    assert g.main(["--lang", "en", "corss", "entropy"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "not in the glossary" in captured.err and "cross-entropy" in captured.err


def test_cli_list_is_sorted_and_bilingual(capsys):
    assert g.main(["--list", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(GLOSSARY)
    english = [line.split("  ")[0].strip() for line in lines]
    assert english == sorted(english, key=str.casefold)
    assert any(line.startswith("cross-entropy (CE)") and line.endswith("交叉熵") for line in lines)


def test_cli_search(capsys):
    assert g.main(["--search", "soft"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("softmax")
    assert g.main(["--search", "qqqqzzzz"]) == 1
    assert "qqqqzzzz" in capsys.readouterr().err


def test_cli_exports(capsys, tmp_path):
    assert g.main(["--export", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(GLOSSARY)
    target = tmp_path / "out.md"
    assert g.main(["--export", "markdown", "--output", str(target), "--lang", "en"]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert target.read_text(encoding="utf-8") == g.export_markdown()


@pytest.mark.parametrize("argv", [["--bogus"], ["--list", "softmax"], ["--output", "x.md"],
                                  ["--export", "pdf"], []])
def test_cli_usage_errors_return_2_without_raising(argv, capsys):
    assert g.main(argv) == 2
    captured = capsys.readouterr()
    assert "usage" in (captured.out + captured.err)


def test_cli_help_follows_language(capsys):
    assert g.main(["--help", "--lang", "en"]) == 0
    assert "Look terms up" in capsys.readouterr().out
    assert g.main(["--help", "--lang", "zh"]) == 0
    assert "查询课程的中英术语表" in capsys.readouterr().out


def test_cli_reports_a_malformed_glossary(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("entries: [\n", encoding="utf-8")
    assert g.main(["--file", str(path), "softmax"]) == 2
    assert "bad.yaml" in capsys.readouterr().err


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", MLP_COURSE_LANG="en")
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, env=env, timeout=60)


def test_command_line_in_a_subprocess():
    done = _run("mlp_course", "glossary", "CE")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cross-entropy · 交叉熵")
    done = _run("mlp_course", "glossary", "--lang", "zh", "nosuchterm")
    assert done.returncode == 1 and "没有" in done.stderr


# ---------------------------------------------------------------------------
# The notebook search widget

def test_search_results_pure_function():
    from mlp_course.course.widgets.glossary import search_results

    results = search_results("交叉")
    assert results[0]["id"] == "cross_entropy" and results[0]["match"] == "search"
    assert {"id", "zh", "en", "abbr", "definition", "match"} <= set(results[0])
    assert len(search_results("a", limit=3)) == 3
    assert search_results("") == [] and search_results("   ") == []
    fuzzy = search_results("corss entropy")
    assert fuzzy[0]["id"] == "cross_entropy" and fuzzy[0]["match"] == "suggestion"
    assert search_results("qqqqzzzz") == []
    with language("en"):
        assert search_results("soft")[0]["definition"].startswith("The function")


def test_widget_updates_its_output_as_you_type():
    from mlp_course.course.widgets.glossary import glossary_widget

    with language("zh"):
        box = glossary_widget()
        text_input, output = box.children
        assert text_input.continuous_update is True
        assert "搜索" in text_input.placeholder and "Search" not in text_input.placeholder
        assert "mlp-glossary-widget" in box._dom_classes
        text_input.value = "交叉"
        assert "交叉熵" in output.value and "cross-entropy" in output.value
        assert output.value.index("交叉熵") < output.value.index("cross-entropy")
        text_input.value = "corss entropy"
        assert "相近" in output.value and "交叉熵" in output.value
        text_input.value = "qqqqzzzz"
        assert "没有" in output.value
        text_input.value = ""
        assert "交叉" in output.value  # back to the hint
