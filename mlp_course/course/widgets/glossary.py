"""A search box over the course glossary, for use inside a notebook.

在笔记本中搜索课程术语表的输入框：边输入边显示匹配的术语。

The logic is the pure function :func:`search_results` (what to show) and
:func:`results_html` (how it looks); :func:`glossary_widget` only wires them to
an ipywidgets ``Text`` and ``HTML``, so everything is testable without a browser.

    >>> from mlp_course.course.widgets.glossary import glossary_widget
    >>> glossary_widget()          # doctest: +SKIP
"""

from __future__ import annotations

import html

from ..glossary import glossary_search, load_glossary
from ...i18n import get_language, text


def search_results(query: str, limit: int = 8) -> list[dict]:
    """What the search box shows for ``query``: up to ``limit`` matching terms.

    搜索框对 ``query`` 显示的内容：最多 ``limit`` 个匹配的术语。

    Parameters
    ----------
    query : str
        Part of a term in Chinese or English (case, spaces and hyphens ignored).
    limit : int
        The most results to return.

    Returns
    -------
    list of dict
        One dict per term, best first, with keys ``id``, ``zh``, ``en``,
        ``abbr``, ``definition`` (first sentence, active language) and
        ``match``: ``"search"`` for a prefix/substring match, ``"suggestion"``
        for a close spelling offered when nothing matched.
    """
    if not isinstance(query, str) or not query.strip():
        return []
    entries, match = glossary_search(query, limit=limit), "search"
    if not entries:
        entries, match = load_glossary().suggest(query, limit=limit), "suggestion"
    return [{"id": entry.id, "zh": entry.zh, "en": entry.en, "abbr": list(entry.abbr),
             "definition": entry.short_definition(), "match": match} for entry in entries]


def results_html(query: str, results: list[dict]) -> str:
    """The HTML shown under the search box for ``results``.  搜索结果的 HTML。"""
    esc = html.escape
    if not query.strip():
        return ('<div style="opacity:0.7">'
                + esc(text(zh="输入中文或英文术语的一部分，例如“交叉”或 soft。",
                           en="Type part of a term in Chinese or English, e.g. 交叉 or soft."))
                + "</div>")
    if not results:
        return ('<div style="opacity:0.7">'
                + esc(text(zh="术语表中没有与“{q}”相关的术语。", en="Nothing in the glossary "
                           "matches “{q}”.", q=query.strip())) + "</div>")
    lines = []
    if results[0]["match"] == "suggestion":
        lines.append('<div style="opacity:0.7">' + esc(text(
            zh="没有完全匹配“{q}”的术语；相近的有：", en="No term matches “{q}”; closest:",
            q=query.strip())) + "</div>")
    zh_first = get_language() == "zh"
    lines.append('<ul class="mlp-glossary-results" style="margin:0.2em 0;padding-left:1.2em">')
    for item in results:
        first, second = (item["zh"], item["en"]) if zh_first else (item["en"], item["zh"])
        abbr = f' <span style="opacity:0.7">({esc(", ".join(item["abbr"]))})</span>' \
            if item["abbr"] else ""
        lines.append(f'<li data-id="{esc(item["id"])}"><b>{esc(first)}</b> · {esc(second)}{abbr}'
                     f' — <span style="opacity:0.85">{esc(item["definition"])}</span></li>')
    lines.append("</ul>")
    return "\n".join(lines)


def glossary_widget(limit: int = 8):
    """A text box that lists matching glossary terms as you type.

    一个输入框：边输入边列出匹配的术语（中文、英文与简短定义）。

    Returns
    -------
    ipywidgets.VBox
        ``children[0]`` is the ``Text`` input, ``children[1]`` the ``HTML`` output.
    """
    import ipywidgets as widgets  # imported here: the numeric core must not need it

    box = widgets.Text(
        value="",
        placeholder=text(zh="搜索术语…（中文或英文）", en="Search a term… (Chinese or English)"),
        description=text(zh="术语", en="Term"),
        continuous_update=True,
    )
    output = widgets.HTML(value=results_html("", []))

    def update(change) -> None:
        query = change["new"]
        output.value = results_html(query, search_results(query, limit))

    box.observe(update, names="value")
    container = widgets.VBox([box, output])
    container.add_class("mlp-glossary-widget")  # a stable hook for the browser tests
    return container
