"""Slides work offline for real: with every request to the network refused, a deck
shows its slides, the arrow key moves on, and its formulas are typeset by the MathJax
copy next to it, in Chromium.

The browser may load only ``file://`` pages (the deck, reveal.js, MathJax); any other
request is aborted and recorded, and the test fails if one was even attempted.
"""

from __future__ import annotations

import re

import pytest

from mlp_course.course import publish
from test_browser import ARTIFACTS, browser  # noqa: F401  (the suite's one Chromium fixture)

pytestmark = pytest.mark.browser


def test_the_deck_carries_its_own_mathjax_and_names_no_cdn(tmp_path):
    deck = publish.slides("02", "zh", tmp_path)
    page = deck.read_text(encoding="utf-8")
    assert 'src="mathjax/tex-svg.js"' in page
    assert (tmp_path / "mathjax" / "tex-svg.js").stat().st_size > 1_000_000
    assert (tmp_path / "mathjax" / "input" / "tex" / "extensions" / "ams.js").exists()
    assert not re.search(r"""(src|href)=["']https?://""", page), "nothing loaded from the web"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_formulas_render_with_the_network_blocked(browser, tmp_path, lang):
    deck = publish.slides("04", lang, tmp_path)
    context = browser.new_context()
    refused, errors = [], []

    def only_local(route):
        url = route.request.url
        if url.startswith("file://") or url.startswith("data:"):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=20_000)
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=20_000)
        page.evaluate("MathJax.startup.promise")
        typeset = page.locator("mjx-container").count()
        displayed = page.locator('mjx-container[display="true"]').count()
        assert typeset > 20 and displayed > 3, (typeset, displayed)
        assert page.locator("mjx-container svg").count() == typeset, "every formula drawn as SVG"
        assert page.locator("mjx-merror").count() == 0, "a formula MathJax could not parse"
        raw = page.evaluate("""() => {
            const walker = document.createTreeWalker(document.querySelector('.reveal .slides'),
                                                     NodeFilter.SHOW_TEXT);
            const found = [];
            while (walker.nextNode()) {
                const node = walker.currentNode;
                if (node.parentElement.closest('pre, code, script, style')) continue;
                if (/\\$\\$|\\\\frac|\\\\sum|\\\\partial/.test(node.textContent)) found.push(node.textContent);
            }
            return found;
        }""")
        assert raw == [], f"TeX left untypeset: {raw[:3]}"
        first = page.locator(".reveal .slides section.present").first.inner_text()
        assert first.strip(), "the first slide is empty"
        assert int(page.evaluate("Reveal.getTotalSlides()")) > 3
        page.keyboard.press("ArrowRight")
        page.wait_for_function("Reveal.getIndices().h === 1", timeout=5_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"slides-04-{lang}.png"))
        assert errors == [], errors
        assert refused == [], f"the deck tried the network: {refused}"
    finally:
        context.close()
