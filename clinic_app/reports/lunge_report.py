"""The lunge section: trials as on screen, means, reference, asymmetry with LSI, change, traces."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from clinic_app.analysis.change import Change
from clinic_app.numbers import fixed
from clinic_app.reports.charts import trace_chart
from clinic_app.reports.common import para
from clinic_app.reports.data import ReportData
from clinic_app.reports.sections import grid, num, side_head, verdict_cell
from clinic_app.reports.styles import styles
from clinic_app.reports.words import pain_words, trial_labels

MEASURE_WORDS = {"lunge_distance_cm": "distance", "lunge_angle_deg": "angle"}


def _trial_rows(data: ReportData) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["Side", "Trial", "Distance (cm)", "Angle (°)", "Hold (s)", "Heel", "Pain", "Note"]
    ]
    for side in ("left", "right"):
        s = data.interp.summary.lunge.get(side)
        if s is None:
            continue
        for t, label in zip(s.trials, trial_labels(s.trials)):
            rows.append(
                [
                    side_head(side),
                    label,
                    num(t.distance_cm),
                    num(t.angle_deg),
                    num(t.hold_s),
                    "lifted" if t.heel_lift else "down",
                    pain_words(t.pain_nrs, t.pain_location),
                    para(t.invalid_reason or "", "small"),
                ]
            )
        rows.append(
            [
                side_head(side),
                Paragraph("<b>mean</b> (max)", styles()["cell"]),
                f"{num(s.distance_mean_cm)} ({num(s.distance_max_cm)})",
                f"{num(s.angle_mean_deg)} ({num(s.angle_max_deg)})",
                "",
                "",
                pain_words(s.pain_max_nrs, "/".join(s.pain_locations) or None)
                if s.pain_max_nrs
                else "none",
                f"{s.n_valid} valid",
            ]
        )
    return rows


def _change_rows(changes: tuple[Change, ...], when: str) -> list[list[Any]]:
    return [
        [
            para(f"{c.side.capitalize()} {MEASURE_WORDS[c.measure]} since {when}", "cell"),
            verdict_cell(c.verdict),
            para(c.verdict.text, "cell"),
        ]
        for c in changes
        if c.measure in MEASURE_WORDS
    ]


def lunge_section(data: ReportData, width: float) -> list[Flowable]:
    """Lunge trials per side, means, reference, asymmetry (with LSI), change vs MDC, traces."""
    interp = data.interp
    out: list[Flowable] = [para("Weight-bearing lunge test", "h1")]
    rows = _trial_rows(data)
    if len(rows) == 1:
        return [*out, para("No lunge trials in this session.")]
    w = width
    out.append(grid(rows, [w * f for f in (0.08, 0.15, 0.13, 0.11, 0.08, 0.08, 0.17, 0.20)]))
    out.append(Spacer(1, 3 * mm))
    judged: list[list[Any]] = [["Judgement", "Verdict", "Reason (threshold and basis)"]]
    for v in interp.reference:
        judged.append(
            [
                para(
                    f"{(v.side or '').capitalize()} {MEASURE_WORDS.get(v.measure, '')} vs "
                    "reference",
                    "cell",
                ),
                verdict_cell(v),
                para(v.text, "cell"),
            ]
        )
    for a in interp.asymmetry:
        if a.measure in MEASURE_WORDS:
            lsi = "" if a.lsi_percent is None else f" · LSI {fixed(a.lsi_percent, 0)} %"
            basis = f" ({a.lsi_basis})" if lsi else ""
            judged.append(
                [
                    para(f"Left–right {MEASURE_WORDS[a.measure]}{lsi}{basis}", "cell"),
                    verdict_cell(a.verdict),
                    para(a.verdict.text, "cell"),
                ]
            )
    judged += _change_rows(interp.changes, "last visit")
    judged += _change_rows(interp.changes_since_first, "first visit")
    out.append(grid(judged, [w * 0.27, w * 0.17, w * 0.56]))
    charts = [
        trace_chart(data.traces.get(side, ()), side, w / 2 - 4, 52 * mm)
        for side in ("left", "right")
    ]
    out.append(Spacer(1, 3 * mm))
    out.append(Table([charts], colWidths=[w / 2, w / 2]))
    return out


__all__ = ["MEASURE_WORDS", "lunge_section"]
