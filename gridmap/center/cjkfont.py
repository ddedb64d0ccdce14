"""The Chinese font a printout is set in, found on the machine (no download, no internet).

Debian's fonts-noto-cjk (Noto Sans CJK SC) is what gridmap's setup installs; WenQuanYi and the
other families below are taken when it is not there. Without any, matplotlib would print every
character as a box: a printout then refuses, in Chinese, and says what to install.
"""

from __future__ import annotations

import threading

from gridmap.core.errors import GridmapError

# Simplified Chinese faces first (a Japanese face draws some characters differently).
FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
# Parts of font file names worth adding to matplotlib's list when its cache (made before a
# font was installed) does not know them yet.
FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "droidsansfallback", "uming")

_lock = threading.Lock()
_found: list[str] = []


class FontMissing(GridmapError):
    """No Chinese font on the server: a printout would be boxes."""

    status = 503
    code = "font_missing"


MISSING = (
    "服务器上没有可用的中文字体，无法生成 PDF 或 PNG（否则文字会显示成方框）。"
    "请管理员安装字体后重试：apt-get install fonts-noto-cjk（或 fonts-wqy-microhei）。"
    "表格导出（XLSX、CSV）不受影响。"
)


def family() -> str:
    """The family name of the Chinese font to print with; FontMissing if there is none."""
    with _lock:
        if not _found:
            name = _known() or _rescanned()
            if name is None:
                raise FontMissing(MISSING)
            _found.append(name)
        return _found[0]


def _known() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in FAMILIES if n in names), None)


def _rescanned() -> str | None:
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if any(hint in path.lower().replace("-", "") for hint in FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # an unreadable file is no font
    return _known()
