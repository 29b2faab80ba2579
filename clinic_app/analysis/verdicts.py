"""Structured verdicts: what a number means, in words, with its evidence and source.

Reports and screens draw a traffic light from :attr:`Verdict.level` and must always show
:attr:`Verdict.text` beside the colour (colour is never the only carrier of meaning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from clinic_app.analysis.norms import NormEntry
from clinic_app.numbers import fixed

Level = Literal["green", "amber", "red", "grey"]

LEVEL_WORDS: dict[str, str] = {"green": "OK", "amber": "Flag", "red": "Concern", "grey": "Info"}
"""The word printed beside each traffic-light colour, the same in the app and in every PDF
(a colour is never shown without its word)."""
"""Traffic light: green = within/better, amber = flag/below typical, red = restricted or
real worsening, grey = not judged (no reference, not comparable, not enough data)."""

Status = Literal[
    "within",  # inside the reference band
    "above",  # above the reference band (not a problem for range of motion)
    "below",  # below the reference band or under a clinic-default cut-off
    "restricted",  # under an evidence-based restriction cut-off
    "flagged",  # asymmetry beyond its flag threshold
    "marked",  # asymmetry beyond its 'marked' threshold
    "not_flagged",  # asymmetry within its flag threshold
    "improved",  # real change (> MDC) in the good direction
    "worsened",  # real change (> MDC) in the bad direction
    "no_real_change",  # change within the MDC
    "no_mdc",  # change shown for information: no MDC exists for this measure
    "not_comparable",  # e.g. different inclinometer sites
    "insufficient_data",  # a side or session is missing the measure
    "beyond",  # balance: worse than the reference by more than its margin
    "not_held",  # balance: the condition failed repeatedly (or no valid trial)
    "some_failed",  # balance: a trial failed and was repeated
    "not_judged",  # a value too thin to judge (e.g. one valid trial of many)
]

Kind = Literal["reference", "asymmetry", "change", "balance"]


@dataclass(frozen=True)
class Verdict:
    """One judgement of one measure.

    Attributes
    ----------
    kind : {"reference", "asymmetry", "change"}
    measure : str
        ``"lunge_distance_cm"``, ``"lunge_angle_deg"`` or ``"balance_mean_velocity_cm_s"``.
    side : str or None
        ``"left"`` / ``"right"``; None for between-limb verdicts.
    condition : str or None
        Balance condition (``eo_firm`` …) or None for the lunge.
    status : Status
        Machine-readable outcome (see :data:`Status`).
    level : Level
        Traffic-light colour.
    text : str
        One sentence for the clinician, naming the value, the threshold and its basis.
    value : float or None
        The judged number (a mean, a difference or a change) in ``units``.
    threshold : float or None
        The threshold it was judged against, in ``units``.
    units : str
    evidence : str
        Evidence tag of the threshold: ``C``, ``S``, ``D`` or ``U`` ("" when none applied).
    source : str
        Citation of the threshold, or a description of the clinic's own value.
    local : bool
        True when the threshold is the clinic's own (local MDC or an overridden default).
    """

    kind: Kind
    measure: str
    side: str | None
    condition: str | None
    status: Status
    level: Level
    text: str
    value: float | None
    threshold: float | None
    units: str
    evidence: str
    source: str
    local: bool = False

    @property
    def is_clinic_default(self) -> bool:
        """True when the threshold is an editable clinic default (never show it as evidence)."""
        return self.evidence == "U" or self.local


def basis_words(entry: NormEntry) -> str:
    """How to name an entry's basis in a sentence, e.g. ``"[C] Powden 2015…"``."""
    if entry.local:
        return "the clinic's own setting"
    if entry.evidence == "U":
        return "an editable clinic default, not research-based"
    return f"{short_citation(entry.source)} [{entry.evidence}]"


def short_citation(source: str) -> str:
    """The citation up to its first year, e.g. ``"Powden, Hoch & Hoch 2015"``."""
    match = re.match(r"^(.*?\b(?:19|20)\d\d)\b", source)
    return match.group(1) if match else source


MEASURE_LABELS = {
    "lunge_distance_cm": "knee-to-wall distance",
    "lunge_angle_deg": "tibial angle",
    "balance_mean_velocity_cm_s": "mean COP velocity",
}
"""Plain names of the measures used in verdict texts."""


CONDITION_WORDS = {
    "eo_firm": "eyes open, firm floor",
    "ec_firm": "eyes closed, firm floor",
    "eo_foam": "eyes open, on foam",
    "ec_foam": "eyes closed, on foam",
}
"""Balance conditions in words (documents and verdict texts never show the ids)."""

SITE_WORDS = {
    "tibial_crest_15cm": "tibial crest, 15 cm below the tuberosity",
    "tibial_tuberosity": "at the tibial tuberosity",
}
"""Inclinometer sites in words."""

FAILURE_WORDS = {
    "touchdown": "the lifted foot touched the floor",
    "step": "the other foot touched the plate",
    "foot_shift": "the standing foot shifted",
    "stepped_off": "stepped off the plate",
}
"""Why a balance trial failed, in words."""


def condition_words(condition: str | None) -> str:
    """A balance condition in words (the id itself only if it is unknown)."""
    return CONDITION_WORDS.get(condition or "", (condition or "").replace("_", " "))


def site_words(site: str | None) -> str:
    """An inclinometer site in words."""
    if not site:
        return "unknown site"
    return SITE_WORDS.get(site, site.replace("_", " "))


def failure_words(reason: str | None) -> str:
    """A balance failure reason in words."""
    if not reason:
        return "failed"
    return FAILURE_WORDS.get(reason, reason.replace("_", " "))


def fmt(value: float, units: str) -> str:
    """A value with its units for verdict texts (1 decimal; ``°`` for degrees)."""
    if units == "deg":
        return f"{fixed(value)}°"
    return f"{fixed(value)} {units}"
