"""The plan library ``resources/exercises.toml``: exercises, phases and the red-flag checklist.

Every dose level carries its own evidence tag and source, so a document can tell a
research-based dose ([C]/[S]) from an editable clinic default ([U]), which is never
presented as evidence.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinic_app.paths import resource
from clinic_app.plan.dose import Dose, DoseLevel

PHASES = ("mobility", "strength", "balance", "running", "recovery")
"""Phase ids in plan order."""

PROGRESS_BY = ("lunge", "balance", "schedule", "pain", "none")
"""How an exercise moves up a level at a re-test (clinical reference §3.7):

``lunge``
    the lunge on the item's side improved beyond its MDC (and pain within the safe level);
``balance``
    the balance deficit on that side has gone, or its velocity improved beyond the MDC;
``schedule``
    a programme on a weekly schedule (the level's ``from_week``), e.g. heavy slow resistance;
``pain``
    pain within the safe level at the re-test;
``none``
    a single-level exercise.
"""

EVIDENCE_TAGS = ("C", "S", "D", "U")


class LibraryError(ValueError):
    """The plan library file is malformed (the message names the entry and field)."""


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
    end_range: bool = False
    """Loads the ankle into end-range dorsiflexion (out of a plan with front-of-ankle pain)."""
    strike_cue: bool = False
    """Cues a mid/forefoot landing (out of a plan with calf or Achilles pain, §3.8)."""
    progress_by: str = "none"
    """See :data:`PROGRESS_BY`."""
    programme_weeks: str = ""
    """``norms.toml`` key of the programme's length in weeks ("" when it has none)."""

    def level(self, number: int) -> DoseLevel:
        """Dose level ``number``, clamped to the levels that exist."""
        clamped = max(1, min(number, len(self.levels)))
        return self.levels[clamped - 1]

    def level_for_week(self, week: int) -> DoseLevel:
        """The scheduled level for programme week ``week`` (1 = the first week)."""
        chosen = self.levels[0]
        for lv in self.levels:
            if lv.from_week is not None and lv.from_week <= week:
                chosen = lv
        return chosen

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
    """One item of the red-flag checklist (clinical reference §3.5).

    ``see`` is for the clinician; ``patient_see`` tells the patient what to do, in plain
    words (no clinician terms).
    """

    id: str
    label: str
    detail: str
    see: str
    urgency: str
    evidence: str
    source: str
    patient_see: str = ""


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
    advice: Mapping[str, ReferralText] = field(default_factory=dict)
    """Patient advice texts (``[advice.*]``: running within the pain rule, landing)."""

    def advice_text(self, advice_id: str) -> ReferralText:
        """The advice text with this id (:class:`LibraryError` when unknown)."""
        try:
            return self.advice[advice_id]
        except KeyError:
            raise LibraryError(f"exercise library: no advice text {advice_id!r}") from None

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
    if dose.is_empty:
        raise LibraryError(f"{where}: a dose needs sets, reps, hold_s or a load text")
    week = item.get("from_week")
    return DoseLevel(
        int(item.get("level", 0)),
        dose,
        _evidence(item, where),
        _text(item, "source", where),
        None if week is None else int(week),
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
    progress_by = str(item.get("progress_by", "none"))
    if progress_by not in PROGRESS_BY:
        raise LibraryError(f"{where}: progress_by {progress_by!r} is not one of {PROGRESS_BY}")
    if progress_by == "schedule" and any(lv.from_week is None for lv in levels):
        raise LibraryError(f"{where}: a scheduled programme needs from_week on every level")
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
        end_range=bool(item.get("end_range", False)),
        strike_cue=bool(item.get("strike_cue", False)),
        progress_by=progress_by,
        programme_weeks=str(item.get("programme_weeks", "")),
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
            patient_see=_text(item, "patient_see", where),
        )
    texts: dict[str, dict[str, ReferralText]] = {"referral": {}, "advice": {}}
    for table, out in texts.items():
        for key, item in data.get(table, {}).items():
            where = f"{origin}: {table}.{key}"
            out[key] = ReferralText(
                key,
                _text(item, "text", where),
                _evidence(item, where),
                _text(item, "source", where),
            )
    return Library(
        exercises=exercises,
        phases=phases,
        red_flags=flags,
        referrals=texts["referral"],
        advice=texts["advice"],
    )


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
