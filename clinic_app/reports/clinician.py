"""The clinician report (A4 or Letter). Page 1 tells the whole story; detail follows.

Usage::

    from clinic_app.reports import build_clinician_report
    build_clinician_report(data, Path("report.pdf"))      # or a binary stream

The examiner signs it: a report of a visit with no examiner (and no default examiner in
Settings) is refused with :class:`~clinic_app.reports.words.ReportError`, and nothing is
written.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer, Table

from clinic_app.analysis.change import Change
from clinic_app.analysis.norms import load_norms
from clinic_app.analysis.verdicts import Verdict
from clinic_app.numbers import fixed, signed
from clinic_app.plan import load_library
from clinic_app.plan.text import plan_summary, top_findings
from clinic_app.reports.balance_report import balance_section
from clinic_app.reports.common import light, para, write_document
from clinic_app.reports.data import ReportData
from clinic_app.reports.fonts import rich
from clinic_app.reports.lunge_report import lunge_section
from clinic_app.reports.plan_report import findings_table, plan_section
from clinic_app.reports.sections import find_change, grid, methods, signature_block
from clinic_app.reports.styles import PANEL, SIDE_COLOURS, styles
from clinic_app.reports.trends import measure_value, trends_section
from clinic_app.reports.words import STATUS_WORDS, history_words, pain_words, require_examiner

TITLE = "Clinician report"
SECTION_HEADINGS = (
    "Summary",
    "Key findings",
    "Plan in brief",
    "Weight-bearing lunge test",
    "Single-leg balance",
    "Findings",
    "Progression plan",
    "Sign-off",
)
"""Headings every clinician report has (trends appear only with history)."""

SUMMARY_MEASURES = (
    ("lunge_distance_cm", "Knee-to-wall distance", "cm", None, 1),
    ("lunge_angle_deg", "Tibial angle", "°", None, 1),
    ("balance_mean_velocity_cm_s", "Balance, eyes closed", "cm/s", "ec_firm", 2),
    ("balance_mean_velocity_cm_s", "Balance, eyes open", "cm/s", "eo_firm", 2),
)


def _patient_block(data: ReportData, width: float) -> Table:
    p, v = data.patient, data.visit
    age = p.age_on(v.day)
    born = f"{p.birth_date.isoformat()} ({age} y)" if p.birth_date else "–"
    left = [
        Paragraph(f"<b>{rich(p.full_name)}</b>", styles()["big"]),
        para(f"Born {born} · {p.sex} · record {p.record_number or '–'}", "cell"),
        para(history_words(p), "cell"),
    ]
    if len(data.history) > 1:
        visits = (
            f"Previous visit: {data.history[-2].day.isoformat()} · first visit: "
            f"{data.history[0].day.isoformat()}"
        )
    else:
        visits = "First visit: nothing to compare with yet"
    right = [
        para(f"Visit {v.day.isoformat()} (visit {v.number} of {v.of})", "cell_bold"),
        para(f"Examiner: {v.examiner or '–'}", "cell"),
        para(visits, "cell"),
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


def _cell(value: str, v: Verdict | None) -> Paragraph:
    words = rich(value)
    if v is not None:
        words += "<br/>" + light(v.level, STATUS_WORDS.get(v.status, v.status))
    return Paragraph(words, styles()["cell"])


def _side_verdict(data: ReportData, measure: str, side: str, cond: str | None) -> Verdict | None:
    if measure.startswith("balance"):
        own = [v for v in data.interp.balance if v.side == side and v.condition == cond]
        return next((v for v in own if v.measure == "balance_failures"), None) or next(
            (v for v in own if v.measure == measure), None
        )
    return next(
        (r for r in data.interp.reference if r.measure == measure and r.side == side), None
    )


def _change_cell(changes: tuple[Change, ...], measure: str, cond: str | None) -> Paragraph:
    words = []
    for side in ("left", "right"):
        c = find_change(changes, measure, side, cond)
        if c is None:
            continue
        delta = signed(c.delta, missing="–")
        status = STATUS_WORDS.get(c.verdict.status, c.verdict.status)
        words.append(f"{side[0].upper()} {delta} " + light(c.verdict.level, status))
    return Paragraph("<br/>".join(words) or "first visit", styles()["cell"])


def _summary_table(data: ReportData, width: float) -> Table:
    interp = data.interp
    head: list[Any] = [para("Measure", "cell_bold")]
    for side in ("left", "right"):
        colour = SIDE_COLOURS[side].hexval()[2:]
        head.append(Paragraph(f'<font color="#{colour}"><b>{side.capitalize()}</b></font>',
                              styles()["cell"]))  # fmt: skip
    head += [para(h, "cell_bold") for h in ("Left–right (LSI)", "Since last visit",
                                            "Since first visit")]  # fmt: skip
    rows: list[list[Any]] = [head]
    for measure, label, units, cond, digits in SUMMARY_MEASURES:
        values = [measure_value(interp.summary, measure, s, cond) for s in ("left", "right")]
        if all(v is None for v in values) and cond != "ec_firm":
            continue  # eyes closed is always listed: "not tested" is said, never left out
        cells: list[Any] = [para(f"{label} ({units})", "cell")]
        for side, value in zip(("left", "right"), values):
            shown = "not tested" if value is None else fixed(value, digits)
            cells.append(_cell(shown, _side_verdict(data, measure, side, cond)))
        asym = next(
            (a for a in interp.asymmetry if a.measure == measure and a.condition == cond), None
        )
        diff = "–"
        if asym is not None:
            lsi = "" if asym.lsi_percent is None else f" ({fixed(asym.lsi_percent, 0)} %)"
            diff = f"{fixed(asym.abs_difference, digits)}{lsi}"
        cells.append(_cell(diff, asym.verdict if asym else None))
        cells.append(_change_cell(interp.changes, measure, cond))
        cells.append(_change_cell(interp.changes_since_first, measure, cond))
        rows.append(cells)
    rows.append(_pain_row(data))
    return grid(rows, [width * f for f in (0.22, 0.14, 0.14, 0.16, 0.17, 0.17)])


def _pain_row(data: ReportData) -> list[Any]:
    cells: list[Any] = [para("Lunge pain (0–10)", "cell")]
    acceptable = data.plan.pain_acceptable_max or load_norms().value("pain.acceptable_max_nrs")
    for side in ("left", "right"):
        s = data.interp.summary.lunge.get(side)
        if s is None:
            cells.append(para("not tested", "cell"))
            continue
        nrs = s.pain_max_nrs
        place = "/".join(s.pain_locations) or None
        if not nrs:
            cells.append(Paragraph(light("green", "none"), styles()["cell"]))
            continue
        level = "red" if nrs > acceptable else "amber"
        cells.append(Paragraph(rich(pain_words(nrs, place)) + "<br/>" + light(level),
                               styles()["cell"]))  # fmt: skip
    return [*cells, "", "", ""]


def page_one(data: ReportData, width: float) -> list[Flowable]:
    """Header block, summary table, key findings and the plan in one paragraph."""
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
    story.append(para(plan_summary(plan, load_library()), "body"))
    if plan.status == "stopped":
        pass
    elif plan.red_flags_checked:
        story.append(Paragraph(light("green", "Red-flag checklist completed: none ticked"),
                               styles()["body"]))  # fmt: skip
    else:
        story.append(
            Paragraph(
                light("amber", "Red-flag checklist not completed")
                + " — check the red flags before the patient starts.",
                styles()["body"],
            )
        )
    return story


def build_clinician_report(data: ReportData, out: Path | IO[bytes]) -> None:
    """Write the clinician report PDF to a path (atomically) or a binary stream.

    Raises
    ------
    ReportError
        When the visit has no examiner to sign it (nothing is written).
    """
    examiner = require_examiner(data)
    norms = data.norms or load_norms()

    def story(width: float) -> list[Flowable]:
        return [
            *page_one(data, width),
            PageBreak(),
            *lunge_section(data, width),
            *balance_section(data, width),
            *trends_section(data, width, norms),
            Spacer(1, 2 * mm),
            *findings_table(data.plan, width),
            *plan_section(data, width),
            signature_block(examiner, width),
            *methods(data),
        ]

    write_document(data, out, TITLE, story)
