"""Plots never show missing glyphs: Chinese labels get a CJK font, or fall back to English."""

from __future__ import annotations

import json
import os
import warnings

import pytest

from mlp_course.course import plotting
from mlp_course.course.syllabus import COURSE
from mlp_course.i18n import language


@pytest.fixture
def fresh_font_state(monkeypatch):
    monkeypatch.setattr(plotting, "_state", {"font": None, "checked": False, "warned": False})


def test_chinese_labels_render_without_missing_glyph_warnings(fresh_font_state):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if plotting.find_cjk_font() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install a CJK font (tools/system-deps.sh installs Noto CJK)")
        pytest.skip("no CJK font installed here (tools/system-deps.sh installs Noto Sans CJK)")
    with language("zh"), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = plt.subplots()
        ax.set_title(plotting.label(zh="概率 ŷ 与损失 −log p，δ² ∘ σ′", en="x"))
        ax.plot([-1.0, 1.0])
        fig.canvas.draw()
        plt.close(fig)


@pytest.fixture
def stale_font_cache(monkeypatch, tmp_path):
    """matplotlib's font list as it is on a machine whose CJK fonts were installed after
    matplotlib first ran: the fonts are on disk, the cache does not list them."""
    import copy

    from matplotlib import font_manager

    on_disk = [path for path in font_manager.findSystemFonts()
               if plotting.CJK_FILES.search(path.rsplit("/", 1)[-1])]
    if not on_disk:
        if os.environ.get("CI"):
            pytest.fail("CI must install a CJK font (tools/system-deps.sh installs Noto CJK)")
        pytest.skip("no CJK font file installed here (tools/system-deps.sh installs Noto CJK)")
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [font for font in font_manager.fontManager.ttflist
                     if font.name not in plotting.CJK_FONTS and "CJK" not in font.name]
    import matplotlib

    cache = tmp_path / f"fontlist-v{font_manager.FontManager.__version__}.json"
    monkeypatch.setattr(font_manager, "fontManager", stale)
    monkeypatch.setattr(matplotlib, "get_cachedir", lambda: str(tmp_path))
    monkeypatch.setattr(plotting, "_state", {"font": None, "checked": False, "warned": False})
    assert plotting._known_cjk_font() is None
    return stale, cache


def test_a_cjk_font_installed_after_the_font_cache_is_registered_once(stale_font_cache, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    stale, cache = stale_font_cache
    font = plotting.setup_fonts()
    assert font in plotting.CJK_FONTS
    assert font in {entry.name for entry in stale.ttflist}
    notice = capsys.readouterr().out
    assert notice.count("已把新安装的中文字体") == 1 and "Registered the newly installed" in notice
    # saved for the next kernel: the rewritten cache lists the font
    assert font in {entry.name for entry in font_manager.json_load(str(cache)).ttflist}
    # and not announced again in this process
    assert plotting.setup_fonts() == font and capsys.readouterr().out == ""
    with language("zh"), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plotting.label(zh="损失 ✅", en="loss ✅") == "损失 ✓"
        fig, ax = plt.subplots()
        ax.set_title(plotting.label(zh="交叉熵 ❌ 与 ⚠️", en="x"))
        fig.canvas.draw()
        plt.close(fig)


def test_verdict_marks_in_plots_need_no_emoji_font(fresh_font_state):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with language("en"):
        assert plotting.label(zh="通过 ✅", en="passed ✅") == "passed ✓"
        assert plotting.label(zh="", en="❌ failed, ⚠️ nan, ℹ️ note") == "✗ failed, ⚠ nan, i note"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig, ax = plt.subplots()
            ax.set_title(plotting.label(zh="", en="❌ ✅ ⚠️ ℹ️"))
            fig.canvas.draw()
            plt.close(fig)


def test_without_a_cjk_font_labels_fall_back_to_english_with_one_notice(
        fresh_font_state, monkeypatch, capsys):
    monkeypatch.setattr(plotting, "find_cjk_font", lambda: None)
    with language("zh"):
        assert plotting.label(zh="损失", en="loss") == "loss"
        assert plotting.label(zh="通过 ✅", en="passed ✅") == "passed ✓"
        assert plotting.label(zh="第 {n} 轮", en="epoch {n}", n=3) == "epoch 3"
    notice = capsys.readouterr().out
    assert notice.count("没有找到中文字体") == 1 and "No Chinese font" in notice
    with language("en"):
        assert plotting.label(zh="损失", en="loss") == "loss"


def test_labels_follow_the_language_when_the_font_is_there(fresh_font_state, monkeypatch):
    monkeypatch.setattr(plotting, "find_cjk_font", lambda: "Noto Sans CJK SC")
    with language("zh"):
        assert plotting.label(zh="损失", en="loss") == "损失"
    with language("en"):
        assert plotting.label(zh="损失", en="loss") == "loss"


@pytest.mark.parametrize("lesson", [l for l in COURSE if l.source.exists()], ids=lambda l: l.id)
def test_no_saved_output_mentions_a_missing_glyph(lesson):
    notebook = json.loads(lesson.source.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", "")) + json.dumps(output.get("data", {}))
            assert "Glyph" not in text and "missing from font" not in text, \
                f"{lesson.id} cell {index}: {text[:200]}"
