"""Colours, paragraph styles and page sizes shared by the clinician report and the handout.

Left and right are always the same two colour-blind-safe Okabe–Ito hues (blue / vermillion,
as in the window);
green, amber and red are used only for verdicts, always beside a word.
"""

from __future__ import annotations

import functools

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from clinic_app.analysis.verdicts import LEVEL_WORDS
from clinic_app.reports.fonts import FONT, FONT_BOLD, register_fonts

LEFT = colors.HexColor("#0072B2")
RIGHT = colors.HexColor("#D55E00")  # same hue as clinic_app.ui.theme.RIGHT
SIDE_COLOURS = {"left": LEFT, "right": RIGHT}
LEFT_TINT = colors.HexColor("#D6E8F4")
RIGHT_TINT = colors.HexColor("#F7DCCB")
SIDE_TINTS = {"left": LEFT_TINT, "right": RIGHT_TINT}

VERDICT_COLOURS = {
    "green": colors.HexColor("#1A7F37"),
    "amber": colors.HexColor("#B8860B"),
    "red": colors.HexColor("#C62828"),
    "grey": colors.HexColor("#7A7A7A"),
}
VERDICT_WORDS = LEVEL_WORDS
INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B75")
RULE = colors.HexColor("#C9D1D9")
ACCENT = colors.HexColor("#6A3D9A")
PANEL = colors.HexColor("#F4F6F8")

PAGE_SIZES = {"A4": A4, "Letter": LETTER}
MARGIN = 16 * mm


def page_size(name: str) -> tuple[float, float]:
    """Page size in points for ``"A4"`` or ``"Letter"`` (ValueError naming the choices)."""
    try:
        width, height = PAGE_SIZES[name]
        return float(width), float(height)
    except KeyError:
        raise ValueError(f"paper size {name!r} is not A4 or Letter") from None


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    """Named paragraph styles (fonts registered on first use)."""
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=4
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
            textColor=INK,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "big": ParagraphStyle("big", parent=base, fontSize=11.5, leading=16),
        "big_bold": ParagraphStyle(
            "big_bold", parent=base, fontName=FONT_BOLD, fontSize=12, leading=16
        ),
        "card_title": ParagraphStyle(
            "card_title", parent=base, fontName=FONT_BOLD, fontSize=12.5, leading=16
        ),
        "card": ParagraphStyle("card", parent=base, fontSize=10.5, leading=14),
    }
