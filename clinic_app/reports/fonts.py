"""Report fonts: DejaVu Sans for Latin text, Droid Sans Fallback (GB2312 subset) for CJK.

ReportLab has no per-glyph font fallback, so text that may hold CJK characters (names,
free text) goes through :func:`rich`, which wraps each run of CJK characters in a
``<font>`` tag. Both fonts are bundled in ``resources/fonts`` and embedded (subset) in every
PDF.
"""

from __future__ import annotations

import functools
import re
from xml.sax.saxutils import escape

from reportlab.graphics import shapes
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import tables

from clinic_app.paths import resource

FONT = "DorsiSans"
FONT_BOLD = "DorsiSans-Bold"
FONT_CJK = "DorsiCJK"

_CJK = re.compile(
    r"[\u2e80-\u2fff\u3000-\u30ff\u3100-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+"
)


@functools.cache
def register_fonts() -> None:
    """Register the bundled fonts with ReportLab (once per process)."""
    pdfmetrics.registerFont(TTFont(FONT, str(resource("fonts", "DejaVuSans.ttf"))))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(resource("fonts", "DejaVuSans-Bold.ttf"))))
    pdfmetrics.registerFont(
        TTFont(FONT_CJK, str(resource("fonts", "DroidSansFallback-GB2312.ttf")))
    )
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    # Charts and drawings start from reportlab's default state (Helvetica, a non-embedded
    # base-14 font); make our embedded font the default so every PDF embeds all its fonts.
    shapes.STATE_DEFAULTS["fontName"] = FONT
    tables.CellStyle.fontname = FONT


def runs(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into (run, is_cjk) pieces, in order."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in _CJK.finditer(text):
        if match.start() > pos:
            out.append((text[pos : match.start()], False))
        out.append((match.group(), True))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def rich(text: str) -> str:
    """``text`` escaped for a Paragraph, with CJK runs set in the CJK font."""
    return "".join(
        f'<font name="{FONT_CJK}">{escape(run)}</font>' if cjk else escape(run)
        for run, cjk in runs(text)
    )


def mixed_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in points of one line drawn by :func:`draw_mixed`."""
    return float(
        sum(
            pdfmetrics.stringWidth(run, FONT_CJK if cjk else (FONT_BOLD if bold else FONT), size)
            for run, cjk in runs(text)
        )
    )


def fit_mixed(text: str, size: float, width: float, *, bold: bool = False) -> str:
    """``text`` shortened with "…" so that it fits ``width`` points (unchanged if it fits)."""
    if mixed_width(text, size, bold=bold) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if mixed_width(text[:mid].rstrip() + "…", size, bold=bold) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"


def draw_mixed(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    bold: bool = False,
    align: str = "left",
) -> None:
    """Draw one line of text on a canvas, CJK runs in the CJK font."""
    pieces = [(run, FONT_CJK if cjk else (FONT_BOLD if bold else FONT)) for run, cjk in runs(text)]
    width = sum(pdfmetrics.stringWidth(run, font, size) for run, font in pieces)
    if align == "right":
        x -= width
    elif align == "center":
        x -= width / 2
    for run, font in pieces:
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)
