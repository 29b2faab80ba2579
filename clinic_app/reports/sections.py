"""Pieces the clinician report's sections share: tables, verdict cells, methods, signature.

The sections themselves: :mod:`~clinic_app.reports.lunge_report`,
:mod:`~clinic_app.reports.balance_report`, :mod:`~clinic_app.reports.trends`,
:mod:`~clinic_app.reports.plan_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from clinic_app.analysis.change import Change
from clinic_app.analysis.norms import NormEntry
from clinic_app.analysis.verdicts import Verdict, site_words
from clinic_app.numbers import fixed
from clinic_app.reports.common import light, para
from clinic_app.reports.data import ReportData
from clinic_app.reports.fonts import rich
from clinic_app.reports.styles import INK, PANEL, RULE, SIDE_COLOURS, styles
from clinic_app.reports.words import STATUS_WORDS


def verdict_cell(v: Verdict | None) -> Paragraph:
    """A table cell: traffic light + status word."""
    if v is None:
        return para("–", "cell")
    return Paragraph(light(v.level, STATUS_WORDS.get(v.status, v.status)), styles()["cell"])


def grid(rows: list[list[Any]], widths: Sequence[float], header_rows: int = 1) -> Table:
    """A table in the report's style (light header, thin rules)."""
    table = Table(rows, colWidths=list(widths), repeatRows=header_rows)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "DorsiSans", 8),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, header_rows - 1), PANEL),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def num(value: float | None, digits: int = 1) -> str:
    """A number for a table cell with ``digits`` decimals ("–" when missing, never "-0.0")."""
    return fixed(value, digits, missing="–")


def side_head(side: str) -> Paragraph:
    """ "Left"/"Right" in the side's colour (the word carries it, never the colour alone)."""
    colour = SIDE_COLOURS[side].hexval()[2:]
    return Paragraph(
        f'<font color="#{colour}"><b>{side.capitalize()}</b></font>', styles()["cell"]
    )


def find_change(
    changes: Sequence[Change], measure: str, side: str, cond: str | None = None
) -> Change | None:
    """The change of one measure, side and condition, if judged."""
    return next(
        (c for c in changes if c.measure == measure and c.side == side and c.condition == cond),
        None,
    )


def threshold_line(entry: NormEntry) -> str:
    """A clinic setting in words: ``"Re-test interval otherwise: 3 weeks"``."""
    value = entry.value if isinstance(entry.value, str) else f"{entry.value:g}"
    units = f" {entry.units}" if entry.units and entry.units != "count" else ""
    name = entry.name or entry.key.rsplit(".", 1)[-1].replace("_", " ")
    return f"{name}: {value}{units}"


def methods(data: ReportData) -> list[Flowable]:
    """The methods footnote: set-up, conventions, the clinic's own thresholds, software."""
    site = site_words(data.visit.site)
    text = (
        f"Methods. Lunge: knee-to-wall distance (great-toe tip to wall, 0.1 cm) and tibial "
        f"inclination from vertical by inclinometer ({site}); mean of the valid measured "
        "trials after practice lunges; angles from different sites are never compared. "
        "Balance: single-leg stance on a force plate, barefoot, hands on hips; centre of "
        f"pressure {data.processing or 'zero-lag Butterworth low-pass'}; mean-centred; "
        "velocity = path length / duration; ellipse = 95 % prediction ellipse (F-based). "
        "Change counts as real only when it exceeds the MDC (strictly): the same-examiner "
        "value when one examiner did both tests, otherwise the larger published value. "
        "Cut-offs derived from a statistic or from another population are flagged amber, "
        "never red. Verdict colours always carry a word. "
        f"Software: DorsiLab {data.version}."
    )
    out: list[Flowable] = [Spacer(1, 4 * mm), para(text, "small")]
    if data.local_thresholds:
        changed = "; ".join(threshold_line(e) for e in data.local_thresholds)
        out.append(
            para(
                "Clinic settings in use (editable clinic defaults changed in Settings, not "
                f"research-based): {changed}.",
                "small",
            )
        )
    return out


def signature_block(examiner: str, width: float) -> Flowable:
    """Examiner's name, a signature line and a date line, kept together."""
    st = styles()
    cells = [
        [
            Paragraph(f"<b>Examiner</b><br/>{rich(examiner)}", st["cell"]),
            Paragraph("<b>Signature</b><br/><br/>", st["cell"]),
            Paragraph("<b>Date</b><br/><br/>", st["cell"]),
        ]
    ]
    table = Table(cells, colWidths=[width * 0.4, width * 0.35, width * 0.25])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (1, 0), (2, 0), 0.6, INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return KeepTogether([Spacer(1, 6 * mm), para("Sign-off", "h2"), table])


__all__ = [
    "STATUS_WORDS",
    "find_change",
    "grid",
    "methods",
    "num",
    "side_head",
    "signature_block",
    "threshold_line",
    "verdict_cell",
]
