"""Pieces both documents share: page frame (header, footer), verdict words, atomic writes."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

from clinic_app.reports.data import ReportData
from clinic_app.reports.fonts import (
    FONT,
    draw_mixed,
    fit_mixed,
    mixed_width,
    register_fonts,
    rich,
)
from clinic_app.reports.styles import (
    MARGIN,
    MUTED,
    RULE,
    VERDICT_COLOURS,
    VERDICT_WORDS,
    page_size,
    styles,
)


def light(level: str, word: str | None = None) -> str:
    """Paragraph markup of a traffic light: a coloured dot and a word (never colour alone)."""
    colour = VERDICT_COLOURS.get(level, VERDICT_COLOURS["grey"]).hexval()[2:]
    text = word or VERDICT_WORDS.get(level, "Info")
    return f'<font color="#{colour}">●</font> <font color="#{colour}"><b>{rich(text)}</b></font>'


def para(text: str, style: str = "body") -> Paragraph:
    """A Paragraph of plain text (escaped, CJK-aware)."""
    return Paragraph(rich(text), styles()[style])


def page_decorator(data: ReportData, title: str) -> Callable[[Canvas, Any], None]:
    """Draw the clinic header and the footer on every page."""

    def draw(canvas: Canvas, doc: Any) -> None:
        width, height = doc.pagesize
        canvas.saveState()
        top = height - MARGIN + 4 * mm
        x = MARGIN
        if data.clinic.logo_path is not None:
            with contextlib.suppress(OSError, ValueError):
                canvas.drawImage(
                    str(data.clinic.logo_path),
                    width - MARGIN - 30 * mm,
                    top - 9 * mm,
                    30 * mm,
                    11 * mm,
                    preserveAspectRatio=True,
                    anchor="ne",
                    mask="auto",
                )
        room = width - 2 * MARGIN - (32 * mm if data.clinic.logo_path is not None else 0)
        name = fit_mixed(data.clinic.name or "DorsiLab", 10, room, bold=True)
        draw_mixed(canvas, x, top, name, 10, bold=True)
        canvas.setFillColor(MUTED)
        address = " · ".join(line.strip() for line in data.clinic.address.splitlines() if line)
        sub = " · ".join(p for p in (address, data.clinic.header) if p)
        if sub:
            draw_mixed(canvas, x, top - 11, fit_mixed(sub, 7.5, room), 7.5)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, top - 15, width - MARGIN, top - 15)
        foot = MARGIN - 8 * mm
        canvas.line(MARGIN, foot + 9, width - MARGIN, foot + 9)
        right = f"DorsiLab {data.version} · page {doc.page}"
        # The name gives way (shortened with "…"), never the page number: a 100-character
        # name must not overprint "page N".
        room = width - 2 * MARGIN - mixed_width(right, 7) - 6 * mm
        day = f" · {data.visit.day.isoformat()}"
        name = fit_mixed(f"{title} · {data.patient.full_name}", 7, room - mixed_width(day, 7))
        draw_mixed(canvas, MARGIN, foot, name + day, 7)
        draw_mixed(canvas, width - MARGIN, foot, right, 7, align="right")
        canvas.restoreState()

    return draw


def write_document(
    data: ReportData, out: Path | IO[bytes], title: str, story: Callable[[float], list[Flowable]]
) -> None:
    """Lay out ``story(frame_width)`` on the clinic's paper with header and footer.

    ``out`` is a binary stream or a path; a path is written atomically (:func:`write_atomic`).
    """
    if not hasattr(out, "write"):
        write_atomic(lambda buf: write_document(data, buf, title, story), Path(str(out)))
        return
    register_fonts()
    size = page_size(data.paper)
    doc = SimpleDocTemplate(
        out,
        pagesize=size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 8 * mm,
        bottomMargin=MARGIN,
        initialFontName=FONT,
        title=f"{title} — {data.patient.full_name}",
        author=data.clinic.name or "DorsiLab",
        subject="Ankle dorsiflexion and balance",
        creator=f"DorsiLab {data.version}",
    )
    deco = page_decorator(data, title)
    doc.build(story(size[0] - 2 * MARGIN), onFirstPage=deco, onLaterPages=deco)


def write_atomic(build: Callable[[io.BytesIO], None], path: Path) -> Path:
    """Build a PDF into memory, write it to a temporary file beside ``path``, then rename.

    Nothing is left half-written: on any error the temporary file is removed.
    """
    buffer = io.BytesIO()
    build(buffer)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
