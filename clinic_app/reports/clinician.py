"""The clinician report (A4 or Letter). Page 1 tells the whole story; detail follows.

Usage::

    from clinic_app.reports import build_clinician_report
    build_clinician_report(data, Path("report.pdf"))      # or a binary stream
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer, Table

from clinic_app.analysis.verdicts import Verdict
from clinic_app.plan.text import top_findings
from clinic_app.reports.common import light, para, write_document
from clinic_app.reports.data import ReportData
from clinic_app.reports.fonts import rich
from clinic_app.reports.sections import (
    STATUS_WORDS,
    balance_section,
    findings_and_plan,
    grid,
    lunge_section,
    methods,
    trends_section,
)
from clinic_app.reports.styles import PANEL, SIDE_COLOURS, styles

TITLE = "Clinician report"
SECTION_HEADINGS = (
    "Summary",
    "Key findings",
    "Plan in brief",
    "Weight-bearing lunge test",
    "Single-leg balance",
    "Findings",
    "Progression plan",
)
"""Headings every clinician report has (trends appear only with history)."""


def _patient_block(data: ReportData, width: float) -> Table:
    p, v = data.patient, data.visit
    age = p.age_on(v.day)
    born = f"{p.birth_date.isoformat()} ({age} y)" if p.birth_date else "–"
    left = [
        Paragraph(f"<b>{rich(p.full_name)}</b>", styles()["big"]),
        para(f"Born {born} · {p.sex} · record {p.record_number or '–'}", "cell"),
        para(f"Involved side: {p.involved_side}", "cell"),
    ]
    previous = data.history[-2].day.isoformat() if len(data.history) > 1 else "first visit"
    right = [
        para(f"Visit {v.day.isoformat()} (visit {v.number} of {v.of})", "cell_bold"),
        para(f"Examiner: {v.examiner or '–'}", "cell"),
        para(f"Previous visit: {previous}", "cell"),
    ]
    table = Table([[left, right]], colWidths=[width * 0.55, width * 0.45])
    table.setStyle(
        [
            ("BACKGROUND", (0, 0), (-1, -1), PANEL),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]
    )
    return table


def _light_cell(value: str, v: Verdict | None) -> Paragraph:
    words = f"{rich(value)}"
    if v is not None:
        words += "<br/>" + light(v.level, STATUS_WORDS.get(v.status, v.status))
    return Paragraph(words, styles()["cell"])


def _summary_table(data: ReportData, width: float) -> Table:
    interp = data.interp
    head = [para("Measure", "cell_bold")]
    for side in ("left", "right"):
        colour = SIDE_COLOURS[side].hexval()[2:]
        head.append(
            Paragraph(
                f'<font color="#{colour}"><b>{side.capitalize()}</b></font>', styles()["cell"]
            )
        )
    head += [para("Left–right", "cell_bold"), para("Since last visit", "cell_bold")]
    rows: list[list[Any]] = [head]
    specs = (
        ("lunge_distance_cm", "Knee-to-wall distance", "cm", None),
        ("lunge_angle_deg", "Tibial angle", "°", None),
        ("balance_mean_velocity_cm_s", "Balance velocity, eyes closed", "cm/s", "ec_firm"),
        ("balance_mean_velocity_cm_s", "Balance velocity, eyes open", "cm/s", "eo_firm"),
    )
    for measure, label, units, cond in specs:
        cells: list[Any] = [para(f"{label} ({units})", "cell")]
        values = []
        for side in ("left", "right"):
            value = _mean(data, measure, side, cond)
            values.append(value)
            ref = next(
                (r for r in interp.reference if r.measure == measure and r.side == side), None
            )
            cells.append(_light_cell("–" if value is None else f"{value:.1f}", ref))
        if all(v is None for v in values):
            continue
        asym = next(
            (a for a in interp.asymmetry if a.measure == measure and a.condition == cond), None
        )
        cells.append(
            _light_cell(
                f"{asym.abs_difference:.1f}" if asym else "–", asym.verdict if asym else None
            )
        )
        changes = [c for c in interp.changes if c.measure == measure and c.condition == cond]
        words = []
        for c in changes:
            delta = "–" if c.delta is None else f"{c.delta:+.1f}"
            words.append(
                f"{c.side[0].upper()} {delta} "
                + light(c.verdict.level, STATUS_WORDS.get(c.verdict.status, c.verdict.status))
            )
        cells.append(Paragraph("<br/>".join(words) or "first visit", styles()["cell"]))
        rows.append(cells)
    return grid(rows, [width * f for f in (0.28, 0.16, 0.16, 0.16, 0.24)])


def _mean(data: ReportData, measure: str, side: str, cond: str | None) -> float | None:
    summary = data.interp.summary
    if measure.startswith("balance"):
        s = summary.balance.get(side, {}).get(cond or "")
        return None if s is None else s.metrics_mean.get("mean_velocity_cm_s")
    lunge = summary.lunge.get(side)
    if lunge is None:
        return None
    return lunge.distance_mean_cm if measure == "lunge_distance_cm" else lunge.angle_mean_deg


def page_one(data: ReportData, width: float) -> list[Flowable]:
    """Header block, summary table, three key findings and the plan in one paragraph."""
    plan = data.plan
    story: list[Flowable] = [
        para("Ankle dorsiflexion and balance: clinician report", "title"),
        _patient_block(data, width),
        para("Summary", "h1"),
        _summary_table(data, width),
        para("Key findings", "h1"),
    ]
    top = top_findings(plan, 3)
    if not top:
        story.append(para("No findings: all measured values within their references.", "body"))
    for n, f in enumerate(top, start=1):
        story.append(Paragraph(f"{n}. " + light(f.level) + " " + rich(f.text), styles()["body"]))
    story.append(para("Plan in brief", "h1"))
    story.append(para(plan.summary, "body"))
    if plan.status == "stopped":
        pass
    elif plan.red_flags_checked:
        story.append(
            Paragraph(
                light("green", "Red-flag checklist completed: none ticked"), styles()["body"]
            )
        )
    else:
        story.append(
            Paragraph(
                light("amber", "Red-flag checklist not completed") + " — "
                "check §3.5 red flags before the patient starts.",
                styles()["body"],
            )
        )
    return story


def build_clinician_report(data: ReportData, out: Path | IO[bytes]) -> None:
    """Write the clinician report PDF to a path (atomically) or a binary stream."""

    def story(width: float) -> list[Flowable]:
        return [
            *page_one(data, width),
            PageBreak(),
            *lunge_section(data, width),
            *balance_section(data, width),
            *trends_section(data, width),
            Spacer(1, 2 * mm),
            *findings_and_plan(data, width),
            *methods(data),
        ]

    write_document(data, out, TITLE, story)
