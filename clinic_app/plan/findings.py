"""Findings: what a session's interpreted results mean for the plan.

Every finding comes from a verdict of :mod:`clinic_app.analysis` (thresholds from
``norms.toml``), from the trials themselves (pain, failed balance trials), from the
comparison with an earlier session (plateau) or from the clinician's red-flag checklist.
No clinical number lives in this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clinic_app.analysis.change import compare_sessions
from clinic_app.analysis.norms import Norms
from clinic_app.analysis.session import SessionInterpretation
from clinic_app.analysis.summary import CONDITIONS, SessionSummary
from clinic_app.analysis.verdicts import Verdict, basis_words
from clinic_app.plan.library import Library
from clinic_app.plan.model import Finding

DF_KINDS = ("dorsiflexion_below_reference", "dorsiflexion_asymmetry")
CONDITION_WORDS = {
    "eo_firm": "eyes open, firm floor",
    "ec_firm": "eyes closed, firm floor",
    "eo_foam": "eyes open, foam",
    "ec_foam": "eyes closed, foam",
}
_MEASURE_SHORT = {"lunge_distance_cm": "distance", "lunge_angle_deg": "angle"}


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
    """Lunge below the reference (per side and measure) and left–right asymmetry."""
    out: list[Finding] = []
    for v in interp.reference:
        if v.status in ("below", "restricted") and v.side is not None:
            short = _MEASURE_SHORT.get(v.measure, v.measure)
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
    """Balance worse on one side: velocity beyond the MDC, or failures the other side lacks."""
    out: list[Finding] = []
    for a in interp.asymmetry:
        v = a.verdict
        if a.measure == "balance_mean_velocity_cm_s" and v.status == "flagged":
            worse = "left" if a.left > a.right else "right"
            cond = a.condition or ""
            out.append(
                _finding_from_verdict(
                    f"bal_velocity_{worse}_{cond}",
                    "balance_deficit",
                    worse,
                    v,
                    f"Standing on your {worse} leg ({CONDITION_WORDS.get(cond, cond)}) "
                    "you sway more than on the other leg.",
                )
            )
    balance = interp.summary.balance
    for cond in CONDITIONS:
        for side, other in (("left", "right"), ("right", "left")):
            mine = balance.get(side, {}).get(cond)
            theirs = balance.get(other, {}).get(cond)
            if mine is None or theirs is None:
                continue
            measured = mine.n_valid + mine.n_failed
            if mine.n_failed > 0 and theirs.n_failed == 0 and theirs.n_valid > 0:
                reasons = ", ".join(sorted(set(mine.failure_reasons))) or "failure"
                out.append(
                    Finding(
                        id=f"bal_failures_{side}_{cond}",
                        kind="balance_deficit",
                        side=side,
                        condition=cond,
                        text=(
                            f"{side.capitalize()} single-leg balance "
                            f"({CONDITION_WORDS[cond]}): {mine.n_failed} of {measured} trials "
                            f"failed ({reasons}); the {other} side completed every trial."
                        ),
                        patient_text=(
                            f"On your {side} leg ({CONDITION_WORDS[cond]}) you could not "
                            f"always hold your balance; on your {other} leg you could."
                        ),
                        level="amber",
                    )
                )
    return out


def pain_findings(interp: SessionInterpretation, library: Library, norms: Norms) -> list[Finding]:
    """Front-of-ankle pain on the lunge (impingement flag) and pain above the safe level."""
    out: list[Finding] = []
    safe = norms["pain.safe_max_nrs"]
    acceptable = norms["pain.acceptable_max_nrs"]
    impingement = library.referral("anterior_impingement")
    for side, lunge in interp.summary.lunge.items():
        if "anterior" in lunge.pain_locations:
            out.append(
                Finding(
                    id=f"pain_anterior_{side}",
                    kind="anterior_pain",
                    side=side,
                    condition=None,
                    text=(
                        f"{side.capitalize()} lunge limited by pain at the front of the ankle "
                        f"(worst {lunge.pain_max_nrs if lunge.pain_max_nrs is not None else '?'}"
                        "/10): flag for possible anterior impingement."
                    ),
                    patient_text=(
                        f"The {side} lunge hurt at the front of the ankle. We will keep your "
                        "exercises short of that pinch."
                    ),
                    level="amber",
                    evidence=impingement.evidence,
                    source=impingement.source,
                )
            )
        pain = lunge.pain_max_nrs
        if pain is not None and pain > float(safe.value):
            high = pain > float(acceptable.value)
            entry = acceptable if high else safe
            where = (
                " at the front of the ankle"
                if lunge.pain_locations == ("anterior",)
                else " in the calf or Achilles"
                if "posterior" in lunge.pain_locations
                else ""
            )
            out.append(
                Finding(
                    id=f"pain_load_{side}",
                    kind="loading_pain",
                    side=side,
                    condition=None,
                    text=(
                        f"{side.capitalize()} lunge pain {pain}/10{where}: above "
                        f"{float(entry.value):g}/10, "
                        + ("not acceptable" if high else "acceptable but not 'safe'")
                        + f" ({basis_words(entry)})."
                    ),
                    patient_text=(
                        f"Your {side} ankle hurt during the test ({pain} out of 10)."
                        + (" We will hold heavy loading until it settles." if high else "")
                    ),
                    level="red" if high else "amber",
                    evidence=entry.evidence,
                    source=entry.source,
                    clinic_default=entry.is_clinic_default,
                )
            )
    return out


def plateau_finding(
    interp: SessionInterpretation,
    df: Sequence[Finding],
    baseline: Baseline | None,
    norms: Norms,
) -> Finding | None:
    """No change beyond the MDC in the lunge after the plateau period, with a deficit left."""
    if baseline is None or not df:
        return None
    weeks = norms["retest.plateau_weeks"]
    if baseline.weeks_before < float(weeks.value):
        return None
    sides = {f.side for f in df if f.side}
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
        patient_text="Your ankle range has not changed much since your earlier visit.",
        level="amber",
        evidence=weeks.evidence,
        source=weeks.source,
        clinic_default=weeks.is_clinic_default,
    )


def readiness_finding(
    interp: SessionInterpretation, df: Sequence[Finding], balance: Sequence[Finding]
) -> Finding | None:
    """Range (both sides measured) and control within reference: ready for running drills."""
    lunge = interp.summary.lunge
    if df or balance or not ("left" in lunge and "right" in lunge):
        return None
    return Finding(
        id="range_within",
        kind="range_within_reference",
        side=None,
        condition=None,
        text=(
            "Lunge test within the reference on both sides with no asymmetry beyond its "
            "threshold, and no balance deficit."
        ),
        patient_text="Your ankles bend well and your balance is good on both legs.",
        level="green",
    )


def red_flag_findings(checked: Sequence[str], library: Library) -> list[Finding]:
    """One finding per ticked red flag (unknown ids raise :class:`LibraryError`)."""
    out = []
    for flag_id in checked:
        flag = library.red_flags.get(flag_id)
        if flag is None:
            from clinic_app.plan.library import LibraryError

            raise LibraryError(f"red-flag checklist: no item {flag_id!r}")
        out.append(
            Finding(
                id=f"red_flag_{flag.id}",
                kind="red_flag",
                side=None,
                condition=None,
                text=f"Red flag: {flag.label}. {flag.detail}",
                patient_text=f"Something needs a doctor first: {flag.label.lower()}.",
                level="red",
                evidence=flag.evidence,
                source=flag.source,
            )
        )
    return out
