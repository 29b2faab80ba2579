"""The findings and the full plan: doses with their basis, causes, levels, running, changes."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from clinic_app.plan import load_library
from clinic_app.plan.model import Plan, PlanItem
from clinic_app.plan.text import dose_basis
from clinic_app.reports.common import light, para
from clinic_app.reports.data import ReportData
from clinic_app.reports.fonts import rich
from clinic_app.reports.sections import grid
from clinic_app.reports.styles import styles


def _basis(item: PlanItem) -> str:
    return dose_basis(item, long=True)


def findings_table(plan: Plan, width: float) -> list[Flowable]:
    """Every finding with its traffic light and the basis of its threshold."""
    rows: list[list[Any]] = [["#", "", "Finding", "Basis"]]
    for n, f in enumerate(plan.findings, start=1):
        basis = (
            "editable clinic default, not research-based"
            if f.clinic_default
            else f"[{f.evidence}] {f.source}"
            if f.evidence
            else "observed"
        )
        rows.append(
            [
                f"F{n}",
                Paragraph(light(f.level), styles()["cell"]),
                para(f.text, "cell"),
                para(basis, "cell"),
            ]
        )
    if len(rows) == 1:
        rows.append(["", "", para("No findings.", "cell"), ""])
    return [para("Findings", "h1"),
            grid(rows, [width * 0.06, width * 0.12, width * 0.56, width * 0.26])]  # fmt: skip


def _item_rows(plan: Plan, items: tuple[PlanItem, ...]) -> list[list[Any]]:
    lib = load_library()
    number = {f.id: n for n, f in enumerate(plan.findings, start=1)}
    rows: list[list[Any]] = [["Exercise", "Dose (level)", "Dose basis", "Because"]]
    for item in items:
        ex = lib.exercises.get(item.exercise_id)
        name = (ex.name if ex else item.exercise_id) + (f" ({item.side})" if item.side else "")
        causes = ", ".join(
            f"F{number[c]}" if c in number else "added by the clinician" for c in item.because
        )
        if item.progression:
            causes += f". {item.progression[0].upper()}{item.progression[1:]}"
        if item.notes:
            causes += f". Note: {item.notes}"
        rows.append(
            [
                para(name, "cell_bold"),
                para(f"{item.dose.describe()} (level {item.level})", "cell"),
                para(_basis(item), "cell"),
                para(causes, "small"),
            ]
        )
    return rows


def plan_section(data: ReportData, width: float) -> list[Flowable]:
    """The full plan: notes, phases with their items, running, changes, the pain rule."""
    plan = data.plan
    out: list[Flowable] = []
    # The heading travels with the first block so that it never ends a page alone.
    lead: list[Flowable] = [para("Progression plan", "h1")]
    if plan.status == "stopped":
        lead.append(para(plan.summary, "big_bold"))
    if plan.reduce_load:
        lead.append(
            Paragraph(
                light("red", "Reduce load")
                + " "
                + rich(
                    "Lunge pain above the acceptable level: low-load work within the pain "
                    "rule, heavier and end-range work held, review before the next visit."
                ),
                styles()["body"],
            )
        )
    for note in (*plan.referral_notes, *plan.prompts):
        lead.append(
            Paragraph(
                light("amber", "Referral / review") + " " + rich(note.text), styles()["body"]
            )
        )
    for phase in plan.phases:
        block: list[Flowable] = [
            *lead,
            para(f"{phase.title} — {'now' if phase.status == 'current' else 'later'}", "h2"),
            para(f"Entry: {phase.entry}  Exit: {phase.exit_criteria}", "small"),
        ]
        if phase.items:
            widths = [width * f for f in (0.24, 0.3, 0.26, 0.2)]
            block.append(grid(_item_rows(plan, phase.items), widths))
        out.append(KeepTogether(block))
        lead = []
    out += lead
    out.append(Spacer(1, 2 * mm))
    if plan.transitions:
        out.append(para("Since the previous plan: " + " ".join(plan.transitions), "body"))
    if plan.running_advice:
        out.append(para(f"Running (as the handout says): {plan.running_advice}", "body"))
        out.append(para(f"Basis: {plan.running_basis}.", "small"))
    if plan.pain_rule and plan.status != "stopped":
        out.append(para(f"Pain rule: {plan.pain_rule} ({plan.pain_rule_basis}).", "body"))
    if plan.clinician_notes:
        out.append(para(f"Clinician notes: {plan.clinician_notes}", "body"))
    return out


__all__ = ["findings_table", "plan_section"]
