"""Plots whose labels follow the language setting, with a font that can draw them.

绘图标签跟随语言设置，并自动选用能显示中文的字体。

Chinese labels need a CJK font. :func:`setup_fonts` picks the first one
installed (Noto Sans CJK on Linux, PingFang SC on macOS, Microsoft YaHei on
Windows, ...). When none is installed, :func:`label` falls back to the English
text, and says so once, so a plot never shows empty boxes ("Glyph missing").
"""

from __future__ import annotations

from ..i18n import get_language, text

CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC",
    "Source Han Sans CN", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "SimHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Serif CJK SC",
    "Arial Unicode MS",
)

_state: dict[str, object] = {"font": None, "checked": False, "warned": False}


def find_cjk_font() -> str | None:
    """The name of an installed font that can draw Chinese, or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    return None


def setup_fonts() -> str | None:
    """Configure matplotlib to draw Chinese and English; return the CJK font used.

    配置 matplotlib 使其能显示中英文；返回所用的中文字体（没有则为 None）。
    """
    import matplotlib

    if not _state["checked"]:
        _state["font"] = find_cjk_font()
        _state["checked"] = True
    font = _state["font"]
    if font:
        # Latin, Greek and maths glyphs from DejaVu, Chinese from the CJK font:
        # matplotlib falls back glyph by glyph along this list.
        matplotlib.rcParams["font.family"] = ["DejaVu Sans", font]
    # a minus sign every font has, so negative ticks never show a missing glyph
    matplotlib.rcParams["axes.unicode_minus"] = False
    return font


def can_draw_chinese() -> bool:
    setup_fonts()
    return bool(_state["font"])


def label(zh: str, en: str, **fields) -> str:
    """A plot label in the active language; English when no CJK font is installed.

    返回当前语言的图表标签；若没有安装中文字体则退回英文（只提示一次）。
    """
    if get_language() == "zh" and not can_draw_chinese():
        if not _state["warned"]:
            _state["warned"] = True
            print("ℹ️ 没有找到中文字体（例如 Noto Sans CJK），图中的文字改用英文显示。"
                  " / No Chinese font found, so plot labels are shown in English.")
        return en.format(**fields) if fields else en
    return text(zh=zh, en=en, **fields)


# Figures take their fonts when they are created, so set the fonts as soon as
# anything that draws imports this module, before any figure exists.
setup_fonts()
