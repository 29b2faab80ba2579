"""The tests of one visit, in order: what the clinician chose and how far the visit got.

A :class:`SessionPlan` is a list of :class:`Step` (one per protocol, side and condition)
plus the settings each protocol runs with. :meth:`SessionPlan.make_protocol` builds the
state machine of a step, continuing from the trials already stored (a resumed visit).

The plan is stored with the visit (``sessions.test_plan``, the Test plan JSON of
``docs/data-model.md``) through :meth:`SessionPlan.to_json` / :meth:`SessionPlan.from_json`,
so an interrupted visit resumes with the tests and settings chosen at its start.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.protocols.balance import BalanceProtocol, BalanceSettings
from clinic_app.protocols.events import CONDITION_SHORT, CONDITION_WORDS
from clinic_app.protocols.lunge import LungeProtocol, LungeSettings

SIDES = ("left", "right")
CONDITIONS = ("eo_firm", "ec_firm", "eo_foam", "ec_foam")
PROTOCOLS = ("lunge", "balance")

TEST_PLAN_SCHEMA = 1
"""Version of the Test plan JSON written by :meth:`SessionPlan.to_json`."""

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

    def to_json(self) -> dict[str, Any]:
        """The Test plan JSON of ``docs/data-model.md``: steps in order and every setting.

        Returns
        -------
        dict
            Plain JSON values only; :meth:`from_json` gives back an equal plan.
        """
        return {
            "schema": TEST_PLAN_SCHEMA,
            "steps": [
                {"protocol": s.protocol, "side": s.side, "condition": s.condition}
                for s in self.steps
            ],
            "lunge": _settings_json(self.lunge),
            "balance": _settings_json(self.balance),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> SessionPlan:
        """The plan of a Test plan JSON object (or its text), checked field by field.

        Raises
        ------
        ValueError
            If the plan is malformed, naming what is wrong (e.g. ``"test plan:
            balance.planned_s must be a number ≥ 0, not 'ten'"``).
        """
        parsed: object = data
        if isinstance(data, str):
            try:
                parsed = json.loads(data)
            except json.JSONDecodeError as exc:
                raise ValueError(f"test plan: not valid JSON ({exc.msg})") from exc
        plan = _check_keys(parsed, ("schema", "steps", "lunge", "balance"), "the plan")
        schema = plan["schema"]
        if schema != TEST_PLAN_SCHEMA or isinstance(schema, bool):
            raise ValueError(
                f"test plan: schema {schema!r} is not one this DorsiLab reads "
                f"({TEST_PLAN_SCHEMA}); a newer DorsiLab may have written it"
            )
        steps = _steps_from_json(plan["steps"])
        lunge = _settings_from_json(LungeSettings, plan["lunge"], "lunge")
        balance = _settings_from_json(BalanceSettings, plan["balance"], "balance")
        for name, value, low in (
            ("lunge.measured_trials", lunge.measured_trials, 1),
            ("balance.trials", balance.trials, 1),
        ):
            if value < low:
                raise ValueError(f"test plan: {name} must be at least {low}, not {value}")
        if not balance.planned_s > 0:
            raise ValueError(
                f"test plan: balance.planned_s must be above 0 s, not {balance.planned_s}"
            )
        if balance.body_mass_kg is not None and not balance.body_mass_kg > 0:
            raise ValueError(
                f"test plan: balance.body_mass_kg must be above 0 kg, not {balance.body_mass_kg}"
            )
        return cls(steps, lunge, balance)

    def to_dict(self) -> dict[str, Any]:
        """Plain description (for logs and the visit notes)."""
        return {
            "steps": [s.key for s in self.steps],
            "balance_s": self.balance.planned_s,
            "practice": self.lunge.practice_trials > 0 or self.balance.practice_trials > 0,
        }


# ---------------------------------------------------------------------------- Test plan JSON
def _settings_json(settings: Any) -> dict[str, Any]:
    """A frozen settings dataclass (nested ones too) as a JSON object, field by field."""
    return {
        f.name: _settings_json(value) if dataclasses.is_dataclass(value) else value
        for f in dataclasses.fields(settings)
        for value in (getattr(settings, f.name),)
    }


def _check_keys(data: object, names: Sequence[str], where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"test plan: {where} must be a JSON object, not {_kind(data)}")
    missing = [n for n in names if n not in data]
    unknown = sorted(str(k) for k in data if k not in names)
    if missing:
        raise ValueError(f"test plan: {where} has no {', '.join(missing)}")
    if unknown:
        raise ValueError(f"test plan: {where} has unknown field(s) {', '.join(unknown)}")
    return data


def _steps_from_json(data: object) -> list[Step]:
    if not isinstance(data, list) or not data:
        raise ValueError("test plan: steps must be a non-empty list of tests")
    steps: list[Step] = []
    for i, item in enumerate(data):
        where = f"steps[{i}]"
        item = _check_keys(item, ("protocol", "side", "condition"), where)
        protocol, side, condition = item["protocol"], item["side"], item["condition"]
        if protocol not in PROTOCOLS:
            raise ValueError(
                f"test plan: {where}.protocol must be lunge or balance, not {protocol!r}"
            )
        if side not in SIDES:
            raise ValueError(f"test plan: {where}.side must be left or right, not {side!r}")
        if protocol == "lunge" and condition is not None:
            raise ValueError(
                f"test plan: {where} is a lunge, which has no condition ({condition!r})"
            )
        if protocol == "balance" and condition not in CONDITIONS:
            raise ValueError(
                f"test plan: {where}.condition must be one of {', '.join(CONDITIONS)}, "
                f"not {condition!r}"
            )
        step = Step(protocol, side, condition)
        if step in steps:
            raise ValueError(f"test plan: {where} repeats the test {step.key}")
        steps.append(step)
    return steps


def _settings_from_json(cls: type[Any], data: object, where: str) -> Any:
    """Rebuild the settings dataclass ``cls`` from its JSON object, checking every field."""
    names = [f.name for f in dataclasses.fields(cls)]
    data = _check_keys(data, names, where)
    hints = typing.get_type_hints(cls)
    return cls(**{n: _field_value(hints[n], data[n], f"{where}.{n}") for n in names})


def _field_value(hint: Any, value: object, where: str) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _settings_from_json(hint, value, where)
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in allowed:
        return None
    if isinstance(value, bool):  # checked first: JSON true/false is never a count
        if bool in allowed:
            return value
    elif int in allowed and isinstance(value, int):
        if value >= 0:
            return value
    elif float in allowed and isinstance(value, int | float):
        if math.isfinite(value) and value >= 0:
            return float(value)
    elif str in allowed and isinstance(value, str):
        return value
    words = {bool: "true or false", int: "a whole number ≥ 0", float: "a number ≥ 0", str: "text"}
    wanted = " or ".join(words.get(t, "null") for t in allowed if t in words or t is type(None))
    raise ValueError(f"test plan: {where} must be {wanted}, not {value!r}")


def _kind(value: object) -> str:
    return {list: "a list", str: "text", type(None): "null"}.get(type(value), type(value).__name__)
