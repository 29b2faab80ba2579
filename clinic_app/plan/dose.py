"""How much of an exercise: :class:`Dose` (the plan JSON ``dose`` object) and its levels.

A dose may name *versions* done one after the other with the same sets and repetitions —
Alfredson's heel drops are 3 × 15 with the knee straight **and** 3 × 15 with the knee bent
(clinical reference §3.2) — so the card never halves a protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dose:
    """How much of an exercise (None = not applicable).

    Attributes
    ----------
    sets, reps : int or None
        Per version when ``versions`` are given.
    hold_s : float or None
        Hold or work time per set, seconds.
    per_day : int or None
        Sessions a day (None = once).
    days_per_week : int or None
    tempo, load : str
        Free text ("3 s up, 3 s down", "15-rep maximum"); "" when none. A running cue's
        whole dose is its ``load`` text ("5 % more steps per minute, every run").
    versions : tuple of str
        Versions each done for the full sets × reps ("knee straight", "knee bent"); empty
        for a single version.
    """

    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None
    per_day: int | None = None
    days_per_week: int | None = None
    tempo: str = ""
    load: str = ""
    versions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the plan JSON ``dose`` object)."""
        return {
            "sets": self.sets,
            "reps": self.reps,
            "hold_s": self.hold_s,
            "per_day": self.per_day,
            "days_per_week": self.days_per_week,
            "tempo": self.tempo,
            "load": self.load,
            "versions": list(self.versions),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Dose:
        """Inverse of :meth:`to_dict` (missing keys are None / "" / no versions)."""

        def _int(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        hold = data.get("hold_s")
        versions = data.get("versions") or ()
        return cls(
            sets=_int("sets"),
            reps=_int("reps"),
            hold_s=None if hold is None else float(hold),
            per_day=_int("per_day"),
            days_per_week=_int("days_per_week"),
            tempo=str(data.get("tempo") or ""),
            load=str(data.get("load") or ""),
            versions=tuple(str(v) for v in versions),
        )

    @property
    def is_empty(self) -> bool:
        """True when the dose says nothing (no sets, repetitions, hold or load text)."""
        return self.sets is None and self.reps is None and self.hold_s is None and not self.load

    def _amount(self) -> str:
        if self.sets is not None and self.reps is not None:
            return f"{self.sets} × {self.reps}"
        if self.sets is not None and self.hold_s is not None:
            return f"{self.sets} × {self.hold_s:g} s"
        if self.reps is not None:
            return f"{self.reps} reps"
        if self.hold_s is not None:
            return f"{self.hold_s:g} s"
        return ""

    def describe(self) -> str:
        """Plain words, e.g. ``"3 × 15 knee straight + 3 × 15 knee bent · twice a day"``."""
        parts: list[str] = []
        amount = self._amount()
        if amount and len(self.versions) == 2:
            parts.append(" + ".join(f"{amount} {v}" for v in self.versions))
        elif amount and self.versions:
            parts.append(f"{amount} each: " + "; ".join(self.versions))
        elif amount:
            parts.append(amount)
        if self.sets is not None and self.reps is not None and self.hold_s is not None:
            parts.append(f"hold {self.hold_s:g} s")
        if self.tempo:
            parts.append(self.tempo)
        if self.load:
            parts.append(self.load)
        if self.per_day and self.per_day > 1:
            parts.append("twice a day" if self.per_day == 2 else f"{self.per_day} times a day")
        if self.days_per_week is not None:
            parts.append(
                "every day" if self.days_per_week == 7 else f"{self.days_per_week} days a week"
            )
        return " · ".join(parts)

    def repetitions_per_day(self) -> int | None:
        """Repetitions a day (sets × reps × versions × sessions), None without reps."""
        if self.sets is None or self.reps is None:
            return None
        return self.sets * self.reps * max(1, len(self.versions)) * (self.per_day or 1)


@dataclass(frozen=True)
class DoseLevel:
    """One dose step of an exercise, with the basis of that dose.

    ``from_week`` (programmes run on a schedule, e.g. heavy slow resistance): the programme
    week (1 = the first) from which this level applies; None when the level is reached by
    criteria instead.
    """

    level: int
    dose: Dose
    evidence: str
    source: str
    from_week: int | None = None

    @property
    def is_clinic_default(self) -> bool:
        """True for [U] doses: show them as adjustable clinic defaults, never as evidence."""
        return self.evidence == "U"


__all__ = ["Dose", "DoseLevel"]
