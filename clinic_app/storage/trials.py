"""Trials (one attempt of one test), journaled for crash safety: begun ``incomplete``,
samples committed at least once a second (:mod:`clinic_app.storage.recordings`), finished
with their result and last samples in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy.typing as npt

from clinic_app.storage._util import new_uid, to_json, utc_now
from clinic_app.storage.errors import StorageError
from clinic_app.storage.recordings import RecordingStore
from clinic_app.storage.visit_records import (
    BALANCE_CONDITIONS,
    PROTOCOLS,
    SIDES,
    TRIAL_STATUSES,
    Session,
    Trial,
    clean_json,
)

log = logging.getLogger(__name__)


class TrialStore(RecordingStore):
    """Trial methods of :class:`~clinic_app.storage.Database`."""

    def _session_of(self, session_id: int) -> Session:
        return Session.from_row(self._require_row("sessions", session_id, "session"))

    def begin_trial(
        self,
        session_id: int,
        protocol: str,
        side: str,
        condition: str | None = None,
        attempt: int = 1,
        practice: bool = False,
        *,
        started_at: str | None = None,
    ) -> int:
        """Journal the start of a trial (status ``incomplete``); return its id.

        Parameters
        ----------
        protocol : {"lunge", "balance"}
        side : {"left", "right"}
        condition : str or None
            None for lunge; ``eo_firm``, ``ec_firm``, ``eo_foam`` or ``ec_foam`` for balance.
        attempt : int
            1, 2, … within side and condition (see :meth:`next_attempt`).
        practice : bool
            A familiarisation trial, not scored.
        """
        _check_trial_kind(protocol, side, condition)
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, not {attempt}")
        with self.transaction():
            session = self._session_of(session_id)
            if session.status != "in_progress":
                raise StorageError(
                    f"Session {session_id} is {session.status}; start a new assessment to "
                    "record more trials."
                )
            trial_id = self._insert(
                "trials",
                {"session_id": session_id, "uid": new_uid(), "protocol": protocol, "side": side,
                 "condition": condition, "attempt": attempt, "practice": int(practice),
                 "status": "incomplete", "started_at": started_at or utc_now()},
            )  # fmt: skip
            self.record_audit("create", "trial", trial_id, {"session_id": session_id})
        log.info("trial %d begun in session %d (%s %s)", trial_id, session_id, protocol, side)
        return trial_id

    def finish_trial(
        self,
        trial_id: int,
        status: str,
        result: Mapping[str, Any] | None,
        invalid_reason: str | None = None,
        *,
        final_samples: Mapping[str, npt.NDArray[Any]] | None = None,
        ended_at: str | None = None,
    ) -> None:
        """Store a trial's outcome atomically, with its last samples.

        Parameters
        ----------
        status : {"valid", "invalid", "failed", "incomplete"}
            ``incomplete`` for a trial cut short (e.g. a device unplugged): it is kept
            with the samples so far.
        result : mapping or None
            The result JSON of ``docs/data-model.md``. NaN/inf become null.
        invalid_reason : str, optional
            Why the trial is invalid or failed (e.g. ``heel_lift``); None for valid ones.
        final_samples : mapping, optional
            ``{device: samples}`` not yet journaled, appended in the same transaction.

        Raises
        ------
        StorageError
            If the trial was already finished.
        """
        if status not in TRIAL_STATUSES:
            raise ValueError(f"trial status must be one of {TRIAL_STATUSES}, not {status!r}")
        if status == "valid" and invalid_reason:
            raise ValueError("a valid trial has no invalid_reason")
        result_json = None if result is None else to_json(clean_json(result))
        with self.transaction():
            trial = self.get_trial(trial_id)
            if trial.ended_at is not None:
                raise StorageError(f"Trial {trial_id} is already finished ({trial.status}).")
            for device, samples in (final_samples or {}).items():
                self._append_chunk(trial_id, device, samples)
            self._execute(
                "UPDATE trials SET status = :status, result = :result, "
                "invalid_reason = :reason, ended_at = :ended WHERE id = :id",
                {"status": status, "result": result_json, "reason": invalid_reason,
                 "ended": ended_at or utc_now(), "id": trial_id},
            )  # fmt: skip
            self.record_audit(
                "update", "trial", trial_id,
                {"fields": ["ended_at", "invalid_reason", "result", "status"]},
            )  # fmt: skip
        log.info("trial %d finished as %s", trial_id, status)

    def get_trial(self, trial_id: int) -> Trial:
        """The trial with this id (NotFoundError if none)."""
        return Trial.from_row(self._require_row("trials", trial_id, "trial"))

    def trials_for_session(self, session_id: int) -> list[Trial]:
        """A visit's trials in recording order."""
        rows = self._rows(
            "SELECT * FROM trials WHERE session_id = :session ORDER BY id", {"session": session_id}
        )
        return [Trial.from_row(row) for row in rows]

    def next_attempt(
        self, session_id: int, protocol: str, side: str, condition: str | None = None
    ) -> int:
        """The attempt number the next trial of this kind in this visit should have."""
        same_condition = "condition IS NULL" if condition is None else "condition = :condition"
        row = self._row(
            "SELECT MAX(attempt) AS n FROM trials WHERE session_id = :session "
            f"AND protocol = :protocol AND side = :side AND {same_condition}",
            {"session": session_id, "protocol": protocol, "side": side, "condition": condition},
        )
        return int(row["n"] or 0) + 1 if row else 1


def _check_trial_kind(protocol: str, side: str, condition: str | None) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    if protocol == "lunge" and condition is not None:
        raise ValueError("a lunge trial has no condition (use None)")
    if protocol == "balance" and condition not in BALANCE_CONDITIONS:
        raise ValueError(f"a balance trial needs a condition from {BALANCE_CONDITIONS}")
