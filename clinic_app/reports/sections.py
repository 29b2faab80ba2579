"""Sections of the clinician report after page 1: lunge, balance, trends, plan, methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from clinic_app.analysis.session import SessionInterpretation
from clinic_app.analysis.summary import CONDITIONS
from clinic_app.analysis.verdicts import Verdict
from clinic_app.plan import load_library
from clinic_app.plan.findings import CONDITION_WORDS
from clinic_app.reports.charts import TrendPoint, stabilogram, trace_chart, trend_chart
from clinic_app.reports.common import light, para
from clinic_app.reports.data import ReportData
from clinic_app.reports.fonts import rich
from clinic_app.reports.styles import INK, PANEL, RULE, SIDE_COLOURS, styles

STATUS_WORDS = {
    "within": "Within",
    "above": "Above",
    "below": "Below",
    "restricted": "Restricted",
    "flagged": "Flagged",
    "marked": "Marked",
    "not_flagged": "Within",
    "improved": "Improved",
    "worsened": "Worse",
    "no_real_change": "No real change",
    "no_mdc": "No MDC",
    "not_comparable": "Not comparable",
    "insufficient_data": "No data",
}


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


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def _side_head(side: str) -> Paragraph:
    colour = SIDE_COLOURS[side].hexval()[2:]
    return Paragraph(
        f'<font color="#{colour}"><b>{side.capitalize()}</b></font>', styles()["cell"]
    )


def _change(
    interp: SessionInterpretation, measure: str, side: str, cond: str | None = None
) -> Any:
    for c in interp.changes:
        if c.measure == measure and c.side == side and c.condition == cond:
            return c
    return None


def lunge_section(data: ReportData, width: float) -> list[Flowable]:
    """Lunge trials per side, means, reference, asymmetry, change vs MDC, and the traces."""
    interp = data.interp
    out: list[Flowable] = [para("Weight-bearing lunge test", "h1")]
    head = ["Side", "Trial", "Distance (cm)", "Angle (°)", "Hold (s)", "Heel", "Pain", "Status"]
    rows: list[list[Any]] = [head]
    for side in ("left", "right"):
        s = interp.summary.lunge.get(side)
        if s is None:
            continue
        for t in s.trials:
            label = f"practice {t.attempt}" if t.practice else str(t.attempt)
            pain = "–" if t.pain_nrs is None else f"{t.pain_nrs}/10 {t.pain_location or ''}"
            rows.append(
                [
                    _side_head(side),
                    label,
                    _num(t.distance_cm),
                    _num(t.angle_deg),
                    _num(t.hold_s),
                    "lifted" if t.heel_lift else "down",
                    pain,
                    t.status + (f" ({t.invalid_reason})" if t.invalid_reason else ""),
                ]
            )
        rows.append(
            [
                _side_head(side),
                Paragraph("<b>mean</b> (max)", styles()["cell"]),
                f"{_num(s.distance_mean_cm)} ({_num(s.distance_max_cm)})",
                f"{_num(s.angle_mean_deg)} ({_num(s.angle_max_deg)})",
                "",
                "",
                "",
                f"{s.n_valid} valid",
            ]
        )
    if len(rows) == 1:
        return [*out, para("No lunge trials in this session.")]
    w = width
    out.append(grid(rows, [w * f for f in (0.08, 0.12, 0.15, 0.13, 0.09, 0.09, 0.16, 0.18)]))
    out.append(Spacer(1, 3 * mm))
    judged: list[list[Any]] = [["Judgement", "Verdict", "Reason (threshold and basis)"]]
    for v in interp.reference:
        judged.append(
            [
                f"{(v.side or '').capitalize()} {v.measure.split('_')[1]} vs reference",
                verdict_cell(v),
                para(v.text, "cell"),
            ]
        )
    for a in interp.asymmetry:
        if a.measure.startswith("lunge"):
            judged.append(
                [
                    f"Left–right {a.measure.split('_')[1]}",
                    verdict_cell(a.verdict),
                    para(a.verdict.text, "cell"),
                ]
            )
    for c in interp.changes:
        if c.measure.startswith("lunge"):
            judged.append(
                [
                    f"{c.side.capitalize()} {c.measure.split('_')[1]} since last visit",
                    verdict_cell(c.verdict),
                    para(c.verdict.text, "cell"),
                ]
            )
    out.append(grid(judged, [w * 0.27, w * 0.17, w * 0.56]))
    charts = [
        trace_chart(data.traces.get(side, ()), side, w / 2 - 4, 46 * mm)
        for side in ("left", "right")
    ]
    out.append(Spacer(1, 3 * mm))
    out.append(Table([charts], colWidths=[w / 2, w / 2]))
    return out


KEY_METRICS = (
    ("mean_velocity_cm_s", "Velocity (cm/s)"),
    ("ellipse_area_95_cm2", "Ellipse 95 % (cm²)"),
    ("path_length_cm", "Path (cm)"),
)


def balance_section(data: ReportData, width: float) -> list[Flowable]:
    """Per side × condition: velocity, ellipse area, path length, failures; stabilograms."""
    bal = data.interp.summary.balance
    if not bal:
        return []
    out: list[Flowable] = [para("Single-leg balance", "h1")]
    head = [
        "Condition",
        "Side",
        *[label for _, label in KEY_METRICS],
        "Valid / failed",
        "L–R verdict",
    ]
    rows: list[list[Any]] = [head]
    for cond in CONDITIONS:
        for side in ("left", "right"):
            s = bal.get(side, {}).get(cond)
            if s is None:
                continue
            asym = next(
                (
                    a.verdict
                    for a in data.interp.asymmetry
                    if a.measure.startswith("balance") and a.condition == cond
                ),
                None,
            )
            fails = f"{s.n_valid} / {s.n_failed}"
            if s.failure_reasons:
                fails += f" ({', '.join(sorted(set(s.failure_reasons)))})"
            rows.append(
                [
                    CONDITION_WORDS[cond] if side == "left" else "",
                    _side_head(side),
                    *[_num(s.metrics_mean.get(k), "{:.2f}") for k, _ in KEY_METRICS],
                    fails,
                    verdict_cell(asym) if side == "left" else "",
                ]
            )
    w = width
    out.append(grid(rows, [w * f for f in (0.2, 0.08, 0.13, 0.15, 0.1, 0.18, 0.16)]))
    conds = [c for c in CONDITIONS if any(c in bal.get(s, {}) for s in ("left", "right"))]
    if data.cop:
        half = max(
            (float(max(abs(p.ml_cm).max(), abs(p.ap_cm).max())) for p in data.cop.values()),
            default=2.0,
        )
        half = max(1.0, round(half * 1.15 + 0.49))
        size = min(w / max(len(conds), 1) - 4, 48 * mm)
        cells = [
            [
                stabilogram(
                    data.cop.get((side, c)),
                    side,
                    f"{side.capitalize()} · {CONDITION_WORDS[c]}",
                    size,
                    half,
                )
                for c in conds
            ]
            for side in ("left", "right")
        ]
        caption = para(
            "Stabilograms (one valid trial each; ellipse = 95 % prediction ellipse; "
            "same scale in every plot)",
            "small",
        )
        plots = Table(cells, colWidths=[w / len(conds)] * len(conds))
        out.append(KeepTogether([Spacer(1, 2 * mm), caption, plots]))
    return out


def trends_section(data: ReportData, width: float) -> list[Flowable]:
    """Trend charts of the key measures over the visits (only with history)."""
    if len(data.history) < 2:
        return []
    first = data.history[0].day
    labels = [
        ((v.day - first).days / 7.0, f"{(v.day - first).days / 7.0:.0f}") for v in data.history
    ]
    mdcs = {c.measure: c.mdc for c in data.interp.changes if c.mdc is not None}
    base = data.history[0].summary
    charts = []
    specs = (
        ("lunge_distance_cm", "Knee-to-wall distance", "cm"),
        ("lunge_angle_deg", "Tibial angle", "°"),
        ("balance_mean_velocity_cm_s", "Eyes-closed velocity", "cm/s"),
    )
    for measure, title, units in specs:
        mdc = mdcs.get(measure)
        series: dict[str, list[TrendPoint]] = {}
        for side in ("left", "right"):
            pts = []
            for v in data.history:
                value = _measure(v.summary, measure, side)
                start = _measure(base, measure, side)
                if value is None:
                    continue
                real = mdc is not None and start is not None and abs(value - start) > mdc
                pts.append(TrendPoint((v.day - first).days / 7.0, value, real))
            if pts:
                series[side] = pts
        if series:
            charts.append(trend_chart(title, units, series, mdc, width / 3 - 4, 50 * mm, labels))
    if not charts:
        return []
    return [
        KeepTogether(
            [
                para("Trends", "h1"),
                para(
                    "Band = MDC around the first visit; filled marker = change from the first "
                    "visit "
                    "beyond the MDC (real change).",
                    "small",
                ),
                Table([charts], colWidths=[width / 3] * len(charts)),
            ]
        )
    ]


def _measure(summary: Any, measure: str, side: str) -> float | None:
    if measure == "balance_mean_velocity_cm_s":
        s = summary.balance.get(side, {}).get("ec_firm")
        value = None if s is None else s.metrics_mean.get("mean_velocity_cm_s")
        return None if value is None else float(value)
    lunge = summary.lunge.get(side)
    if lunge is None:
        return None
    chosen = lunge.distance_mean_cm if measure == "lunge_distance_cm" else lunge.angle_mean_deg
    return None if chosen is None else float(chosen)


def findings_and_plan(data: ReportData, width: float) -> list[Flowable]:
    """All findings with their basis, then the full plan with doses and causes."""
    plan = data.plan
    lib = load_library()
    out: list[Flowable] = [para("Findings", "h1")]
    rows: list[list[Any]] = [["#", "", "Finding", "Basis"]]
    number = {f.id: n for n, f in enumerate(plan.findings, start=1)}
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
    out.append(grid(rows, [width * 0.06, width * 0.12, width * 0.56, width * 0.26]))
    # The heading travels with the first block so that it never ends a page alone.
    lead: list[Flowable] = [para("Progression plan", "h1")]
    if plan.status == "stopped":
        lead.append(para(plan.summary, "big_bold"))
    for note in (*plan.referral_notes, *plan.prompts):
        lead.append(
            Paragraph(
                light("amber", "Referral / review") + " " + rich(note.text), styles()["body"]
            )
        )
    for phase in plan.phases:
        block: list[Flowable] = [
            *lead,
            para(f"{phase.title} — {phase.status}", "h2"),
            para(f"Entry: {phase.entry}  Exit: {phase.exit_criteria}", "small"),
        ]
        if phase.items:
            rows = [["Exercise", "Dose", "Dose basis", "Because (findings)"]]
            for item in phase.items:
                ex = lib.exercises.get(item.exercise_id)
                name = ex.name if ex else item.exercise_id
                if item.side:
                    name += f" ({item.side})"
                basis = (
                    "clinic default (not research-based)"
                    if item.dose_evidence == "U"
                    else f"[{item.dose_evidence}] {item.dose_source}"
                )
                causes = ", ".join(
                    f"F{number[c]}" if c in number else "added by the clinician"
                    for c in item.because
                )
                if item.notes:
                    causes += f" Note: {item.notes}"
                rows.append(
                    [
                        para(name, "cell_bold"),
                        para(item.dose.describe(), "cell"),
                        para(basis, "cell"),
                        para(causes, "small"),
                    ]
                )
            block.append(grid(rows, [width * f for f in (0.24, 0.26, 0.34, 0.16)]))
        out.append(KeepTogether(block))
        lead = []
    out += lead
    out.append(Spacer(1, 2 * mm))
    out.append(para(f"Pain rule: {plan.pain_rule} ({plan.pain_rule_basis}).", "body"))
    if plan.clinician_notes:
        out.append(para(f"Clinician notes: {plan.clinician_notes}", "body"))
    return out


def methods(data: ReportData) -> list[Flowable]:
    """The methods footnote: set-up, conventions, software version."""
    site = data.visit.site.replace("_", " ")
    text = (
        f"Methods. Lunge: knee-to-wall distance (great-toe tip to wall, 0.1 cm) and tibial "
        f"inclination from vertical by inclinometer ({site}); mean of the valid measured trials "
        "after practice lunges; angles from different sites are never compared. Balance: "
        "single-leg stance on a force plate, barefoot, hands on hips; centre of pressure "
        f"{data.processing or 'zero-lag Butterworth low-pass'}; mean-centred; velocity = path "
        "length / duration; ellipse = 95 % prediction ellipse (F-based). Change counts as real "
        "only when it exceeds the MDC (strictly). Verdict colours always carry a word. "
        f"Software: DorsiLab {data.version}."
    )
    return [Spacer(1, 4 * mm), para(text, "small")]
