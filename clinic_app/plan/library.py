"""The plan library ``resources/exercises.toml``: exercises, phases and the red-flag checklist.

Every dose level carries its own evidence tag and source, so a document can tell a
research-based dose ([C]/[S]) from an editable clinic default ([U]), which is never
presented as evidence.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_app.paths import resource

PHASES = ("mobility", "strength", "balance", "running", "recovery")
"""Phase ids in plan order."""

EVIDENCE_TAGS = ("C", "S", "D", "U")


class LibraryError(ValueError):
    """The plan library file is malformed (the message names the entry and field)."""


@dataclass(frozen=True)
class Dose:
    """How much of an exercise (None = not applicable).

    Attributes
    ----------
    sets, reps : int or None
    hold_s : float or None
        Hold or work time per set, seconds.
    per_day : int or None
        Sessions a day (None = once).
    days_per_week : int or None
    tempo, load : str
        Free text ("3 s up, 3 s down", "15-rep maximum"); "" when none.
    """

    sets: int | None = None
    reps: int | None = None
    hold_s: float | None = None
    per_day: int | None = None
    days_per_week: int | None = None
    tempo: str = ""
    load: str = ""

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
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Dose:
        """Inverse of :meth:`to_dict` (missing keys are None / "")."""

        def _int(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        hold = data.get("hold_s")
        return cls(
            sets=_int("sets"),
            reps=_int("reps"),
            hold_s=None if hold is None else float(hold),
            per_day=_int("per_day"),
            days_per_week=_int("days_per_week"),
            tempo=str(data.get("tempo") or ""),
            load=str(data.get("load") or ""),
        )

    def describe(self) -> str:
        """Plain words, e.g. ``"3 × 30 s hold · twice a day · 7 days a week"``."""
        parts: list[str] = []
        if self.sets is not None and self.reps is not None:
            parts.append(f"{self.sets} × {self.reps}")
        elif self.sets is not None and self.hold_s is not None:
            parts.append(f"{self.sets} × {self.hold_s:g} s")
        elif self.reps is not None:
            parts.append(f"{self.reps} reps")
        elif self.hold_s is not None:
            parts.append(f"{self.hold_s:g} s")
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


@dataclass(frozen=True)
class DoseLevel:
    """One dose step of an exercise, with the basis of that dose."""

    level: int
    dose: Dose
    evidence: str
    source: str

    @property
    def is_clinic_default(self) -> bool:
        """True for [U] doses: show them as adjustable clinic defaults, never as evidence."""
        return self.evidence == "U"


@dataclass(frozen=True)
class Exercise:
    """One exercise of the library (see the header of ``exercises.toml``)."""

    id: str
    name: str
    phase: str
    illustration: str
    summary: str
    instructions: tuple[str, ...]
    cues: tuple[str, ...]
    feel: str
    progress_when: str
    regress_when: str
    cautions: tuple[str, ...]
    evidence: str
    source: str
    levels: tuple[DoseLevel, ...]
    optional: bool = False
    ladder: int | None = None

    def level(self, number: int) -> DoseLevel:
        """Dose level ``number``, clamped to the levels that exist."""
        clamped = max(1, min(number, len(self.levels)))
        return self.levels[clamped - 1]

    def illustration_path(self) -> Path:
        """The SVG drawing of this exercise (bundled resource)."""
        return resource("illustrations", self.illustration)


@dataclass(frozen=True)
class PhaseDef:
    """A plan phase: how it is entered and left (clinician words) and its patient words."""

    id: str
    title: str
    patient_title: str
    entry: str
    exit: str
    patient_goal: str


@dataclass(frozen=True)
class RedFlagDef:
    """One item of the red-flag checklist (clinical.md §3.5)."""

    id: str
    label: str
    detail: str
    see: str
    urgency: str
    evidence: str
    source: str


@dataclass(frozen=True)
class ReferralText:
    """A referral note or review prompt template (``{side}``/``{weeks}`` are filled in)."""

    id: str
    text: str
    evidence: str
    source: str


@dataclass(frozen=True)
class Library:
    """The parsed plan library."""

    exercises: Mapping[str, Exercise]
    phases: Mapping[str, PhaseDef]
    red_flags: Mapping[str, RedFlagDef]
    referrals: Mapping[str, ReferralText]

    def referral(self, referral_id: str) -> ReferralText:
        """The referral text with this id (:class:`LibraryError` when unknown)."""
        try:
            return self.referrals[referral_id]
        except KeyError:
            raise LibraryError(f"exercise library: no referral text {referral_id!r}") from None

    def exercise(self, exercise_id: str) -> Exercise:
        """The exercise with this id (:class:`LibraryError` naming it when unknown)."""
        try:
            return self.exercises[exercise_id]
        except KeyError:
            raise LibraryError(f"exercise library: no exercise {exercise_id!r}") from None

    def ladder(self) -> list[Exercise]:
        """The balance ladder, lowest rung first."""
        rungs = [e for e in self.exercises.values() if e.ladder is not None]
        return sorted(rungs, key=lambda e: e.ladder or 0)

    def by_phase(self, phase: str) -> list[Exercise]:
        """Exercises whose home phase is ``phase``, in file order."""
        return [e for e in self.exercises.values() if e.phase == phase]


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LibraryError(f"{where}: field {key!r} must be non-empty text")
    return value


def _texts(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LibraryError(f"{where}: field {key!r} must be a list of text")
    return tuple(value)


def _evidence(item: Mapping[str, Any], where: str) -> str:
    tag = _text(item, "evidence", where)
    if tag not in EVIDENCE_TAGS:
        raise LibraryError(f"{where}: evidence {tag!r} is not one of C, S, D, U")
    return tag


def _level(item: Mapping[str, Any], where: str) -> DoseLevel:
    dose = Dose.from_dict(item)
    if dose.sets is None and dose.reps is None and dose.hold_s is None:
        raise LibraryError(f"{where}: a dose needs sets, reps or hold_s")
    return DoseLevel(
        int(item.get("level", 0)), dose, _evidence(item, where), _text(item, "source", where)
    )


def _exercise(item: Mapping[str, Any], origin: str, index: int) -> Exercise:
    where = f"{origin}: exercise #{index + 1} ({item.get('id', '?')})"
    phase = _text(item, "phase", where)
    if phase not in PHASES:
        raise LibraryError(f"{where}: phase {phase!r} is not one of {', '.join(PHASES)}")
    raw_levels = item.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        raise LibraryError(f"{where}: needs at least one [[exercise.levels]]")
    levels = tuple(_level(lv, f"{where} level {i + 1}") for i, lv in enumerate(raw_levels))
    if [lv.level for lv in levels] != list(range(1, len(levels) + 1)):
        raise LibraryError(f"{where}: levels must be numbered 1, 2, … in order")
    ladder = item.get("ladder")
    return Exercise(
        id=_text(item, "id", where),
        name=_text(item, "name", where),
        phase=phase,
        illustration=_text(item, "illustration", where),
        summary=_text(item, "summary", where),
        instructions=_texts(item, "instructions", where),
        cues=_texts(item, "cues", where),
        feel=_text(item, "feel", where),
        progress_when=_text(item, "progress_when", where),
        regress_when=_text(item, "regress_when", where),
        cautions=_texts(item, "cautions", where),
        evidence=_evidence(item, where),
        source=_text(item, "source", where),
        levels=levels,
        optional=bool(item.get("optional", False)),
        ladder=None if ladder is None else int(ladder),
    )


def parse_library(text: str, origin: str = "exercises.toml") -> Library:
    """Parse and check the TOML text of a plan library.

    Raises
    ------
    LibraryError
        Naming the entry and the field that is wrong.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LibraryError(f"{origin}: {exc}") from None
    exercises: dict[str, Exercise] = {}
    for i, item in enumerate(data.get("exercise", [])):
        ex = _exercise(item, origin, i)
        if ex.id in exercises:
            raise LibraryError(f"{origin}: exercise id {ex.id!r} appears twice")
        exercises[ex.id] = ex
    phases: dict[str, PhaseDef] = {}
    for i, item in enumerate(data.get("phase", [])):
        where = f"{origin}: phase #{i + 1}"
        fields = ("id", "title", "patient_title", "entry", "exit", "patient_goal")
        phases[_text(item, "id", where)] = PhaseDef(*(_text(item, f, where) for f in fields))
    if tuple(phases) != PHASES:
        raise LibraryError(f"{origin}: phases must be {', '.join(PHASES)} in that order")
    flags: dict[str, RedFlagDef] = {}
    for i, item in enumerate(data.get("red_flag", [])):
        where = f"{origin}: red_flag #{i + 1}"
        flags[_text(item, "id", where)] = RedFlagDef(
            id=_text(item, "id", where),
            label=_text(item, "label", where),
            detail=_text(item, "detail", where),
            see=_text(item, "see", where),
            urgency=_text(item, "urgency", where),
            evidence=_evidence(item, where),
            source=_text(item, "source", where),
        )
    referrals: dict[str, ReferralText] = {}
    for key, item in data.get("referral", {}).items():
        where = f"{origin}: referral.{key}"
        referrals[key] = ReferralText(
            key, _text(item, "text", where), _evidence(item, where), _text(item, "source", where)
        )
    return Library(exercises=exercises, phases=phases, red_flags=flags, referrals=referrals)


@functools.cache
def _bundled() -> Library:
    path = resource("exercises.toml")
    return parse_library(path.read_text(encoding="utf-8"), origin=str(path))


def load_library(path: Path | None = None) -> Library:
    """The bundled plan library, or the one at ``path``."""
    if path is None:
        return _bundled()
    return parse_library(path.read_text(encoding="utf-8"), origin=str(path))


def illustration_files(library: Library) -> Sequence[Path]:
    """Every illustration the library refers to (each must exist)."""
    return [ex.illustration_path() for ex in library.exercises.values()]
