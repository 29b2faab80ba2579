"""The patient handout: plain words, one card per exercise, the pain rule, a weekly log.

Written for a reading age of about 12. Every exercise card shows DorsiLab's own drawing as
vector graphics (the SVG in ``resources/illustrations`` via svglib).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from reportlab.graphics.shapes import Drawing, Group
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from svglib.svglib import svg2rlg

from clinic_app.paths import resource
from clinic_app.plan import load_library
from clinic_app.plan.library import Exercise
from clinic_app.plan.model import PlanItem
from clinic_app.plan.text import edited_dose, patient_summary
from clinic_app.reports.common import para, write_document
from clinic_app.reports.data import ReportData
from clinic_app.reports.fonts import rich
from clinic_app.reports.styles import (
    ACCENT,
    PANEL,
    RULE,
    VERDICT_COLOURS,
    styles,
)

TITLE = "Your ankle plan"
SECTION_HEADINGS = (
    "What we found and why it matters",
    "Your running",
    "Your exercises",
    "How to progress",
    "The pain rule",
    "When to stop and call us",
    "Your weekly log",
    "Next appointment",
)
"""Headings every active handout has."""


def long_date(day: date) -> str:
    """A date as patients read it: ``Tuesday 29 September 2026`` (English names)."""
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip
    return f"{days[day.weekday()]} {day.day} {months[day.month - 1]} {day.year}"


def stop_signs(acceptable_max: float | None, *, exercising: bool = True) -> list[str]:
    """When to stop and call: the patient's words for the red flags and the pain rule.

    ``exercising`` False (a stopped plan, no exercises) leaves out the exercise pain rule.
    """
    limit = f" (more than {acceptable_max:g} out of 10)" if acceptable_max is not None else ""
    signs = [
        "The calf becomes swollen, warm or red, or hurts when you press it.",
        "You feel a sudden snap or a kick at the back of the ankle, or cannot rise on your toes.",
        "Numbness, tingling, or a cold or pale foot.",
        "You cannot put weight on the foot.",
    ]
    if exercising:
        signs[2:2] = [
            f"Pain goes above the acceptable level{limit} and does not settle when you rest.",
            "Pain or stiffness the next morning keeps getting worse.",
        ]
    return signs


@functools.cache
def _svg(path: str) -> Drawing:
    drawing = svg2rlg(path)
    if drawing is None:
        raise ValueError(f"illustration {path} could not be read")
    return drawing


def illustration(exercise: Exercise, size: float) -> Drawing:
    """The exercise's drawing scaled into a ``size`` × ``size`` box (vector)."""
    src = _svg(str(exercise.illustration_path()))
    scale = size / max(src.width, src.height)
    group = Group(*src.contents)
    group.scale(scale, scale)
    out = Drawing(src.width * scale, src.height * scale)
    out.add(group)
    return out


def _dose_line(item: PlanItem) -> str:
    side = f" · {item.side} leg" if item.side else ""
    mine = " · set for you by your clinician" if edited_dose(item) else ""
    return item.dose.describe() + side + mine


def _next_step(item: PlanItem, exercise: Exercise) -> str:
    """The next dose level in words ("" at the top level)."""
    if item.level >= len(exercise.levels):
        return ""
    nxt = exercise.level(item.level + 1)
    when = f" (from week {nxt.from_week} of the programme)" if nxt.from_week else ""
    return f"{nxt.dose.describe()}{when}"


def exercise_card(item: PlanItem, exercise: Exercise, width: float) -> Flowable:
    """One exercise: drawing, name, dose, steps, cues, feel, when to progress/ease off."""
    st = styles()
    pic = illustration(exercise, 46 * mm)
    steps = "<br/>".join(f"{n}. {rich(s)}" for n, s in enumerate(exercise.instructions, 1))
    right: list[Flowable] = [
        Paragraph(rich(exercise.name), st["card_title"]),
        Paragraph(
            f'<font color="#{ACCENT.hexval()[2:]}"><b>{rich(_dose_line(item))}</b></font>',
            st["card"],
        ),
        Spacer(1, 1.5 * mm),
        Paragraph(steps, st["card"]),
        Spacer(1, 1.5 * mm),
        Paragraph("<b>Remember:</b> " + rich(" ".join(exercise.cues)), st["card"]),
        Paragraph("<b>How it should feel:</b> " + rich(exercise.feel), st["card"]),
        Paragraph("<b>Make it harder when:</b> " + rich(exercise.progress_when), st["card"]),
        Paragraph("<b>Make it easier when:</b> " + rich(exercise.regress_when), st["card"]),
    ]
    nxt = _next_step(item, exercise)
    if nxt:
        right.append(Paragraph("<b>Next step:</b> " + rich(nxt), st["card"]))
    if exercise.cautions:
        right.append(Paragraph("<b>Careful:</b> " + rich(" ".join(exercise.cautions)), st["card"]))
    if item.notes:
        right.append(Paragraph("<b>Note from your clinician:</b> " + rich(item.notes), st["card"]))
    table = Table([[pic, right]], colWidths=[50 * mm, width - 50 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.8, RULE),
                ("BACKGROUND", (0, 0), (0, 0), colors.white),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return KeepTogether([table, Spacer(1, 4 * mm)])


def _pain_table(data: ReportData, width: float) -> Table:
    plan = data.plan
    safe = plan.pain_safe_max if plan.pain_safe_max is not None else 0
    ok = plan.pain_acceptable_max if plan.pain_acceptable_max is not None else safe
    zones = (
        ("green", f"0 to {safe:g}", "Safe", "Carry on."),
        ("amber", f"{safe + 1:g} to {ok:g}", "Acceptable", "Carry on, but do not make it harder."),
        ("red", f"more than {ok:g}", "Too much", "Stop, and make the exercise easier next time."),
    )
    rows = []
    for level, span, word, advice in zones:
        colour = VERDICT_COLOURS[level].hexval()[2:]
        rows.append(
            [
                Paragraph(f'<font color="#{colour}">●</font> <b>{word}</b>', styles()["card"]),
                para(f"Pain {span} out of 10", "card"),
                para(advice, "card"),
            ]
        )
    table = Table(rows, colWidths=[width * 0.22, width * 0.3, width * 0.48])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, RULE),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _log_tables(data: ReportData, width: float, names: list[str]) -> list[Flowable]:
    weeks = max(1, round(data.plan.retest_weeks or 1))
    out: list[Flowable] = []
    for week in range(weeks):
        start = data.visit.day + timedelta(weeks=week)
        days = [(start + timedelta(days=k)).strftime("%a %d") for k in range(7)]
        rows: list[list[Any]] = [
            [para(f"Week {week + 1} (from {start.isoformat()})", "cell_bold"), *days]
        ]
        rows += [[para(n, "cell"), *[""] * 7] for n in names]
        rows.append([para("Worst pain today (0–10)", "cell"), *[""] * 7])
        rows.append([para("Next morning: better / same / worse", "cell"), *[""] * 7])
        table = Table(rows, colWidths=[width * 0.37] + [width * 0.09] * 7, rowHeights=None)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                    ("BACKGROUND", (0, 0), (-1, 0), PANEL),
                    ("FONT", (1, 0), (-1, 0), "DorsiSans-Bold", 8),
                    ("ALIGN", (1, 0), (-1, 0), "CENTER"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    # Rows still tall enough to tick (≈ 6 mm); four weeks fit one page
                    # rather than leaving the last week alone on a page of its own.
                    ("TOPPADDING", (0, 1), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 1), (-1, -1), 2.5),
                ]
            )
        )
        out += [KeepTogether([table]), Spacer(1, 4 * mm)]
    return out


def build_handout(data: ReportData, out: Path | IO[bytes]) -> None:
    """Write the patient handout PDF to a path (atomically) or a binary stream."""
    write_document(data, out, TITLE, lambda width: handout_story(data, width))


def handout_story(data: ReportData, width: float) -> list[Flowable]:
    """The handout's flowables for a frame ``width`` points wide."""
    plan = data.plan
    lib = load_library()
    story: list[Flowable] = [
        para(f"{TITLE}, {data.patient.full_name}", "title"),
        para(
            f"From your visit on {long_date(data.visit.day)}"
            + (f" with {data.visit.examiner}" if data.visit.examiner else ""),
            "body",
        ),
        para("What we found and why it matters", "h1"),
        para(patient_summary(plan), "big"),
    ]
    items = [i for i in plan.items if i.exercise_id in lib.exercises]
    if plan.status == "stopped":
        story.append(para("What to do now", "h1"))
        for finding in plan.findings:
            if finding.kind == "red_flag" and finding.patient_text:
                story.append(para(finding.patient_text, "big_bold"))
        if plan.running_advice:
            story.append(para(plan.running_advice, "big"))
        story.append(para("Get help straight away if", "h1"))
        story.append(para("Call the clinic, or go to the emergency department, if:", "big"))
        story += [para(f"• {sign}", "big") for sign in stop_signs(None, exercising=False)]
        story.append(para("Next appointment", "h1"))
        story.append(
            para("We will see you again after a doctor has checked your ankle.", "big_bold")
        )
        return story
    when = long_date(date.fromisoformat(plan.retest_date)) if plan.retest_date else ""
    story += [
        para("Next appointment", "h1"),
        para(
            f"Your re-test: {when or 'we will call you'}. Bring this sheet and your log.",
            "big_bold",
        ),
        para("Your running", "h1"),
        para(plan.running_advice, "big"),
        para("How to progress", "h1"),
        para(
            "Start with the amounts on each card. Make an exercise harder only when it "
            "feels easy, you follow the pain rule, and the next morning is no worse. Do "
            "one change at a time. Write what you did in the log at the end.",
            "big",
        ),
        para("The pain rule", "h1"),
        para(plan.pain_rule, "big"),
        Spacer(1, 2 * mm),
        _pain_table(data, width),
    ]
    story.append(para("When to stop and call us", "h1"))
    opening = (
        "Stop the exercises and call the clinic (or see a doctor the same day) if:"
        if items
        else "Call the clinic (or see a doctor the same day) if:"
    )
    story.append(para(opening, "big"))
    story += [
        para(f"• {sign}", "big")
        for sign in stop_signs(plan.pain_acceptable_max, exercising=bool(items))
    ]
    if items:
        # A new page only when too little is left for a card: page 1 spilling a few lines
        # over must not leave a nearly empty page.
        story += [CondPageBreak(110 * mm), para("Your exercises", "h1")]
        for item in items:
            story.append(exercise_card(item, lib.exercise(item.exercise_id), width))
        story += [
            CondPageBreak(90 * mm),
            para("Your weekly log", "h1"),
            para("Tick each exercise when you have done it.", "body"),
            Spacer(1, 2 * mm),
        ]
        story += _log_tables(data, width, [lib.exercise(i.exercise_id).name for i in items])
    return story


def illustration_svg(exercise_id: str) -> Path:
    """Path of an exercise's SVG drawing (for the Qt preview)."""
    return resource("illustrations", load_library().exercise(exercise_id).illustration)
