"""Limb asymmetry and normative context of a session summary, as structured verdicts.

Thresholds come from ``norms.toml`` only; every verdict carries the threshold's evidence tag
and source so that a report can show the reason beside the traffic light. Cut-offs that were
derived from a statistic (mean − 1 SD) or measured in another population are amber, never
red, and their text names the population (issue 13 §3).
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_app.analysis.balance_judgement import not_held
from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.reference import SITE_15CM, SITE_TUBEROSITY, reference_context
from clinic_app.analysis.summary import CONDITIONS, LungeSideSummary, SessionSummary
from clinic_app.analysis.verdicts import (
    Verdict,
    basis_words,
    condition_words,
    fmt,
    short_citation,
    site_words,
)
from clinic_app.numbers import counted

# Rounding guard: 11.6 − 10.1 is 1.4999999999999982 in binary floating point; values are
# recorded to 0.1, so a tolerance of 1e-9 never changes a genuine comparison.
_EPS = 1e-9


@dataclass(frozen=True)
class Asymmetry:
    """Left–right comparison of one measure.

    Attributes
    ----------
    measure : str
        ``lunge_distance_cm``, ``lunge_angle_deg`` or ``balance_mean_velocity_cm_s``.
    condition : str or None
        Balance condition, None for the lunge.
    units : str
    left, right : float
        Side means.
    difference : float
        ``right − left`` in ``units``.
    abs_difference : float
    lsi_percent : float or None
        Limb symmetry index: involved / uninvolved × 100 when the involved side is known,
        otherwise lower / higher × 100 (100 = symmetric). None when the denominator is 0.
    lsi_basis : str
        ``"involved/uninvolved"`` or ``"lower/higher"``.
    verdict : Verdict
    """

    measure: str
    condition: str | None
    units: str
    left: float
    right: float
    difference: float
    abs_difference: float
    lsi_percent: float | None
    lsi_basis: str
    verdict: Verdict


def _lsi(left: float, right: float, involved_side: str | None) -> tuple[float | None, str]:
    if involved_side in ("left", "right"):
        involved, other = (left, right) if involved_side == "left" else (right, left)
        return (None if other == 0 else 100.0 * involved / other), "involved/uninvolved"
    low, high = min(left, right), max(left, right)
    return (None if high == 0 else 100.0 * low / high), "lower/higher"


def limb_asymmetry(
    summary: SessionSummary,
    *,
    involved_side: str | None = None,
    dominant_side: str | None = None,
    norms: Norms | None = None,
) -> tuple[Asymmetry, ...]:
    """Left–right differences of the lunge (distance, angle) and balance velocity.

    Flags (``norms.toml``): distance difference > 1.5 cm exceeds the between-limb MDC
    (Chisholm 2012 [C], measured in patients with ankle injury), > 3 cm is marked (few healthy
    adults reach it, Hoch & McKeon 2011 [S]) — both amber; angle difference ≥ 5° flagged [D];
    eyes-closed balance velocity difference > 2.5 cm/s flagged [D]; other balance conditions
    have no threshold (grey, for information). Angles taken at different inclinometer sites
    are not compared; a balance condition held in fewer than two valid trials on a side is not
    judged.

    Parameters
    ----------
    summary : SessionSummary
    involved_side : {"left", "right", None}
        When known, the LSI is involved / uninvolved.
    dominant_side : {"left", "right", None}
        The kicking leg; when known, a lunge difference is put in the context of the usual
        healthy pattern (Rabin 2015 [C]: more range on the non-dominant side).
    norms : Norms, optional
        Thresholds (default: the bundled file).
    """
    norms = norms or load_norms()
    dominant = dominant_side if dominant_side in ("left", "right") else None
    out: list[Asymmetry] = []
    left, right = summary.lunge.get("left"), summary.lunge.get("right")
    if left and right:
        if left.distance_mean_cm is not None and right.distance_mean_cm is not None:
            out.append(
                _distance_asymmetry(
                    left.distance_mean_cm, right.distance_mean_cm, involved_side, dominant, norms
                )
            )
        if left.angle_mean_deg is not None and right.angle_mean_deg is not None:
            out.append(_angle_asymmetry(left, right, involved_side, dominant, norms))
    for condition in CONDITIONS:
        lb = summary.balance.get("left", {}).get(condition)
        rb = summary.balance.get("right", {}).get(condition)
        key = "mean_velocity_cm_s"
        if lb and rb and key in lb.metrics_mean and key in rb.metrics_mean:
            thin = [s for s, b in (("left", lb), ("right", rb)) if not_held(b, norms)]
            out.append(
                _velocity_asymmetry(
                    lb.metrics_mean[key], rb.metrics_mean[key], condition, involved_side,
                    norms, thin, (lb.n_valid, rb.n_valid),
                )
            )  # fmt: skip
    return tuple(out)


def _make(
    measure: str, condition: str | None, units: str, left: float, right: float,
    involved_side: str | None, verdict: Verdict,
) -> Asymmetry:  # fmt: skip
    lsi, basis = _lsi(left, right, involved_side)
    return Asymmetry(
        measure=measure,
        condition=condition,
        units=units,
        left=left,
        right=right,
        difference=right - left,
        abs_difference=abs(right - left),
        lsi_percent=lsi,
        lsi_basis=basis,
        verdict=verdict,
    )


def _dominance_words(lower: str, dominant: str | None, norms: Norms) -> str:
    """Context of a lunge difference from limb dominance (Rabin 2015), or "" when unknown."""
    if dominant is None:
        return ""
    entry = norms["asymmetry.healthy_greater_side"]
    basis = f"{short_citation(entry.source)} [{entry.evidence}]"
    if (lower == dominant) == (str(entry.value) == "non_dominant"):
        return (
            f" The lower side is the {'dominant' if lower == dominant else 'non-dominant'} "
            f"(kicking) leg, as in healthy adults, who bend further on the "
            f"{'non-dominant' if str(entry.value) == 'non_dominant' else 'dominant'} side "
            f"({basis}; size of that difference unknown)."
        )
    return (
        f" The lower side is the {'dominant' if lower == dominant else 'non-dominant'} leg: "
        f"the opposite of the usual healthy pattern ({basis})."
    )


def _distance_asymmetry(
    left: float, right: float, involved_side: str | None, dominant: str | None, norms: Norms
) -> Asymmetry:
    flag = norms["asymmetry.lunge_distance_flag_cm"]
    marked = norms["asymmetry.lunge_distance_marked_cm"]
    diff = abs(right - left)
    lower = "left" if left < right else "right"
    what = f"Left–right difference in knee-to-wall distance {fmt(diff, 'cm')}"
    mdc_words = (
        f"the between-limb MDC of {fmt(float(flag.value), 'cm')} "
        f"({short_citation(flag.source)} [{flag.evidence}], measured in patients with ankle "
        "injury)"
    )
    if diff - float(marked.value) > _EPS:
        entry, status = marked, "marked"
        text = (
            f"{what}: exceeds {mdc_words} and {fmt(float(marked.value), 'cm')}, which few "
            f"healthy adults reach ({short_citation(marked.source)} [{marked.evidence}], "
            "healthy adults)."
        )
    elif diff - float(flag.value) > _EPS:
        entry, status = flag, "flagged"
        text = f"{what}: exceeds {mdc_words}."
    else:
        entry, status = flag, "not_flagged"
        text = f"{what}: within {mdc_words}."
    if status != "not_flagged":
        text += _dominance_words(lower, dominant, norms)
    verdict = Verdict(
        "asymmetry", "lunge_distance_cm", None, None, status,  # type: ignore[arg-type]
        "green" if status == "not_flagged" else "amber", text,
        diff, float(entry.value), "cm", entry.evidence, entry.source, entry.local,
    )  # fmt: skip
    return _make("lunge_distance_cm", None, "cm", left, right, involved_side, verdict)


def _angle_asymmetry(
    left: LungeSideSummary,
    right: LungeSideSummary,
    involved_side: str | None,
    dominant: str | None,
    norms: Norms,
) -> Asymmetry:
    flag = norms["asymmetry.lunge_angle_flag_deg"]
    assert left.angle_mean_deg is not None and right.angle_mean_deg is not None
    diff = abs(right.angle_mean_deg - left.angle_mean_deg)
    threshold = float(flag.value)
    if left.site != right.site:
        verdict = Verdict(
            "asymmetry", "lunge_angle_deg", None, None, "not_comparable", "grey",
            f"Left and right angles were taken at different inclinometer sites "
            f"({site_words(left.site)} vs {site_words(right.site)}); they are not compared.",
            None, None, "deg", "", "",
        )  # fmt: skip
    else:
        flagged = diff - threshold > -_EPS
        lower = "left" if left.angle_mean_deg < right.angle_mean_deg else "right"
        text = (
            f"Left–right difference in tibial angle {fmt(diff, 'deg')}: "
            + (f"{fmt(threshold, 'deg')} or more" if flagged else f"below {fmt(threshold, 'deg')}")
            + f", a rounded MDC ({basis_words(flag)}; no published asymmetry threshold in "
            "degrees exists)." + (_dominance_words(lower, dominant, norms) if flagged else "")
        )
        verdict = Verdict(
            "asymmetry", "lunge_angle_deg", None, None,
            "flagged" if flagged else "not_flagged", "amber" if flagged else "green", text,
            diff, threshold, "deg", flag.evidence, flag.source, flag.local,
        )  # fmt: skip
    return _make(
        "lunge_angle_deg", None, "deg", left.angle_mean_deg, right.angle_mean_deg,
        involved_side, verdict,
    )  # fmt: skip


def _velocity_asymmetry(
    left: float, right: float, condition: str, involved_side: str | None, norms: Norms,
    thin: list[str], n_valid: tuple[int, int],
) -> Asymmetry:  # fmt: skip
    diff = abs(right - left)
    what = (
        f"Left–right difference in mean COP velocity ({condition_words(condition)}) "
        f"{fmt(diff, 'cm/s')}"
    )
    if thin:
        sides = " and ".join(thin)
        verdict = Verdict(
            "asymmetry", "balance_mean_velocity_cm_s", None, condition, "not_judged", "grey",
            f"{what}: not judged, the {sides} side held this condition in only "
            f"{counted(min(n_valid), 'valid trial')}; the failed trials are the finding.",
            diff, None, "cm/s", "", "",
        )  # fmt: skip
    elif condition.startswith("ec_"):
        mdc = norms["mdc.balance_ec_velocity_cm_s"]
        flagged = diff - float(mdc.value) > _EPS
        text = (
            f"{what}: "
            + ("above" if flagged else "within")
            + f" the eyes-closed MDC of {fmt(float(mdc.value), 'cm/s')} ({basis_words(mdc)})."
        )
        verdict = Verdict(
            "asymmetry", "balance_mean_velocity_cm_s", None, condition,
            "flagged" if flagged else "not_flagged", "amber" if flagged else "green", text,
            diff, float(mdc.value), "cm/s", mdc.evidence, mdc.source, mdc.local,
        )  # fmt: skip
    else:
        verdict = Verdict(
            "asymmetry", "balance_mean_velocity_cm_s", None, condition, "no_mdc", "grey",
            f"{what}: no published threshold for this condition; shown for information.",
            diff, None, "cm/s", "", "",
        )  # fmt: skip
    return _make(
        "balance_mean_velocity_cm_s", condition, "cm/s", left, right, involved_side, verdict
    )


def romberg_quotients(
    summary: SessionSummary, metric: str = "mean_velocity_cm_s"
) -> dict[str, dict[str, float]]:
    """Eyes-closed / eyes-open ratio of a balance metric, per side and surface.

    Optional context [S] (used in a registered CAI trial; clinical reference §2.7): values
    above 1 mean the patient relies on vision. Only where both conditions have valid trials.

    Returns
    -------
    dict
        ``{"left": {"firm": 2.1, "foam": 1.6}, …}`` (dimensionless).
    """
    out: dict[str, dict[str, float]] = {}
    for side, conditions in summary.balance.items():
        for surface in ("firm", "foam"):
            eo = conditions.get(f"eo_{surface}")
            ec = conditions.get(f"ec_{surface}")
            if eo and ec and metric in eo.metrics_mean and metric in ec.metrics_mean:
                denominator = eo.metrics_mean[metric]
                if denominator > 0:
                    out.setdefault(side, {})[surface] = ec.metrics_mean[metric] / denominator
    return out


__all__ = [
    "SITE_15CM",
    "SITE_TUBEROSITY",
    "Asymmetry",
    "limb_asymmetry",
    "reference_context",
    "romberg_quotients",
]
