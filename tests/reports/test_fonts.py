"""The bundled fonts cover the names clinics type (é, ñ, ü, 中文) and are wired into ReportLab."""

from __future__ import annotations

import pytest
from reportlab.pdfbase import pdfmetrics

from clinic_app.reports.fonts import FONT, FONT_BOLD, FONT_CJK, register_fonts, rich, runs


@pytest.mark.parametrize(
    ("font", "text"),
    [(FONT, "éñüÉÑÜçøß°±≤≥–·×€"), (FONT_BOLD, "éñü°·×"), (FONT_CJK, "中文王小明慢跑诊所河畔")],
)
def test_bundled_fonts_have_the_glyphs(font: str, text: str) -> None:
    register_fonts()
    face = pdfmetrics.getFont(font).face
    missing = [ch for ch in text if ord(ch) not in face.charToGlyph]
    assert missing == []


def test_cjk_runs_get_the_cjk_font_and_text_is_escaped() -> None:
    assert runs("Zoë 王小明 <b>") == [("Zoë ", False), ("王小明", True), (" <b>", False)]
    markup = rich("Muñoz & 王")
    assert "&amp;" in markup and f'<font name="{FONT_CJK}">王</font>' in markup
