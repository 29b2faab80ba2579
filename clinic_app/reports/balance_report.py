"""The balance section: per side and condition, the judgement, every trial, stabilograms.

Rounding as on screen: velocity 2 decimals (cm/s), ellipse area and path 1 decimal. Trials
are numbered as the live screen numbered them, and each stabilogram names its trial and
prints that trial's ellipse area, the number the trial table lists for it.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from clinic_app.analysis.summary import CONDITIONS, BalanceConditionSummary
from clinic_app.analysis.verdicts import Verdict, condition_words, failure_words
from clinic_app.numbers import fixed
from clinic_app.reports.charts import stabilogram
from clinic_app.reports.common import para
from clinic_app.reports.data import ReportData
from clinic_app.reports.sections import grid, num, side_head, verdict_cell
from clinic_app.reports.words import trial_labels


def _verdict(data: ReportData, side: str | None, cond: str, measure: str) -> Verdict | None:
    pool = [*data.interp.balance, *(a.verdict for a in data.interp.asymmetry)]
    return next(
        (v for v in pool if v.measure == measure and v.side == side and v.condition == cond),
        None,
    )


def _counts(s: BalanceConditionSummary) -> str:
    text = f"{s.n_valid} valid / {s.n_failed} failed"
    if s.failure_reasons:
        reasons = ", ".join(dict.fromkeys(failure_words(r) for r in s.failure_reasons))
        text += f" ({reasons})"
    return text


def _summary_rows(data: ReportData) -> list[list[Any]]:
    bal = data.interp.summary.balance
    rows: list[list[Any]] = [
        [para(h, "cell_bold") for h in ("Condition", "Side", "Velocity (cm/s)",
                                         "Ellipse (cm²)", "Path (cm)", "Trials", "Judgement",
                                         "Left–right")],
    ]  # fmt: skip
    for cond in CONDITIONS:
        for side in ("left", "right"):
            s = bal.get(side, {}).get(cond)
            if s is None:
                if any(cond in bal.get(o, {}) for o in ("left", "right")):
                    rows.append([condition_words(cond) if side == "left" else "",
                                 side_head(side), "not tested", "", "", "", "", ""])  # fmt: skip
                continue
            own = _verdict(data, side, cond, "balance_failures") or _verdict(
                data, side, cond, "balance_mean_velocity_cm_s"
            )
            asym = _verdict(data, None, cond, "balance_mean_velocity_cm_s")
            rows.append(
                [
                    para(condition_words(cond), "cell") if side == "left" else "",
                    side_head(side),
                    num(s.metrics_mean.get("mean_velocity_cm_s"), 2),
                    num(s.metrics_mean.get("ellipse_area_95_cm2")),
                    num(s.metrics_mean.get("path_length_cm")),
                    para(_counts(s), "cell"),
                    verdict_cell(own) if own else para("no reference", "cell"),
                    verdict_cell(asym) if side == "left" else "",
                ]
            )
    return rows


def _trial_rows(data: ReportData) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [para(h, "cell_bold") for h in ("Condition", "Side", "Trial", "Velocity (cm/s)",
                                         "Ellipse (cm²)", "Path (cm)", "Note")]
    ]  # fmt: skip
    for cond in CONDITIONS:
        for side in ("left", "right"):
            s = data.interp.summary.balance.get(side, {}).get(cond)
            if s is None:
                continue
            for t, label in zip(s.trials, trial_labels(s.trials)):
                m = t.metrics or {}
                note = failure_words(t.failure_reason) if t.status == "failed" else ""
                if t.time_to_failure_s is not None and t.status == "failed":
                    note += f" after {fixed(t.time_to_failure_s)} s"
                rows.append(
                    [
                        para(condition_words(cond), "small"),
                        side_head(side),
                        label,
                        num(m.get("mean_velocity_cm_s"), 2),
                        num(m.get("ellipse_area_95_cm2")),
                        num(m.get("path_length_cm")),
                        para(note or (t.invalid_reason or ""), "small"),
                    ]
                )
    return rows


def balance_section(data: ReportData, width: float) -> list[Flowable]:
    """Per side × condition: judgement, means, failures; every trial; stabilograms."""
    bal = data.interp.summary.balance
    out: list[Flowable] = [para("Single-leg balance", "h1")]
    if not bal:
        return [*out, para("Single-leg balance was not tested at this visit.", "body")]
    w = width
    out.append(grid(_summary_rows(data), [w * f for f in (0.16, 0.08, 0.1, 0.1, 0.08, 0.2,
                                                          0.14, 0.14)]))  # fmt: skip
    out.append(Spacer(1, 2 * mm))
    out.append(para("Every trial, numbered as on screen", "h2"))
    out.append(grid(_trial_rows(data), [w * f for f in (0.2, 0.08, 0.14, 0.12, 0.12, 0.1,
                                                        0.24)]))  # fmt: skip
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
                    f"{side.capitalize()} · {condition_words(c)}",
                    size,
                    half,
                )
                for c in conds
            ]
            for side in ("left", "right")
        ]
        caption = para(
            "Stabilograms: the first valid trial of each condition (its number and ellipse "
            "area as in the trial table); ellipse = 95 % prediction ellipse; same scale in "
            "every plot.",
            "small",
        )
        plots = Table(cells, colWidths=[w / len(conds)] * len(conds))
        out.append(KeepTogether([Spacer(1, 2 * mm), caption, plots]))
    return out


__all__ = ["balance_section"]
