"""Pain on the lunge test, read before range (clinical reference §3.6).

The pain-monitoring model (Silbernagel 2007 [S], ``norms.toml`` ``pain.*``): 0 to 3/10 is
safe, 4 to 5/10 acceptable, above 5/10 too much. :class:`PainState` holds each side's worst
lunge pain and where it was; :func:`pain_findings` turns it into findings:

- ``lunge_pain`` per painful side (amber within the acceptable level, red above it: a
  reduce-load plan, never "continue normal training");
- ``anterior_pain`` per side with front-of-ankle pain (possible impingement: end-range
  drills out, review).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clinic_app.analysis.norms import Norms
from clinic_app.analysis.session import SessionSummary
from clinic_app.analysis.verdicts import basis_words
from clinic_app.plan.library import Library
from clinic_app.plan.model import Finding

SIDES = ("left", "right")
PLACE_WORDS = {"anterior": "at the front of the ankle", "posterior": "in the calf or Achilles"}


@dataclass(frozen=True)
class SidePain:
    """The worst lunge pain of one side (NRS 0–10) and where it was."""

    side: str
    nrs: int
    anterior: bool
    posterior: bool

    @property
    def places(self) -> str:
        """Where it hurt, in words ("" when it did not)."""
        words = [PLACE_WORDS[p] for p, on in (("anterior", self.anterior),
                                              ("posterior", self.posterior)) if on]  # fmt: skip
        return " and ".join(words)


@dataclass(frozen=True)
class PainState:
    """Lunge pain per side against the pain-monitoring levels.

    Attributes
    ----------
    sides : mapping of side to SidePain
        Only sides with pain above 0.
    safe, acceptable : float
        Upper ends of the safe and acceptable levels (NRS).
    """

    sides: Mapping[str, SidePain]
    safe: float
    acceptable: float

    def worst(self, side: str | None = None) -> int:
        """Worst pain of ``side`` (of either side when None); 0 without pain."""
        pains = [p.nrs for s, p in self.sides.items() if side is None or s == side]
        return max(pains, default=0)

    def zone(self, side: str | None = None) -> str:
        """``none``, ``safe``, ``acceptable`` or ``too_much`` for ``side`` (None: worst side)."""
        nrs = self.worst(side)
        if nrs <= 0:
            return "none"
        if nrs <= self.safe:
            return "safe"
        return "acceptable" if nrs <= self.acceptable else "too_much"

    @property
    def any(self) -> bool:
        """True when the lunge hurt on either side."""
        return bool(self.sides)

    @property
    def high_sides(self) -> tuple[str, ...]:
        """Sides with pain above the acceptable level."""
        return tuple(s for s, p in self.sides.items() if p.nrs > self.acceptable)

    @property
    def anterior_sides(self) -> tuple[str, ...]:
        """Sides with front-of-ankle pain."""
        return tuple(s for s, p in self.sides.items() if p.anterior)

    @property
    def posterior_sides(self) -> tuple[str, ...]:
        """Sides with calf or Achilles pain."""
        return tuple(s for s, p in self.sides.items() if p.posterior)


def pain_state(summary: SessionSummary, norms: Norms) -> PainState:
    """Each side's worst lunge pain (practice trials included) and its locations."""
    sides: dict[str, SidePain] = {}
    for side in SIDES:
        lunge = summary.lunge.get(side)
        if lunge is None or not lunge.pain_max_nrs:
            continue
        sides[side] = SidePain(
            side,
            int(lunge.pain_max_nrs),
            "anterior" in lunge.pain_locations,
            "posterior" in lunge.pain_locations,
        )
    return PainState(
        sides, norms.value("pain.safe_max_nrs"), norms.value("pain.acceptable_max_nrs")
    )


def _zone_words(pain: PainState, nrs: int) -> str:
    if nrs <= pain.safe:
        return f"within the safe level (0–{pain.safe:g}/10)"
    if nrs <= pain.acceptable:
        return (
            f"acceptable ({pain.safe + 1:g}–{pain.acceptable:g}/10) but not safe: "
            "loading is held at its level"
        )
    return (
        f"above the acceptable {pain.acceptable:g}/10: a reduce-load plan, reviewed before "
        "the next visit"
    )


def _patient_words(p: SidePain, pain: PainState) -> str:
    where = f" {p.places}" if p.places else ""
    text = f"Your {p.side} ankle hurt{where} during the test ({p.nrs} out of 10)."
    if p.nrs > pain.acceptable:
        return text + " That is more than it should, so we will lower the load for now."
    if p.posterior:
        return text + " We will load the calf and Achilles tendon within the pain rule."
    return text


def pain_findings(pain: PainState, library: Library, norms: Norms) -> list[Finding]:
    """One ``lunge_pain`` finding per painful side, plus ``anterior_pain`` flags."""
    out: list[Finding] = []
    safe = norms["pain.safe_max_nrs"]
    acceptable = norms["pain.acceptable_max_nrs"]
    impingement = library.referral("anterior_impingement")
    for side, p in pain.sides.items():
        entry = acceptable if p.nrs > pain.safe else safe
        out.append(
            Finding(
                id=f"pain_{side}",
                kind="lunge_pain",
                side=side,
                condition=None,
                text=(
                    f"{side.capitalize()} lunge pain {p.nrs}/10 {p.places}: "
                    f"{_zone_words(pain, p.nrs)} ({basis_words(entry)})."
                ),
                patient_text=_patient_words(p, pain),
                level="red" if p.nrs > pain.acceptable else "amber",
                evidence=entry.evidence,
                source=entry.source,
                clinic_default=entry.is_clinic_default,
            )
        )
        if p.anterior:
            out.append(
                Finding(
                    id=f"pain_anterior_{side}",
                    kind="anterior_pain",
                    side=side,
                    condition=None,
                    text=(
                        f"{side.capitalize()} lunge limited by pain at the front of the ankle "
                        f"({p.nrs}/10): possible anterior impingement; end-range drills are "
                        "left out and the ankle is reviewed."
                    ),
                    patient_text=(
                        f"The {side} lunge pinched at the front of the ankle. We will keep "
                        "your exercises out of that pinch."
                    ),
                    level="amber",
                    evidence=impingement.evidence,
                    source=impingement.source,
                    clinic_default=impingement.evidence == "U",
                )
            )
    return out


__all__ = ["PainState", "SidePain", "pain_findings", "pain_state"]
