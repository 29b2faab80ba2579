"""Progression plans: every edit is a new version, none is overwritten.

Version 1 is the plan as generated; each save after that (the clinician's edits) gets
the next number, so a report can always show exactly the plan that was handed out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import EllipsisType
from typing import Any

from clinic_app.storage._base import StoreBase
from clinic_app.storage._sql import Row
from clinic_app.storage._util import from_json, to_json, utc_now
from clinic_app.storage.errors import ConcurrentChangeError
from clinic_app.storage.sessions import clean_json

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """One saved version of a session's plan (the Plan JSON of ``docs/data-model.md``)."""

    id: int
    session_id: int
    version: int
    plan: dict[str, Any]
    edited_by: str
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> StoredPlan:
        """Build from a ``plans`` row."""
        return cls(
            id=row["id"],
            session_id=row["session_id"],
            version=row["version"],
            plan=from_json(row["plan"]),
            edited_by=row["edited_by"],
            created_at=row["created_at"],
        )


class PlanStore(StoreBase):
    """Plan methods of :class:`~clinic_app.storage.Database`."""

    def save_plan(
        self,
        session_id: int,
        plan: Mapping[str, Any],
        edited_by: str,
        *,
        based_on: int | EllipsisType | None = ...,
    ) -> int:
        """Save a new version of a session's plan; return its version number (1, 2, …).

        ``edited_by`` is who generated or edited it (``"generator"`` or the clinician).
        ``based_on`` is the version an editor showed (None: it showed no stored plan);
        if another workstation saved a version since, nothing is saved. Left out, the
        plan is saved whatever came before (the generator's own first version).

        Raises
        ------
        ConcurrentChangeError
            Another version was saved after ``based_on`` (who and when are named).
        """
        text = to_json(clean_json(plan))
        with self.transaction():
            self._require_row("sessions", session_id, "session")
            latest = self.latest_plan(session_id)
            if based_on is not ... and latest is not None and latest.version != based_on:
                raise ConcurrentChangeError(
                    "This visit's plan", latest.edited_by, latest.created_at
                )
            version = 1 if latest is None else latest.version + 1
            if version > 1:  # the generated plan is version 1; later ones are edits
                self.require("edit_plan")
            try:
                plan_id = self._insert(
                    "plans",
                    {"session_id": session_id, "version": version, "plan": text,
                     "edited_by": edited_by, "created_at": utc_now()},
                )  # fmt: skip
            except Exception as exc:
                if "unique" not in str(exc).lower():
                    raise
                # Two server sessions numbered the same version at once: the later loses.
                raise ConcurrentChangeError(
                    "This visit's plan", "another workstation", utc_now()
                ) from exc
            self.record_audit(
                "create", "plan", plan_id,
                {"session_id": session_id, "version": version},
            )  # fmt: skip
        log.info("plan v%d saved for session %d", version, session_id)
        return version

    def latest_plan(self, session_id: int) -> StoredPlan | None:
        """The newest version of a session's plan, or None if none was saved."""
        row = self._row(
            "SELECT * FROM plans WHERE session_id = :session ORDER BY version DESC LIMIT 1",
            {"session": session_id},
        )
        return StoredPlan.from_row(row) if row else None

    def plan_versions(self, session_id: int) -> list[StoredPlan]:
        """Every saved version of a session's plan, oldest first."""
        rows = self._rows(
            "SELECT * FROM plans WHERE session_id = :session ORDER BY version",
            {"session": session_id},
        )
        return [StoredPlan.from_row(row) for row in rows]
