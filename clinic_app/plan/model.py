"""The progression plan as data: findings, phases, items, red flags (the plan JSON).

The JSON shape is documented in ``docs/data-model.md`` ("Plan JSON"). Every item names the
findings that caused it (``because``); an item the clinician adds names ``"clinician"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from clinic_app.plan.dose import Dose

SCHEMA = 1
CLINICIAN_CAUSE = "clinician"
"""The ``because`` entry of items added by hand in the plan editor."""
CLINICIAN_DOSE = "Set by the clinician for this patient"
"""The ``dose_source`` of a dose the clinician typed (kept across re-tests)."""


class PlanError(ValueError):
    """A plan JSON document does not follow the schema (names the field)."""


@dataclass(frozen=True)
class Finding:
    """One thing the measurements (or the clinician's checklist) showed.

    Attributes
    ----------
    id : str
        Unique within the plan, e.g. ``"df_below_left_distance"``.
    kind : str
        ``red_flag``, ``lunge_pain`` (pain on the lunge, one per side), ``anterior_pain``
        (front-of-ankle pain: impingement flag), ``dorsiflexion_below_reference``,
        ``dorsiflexion_asymmetry``, ``dorsiflexion_borderline`` (only a clinic default says
        so: not treated on it alone), ``plateau``, ``balance_deficit``,
        ``balance_not_tested``, ``plan_continued``, ``range_within_reference``.
    side, condition : str or None
    text : str
        One sentence for the clinician (value, threshold, basis).
    patient_text : str
        The same in plain words for the handout.
    level : str
        Traffic light of the finding: ``green``/``amber``/``red``/``grey``.
    evidence, source : str
        Basis of the threshold behind the finding ("" when none applied).
    clinic_default : bool
        True when that threshold is an editable clinic default (never shown as evidence).
    """

    id: str
    kind: str
    side: str | None
    condition: str | None
    text: str
    patient_text: str
    level: str
    evidence: str = ""
    source: str = ""
    clinic_default: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class PlanItem:
    """One exercise in a phase with its dose and cause.

    Attributes
    ----------
    started_on : str
        ISO date the item first entered the patient's plan (kept across re-tests, so a
        loading programme knows its week and runs to its own end).
    progression : str
        Why the item has this level at this visit ("new", "up one level: …", "held: …",
        "down one level: …"); "" for an item not judged against a previous plan.
    """

    exercise_id: str
    level: int
    dose: Dose
    dose_evidence: str
    dose_source: str
    because: tuple[str, ...]
    side: str | None = None
    notes: str = ""
    started_on: str = ""
    progression: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "exercise_id": self.exercise_id,
            "level": self.level,
            "dose": self.dose.to_dict(),
            "dose_evidence": self.dose_evidence,
            "dose_source": self.dose_source,
            "because": list(self.because),
            "side": self.side,
            "notes": self.notes,
            "started_on": self.started_on,
            "progression": self.progression,
        }


@dataclass(frozen=True)
class PlanPhase:
    """A phase of the plan: ``current`` (do now), ``later`` (entered once criteria are met)."""

    id: str
    title: str
    status: str
    entry: str
    exit_criteria: str
    because: tuple[str, ...]
    items: tuple[PlanItem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "entry": self.entry,
            "exit_criteria": self.exit_criteria,
            "because": list(self.because),
            "items": [i.to_dict() for i in self.items],
        }


@dataclass(frozen=True)
class Note:
    """A referral note or a review prompt, with the findings behind it."""

    id: str
    text: str
    because: tuple[str, ...]
    evidence: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "text": self.text,
            "because": list(self.because),
            "evidence": self.evidence,
            "source": self.source,
        }


@dataclass(frozen=True)
class Plan:
    """A progression plan (see ``docs/data-model.md``, "Plan JSON").

    ``status`` is ``"active"`` or ``"stopped"`` (a red flag was ticked: no exercises, the
    red flags say whom to see). ``red_flags_checked`` is False when the clinician has not
    completed the checklist yet; documents then say so. ``reduce_load`` is True when lunge
    pain was above the acceptable level (clinical reference §3.6). ``running_advice`` tells
    the runner what to do with running now (within the pain rule), ``running_basis`` its
    sources. ``continues`` is the session id of the plan this one continues (§3.7) and
    ``transitions`` says in words what changed since that plan (phases finished, items
    carried over).
    """

    generated_at: str
    session_id: int | None
    retest_date: str
    retest_weeks: float
    status: str
    findings: tuple[Finding, ...]
    phases: tuple[PlanPhase, ...]
    red_flags: tuple[str, ...] = ()
    red_flags_checked: bool = False
    referral_notes: tuple[Note, ...] = ()
    prompts: tuple[Note, ...] = ()
    pain_rule: str = ""
    pain_rule_basis: str = ""
    pain_safe_max: float | None = None
    pain_acceptable_max: float | None = None
    summary: str = ""
    clinician_notes: str = ""
    reduce_load: bool = False
    running_advice: str = ""
    running_basis: str = ""
    continues: int | None = None
    transitions: tuple[str, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ queries

    @property
    def items(self) -> list[PlanItem]:
        """Every item of every phase, in plan order."""
        return [item for phase in self.phases for item in phase.items]

    def finding(self, finding_id: str) -> Finding | None:
        """The finding with this id, or None."""
        return next((f for f in self.findings if f.id == finding_id), None)

    def causes_of(self, item: PlanItem) -> list[str]:
        """Clinician text of each cause of ``item`` (the clinician's own for added items)."""
        out = []
        for cause in item.because:
            found = self.finding(cause)
            out.append(found.text if found else "Added by the clinician.")
        return out

    def with_phases(self, phases: tuple[PlanPhase, ...]) -> Plan:
        """A copy with other phases (used by the editing operations)."""
        return replace(self, phases=phases)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """The plan JSON document."""
        return {
            "schema": SCHEMA,
            "generated_at": self.generated_at,
            "session_id": self.session_id,
            "retest_date": self.retest_date,
            "retest_weeks": self.retest_weeks,
            "status": self.status,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "red_flags": list(self.red_flags),
            "red_flags_checked": self.red_flags_checked,
            "referral_notes": [n.to_dict() for n in self.referral_notes],
            "prompts": [n.to_dict() for n in self.prompts],
            "phases": [p.to_dict() for p in self.phases],
            "pain_rule": self.pain_rule,
            "pain_rule_basis": self.pain_rule_basis,
            "pain_safe_max_nrs": self.pain_safe_max,
            "pain_acceptable_max_nrs": self.pain_acceptable_max,
            "clinician_notes": self.clinician_notes,
            "reduce_load": self.reduce_load,
            "running_advice": self.running_advice,
            "running_basis": self.running_basis,
            "continues_session_id": self.continues,
            "transitions": list(self.transitions),
            **dict(self.extras),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Rebuild a plan from its JSON document.

        Raises
        ------
        PlanError
            When the schema is unknown or a required field is missing.
        """
        if data.get("schema") != SCHEMA:
            raise PlanError(f"plan: schema {data.get('schema')!r} is not {SCHEMA}")
        try:
            findings = tuple(
                Finding(**{k: f.get(k) for k in Finding.__dataclass_fields__ if k in f})
                for f in data["findings"]
            )
            phases = tuple(
                PlanPhase(
                    id=p["id"],
                    title=p["title"],
                    status=p.get("status", "current"),
                    entry=p.get("entry", ""),
                    exit_criteria=p.get("exit_criteria", ""),
                    because=tuple(p.get("because", ())),
                    items=tuple(_item(i) for i in p.get("items", ())),
                )
                for p in data["phases"]
            )
            known = set(cls.__dataclass_fields__) | {"schema"}
            renamed = {"pain_safe_max_nrs", "pain_acceptable_max_nrs", "continues_session_id"}
            return cls(
                generated_at=str(data["generated_at"]),
                session_id=data.get("session_id"),
                retest_date=str(data["retest_date"]),
                retest_weeks=float(data.get("retest_weeks") or 0.0),
                status=str(data.get("status", "active")),
                findings=findings,
                phases=phases,
                red_flags=tuple(data.get("red_flags", ())),
                red_flags_checked=bool(data.get("red_flags_checked", False)),
                referral_notes=tuple(_note(n) for n in data.get("referral_notes", ())),
                prompts=tuple(_note(n) for n in data.get("prompts", ())),
                pain_rule=str(data.get("pain_rule", "")),
                pain_rule_basis=str(data.get("pain_rule_basis", "")),
                pain_safe_max=data.get("pain_safe_max_nrs"),
                pain_acceptable_max=data.get("pain_acceptable_max_nrs"),
                summary=str(data.get("summary", "")),
                clinician_notes=str(data.get("clinician_notes", "")),
                reduce_load=bool(data.get("reduce_load", False)),
                running_advice=str(data.get("running_advice", "")),
                running_basis=str(data.get("running_basis", "")),
                continues=data.get("continues_session_id"),
                transitions=tuple(str(t) for t in data.get("transitions", ())),
                extras={k: v for k, v in data.items() if k not in known | renamed},
            )
        except (KeyError, TypeError) as exc:
            raise PlanError(f"plan: missing or malformed field {exc}") from None


def _item(data: Mapping[str, Any]) -> PlanItem:
    return PlanItem(
        exercise_id=str(data["exercise_id"]),
        level=int(data.get("level", 1)),
        dose=Dose.from_dict(data.get("dose", {})),
        dose_evidence=str(data.get("dose_evidence", "U")),
        dose_source=str(data.get("dose_source", "")),
        because=tuple(data.get("because", ())),
        side=data.get("side"),
        notes=str(data.get("notes", "")),
        started_on=str(data.get("started_on", "")),
        progression=str(data.get("progression", "")),
    )


def _note(data: Mapping[str, Any]) -> Note:
    return Note(
        id=str(data["id"]),
        text=str(data["text"]),
        because=tuple(data.get("because", ())),
        evidence=str(data.get("evidence", "")),
        source=str(data.get("source", "")),
    )
