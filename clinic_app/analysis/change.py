"""Change since the previous session, judged against the minimal detectable change (MDC).

A change is *real* only when its size is strictly greater than the MDC for that measure and
examiner set-up (clinical reference §1.9). The literature MDCs come from ``norms.toml``; a
clinic's own MDC from in-house test–retest pairs overrides them and is marked local.

Formulas (standard psychometrics):

- SEM = SD · √(1 − ICC)                       (:func:`sem_from_icc`)
- SEM = SD(differences) / √2 from test–retest pairs
- MDC95 = 1.96 · √2 · SEM ≈ 2.77 · SEM         (:func:`mdc95_from_sem`)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clinic_app.analysis.norms import NormEntry, Norms, load_norms
from clinic_app.analysis.summary import CONDITIONS, SIDES, SessionSummary
from clinic_app.analysis.verdicts import (
    MEASURE_LABELS,
    Verdict,
    basis_words,
    condition_words,
    fmt,
    site_words,
)

# Rounding guard: 10.0 − 8.1 is 1.9000000000000004 in binary floating point, which must
# not count as "greater than 1.9". Measures are recorded to 0.1, so 1e-9 is far below them.
_EPS = 1e-9


@dataclass(frozen=True)
class LocalMDC:
    """A clinic's own MDC95 for one measure.

    Attributes
    ----------
    measure : str
        ``lunge_distance_cm``, ``lunge_angle_deg`` or ``balance_mean_velocity_cm_s``.
    mdc : float
        MDC95 in ``units``.
    sem : float
        Standard error of measurement in ``units``.
    units : str
    n_pairs : int
        Test–retest pairs it came from (0 when computed from an ICC).
    method : str
        ``"pairs"`` (SD of differences) or ``"icc"`` (SD · √(1 − ICC)).
    """

    measure: str
    mdc: float
    sem: float
    units: str
    n_pairs: int
    method: str


def sem_from_icc(sd: float, icc: float) -> float:
    """SEM = SD · √(1 − ICC), in the units of ``sd``.

    Raises
    ------
    ValueError
        When ``sd`` < 0 or ``icc`` is outside [0, 1].
    """
    if not 0.0 <= icc <= 1.0 or not sd >= 0.0:
        raise ValueError(f"need SD ≥ 0 and 0 ≤ ICC ≤ 1, got SD={sd}, ICC={icc}")
    return sd * math.sqrt(1.0 - icc)


def mdc95_from_sem(sem: float) -> float:
    """MDC95 = 1.96 · √2 · SEM, in the units of ``sem``."""
    return 1.96 * math.sqrt(2.0) * sem


def local_mdc_from_pairs(
    measure: str,
    first: Sequence[float],
    second: Sequence[float],
    units: str,
    *,
    norms: Norms | None = None,
) -> LocalMDC:
    """The clinic's own MDC95 from test–retest pairs (same patients, same set-up).

    SEM = SD(second − first) / √2 (ddof = 1); MDC95 = 1.96 · √2 · SEM.

    Raises
    ------
    ValueError
        When the lists differ in length, hold non-finite values, or have fewer pairs than
        ``mdc.local_min_pairs`` (an editable clinic default, 10).
    """
    norms = norms or load_norms()
    if len(first) != len(second):
        raise ValueError(f"test and retest lists differ in length ({len(first)} vs {len(second)})")
    minimum = int(norms.value("mdc.local_min_pairs"))
    if len(first) < minimum:
        raise ValueError(
            f"a local MDC needs at least {minimum} test–retest pairs, got {len(first)}"
        )
    diffs = [b - a for a, b in zip(first, second)]
    if not all(math.isfinite(d) for d in diffs):
        raise ValueError("test–retest values must be finite numbers")
    sem = statistics.stdev(diffs) / math.sqrt(2.0)
    return LocalMDC(measure, mdc95_from_sem(sem), sem, units, len(diffs), "pairs")


def local_mdc_from_icc(measure: str, sd: float, icc: float, units: str) -> LocalMDC:
    """The clinic's own MDC95 from a pooled SD and a reliability coefficient (ICC).

    SEM = SD · √(1 − ICC); MDC95 = 1.96 · √2 · SEM. ``sd`` is in ``units``.
    """
    sem = sem_from_icc(sd, icc)
    return LocalMDC(measure, mdc95_from_sem(sem), sem, units, 0, "icc")


@dataclass(frozen=True)
class Change:
    """One measure compared between the previous and the current session.

    Attributes
    ----------
    measure : str
    side : str
    condition : str or None
    units : str
    previous, current : float or None
        Session means (None when one session lacks the measure).
    delta : float or None
        ``current − previous``.
    mdc : float or None
        The MDC used (None when the measure has none).
    real : bool
        True when ``|delta| > mdc`` (strictly).
    verdict : Verdict
    """

    measure: str
    side: str
    condition: str | None
    units: str
    previous: float | None
    current: float | None
    delta: float | None
    mdc: float | None
    real: bool
    verdict: Verdict


def _same_examiner(current: SessionSummary, previous: SessionSummary) -> bool | None:
    if not current.examiner or not previous.examiner:
        return None
    return current.examiner.strip().casefold() == previous.examiner.strip().casefold()


def compare_sessions(
    current: SessionSummary,
    previous: SessionSummary,
    *,
    same_examiner: bool | None = None,
    local_mdc: Mapping[str, LocalMDC] | None = None,
    norms: Norms | None = None,
) -> tuple[Change, ...]:
    """Change of each side's lunge means and balance velocity against the MDC.

    Parameters
    ----------
    current, previous : SessionSummary
    same_examiner : bool, optional
        Default: compared from the summaries' ``examiner``. Only the same examiner gets the
        same-examiner MDC; different or unknown examiners get the larger (more conservative)
        of the two literature MDCs, and the verdict says so.
    local_mdc : mapping of measure to LocalMDC, optional
        The clinic's own MDCs; they override the literature values (verdict ``local``).
    norms : Norms, optional

    Returns
    -------
    tuple of Change
        Lunge distance and angle per side; balance mean velocity per side and condition
        (the eyes-closed MDC 2.5 cm/s [D] applies to ``ec_*`` only; others are ``no_mdc``).
        Angles at different inclinometer sites are ``not_comparable``.
    """
    norms = norms or load_norms()
    local_mdc = local_mdc or {}
    if same_examiner is None:
        same_examiner = _same_examiner(current, previous)
    out: list[Change] = []
    for side in SIDES:
        now, before = current.lunge.get(side), previous.lunge.get(side)
        if now and before:
            out.append(
                _judge(
                    "lunge_distance_cm", side, None, "cm", before.distance_mean_cm,
                    now.distance_mean_cm, +1, _lunge_mdc("distance", "cm", same_examiner, norms),
                    local_mdc, same_examiner,
                )
            )  # fmt: skip
            angle_mdc = _lunge_mdc("angle", "deg", same_examiner, norms)
            if before.site and now.site and before.site != now.site:
                out.append(_site_mismatch(side, before.site, now.site, before, now))
            else:
                out.append(
                    _judge(
                        "lunge_angle_deg", side, None, "deg", before.angle_mean_deg,
                        now.angle_mean_deg, +1, angle_mdc, local_mdc, same_examiner,
                    )
                )  # fmt: skip
        for condition in CONDITIONS:
            nb = current.balance.get(side, {}).get(condition)
            pb = previous.balance.get(side, {}).get(condition)
            if nb is None or pb is None:
                continue
            key = "mean_velocity_cm_s"
            entry = norms["mdc.balance_ec_velocity_cm_s"] if condition.startswith("ec_") else None
            out.append(
                _judge(
                    "balance_mean_velocity_cm_s", side, condition, "cm/s",
                    pb.metrics_mean.get(key), nb.metrics_mean.get(key), -1, entry, local_mdc,
                    True,
                )
            )  # fmt: skip
    return tuple(out)


def _lunge_mdc(what: str, units: str, same: bool | None, norms: Norms) -> NormEntry:
    """The MDC that fits the comparison (clinical reference §1.9, §3.7).

    Same examiner: the same-examiner value (or the single-rater set, when the clinic uses it).
    Different or unknown examiners: the larger of the published values, so that a change
    between examiners is never easier to call real than one by the same examiner (the
    review's between-examiner MDC is the smaller one) [D from Powden 2015].
    """
    if norms.text("mdc.lunge_set") == "single_rater" and same is True:
        return norms[f"mdc.lunge_{what}_single_rater_{units}"]
    same_entry = norms[f"mdc.lunge_{what}_same_examiner_{units}"]
    if same is True:
        return same_entry
    diff_entry = norms[f"mdc.lunge_{what}_different_examiner_{units}"]
    return max(same_entry, diff_entry, key=lambda e: float(e.value))


def _site_mismatch(
    side: str, before_site: str, now_site: str, before: object, now: object
) -> Change:
    prev_angle = getattr(before, "angle_mean_deg", None)
    cur_angle = getattr(now, "angle_mean_deg", None)
    verdict = Verdict(
        "change", "lunge_angle_deg", side, None, "not_comparable", "grey",
        f"{side.capitalize()} tibial angle: the inclinometer site changed "
        f"({site_words(before_site)} → {site_words(now_site)}); angles from different sites "
        "are never compared.",
        None, None, "deg", "", "",
    )  # fmt: skip
    return Change(
        "lunge_angle_deg", side, None, "deg", prev_angle, cur_angle, None, None, False, verdict
    )


def _judge(
    measure: str,
    side: str,
    condition: str | None,
    units: str,
    previous: float | None,
    current: float | None,
    good_direction: int,
    entry: NormEntry | None,
    local_mdc: Mapping[str, LocalMDC],
    same_examiner: bool | None,
) -> Change:
    name = MEASURE_LABELS[measure]
    where = f" ({condition_words(condition)})" if condition else ""
    label = f"{side.capitalize()} {name}{where}"
    if previous is None or current is None:
        verdict = Verdict(
            "change", measure, side, condition, "insufficient_data", "grey",
            f"{label}: not measured in both sessions.", None, None, units, "", "",
        )  # fmt: skip
        return Change(
            measure, side, condition, units, previous, current, None, None, False, verdict
        )
    delta = current - previous
    local = local_mdc.get(measure)
    if local is not None:
        mdc: float | None = local.mdc
        evidence, source, is_local = "", f"clinic's own MDC from {local.n_pairs} pairs", True
        basis = f"the clinic's own MDC ({local.method}, {local.n_pairs} pairs)"
    elif entry is not None:
        mdc, evidence, source, is_local = (
            float(entry.value),
            entry.evidence,
            entry.source,
            entry.local,
        )
        basis = basis_words(entry)
        if same_examiner is None and measure.startswith("lunge"):
            basis += "; examiner unknown, so the larger MDC is used"
        elif same_examiner is False and measure.startswith("lunge"):
            basis += "; different examiners, so the larger MDC is used"
    else:
        mdc = None
    change_words = f"{label} changed by {'+' if delta >= 0 else '−'}{fmt(abs(delta), units)}"
    if mdc is None:
        verdict = Verdict(
            "change", measure, side, condition, "no_mdc", "grey",
            f"{change_words}; no published MDC for this measure and condition, shown for "
            "information only.", delta, None, units, "", "",
        )  # fmt: skip
        return Change(
            measure, side, condition, units, previous, current, delta, None, False, verdict
        )
    real = abs(delta) - mdc > _EPS
    if not real:
        status, level = "no_real_change", "grey"
        text = f"{change_words}: within the MDC of {fmt(mdc, units)} ({basis}), not a real change."
    else:
        better = delta * good_direction > 0
        status, level = ("improved", "green") if better else ("worsened", "red")
        text = f"{change_words}: more than the MDC of {fmt(mdc, units)} ({basis}), a real " + (
            "improvement." if better else "worsening."
        )
    verdict = Verdict(
        "change", measure, side, condition, status, level, text,  # type: ignore[arg-type]
        delta, mdc, units, evidence, source, is_local,
    )  # fmt: skip
    return Change(measure, side, condition, units, previous, current, delta, mdc, real, verdict)
