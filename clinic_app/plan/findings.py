"""Findings: what a session's interpreted results mean for the plan.

Every finding comes from a verdict of :mod:`clinic_app.analysis` (thresholds from
``norms.toml``), from the comparison with an earlier session (plateau), from the previous
plan, or from the clinician's red-flag checklist; pain findings are in
:mod:`clinic_app.plan.pain`. No clinical number lives in this module, and only what was
judged is said: balance that was not tested is "not tested", never "good".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from clinic_app.analysis.change import compare_sessions
from clinic_app.analysis.norms import Norms
from clinic_app.analysis.session import SessionInterpretation
from clinic_app.analysis.summary import SessionSummary
from clinic_app.analysis.verdicts import CONDITION_WORDS, Verdict, basis_words
from clinic_app.plan.library import Library, LibraryError
from clinic_app.plan.model import Finding, Plan

DF_KINDS = ("dorsiflexion_below_reference", "dorsiflexion_asymmetry")
_MEASURE_SHORT = {"lunge_distance_cm": "distance", "lunge_angle_deg": "angle"}

__all__ = [
    "CONDITION_WORDS",
    "DF_KINDS",
    "Baseline",
    "PreviousPlan",
    "balance_findings",
    "continued_finding",
    "dorsiflexion_findings",
    "plateau_finding",
    "readiness_finding",
    "red_flag_findings",
]


@dataclass(frozen=True)
class Baseline:
    """An earlier session to judge a plateau against.

    Attributes
    ----------
    summary : SessionSummary
    weeks_before : float
        Weeks between that session and the current one.
    """

    summary: SessionSummary
    weeks_before: float


@dataclass(frozen=True)
class PreviousPlan:
    """The plan of the patient's previous counted visit, which a re-test continues (§3.7).

    Attributes
    ----------
    plan : Plan
        As saved (the clinician's edits included).
    day : date
        Date of that visit.
    """

    plan: Plan
    day: date


def _finding_from_verdict(
    fid: str, kind: str, side: str | None, v: Verdict, patient: str
) -> Finding:
    return Finding(
        id=fid,
        kind=kind,
        side=side,
        condition=v.condition,
        text=v.text,
        patient_text=patient,
        level=v.level,
        evidence=v.evidence,
        source=v.source,
        clinic_default=v.is_clinic_default,
    )


def dorsiflexion_findings(interp: SessionInterpretation) -> list[Finding]:
    """Lunge below the reference (per side and measure) and left–right asymmetry.

    A side whose only deficit is a distance under the [U] clinic default while its angle is
    within (or above) the healthy-adult range gets a ``dorsiflexion_borderline`` finding
    instead: it is shown, but does not start a programme on that default alone.
    """
    out: list[Finding] = []
    angle_ok = {
        v.side
        for v in interp.reference
        if v.measure == "lunge_angle_deg" and v.status in ("within", "above")
    }
    for v in interp.reference:
        if v.status not in ("below", "restricted") or v.side is None:
            continue
        short = _MEASURE_SHORT.get(v.measure, v.measure)
        if v.measure == "lunge_distance_cm" and v.is_clinic_default and v.side in angle_ok:
            out.append(
                Finding(
                    id=f"df_borderline_{v.side}",
                    kind="dorsiflexion_borderline",
                    side=v.side,
                    condition=None,
                    text=(
                        f"{v.text} The {v.side} tibial angle is within the healthy-adult "
                        "range, so no programme is started on the clinic default alone."
                    ),
                    patient_text=(
                        f"Your {v.side} ankle measured a little short on the tape, but its "
                        "angle was normal."
                    ),
                    level="grey",
                    evidence=v.evidence,
                    source=v.source,
                    clinic_default=True,
                )
            )
            continue
        out.append(
            _finding_from_verdict(
                f"df_below_{v.side}_{short}",
                "dorsiflexion_below_reference",
                v.side,
                v,
                f"Your {v.side} ankle bends less than is usual for healthy adults.",
            )
        )
    for a in interp.asymmetry:
        v = a.verdict
        if a.measure in _MEASURE_SHORT and v.status in ("flagged", "marked"):
            lower = "left" if a.left < a.right else "right"
            other = "right" if lower == "left" else "left"
            out.append(
                _finding_from_verdict(
                    f"df_asym_{_MEASURE_SHORT[a.measure]}",
                    "dorsiflexion_asymmetry",
                    lower,
                    v,
                    f"Your {lower} ankle bends less than your {other} ankle.",
                )
            )
    return out


def balance_findings(interp: SessionInterpretation) -> list[Finding]:
    """Balance deficits that were judged, or one ``balance_not_tested`` finding.

    A deficit is eyes-closed velocity worse than the single-leg reference, a condition not
    held (repeated failed trials), or velocity worse on one side beyond the MDC.
    """
    if not interp.balance_tested:
        return [
            Finding(
                id="balance_not_tested",
                kind="balance_not_tested",
                side=None,
                condition=None,
                text="Single-leg balance was not tested at this visit: not judged.",
                patient_text="We did not test your balance on one leg this time.",
                level="grey",
            )
        ]
    out: list[Finding] = []
    for v in interp.balance:
        cond = v.condition or ""
        words = CONDITION_WORDS.get(cond, cond)
        if v.status == "beyond" and v.side:
            out.append(
                _finding_from_verdict(
                    f"bal_reference_{v.side}_{cond}", "balance_deficit", v.side, v,
                    f"Standing on your {v.side} leg with your eyes closed, you sway more than "
                    "is usual.",
                )
            )  # fmt: skip
        elif v.status == "not_held" and v.side:
            out.append(
                _finding_from_verdict(
                    f"bal_not_held_{v.side}_{cond}", "balance_deficit", v.side, v,
                    f"On your {v.side} leg ({words}) you could not hold your balance for the "
                    "whole test, again and again.",
                )
            )  # fmt: skip
    for a in interp.asymmetry:
        v = a.verdict
        if a.measure == "balance_mean_velocity_cm_s" and v.status == "flagged":
            worse = "left" if a.left > a.right else "right"
            cond = a.condition or ""
            out.append(
                _finding_from_verdict(
                    f"bal_velocity_{worse}_{cond}", "balance_deficit", worse, v,
                    f"Standing on your {worse} leg ({CONDITION_WORDS.get(cond, cond)}) you "
                    "sway more than on the other leg.",
                )
            )  # fmt: skip
    return out


def plateau_finding(
    interp: SessionInterpretation,
    df: Sequence[Finding],
    baseline: Baseline | None,
    norms: Norms,
) -> Finding | None:
    """No change beyond the MDC in the lunge after the plateau period, with a deficit left."""
    active = [f for f in df if f.kind in DF_KINDS]
    if baseline is None or not active:
        return None
    weeks = norms["retest.plateau_weeks"]
    if baseline.weeks_before < float(weeks.value):
        return None
    sides = {f.side for f in active if f.side}
    changes = [
        c
        for c in compare_sessions(interp.summary, baseline.summary, norms=norms)
        if c.measure in _MEASURE_SHORT and c.side in sides
    ]
    judged = [c for c in changes if c.mdc is not None and c.delta is not None]
    if not judged or any(c.verdict.status == "improved" for c in judged):
        return None
    side_words = " and ".join(sorted(s for s in sides if s))
    return Finding(
        id="plateau",
        kind="plateau",
        side=None if len(sides) != 1 else next(iter(sides)),
        condition=None,
        text=(
            f"No change beyond the MDC in the {side_words} lunge test over "
            f"{baseline.weeks_before:.0f} weeks (review after {float(weeks.value):g} weeks is "
            f"{basis_words(weeks)})."
        ),
        patient_text="Your ankle range has not changed much since your first visit.",
        level="amber",
        evidence=weeks.evidence,
        source=weeks.source,
        clinic_default=weeks.is_clinic_default,
    )


def _balance_words(interp: SessionInterpretation) -> tuple[str, str]:
    """What may be said about balance when there is no deficit: (clinician, patient)."""
    judged = [v for v in interp.balance if v.status == "within"]
    sides = {v.side for v in judged}
    if sides == {"left", "right"}:
        return (
            "eyes-closed single-leg balance within the reference on both sides",
            "Your balance on one leg with your eyes closed was within the usual range on "
            "both legs.",
        )
    if judged:
        side = next(iter(sides))
        return (
            f"eyes-closed single-leg balance within the reference on the {side} side only "
            "(the other side not judged)",
            f"Your balance on your {side} leg with your eyes closed was within the usual range.",
        )
    return (
        "single-leg balance tested, but not in a condition with a reference (no deficit "
        "found, none judged)",
        "We measured your balance on one leg and will compare it at your next visit.",
    )


def readiness_finding(
    interp: SessionInterpretation,
    df: Sequence[Finding],
    balance: Sequence[Finding],
    pain_free: bool,
) -> Finding | None:
    """Range within reference on both sides, no asymmetry, no pain, no balance deficit.

    The text says only what was judged: balance that was not tested or has no reference is
    named as such.
    """
    lunge = interp.summary.lunge
    deficits = [f for f in (*df, *balance) if f.kind in (*DF_KINDS, "balance_deficit")]
    if deficits or not pain_free or not ("left" in lunge and "right" in lunge):
        return None
    if not interp.balance_tested:
        clinician_balance = "single-leg balance not tested"
        patient_balance = ""
    else:
        clinician_balance, patient_balance = _balance_words(interp)
    borderline = sorted(f.side or "" for f in df if f.kind == "dorsiflexion_borderline")
    lunge_words = (
        "Lunge test within the reference on both sides"
        if not borderline
        else f"Tibial angle within the reference on both sides ({' and '.join(borderline)} "
        "distance under the clinic default only)"
    )
    text = f"{lunge_words} with no asymmetry beyond its threshold, pain-free; {clinician_balance}."
    patient = "Your ankles bend as far as is usual for healthy adults, without pain."
    if patient_balance:
        patient += " " + patient_balance
    return Finding(
        id="range_within",
        kind="range_within_reference",
        side=None,
        condition=None,
        text=text,
        patient_text=patient,
        level="green",
    )


def continued_finding(previous: PreviousPlan | None, today: date) -> Finding | None:
    """The re-test continues the previous plan (§3.7): named so carried items have a cause."""
    if previous is None:
        return None
    weeks = (today - previous.day).days / 7.0
    return Finding(
        id="plan_continued",
        kind="plan_continued",
        side=None,
        condition=None,
        text=(
            f"Continues the plan of {previous.day.isoformat()} ({weeks:.0f} weeks ago): each "
            "exercise keeps its level, moves up one where the pain rule was kept and its "
            "measure improved beyond the MDC (loading programmes follow their schedule), and "
            "down one where pain went above the acceptable level."
        ),
        patient_text="We have carried on your plan from your last visit.",
        level="grey",
    )


def red_flag_findings(checked: Sequence[str], library: Library) -> list[Finding]:
    """One finding per ticked red flag (unknown ids raise :class:`LibraryError`)."""
    out = []
    for flag_id in checked:
        flag = library.red_flags.get(flag_id)
        if flag is None:
            raise LibraryError(f"red-flag checklist: no item {flag_id!r}")
        out.append(
            Finding(
                id=f"red_flag_{flag.id}",
                kind="red_flag",
                side=None,
                condition=None,
                text=f"Red flag: {flag.label}. {flag.detail}",
                patient_text=flag.patient_see,
                level="red",
                evidence=flag.evidence,
                source=flag.source,
            )
        )
    return out
