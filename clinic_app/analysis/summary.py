"""Per-session summaries of lunge and balance trials (the numbers behind every report).

Rules (clinical reference §1.2, §2.1):

- Practice trials are kept and listed but never averaged or counted as measured.
- Means use the *valid* measured trials only (``status == "valid"`` and not practice).
- Failed balance trials contribute their time to failure and reason, never metrics.
- Angles from different inclinometer sites are never averaged together.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from clinic_app.analysis.stats import metric_stats, num, sample_sd, stats
from clinic_app.analysis.trial_record import (
    CONDITIONS,
    PROTOCOLS,
    SIDES,
    STATUSES,
    TrialDataError,
    TrialRecord,
)


@dataclass(frozen=True)
class LungeTrial:
    """One lunge trial as the reports list it (units in the names; None = not recorded)."""

    trial_id: int | None
    attempt: int
    practice: bool
    status: str
    invalid_reason: str | None
    angle_deg: float | None
    distance_cm: float | None
    hold_s: float | None
    hold_sd_deg: float | None
    capture: str | None
    heel_lift: bool
    pain_nrs: int | None
    pain_location: str | None
    site: str | None


@dataclass(frozen=True)
class LungeSideSummary:
    """The lunge test on one side.

    Attributes
    ----------
    side : str
    site : str or None
        Inclinometer site of the averaged angles; None when there are none or sites differ.
    n_valid, n_not_valid, n_practice : int
        Valid measured trials; measured trials that are invalid/failed/incomplete; practice.
    angle_mean_deg, angle_max_deg, angle_sd_deg : float or None
        Over valid measured trials (SD with ddof = 1, None for fewer than 2 trials).
    distance_mean_cm, distance_max_cm, distance_sd_cm : float or None
        Knee-to-wall distance over valid measured trials.
    pain_max_nrs : int or None
        Highest pain (NRS 0–10) reported in any trial of this side, practice included.
    pain_locations : tuple of str
        Distinct locations (``anterior``, ``posterior``) of trials with pain above 0.
    trials : tuple of LungeTrial
        Every trial of this side, practice first, then by attempt.
    notes : tuple of str
        Plain-language caveats (mixed sites, fewer trials than planned…).
    """

    side: str
    site: str | None
    n_valid: int
    n_not_valid: int
    n_practice: int
    angle_mean_deg: float | None
    angle_max_deg: float | None
    angle_sd_deg: float | None
    distance_mean_cm: float | None
    distance_max_cm: float | None
    distance_sd_cm: float | None
    pain_max_nrs: int | None
    pain_locations: tuple[str, ...]
    trials: tuple[LungeTrial, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BalanceTrial:
    """One balance trial as the reports list it."""

    trial_id: int | None
    attempt: int
    practice: bool
    status: str
    invalid_reason: str | None
    planned_s: float | None
    completed_s: float | None
    time_to_failure_s: float | None
    failure_reason: str | None
    metrics: Mapping[str, float] | None
    processing: Mapping[str, Any] | None


@dataclass(frozen=True)
class BalanceConditionSummary:
    """Single-leg balance on one side in one condition.

    Attributes
    ----------
    side, condition : str
    n_valid, n_failed, n_invalid, n_incomplete, n_practice : int
        Counts of measured trials by status (practice counted apart).
    metrics_mean : dict of str to float
        Mean over valid measured trials of every numeric metric key (the
        ``clinic-app analyze --json`` keys, e.g. ``mean_velocity_cm_s``).
    metrics_sd : dict of str to float
        Sample SD (ddof = 1) of the same keys when at least two trials count.
    time_to_failure_s : tuple of float
        Of the failed measured trials, in attempt order.
    failure_reasons : tuple of str
        ``touchdown``, ``step``, ``foot_shift``, ``stepped_off`` … in attempt order.
    trials : tuple of BalanceTrial
    notes : tuple of str
    """

    side: str
    condition: str
    n_valid: int
    n_failed: int
    n_invalid: int
    n_incomplete: int
    n_practice: int
    metrics_mean: Mapping[str, float]
    metrics_sd: Mapping[str, float]
    time_to_failure_s: tuple[float, ...]
    failure_reasons: tuple[str, ...]
    trials: tuple[BalanceTrial, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionSummary:
    """Everything measured in one session, summarised.

    Attributes
    ----------
    session_id : int or None
    examiner : str or None
        Who tested (decides same- vs different-examiner MDC on re-test).
    site : str or None
        The session's default inclinometer site.
    lunge : dict of side to LungeSideSummary
        Only sides with at least one lunge trial.
    balance : dict of side to dict of condition to BalanceConditionSummary
        Only side × condition pairs with at least one trial.
    """

    session_id: int | None
    examiner: str | None
    site: str | None
    lunge: Mapping[str, LungeSideSummary]
    balance: Mapping[str, Mapping[str, BalanceConditionSummary]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for exports and for the report layer)."""
        return asdict(self)


def summarize_session(
    trials: Iterable[TrialRecord | Mapping[str, Any]],
    *,
    session_id: int | None = None,
    examiner: str | None = None,
    site: str | None = None,
    metric_keys: Collection[str] | None = None,
) -> SessionSummary:
    """Summarise the trials of one session.

    Parameters
    ----------
    trials : iterable of TrialRecord or mapping
        Rows of the ``trials`` table (``result`` as JSON text or dict) or records.
    session_id, examiner, site : optional
        From the ``sessions`` row; ``site`` is used for lunge trials without their own.
    metric_keys : collection of str, optional
        Keep only these balance metrics (e.g. ``{"mean_velocity_cm_s"}`` for the past visits
        of a trend, which judge nothing else); default every metric.

    Returns
    -------
    SessionSummary

    Raises
    ------
    TrialDataError
        When a row breaks the data model (names the trial and the field).
    """
    records = [t if isinstance(t, TrialRecord) else TrialRecord.from_mapping(t) for t in trials]
    for record in records:
        record.check()
    records.sort(key=lambda r: (not r.practice, r.attempt))
    lunge: dict[str, LungeSideSummary] = {}
    balance: dict[str, dict[str, BalanceConditionSummary]] = {}
    for side in SIDES:
        side_lunge = [r for r in records if r.protocol == "lunge" and r.side == side]
        if side_lunge:
            lunge[side] = _lunge_side(side, side_lunge, site)
        for condition in CONDITIONS:
            group = [
                r
                for r in records
                if r.protocol == "balance" and r.side == side and r.condition == condition
            ]
            if group:
                balance.setdefault(side, {})[condition] = _balance_condition(
                    side, condition, group, metric_keys
                )
    return SessionSummary(
        session_id=session_id, examiner=examiner, site=site, lunge=lunge, balance=balance
    )


def _lunge_trial(record: TrialRecord, default_site: str | None) -> LungeTrial:
    res = record.result
    pain = num(res.get("pain_nrs"))
    return LungeTrial(
        trial_id=record.id,
        attempt=record.attempt,
        practice=record.practice,
        status=record.status,
        invalid_reason=record.invalid_reason,
        angle_deg=num(res.get("angle_deg")),
        distance_cm=num(res.get("distance_cm")),
        hold_s=num(res.get("hold_s")),
        hold_sd_deg=num(res.get("hold_sd_deg")),
        capture=res.get("capture"),
        heel_lift=bool(res.get("heel_lift", False)),
        pain_nrs=None if pain is None else round(pain),
        pain_location=res.get("pain_location"),
        site=res.get("site") or default_site,
    )


def _lunge_side(
    side: str, records: list[TrialRecord], default_site: str | None
) -> LungeSideSummary:
    trials = tuple(_lunge_trial(r, default_site) for r in records)
    counted = [t for t, r in zip(trials, records) if r.counts]
    notes: list[str] = []
    sites = sorted({t.site for t in counted if t.angle_deg is not None and t.site})
    angles = [t.angle_deg for t in counted if t.angle_deg is not None]
    site: str | None = sites[0] if len(sites) == 1 else None
    if len(sites) > 1:
        notes.append(
            "Angles were taken at different inclinometer sites (" + ", ".join(sites) + "); "
            "they are not averaged."
        )
        angles = []
    angle_mean, angle_max, angle_sd = stats(angles)
    distance_mean, distance_max, distance_sd = stats(
        [t.distance_cm for t in counted if t.distance_cm is not None]
    )
    pains = [t.pain_nrs for t in trials if t.pain_nrs is not None]
    # A location without pain says nothing (entry refuses it; older or imported rows may
    # hold one), so only trials that hurt give the side its pain locations.
    locations = tuple(
        dict.fromkeys(
            t.pain_location
            for t in trials
            if t.pain_location not in (None, "none") and (t.pain_nrs or 0) > 0
        )
    )
    n_not_valid = sum(1 for r in records if not r.practice and r.status != "valid")
    if not counted:
        notes.append("No valid measured lunge on this side.")
    return LungeSideSummary(
        side=side,
        site=site,
        n_valid=len(counted),
        n_not_valid=n_not_valid,
        n_practice=sum(1 for r in records if r.practice),
        angle_mean_deg=angle_mean,
        angle_max_deg=angle_max,
        angle_sd_deg=angle_sd,
        distance_mean_cm=distance_mean,
        distance_max_cm=distance_max,
        distance_sd_cm=distance_sd,
        pain_max_nrs=max(pains) if pains else None,
        pain_locations=tuple(str(loc) for loc in locations),
        trials=trials,
        notes=tuple(notes),
    )


def _balance_trial(record: TrialRecord, keys: Collection[str] | None) -> BalanceTrial:
    res = record.result
    metrics = res.get("metrics")
    clean: dict[str, float] | None = None
    if isinstance(metrics, Mapping):
        chosen = metrics.items() if keys is None else ((k, metrics.get(k)) for k in keys)
        clean = {k: v for k, v in ((k, num(v)) for k, v in chosen) if v is not None}
    processing = res.get("processing")
    return BalanceTrial(
        trial_id=record.id,
        attempt=record.attempt,
        practice=record.practice,
        status=record.status,
        invalid_reason=record.invalid_reason,
        planned_s=num(res.get("planned_s")),
        completed_s=num(res.get("completed_s")),
        time_to_failure_s=num(res.get("time_to_failure_s")),
        failure_reason=res.get("failure_reason"),
        metrics=clean,
        processing=processing if isinstance(processing, Mapping) else None,
    )


def _balance_condition(
    side: str, condition: str, records: list[TrialRecord], keys: Collection[str] | None
) -> BalanceConditionSummary:
    trials = tuple(_balance_trial(r, keys) for r in records)
    measured = [(t, r) for t, r in zip(trials, records) if not r.practice]
    counted = [t for t, r in measured if r.counts and t.metrics]
    means, sds = metric_stats([t.metrics for t in counted if t.metrics])
    notes: list[str] = []
    filters = {json.dumps(t.processing, sort_keys=True) for t in counted if t.processing}
    if len(filters) > 1:
        notes.append("Valid trials were processed with different settings; compare with care.")
    failed = [t for t, r in measured if r.status == "failed"]
    return BalanceConditionSummary(
        side=side,
        condition=condition,
        n_valid=len(counted),
        n_failed=len(failed),
        n_invalid=sum(1 for _, r in measured if r.status == "invalid"),
        n_incomplete=sum(1 for _, r in measured if r.status == "incomplete"),
        n_practice=sum(1 for r in records if r.practice),
        metrics_mean=means,
        metrics_sd=sds,
        time_to_failure_s=tuple(
            t.time_to_failure_s for t in failed if t.time_to_failure_s is not None
        ),
        failure_reasons=tuple(str(t.failure_reason) for t in failed if t.failure_reason),
        trials=trials,
        notes=tuple(notes),
    )


__all__ = [
    "CONDITIONS",
    "PROTOCOLS",
    "SIDES",
    "STATUSES",
    "BalanceConditionSummary",
    "BalanceTrial",
    "LungeSideSummary",
    "LungeTrial",
    "SessionSummary",
    "TrialDataError",
    "TrialRecord",
    "sample_sd",
    "summarize_session",
]
