"""The trends section: each key measure over the counted visits, judged against the first.

Each visit is compared with the first by :func:`~clinic_app.analysis.change.compare_sessions`
— the same examiner gets the same-examiner MDC, different examiners the larger one — so the
band around the first visit and the filled "real change" markers follow the MDC that fits
each comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table

from clinic_app.analysis.change import Change, compare_sessions
from clinic_app.analysis.norms import Norms
from clinic_app.analysis.summary import SessionSummary
from clinic_app.reports.common import para
from clinic_app.reports.data import HistoryVisit, ReportData
from clinic_app.reports.sections import find_change
from clinic_app.reports.trend_chart import TrendPoint, trend_chart

TREND_MEASURES = (
    ("lunge_distance_cm", "Knee-to-wall distance", "cm", None),
    ("lunge_angle_deg", "Tibial angle", "°", None),
    ("balance_mean_velocity_cm_s", "Eyes-closed velocity", "cm/s", "ec_firm"),
)


def measure_value(
    summary: SessionSummary, measure: str, side: str, cond: str | None
) -> float | None:
    """A side's mean of one key measure in a visit (None when not measured)."""
    if measure == "balance_mean_velocity_cm_s":
        s = summary.balance.get(side, {}).get(cond or "")
        value = None if s is None else s.metrics_mean.get("mean_velocity_cm_s")
        return None if value is None else float(value)
    lunge = summary.lunge.get(side)
    if lunge is None:
        return None
    chosen = lunge.distance_mean_cm if measure == "lunge_distance_cm" else lunge.angle_mean_deg
    return None if chosen is None else float(chosen)


def trend_points(
    history: Sequence[HistoryVisit],
    measure: str,
    side: str,
    cond: str | None,
    comparisons: Sequence[Sequence[Change]],
) -> list[TrendPoint]:
    """One side's points of a measure, each judged against the first visit's value.

    ``comparisons[k]`` is visit ``k`` compared with the first (``()`` for the first itself).
    """
    if not history:
        return []
    first = history[0]
    out: list[TrendPoint] = []
    for visit, changes in zip(history, comparisons):
        value = measure_value(visit.summary, measure, side, cond)
        if value is None:
            continue
        weeks = (visit.day - first.day).days / 7.0
        change = find_change(changes, measure, side, cond) if visit is not first else None
        mdc = change.mdc if change is not None else None
        out.append(TrendPoint(weeks, value, change is not None and change.real, mdc))
    return out


def comparisons_with_first(
    history: Sequence[HistoryVisit], norms: Norms
) -> list[tuple[Change, ...]]:
    """Each visit compared with the first, once (the first with nothing)."""
    first = history[0]
    return [
        () if v is first else compare_sessions(v.summary, first.summary, norms=norms)
        for v in history
    ]


def trends_section(data: ReportData, width: float, norms: Norms) -> list[Flowable]:
    """Trend charts of the key measures over the counted visits (only with history)."""
    if len(data.history) < 2:
        return []
    first = data.history[0].day
    labels = [((v.day - first).days / 7.0, f"{(v.day - first).days / 7.0:.0f}")
              for v in data.history]  # fmt: skip
    charts = []
    comparisons = comparisons_with_first(data.history, norms)
    for measure, title, units, cond in TREND_MEASURES:
        series = {
            side: pts
            for side in ("left", "right")
            if (pts := trend_points(data.history, measure, side, cond, comparisons))
        }
        if series:
            charts.append(trend_chart(title, units, series, width / 3 - 4, 52 * mm, labels))
    if not charts:
        return []
    return [
        KeepTogether(
            [
                para("Trends", "h1"),
                para(
                    "Band = the MDC around the first visit, for each visit's comparison with it "
                    "(wider where another examiner measured); filled marker = change from the "
                    "first visit beyond that MDC (real change). Left: solid line, circles; "
                    "right: dashed line, squares.",
                    "small",
                ),
                Table([charts], colWidths=[width / 3] * len(charts)),
            ]
        )
    ]


__all__ = [
    "TREND_MEASURES",
    "comparisons_with_first",
    "measure_value",
    "trend_points",
    "trends_section",
]
