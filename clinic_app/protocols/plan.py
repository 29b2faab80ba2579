"""The tests of one visit, in order: what the clinician chose and how far the visit got.

A :class:`SessionPlan` is a list of :class:`Step` (one per protocol, side and condition)
plus the settings each protocol runs with. :meth:`SessionPlan.make_protocol` builds the
state machine of a step, continuing from the trials already stored (a resumed visit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.protocols.balance import BalanceProtocol, BalanceSettings
from clinic_app.protocols.events import CONDITION_SHORT, CONDITION_WORDS
from clinic_app.protocols.lunge import LungeProtocol, LungeSettings

SIDES = ("left", "right")
CONDITIONS = ("eo_firm", "ec_firm", "eo_foam", "ec_foam")

TrialProtocol = LungeProtocol | BalanceProtocol


@dataclass(frozen=True)
class Step:
    """One item of the plan.

    Attributes
    ----------
    protocol : {"lunge", "balance"}
    side : {"left", "right"}
    condition : str or None
        Balance condition; None for the lunge.
    """

    protocol: str
    side: str
    condition: str | None = None

    @property
    def key(self) -> str:
        """Stable id, e.g. ``"lunge:left"``, ``"balance:right:ec_firm"``."""
        return ":".join(p for p in (self.protocol, self.side, self.condition) if p)

    @property
    def label(self) -> str:
        """Short label for the step list, e.g. ``"Lunge L"``, ``"Balance R EC"``."""
        side = "L" if self.side == "left" else "R"
        if self.protocol == "lunge":
            return f"Lunge {side}"
        return f"Balance {side} {CONDITION_SHORT.get(self.condition or '', '')}".rstrip()

    @property
    def description(self) -> str:
        """Words for tooltips and logs."""
        if self.protocol == "lunge":
            return f"Weight-bearing lunge test, {self.side} leg"
        return f"Single-leg balance, {self.side} leg, {CONDITION_WORDS[self.condition or '']}"


@dataclass
class SessionPlan:
    """The tests chosen for a visit, with their settings.

    Attributes
    ----------
    steps : list of Step
    lunge : LungeSettings
    balance : BalanceSettings
    """

    steps: list[Step]
    lunge: LungeSettings = field(default_factory=LungeSettings.from_norms)
    balance: BalanceSettings = field(default_factory=BalanceSettings.from_norms)

    @classmethod
    def build(
        cls,
        *,
        lunge: bool = True,
        conditions: Iterable[str] = ("eo_firm", "ec_firm"),
        sides: Sequence[str] = SIDES,
        planned_s: float | None = None,
        practice: bool = True,
        body_mass_kg: float | None = None,
        norms: Norms | None = None,
    ) -> SessionPlan:
        """A plan in clinical order: lunge per side, then each balance condition per side.

        Eyes open comes before eyes closed (clinical reference §2.1); sides alternate within
        a condition so each leg rests between trials.
        """
        norms = norms or load_norms()
        chosen = [c for c in CONDITIONS if c in set(conditions)]
        unknown = set(conditions) - set(CONDITIONS)
        if unknown:
            raise ValueError(f"unknown balance condition(s): {', '.join(sorted(unknown))}")
        steps = [Step("lunge", s) for s in sides] if lunge else []
        steps += [Step("balance", s, c) for c in chosen for s in sides]
        if not steps:
            raise ValueError("choose at least one test")
        return cls(
            steps,
            LungeSettings.from_norms(norms, practice=practice),
            BalanceSettings.from_norms(
                norms, planned_s=planned_s, practice=practice, body_mass_kg=body_mass_kg
            ),
        )

    def make_protocol(self, step: Step, stored: Iterable[Mapping[str, Any]] = ()) -> TrialProtocol:
        """The state machine of ``step``, continuing after the ``stored`` trial rows.

        Parameters
        ----------
        stored : iterable of mappings
            Trial rows of this visit (``protocol``, ``side``, ``condition``, ``practice``,
            ``status``); rows of other steps are ignored.
        """
        mine = [
            r
            for r in stored
            if r["protocol"] == step.protocol
            and r["side"] == step.side
            and (r.get("condition") or None) == step.condition
        ]
        counted = ("valid", "failed", "invalid")
        practice = sum(1 for r in mine if r["practice"] and r["status"] in counted)
        valid = sum(1 for r in mine if not r["practice"] and r["status"] == "valid")
        failed = sum(1 for r in mine if not r["practice"] and r["status"] == "failed")
        if step.protocol == "lunge":
            return LungeProtocol(step.side, self.lunge, done_practice=practice, done_valid=valid)
        return BalanceProtocol(
            step.side,
            step.condition or "eo_firm",
            self.balance,
            done_practice=practice,
            done_valid=valid,
            done_failed=failed,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain description (for logs and the visit notes)."""
        return {
            "steps": [s.key for s in self.steps],
            "balance_s": self.balance.planned_s,
            "practice": self.lunge.practice_trials > 0 or self.balance.practice_trials > 0,
        }
