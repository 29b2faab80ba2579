"""What the history page shows, computed without Qt: trend series, MDC bands, comparisons.

Every judgement comes from :func:`clinic_app.analysis.session.interpret_session`:

- **Markers**: each later visit is compared with the first (the baseline) and a marker is
  set where that comparison calls the change real (strictly more than the MDC that applies
  to the two visits' examiners).
- **Band**: baseline ± the MDC for the same examiner, read from the same comparison code
  (a visit compared with itself by its own examiner), so the band and the verdicts can
  never disagree about the number.
- **Sites**: angles from different inclinometer sites are never compared; the series is
  broken at a site change and a note says why.
- **Comparison**: any two visits, the later against the earlier, with the verdict in words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.session import (
    CONDITIONS,
    SIDES,
    Change,
    SessionSummary,
    interpret_session,
    summarize_session,
)
from clinic_app.analysis.verdicts import fmt
from clinic_app.numbers import fixed

CONDITION_WORDS = {
    "eo_firm": "Eyes open, firm",
    "ec_firm": "Eyes closed, firm",
    "eo_foam": "Eyes open, foam",
    "ec_foam": "Eyes closed, foam",
}
SITE_WORDS = {
    "tibial_crest_15cm": "tibial crest, 15 cm below the tuberosity",
    "tibial_tuberosity": "tibial tuberosity",
}
STATUS_WORDS = {
    "improved": "Real improvement",
    "worsened": "Real worsening",
    "no_real_change": "Within the MDC: no real change",
    "no_mdc": "No MDC: for information",
    "not_comparable": "Not compared: other site",
    "insufficient_data": "Not measured in both",
}
"""The verdict of a change in words (a colour is never shown without them)."""


@dataclass(frozen=True)
class Measure:
    """One trend measure.

    Attributes
    ----------
    key : str
        ``lunge_angle_deg``, ``lunge_distance_cm``, ``balance_mean_velocity_cm_s`` or
        ``balance_ellipse_area_95_cm2``.
    condition : str or None
        Balance condition; None for the lunge test.
    title, units : str
        Chart title; units as shown (``°``, ``cm``, ``cm/s``, ``cm²``).
    higher_is_better : bool
    """

    key: str
    condition: str | None
    title: str
    units: str
    higher_is_better: bool


LUNGE_MEASURES = (
    Measure("lunge_angle_deg", None, "Tibial angle", "°", True),
    Measure("lunge_distance_cm", None, "Knee-to-wall distance", "cm", True),
)


def balance_measures(condition: str) -> tuple[Measure, Measure]:
    """Mean velocity and 95 % ellipse area of single-leg balance in ``condition``."""
    return (
        Measure("balance_mean_velocity_cm_s", condition, "Mean COP velocity", "cm/s", False),
        Measure("balance_ellipse_area_95_cm2", condition, "95 % ellipse area", "cm²", False),
    )


@dataclass(frozen=True)
class Visit:
    """One session of the patient that has results."""

    session_id: int
    number: int
    day: date
    examiner: str
    site: str | None
    summary: SessionSummary

    @property
    def label(self) -> str:
        """``Visit 2 · 24 Sep 2026``."""
        return f"Visit {self.number} · {self.day.day} {self.day:%b %Y}"


@dataclass(frozen=True)
class Point:
    """One visit's value of one measure on one side."""

    visit: Visit
    weeks: float
    value: float | None
    site: str | None
    real: bool
    status: str
    text: str


@dataclass(frozen=True)
class Series:
    """One side's trend of one measure, with its baseline band.

    Attributes
    ----------
    points : tuple of Point
        One per visit (value None where not measured).
    baseline, mdc : float or None
        The first measured value and the same-examiner MDC around it (None: no MDC).
    mdc_basis : str
        Source and evidence of the MDC, in words.
    """

    side: str
    points: tuple[Point, ...]
    baseline: float | None
    mdc: float | None
    mdc_basis: str


def _day(stamp: str) -> date:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()


def _rows(trials: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {f.name: getattr(t, f.name) for f in dataclasses.fields(t)}
        for t in trials
        if t.result is not None
    ]


def clinic_norms(db: Any) -> Norms:
    """The bundled thresholds with the clinic's overrides (Settings) applied."""
    overrides = db.get_setting("thresholds") or {}
    return load_norms().with_overrides(overrides) if overrides else load_norms()


def value_of(summary: SessionSummary, measure: Measure, side: str) -> float | None:
    """The session mean of ``measure`` on ``side`` (None when not measured)."""
    if measure.key.startswith("lunge"):
        lunge = summary.lunge.get(side)
        if lunge is None:
            return None
        return lunge.angle_mean_deg if measure.key == "lunge_angle_deg" else lunge.distance_mean_cm
    cond = summary.balance.get(side, {}).get(measure.condition or "")
    if cond is None:
        return None
    metric = measure.key.removeprefix("balance_")
    value = cond.metrics_mean.get(metric)
    return None if value is None else float(value)


def site_of(summary: SessionSummary, side: str) -> str | None:
    """The inclinometer site of a side's averaged angles (the session's when unknown)."""
    lunge = summary.lunge.get(side)
    return (lunge.site if lunge else None) or summary.site


class PatientHistory:
    """A patient's visits with results, their trends and comparisons.

    Parameters
    ----------
    visits : sequence of Visit
        Oldest first.
    involved_side : str or None
    norms : Norms, optional
    """

    def __init__(
        self, visits: Sequence[Visit], involved_side: str | None, norms: Norms | None = None
    ) -> None:
        self.visits = tuple(visits)
        self.involved_side = involved_side if involved_side in SIDES else None
        self.norms = norms or load_norms()
        base = self.visits[0] if self.visits else None
        self._vs_base: dict[int, dict[tuple[str, str, str | None], Change]] = {}
        self._band: dict[tuple[str, str, str | None], Change] = {}
        if base is not None:
            own = interpret_session(
                base.summary, base.summary, same_examiner=True, norms=self.norms
            )
            self._band = {(c.measure, c.side, c.condition): c for c in own.changes}
            for visit in self.visits[1:]:
                self._vs_base[visit.session_id] = self._changes(base, visit)

    @classmethod
    def from_database(cls, db: Any, patient_id: int) -> PatientHistory:
        """Read the patient's visits that count (not voided, at least one result)."""
        patient = db.get_patient(patient_id)
        visits: list[Visit] = []
        for item in db.patient_history(patient_id, counted_only=True):
            rows = _rows(item.trials)
            if not rows:
                continue
            s = item.session
            summary = summarize_session(
                rows, session_id=s.id, examiner=s.examiner, site=s.inclinometer_site
            )
            day = _day(s.started_at)
            number = len(visits) + 1
            visits.append(Visit(s.id, number, day, s.examiner or "", s.inclinometer_site, summary))
        return cls(visits, patient.involved_side, clinic_norms(db))

    # ------------------------------------------------------------------ queries
    def _changes(self, a: Visit, b: Visit) -> dict[tuple[str, str, str | None], Change]:
        interp = interpret_session(
            b.summary, a.summary, involved_side=self.involved_side, norms=self.norms
        )
        return {(c.measure, c.side, c.condition): c for c in interp.changes}

    def weeks(self, visit: Visit) -> float:
        """Weeks from the first visit to ``visit``."""
        return (visit.day - self.visits[0].day).days / 7.0

    @property
    def balance_conditions(self) -> tuple[str, ...]:
        """Conditions tested in any visit, in protocol order."""
        seen = {c for v in self.visits for side in v.summary.balance.values() for c in side}
        return tuple(c for c in CONDITIONS if c in seen)

    def series(self, measure: Measure, side: str) -> Series:
        """One side's trend of ``measure``, judged against the first visit."""
        points: list[Point] = []
        for visit in self.visits:
            value = value_of(visit.summary, measure, side)
            change = self._vs_base.get(visit.session_id, {}).get(
                (measure.key, side, measure.condition)
            )
            # Only angles depend on where the inclinometer sat.
            site = site_of(visit.summary, side) if measure.key == "lunge_angle_deg" else None
            points.append(
                Point(
                    visit, self.weeks(visit), value, site,
                    bool(change and change.real), change.verdict.status if change else "",
                    change.verdict.text if change else "",
                )
            )  # fmt: skip
        baseline = points[0].value if points else None
        band = self._band.get((measure.key, side, measure.condition))
        mdc = band.mdc if band is not None and baseline is not None else None
        basis = ""
        if band is not None and band.mdc is not None:
            v = band.verdict
            basis = f"{v.source} [{v.evidence}]" if v.evidence else v.source
        return Series(side, tuple(points), baseline, mdc, basis)

    def site_notes(self) -> list[str]:
        """Sentences about visits whose angles are not compared (another inclinometer site)."""
        if not self.visits:
            return []
        notes = []
        first = {side: site_of(self.visits[0].summary, side) for side in SIDES}
        for visit in self.visits[1:]:
            for side in SIDES:
                site = site_of(visit.summary, side)
                if site and first[side] and site != first[side] and side in visit.summary.lunge:
                    was = first[side] or ""
                    notes.append(
                        f"{visit.label}: the inclinometer was on the "
                        f"{SITE_WORDS.get(site, site)}, not the {SITE_WORDS.get(was, was)}; "
                        "its angles (hollow squares) are shown apart and never compared "
                        "with the others."
                    )
                    break
        return notes

    def compare(self, a: Visit, b: Visit) -> list[ComparisonRow]:
        """Every measure of two visits side by side, ``b`` judged against ``a``."""
        changes = self._changes(a, b)
        rows: list[ComparisonRow] = []
        measures: list[Measure] = list(LUNGE_MEASURES)
        for condition in self.balance_conditions:
            measures.extend(balance_measures(condition))
        for measure in measures:
            for side in SIDES:
                va, vb = value_of(a.summary, measure, side), value_of(b.summary, measure, side)
                if va is None and vb is None:
                    continue
                change = changes.get((measure.key, side, measure.condition))
                rows.append(ComparisonRow.build(measure, side, va, vb, change))
        return rows


@dataclass(frozen=True)
class ComparisonRow:
    """One line of the comparison table (texts ready to show).

    Attributes
    ----------
    measure, side : str
    group : str
        ``Lunge test`` or ``Balance · eyes closed, firm`` …
    label : str
        ``Tibial angle``, ``Mean COP velocity`` …
    a, b, change, mdc : str
        Formatted values (``—`` when missing).
    status : str
        The verdict status (``improved`` …); ``level`` its traffic-light colour name.
    verdict : str
        The status in words; ``detail`` the whole sentence with its source.
    """

    measure: str
    side: str
    group: str
    label: str
    a: str
    b: str
    change: str
    mdc: str
    status: str
    level: str
    verdict: str
    detail: str

    @classmethod
    def build(
        cls,
        measure: Measure,
        side: str,
        va: float | None,
        vb: float | None,
        change: Change | None,
    ) -> ComparisonRow:
        """A row from the values and the analysis' change verdict (if it judges the measure)."""
        units = measure.units
        label = measure.title
        group = "Lunge test"
        if measure.condition:
            group = f"Balance · {CONDITION_WORDS[measure.condition].lower()}"
            label += f" ({CONDITION_WORDS[measure.condition].lower()})"
        said = f"{side.capitalize()} {label[0].lower()}{label[1:]}"
        label = measure.title

        def show(v: float | None) -> str:
            return "—" if v is None else _fmt(v, units)

        delta = None if va is None or vb is None else vb - va
        change_text = (
            "—" if delta is None else ("+" if delta >= 0 else "−") + _fmt(abs(delta), units)
        )
        if change is not None:
            v = change.verdict
            status, level, detail = v.status, v.level, v.text
            mdc = "—" if change.mdc is None else _fmt(change.mdc, units)
        elif delta is None:
            status, level, mdc = "insufficient_data", "grey", "—"
            detail = f"{said}: not measured in both visits."
        else:
            status, level, mdc = "no_mdc", "grey", "—"
            detail = f"{said} changed by {change_text}; no published MDC, for information only."
        return cls(
            measure.key, side, group, label, show(va), show(vb), change_text, mdc, status, level,
            STATUS_WORDS.get(status, status), detail,
        )  # fmt: skip


def _fmt(value: float, units: str) -> str:
    if units == "°":
        return fmt(value, "deg")
    if units == "cm²":
        return f"{fixed(value)} cm²"
    return fmt(value, units)


__all__ = [
    "CONDITION_WORDS",
    "LUNGE_MEASURES",
    "STATUS_WORDS",
    "ComparisonRow",
    "Measure",
    "PatientHistory",
    "Point",
    "Series",
    "Visit",
    "balance_measures",
    "clinic_norms",
    "value_of",
]
