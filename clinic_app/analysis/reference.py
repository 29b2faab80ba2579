"""Each side's lunge means against the healthy-adult reference and cut-offs, as verdicts.

A cut-off derived from a statistic (mean − 1 SD) is tagged [D]; one measured in another
population (junior basketball players) names that population; both are amber, never red.
"""

from __future__ import annotations

from clinic_app.analysis.norms import NormEntry, Norms, load_norms
from clinic_app.analysis.summary import SessionSummary
from clinic_app.analysis.verdicts import Verdict, basis_words, fmt, short_citation, site_words

SITE_15CM = "tibial_crest_15cm"
SITE_TUBEROSITY = "tibial_tuberosity"


def reference_context(summary: SessionSummary, norms: Norms | None = None) -> tuple[Verdict, ...]:
    """Each side's lunge means against the healthy-adult reference and cut-offs.

    Distance: below the [U] clinic default (< 10 cm) → ``below`` (amber, named as a clinic
    default); otherwise ``within``, or ``above`` the healthy mean + 1 SD (≈ 12 ± 2.7 cm [C]).
    Angle at the 15 cm site: < 36.5° → ``restricted`` (amber: Backman & Danielson 2011 [C]
    measured junior basketball players, not runners); below the healthy mean − 1 SD (39.4°,
    derived [D] from Hall & Docherty 2017) → ``below`` (amber); within or ``above`` it →
    green. At the tuberosity the tuberosity band (39.0 ± 4.6° [C], mean − 1 SD [D]) applies
    without a cut-off; at any other site the angle is not judged.
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


def _band_entry(mean: NormEntry, sd: float) -> tuple[float, str, str]:
    """Lower edge of a mean − 1 SD band, its evidence tag ([D]) and its source."""
    low = float(mean.value) - sd
    source = f"Derived: mean − 1 SD of {short_citation(mean.source)}"
    return low, "D", source


def _angle_reference(side: str, value: float, site: str | None, norms: Norms) -> Verdict:
    label = f"{side.capitalize()} tibial angle {fmt(value, 'deg')}"
    if site == SITE_15CM:
        mean = norms["reference.lunge_angle_healthy_mean_deg"]
        sd = norms.value("reference.lunge_angle_healthy_sd_deg")
        cut = norms["reference.lunge_angle_restricted_deg"]
        if value < float(cut.value):
            return Verdict(
                "reference", "lunge_angle_deg", side, None, "restricted", "amber",
                f"{label}: under {fmt(float(cut.value), 'deg')}, the cut-off linked to "
                f"patellar-tendon risk in junior basketball players ({basis_words(cut)}; "
                "not runners).",
                value, float(cut.value), "deg", cut.evidence, cut.source, cut.local,
            )  # fmt: skip
    elif site == SITE_TUBEROSITY:
        mean = norms["reference.lunge_angle_tuberosity_mean_deg"]
        sd = norms.value("reference.lunge_angle_tuberosity_sd_deg")
    else:
        return Verdict(
            "reference", "lunge_angle_deg", side, None, "not_comparable", "grey",
            f"{label}: measured at {site_words(site)}; the reference values apply "
            "only to the site they were measured at, so no comparison is made.",
            value, None, "deg", "", "",
        )  # fmt: skip
    low, band_evidence, band_source = _band_entry(mean, sd)
    high = float(mean.value) + sd
    band = f"{fmt(float(mean.value), 'deg')} ± {fmt(sd, 'deg')} at this site, {basis_words(mean)}"
    if value < low:
        return Verdict(
            "reference", "lunge_angle_deg", side, None, "below", "amber",
            f"{label}: below the healthy-adult range, under its mean − 1 SD of "
            f"{fmt(low, 'deg')} ({band}; the cut-off is derived [D]).",
            value, low, "deg", band_evidence, band_source, mean.local,
        )  # fmt: skip
    status, words = ("above", "above") if value > high else ("within", "within")
    return Verdict(
        "reference", "lunge_angle_deg", side, None, status, "green",  # type: ignore[arg-type]
        f"{label}: {words} the healthy-adult range ({band}).",
        value, float(mean.value), "deg", mean.evidence, mean.source, mean.local,
    )  # fmt: skip


__all__ = ["SITE_15CM", "SITE_TUBEROSITY", "reference_context"]
