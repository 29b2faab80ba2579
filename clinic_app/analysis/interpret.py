"""Limb asymmetry and normative context of a session summary, as structured verdicts.

Thresholds come from ``norms.toml`` only; every verdict carries the threshold's evidence tag
and source so that a report can show the reason beside the traffic light.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.summary import CONDITIONS, LungeSideSummary, SessionSummary
from clinic_app.analysis.verdicts import MEASURE_LABELS, Verdict, basis_words, fmt

# Rounding guard: 11.6 − 10.1 is 1.4999999999999982 in binary floating point; values are
# recorded to 0.1, so a tolerance of 1e-9 never changes a genuine comparison.
_EPS = 1e-9

SITE_15CM = "tibial_crest_15cm"
SITE_TUBEROSITY = "tibial_tuberosity"


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
    summary: SessionSummary, *, involved_side: str | None = None, norms: Norms | None = None
) -> tuple[Asymmetry, ...]:
    """Left–right differences of the lunge (distance, angle) and balance velocity.

    Flags (``norms.toml``): distance difference > 1.5 cm flagged [C], > 3 cm marked [S];
    angle difference ≥ 5° flagged [D]; eyes-closed balance velocity difference > 2.5 cm/s
    flagged [D]; other balance conditions have no threshold (grey, for information).
    Angles taken at different inclinometer sites are not compared.

    Parameters
    ----------
    summary : SessionSummary
    involved_side : {"left", "right", None}
        When known, the LSI is involved / uninvolved.
    norms : Norms, optional
        Thresholds (default: the bundled file).
    """
    norms = norms or load_norms()
    out: list[Asymmetry] = []
    left, right = summary.lunge.get("left"), summary.lunge.get("right")
    if left and right:
        if left.distance_mean_cm is not None and right.distance_mean_cm is not None:
            out.append(
                _distance_asymmetry(
                    left.distance_mean_cm, right.distance_mean_cm, involved_side, norms
                )
            )
        if left.angle_mean_deg is not None and right.angle_mean_deg is not None:
            out.append(_angle_asymmetry(left, right, involved_side, norms))
    for condition in CONDITIONS:
        lb = summary.balance.get("left", {}).get(condition)
        rb = summary.balance.get("right", {}).get(condition)
        key = "mean_velocity_cm_s"
        if lb and rb and key in lb.metrics_mean and key in rb.metrics_mean:
            out.append(
                _velocity_asymmetry(
                    lb.metrics_mean[key], rb.metrics_mean[key], condition, involved_side, norms
                )
            )
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


def _distance_asymmetry(
    left: float, right: float, involved_side: str | None, norms: Norms
) -> Asymmetry:
    flag = norms["asymmetry.lunge_distance_flag_cm"]
    marked = norms["asymmetry.lunge_distance_marked_cm"]
    diff = abs(right - left)
    what = f"Left–right difference in knee-to-wall distance {fmt(diff, 'cm')}"
    if diff - float(marked.value) > _EPS:
        entry, status, level = marked, "marked", "red"
        text = f"{what}: marked, above {fmt(float(marked.value), 'cm')} ({basis_words(marked)})."
    elif diff - float(flag.value) > _EPS:
        entry, status, level = flag, "flagged", "amber"
        text = (
            f"{what}: outside the usual healthy range, above {fmt(float(flag.value), 'cm')} "
            f"({basis_words(flag)})."
        )
    else:
        entry, status, level = flag, "not_flagged", "green"
        text = f"{what}: within {fmt(float(flag.value), 'cm')} ({basis_words(flag)})."
    verdict = Verdict(
        "asymmetry", "lunge_distance_cm", None, None, status, level, text,  # type: ignore[arg-type]
        diff, float(entry.value), "cm", entry.evidence, entry.source, entry.local,
    )  # fmt: skip
    return _make("lunge_distance_cm", None, "cm", left, right, involved_side, verdict)


def _angle_asymmetry(
    left: LungeSideSummary, right: LungeSideSummary, involved_side: str | None, norms: Norms
) -> Asymmetry:
    flag = norms["asymmetry.lunge_angle_flag_deg"]
    assert left.angle_mean_deg is not None and right.angle_mean_deg is not None
    diff = abs(right.angle_mean_deg - left.angle_mean_deg)
    threshold = float(flag.value)
    if left.site != right.site:
        verdict = Verdict(
            "asymmetry", "lunge_angle_deg", None, None, "not_comparable", "grey",
            f"Left and right angles were taken at different inclinometer sites "
            f"({left.site} vs {right.site}); they are not compared.",
            None, None, "deg", "", "",
        )  # fmt: skip
    else:
        flagged = diff - threshold > -_EPS
        text = (
            f"Left–right difference in tibial angle {fmt(diff, 'deg')}: "
            + (f"{fmt(threshold, 'deg')} or more" if flagged else f"below {fmt(threshold, 'deg')}")
            + f" ({basis_words(flag)})."
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
    left: float, right: float, condition: str, involved_side: str | None, norms: Norms
) -> Asymmetry:
    diff = abs(right - left)
    what = f"Left–right difference in mean COP velocity ({condition}) {fmt(diff, 'cm/s')}"
    if condition.startswith("ec_"):
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


def reference_context(summary: SessionSummary, norms: Norms | None = None) -> tuple[Verdict, ...]:
    """Each side's lunge means against the healthy-adult reference and cut-offs.

    Distance: below the [U] clinic default (< 10 cm) → ``below`` (amber); otherwise
    ``within``, or ``above`` the healthy mean + 1 SD (≈ 12 ± 2.7 cm [C]).
    Angle at the 15 cm site: < 36.5° → ``restricted`` (red; Backman & Danielson 2011 [C],
    basketball players, not runners); below the healthy band 44.9 − 5.5° → ``below``
    (amber); within or ``above`` it → green. At the tuberosity the tuberosity band
    (39.0 ± 4.6° [C]) applies without a cut-off; at any other site the angle is not judged.
    """
    norms = norms or load_norms()
    verdicts: list[Verdict] = []
    for side in ("left", "right"):
        summ = summary.lunge.get(side)
        if summ is None:
            continue
        if summ.distance_mean_cm is not None:
            verdicts.append(_distance_reference(side, summ.distance_mean_cm, norms))
        if summ.angle_mean_deg is not None:
            verdicts.append(_angle_reference(side, summ.angle_mean_deg, summ.site, norms))
    return tuple(verdicts)


def _distance_reference(side: str, value: float, norms: Norms) -> Verdict:
    cut = norms["reference.lunge_distance_restricted_cm"]
    mean = norms["reference.lunge_distance_healthy_mean_cm"]
    sd = norms.value("reference.lunge_distance_healthy_sd_cm")
    label = f"{side.capitalize()} knee-to-wall distance {fmt(value, 'cm')}"
    if value < float(cut.value):
        return Verdict(
            "reference", "lunge_distance_cm", side, None, "below", "amber",
            f"{label}: below typical, under {fmt(float(cut.value), 'cm')} "
            f"({basis_words(cut)}).",
            value, float(cut.value), "cm", cut.evidence, cut.source, cut.local,
        )  # fmt: skip
    upper = float(mean.value) + sd
    status = "above" if value > upper else "within"
    words = "above" if status == "above" else "within"
    return Verdict(
        "reference", "lunge_distance_cm", side, None, status, "green",  # type: ignore[arg-type]
        f"{label}: {words} the healthy-adult range (≈ {fmt(float(mean.value), 'cm')} ± "
        f"{fmt(sd, 'cm')}, {basis_words(mean)}); no runner-specific norms exist.",
        value, float(mean.value), "cm", mean.evidence, mean.source, mean.local,
    )  # fmt: skip


def _angle_reference(side: str, value: float, site: str | None, norms: Norms) -> Verdict:
    label = f"{side.capitalize()} tibial angle {fmt(value, 'deg')}"
    if site == SITE_15CM:
        mean = norms["reference.lunge_angle_healthy_mean_deg"]
        sd = norms.value("reference.lunge_angle_healthy_sd_deg")
        cut = norms["reference.lunge_angle_restricted_deg"]
        if value < float(cut.value):
            return Verdict(
                "reference", "lunge_angle_deg", side, None, "restricted", "red",
                f"{label}: restricted, under {fmt(float(cut.value), 'deg')} "
                f"({basis_words(cut)}; junior basketball players, not runners).",
                value, float(cut.value), "deg", cut.evidence, cut.source, cut.local,
            )  # fmt: skip
    elif site == SITE_TUBEROSITY:
        mean = norms["reference.lunge_angle_tuberosity_mean_deg"]
        sd = norms.value("reference.lunge_angle_tuberosity_sd_deg")
    else:
        return Verdict(
            "reference", "lunge_angle_deg", side, None, "not_comparable", "grey",
            f"{label}: measured at site {site or 'unknown'}; the reference values apply "
            "only to the site they were measured at, so no comparison is made.",
            value, None, "deg", "", "",
        )  # fmt: skip
    low, high = float(mean.value) - sd, float(mean.value) + sd
    band = f"{fmt(float(mean.value), 'deg')} ± {fmt(sd, 'deg')} at this site, {basis_words(mean)}"
    if value < low:
        status, level, words = "below", "amber", "below the healthy-adult range"
    elif value > high:
        status, level, words = "above", "green", "above the healthy-adult range"
    else:
        status, level, words = "within", "green", "within the healthy-adult range"
    return Verdict(
        "reference", "lunge_angle_deg", side, None, status, level,  # type: ignore[arg-type]
        f"{label}: {words} ({band}).",
        value, float(mean.value), "deg", mean.evidence, mean.source, mean.local,
    )  # fmt: skip


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
    "MEASURE_LABELS",
    "Asymmetry",
    "limb_asymmetry",
    "reference_context",
    "romberg_quotients",
]
