"""Plots whose labels follow the language setting, with a font that can draw them.

绘图标签跟随语言设置，并自动选用能显示中文的字体。

Chinese labels need a CJK font. :func:`setup_fonts` picks the first one
installed (Noto Sans CJK on Linux, PingFang SC on macOS, Microsoft YaHei on
Windows, ...). A font installed after matplotlib built its font cache (what
happens on a fresh machine whose fonts come after the first plot) is found on
disk, registered with matplotlib, saved into its cache, and announced once.
When there is no CJK font at all, :func:`label` falls back to the English text,
and says so once, so a plot never shows empty boxes ("Glyph missing").

Matplotlib cannot draw colour emoji, so :func:`label` turns the course's
verdict marks (✅ ❌ ⚠️ ℹ️) into marks every font has (✓ ✗ ⚠ i); text output
in a notebook keeps the emoji (the browser draws those).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..i18n import get_language, text

CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC",
    "Source Han Sans CN", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "SimHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Serif CJK SC",
    "Arial Unicode MS",
)

# font files that may hold one of CJK_FONTS, by file name (reading every font on a
# machine to learn its name would take seconds)
CJK_FILES = re.compile(r"(NotoSans|NotoSerif|SourceHan).*(CJK|SC|CN)|PingFang|Hiragino|msyh|"
                       r"simhei|wqy|ArialUni", re.IGNORECASE)
# what a plot shows instead of an emoji (matplotlib draws no colour emoji)
PLOT_MARKS = {"✅": "✓", "❌": "✗", "⚠️": "⚠", "ℹ️": "i", "\ufe0f": ""}

_state: dict[str, object] = {"font": None, "checked": False, "warned": False}


def _known_cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    return None


def register_installed_cjk_fonts(folders=None) -> str | None:
    """Find CJK fonts installed after matplotlib's font cache was built; register them.

    在 matplotlib 建立字体缓存之后才安装的中文字体：找到它们、登记给 matplotlib，并写回缓存，
    以后的内核不必再找。Returns the best CJK font name now known, or None.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known_files = {font.fname for font in manager.ttflist}
    for path in font_manager.findSystemFonts(fontpaths=folders):
        if path in known_files or not CJK_FILES.search(Path(path).name):
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # a font file FreeType cannot read
            continue
    font = _known_cjk_font()
    if font is not None:
        try:  # keep the discovery for the next kernel: the cache the next import reads
            import matplotlib

            name = f"fontlist-v{font_manager.FontManager.__version__}.json"
            font_manager.json_dump(manager, str(Path(matplotlib.get_cachedir()) / name))
        except (OSError, AttributeError, TypeError):
            pass
    return font


def find_cjk_font() -> str | None:
    """The name of an installed font that can draw Chinese, or None.

    A font on disk that matplotlib's (older) font cache does not list yet is
    registered first, with a one-line notice.
    """
    font = _known_cjk_font()
    if font is None:
        font = register_installed_cjk_fonts()
        if font is not None:
            print(f"ℹ️ 已把新安装的中文字体 {font} 登记给 matplotlib，图中的中文可以正常显示。"
                  f" / Registered the newly installed Chinese font {font} with matplotlib.")
    return font


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


def plot_marks(words: str) -> str:
    """The text with emoji verdict marks replaced by marks matplotlib's fonts have."""
    for emoji, mark in PLOT_MARKS.items():
        words = words.replace(emoji, mark)
    return words


def label(zh: str, en: str, **fields) -> str:
    """A plot label in the active language; English when no CJK font is installed.

    返回当前语言的图表标签；若没有安装中文字体则退回英文（只提示一次）。Emoji
    verdict marks become ✓ / ✗ (see :func:`plot_marks`).
    """
    if get_language() == "zh" and not can_draw_chinese():
        if not _state["warned"]:
            _state["warned"] = True
            print("ℹ️ 没有找到中文字体（例如 Noto Sans CJK），图中的文字改用英文显示。"
                  " / No Chinese font found, so plot labels are shown in English.")
        return plot_marks(en.format(**fields) if fields else en)
    return plot_marks(text(zh=zh, en=en, **fields))


# Figures take their fonts when they are created, so set the fonts as soon as
# anything that draws imports this module, before any figure exists.
setup_fonts()
