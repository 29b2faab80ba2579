"""One row of the ``trials`` table as the analysis reads it (``docs/data-model.md``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SIDES = ("left", "right")
CONDITIONS = ("eo_firm", "ec_firm", "eo_foam", "ec_foam")
STATUSES = ("valid", "invalid", "failed", "incomplete")
PROTOCOLS = ("lunge", "balance")


class TrialDataError(ValueError):
    """A trial record does not follow the data model (names the trial and field)."""


@dataclass(frozen=True)
class TrialRecord:
    """One row of the ``trials`` table (see ``docs/data-model.md``).

    Attributes
    ----------
    protocol : {"lunge", "balance"}
    side : {"left", "right"}
    condition : str or None
        ``eo_firm``/``ec_firm``/``eo_foam``/``ec_foam`` for balance, None for lunge.
    attempt : int
        1, 2, … within side + condition.
    practice : bool
    status : {"valid", "invalid", "failed", "incomplete"}
    result : dict
        The trial ``result`` JSON, decoded.
    invalid_reason : str or None
    id : int or None
        ``trials.id`` when the trial is stored.
    """

    protocol: str
    side: str
    condition: str | None
    attempt: int
    practice: bool
    status: str
    result: Mapping[str, Any] = field(default_factory=dict)
    invalid_reason: str | None = None
    id: int | None = None

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> TrialRecord:
        """Build from a database row or dict; ``result`` may be JSON text or a dict.

        Raises
        ------
        TrialDataError
            Naming the trial id and the field that is wrong.
        """
        ident = row.get("id")
        where = f"trial {ident}" if ident is not None else "trial"
        result = row.get("result") or {}
        if isinstance(result, str | bytes):
            try:
                result = json.loads(result)
            except json.JSONDecodeError as exc:
                raise TrialDataError(f"{where}: result is not valid JSON ({exc.msg})") from None
        if not isinstance(result, Mapping):
            raise TrialDataError(f"{where}: result must be a JSON object")
        record = cls(
            protocol=str(row.get("protocol", "")),
            side=str(row.get("side", "")),
            condition=row.get("condition"),
            attempt=int(row.get("attempt") or 0),
            practice=bool(row.get("practice", False)),
            status=str(row.get("status", "")),
            result=result,
            invalid_reason=row.get("invalid_reason"),
            id=None if ident is None else int(ident),
        )
        record.check()
        return record

    def check(self) -> None:
        """Raise :class:`TrialDataError` when a field is outside the data model."""
        where = f"trial {self.id}" if self.id is not None else "trial"
        if self.protocol not in PROTOCOLS:
            raise TrialDataError(f"{where}: protocol {self.protocol!r} is not lunge or balance")
        if self.side not in SIDES:
            raise TrialDataError(f"{where}: side {self.side!r} is not left or right")
        if self.status not in STATUSES:
            raise TrialDataError(f"{where}: status {self.status!r} is not one of {STATUSES}")
        if self.protocol == "balance" and self.condition not in CONDITIONS:
            raise TrialDataError(
                f"{where}: condition {self.condition!r} is not one of {CONDITIONS}"
            )

    @property
    def counts(self) -> bool:
        """True for a valid, measured (non-practice) trial: the ones that are averaged."""
        return self.status == "valid" and not self.practice
