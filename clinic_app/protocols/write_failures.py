"""What the assessment does when a write to the database fails (issue 12 §1).

:class:`WriteFailures` is part of :class:`~clinic_app.protocols.runner.AssessmentRun`: a
failed write (the journal's, reported by ``take_failures()``, or ``begin_trial``) is never
reported as saved. The trial in progress stops if its data was lost; every trial whose
recording or outcome did not reach the database stops counting (its test asks for it
again); a trial of the same test still running ends, kept and saying why; and one
``not_saved`` event says what was lost and why, in words, for the screen's alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clinic_app.protocols.events import ProtocolEvent, TrialOutcome
from clinic_app.protocols.journal import SyncJournal, ThreadJournal, WriteFailure
from clinic_app.protocols.plan import SessionPlan, Step, TrialProtocol
from clinic_app.storage import Database

if TYPE_CHECKING:
    Journal = SyncJournal | ThreadJournal

log = logging.getLogger(__name__)


class WriteFailures:
    """The failed-write handling of an assessment run (a mixin of ``AssessmentRun``)."""

    journal: Journal
    plan: SessionPlan
    protocol: TrialProtocol
    session_id: int
    trial_id: int | None
    finished: bool
    events: list[ProtocolEvent]
    outcomes: list[tuple[int, TrialOutcome]]
    not_saved: set[int]
    visit_end_saved: bool
    _rows: list[dict[str, Any]]
    _pending: dict[str, Any]
    _finish_reason: str | None

    @property
    def step(self) -> Step:  # provided by AssessmentRun
        raise NotImplementedError

    def _handle(self, events: list[ProtocolEvent], now_s: float) -> list[ProtocolEvent]:
        raise NotImplementedError  # provided by AssessmentRun

    def check_storage(self, now_s: float) -> list[ProtocolEvent]:
        """Collect the journal's failed writes; a ``not_saved`` event if there were any."""
        failures = self.journal.take_failures()
        return self._storage_failed(failures, now_s) if failures else []

    def _storage_failed(self, failures: list[WriteFailure], now_s: float) -> list[ProtocolEvent]:
        """Stop the trial in progress and un-count every trial that was not stored."""
        lost = {f.trial_id for f in failures if f.trial_id is not None}
        visit_end = any(f.trial_id is None and f.what == "end of the visit" for f in failures)
        other = any(f.trial_id is None and f.what != "end of the visit" for f in failures)
        current = self.trial_id
        stopped = (current is not None and current in lost) or (other and self.protocol.in_trial)
        if stopped:
            # The trial in progress cannot be stored any more: stop it without writing an
            # outcome ("stopped by the clinician" would be untrue).
            self.trial_id = None
            self._pending = {}
            self.events.extend(self.protocol.abort(now_s))
        new = lost - self.not_saved
        if not new and not other and (not visit_end or not self.visit_end_saved):
            return []  # later writes of a trial already reported
        self.visit_end_saved = self.visit_end_saved and not visit_end
        self.not_saved |= lost
        if (
            current is not None
            and current in new
            and not any(r["id"] == current for r in self._rows)
        ):
            p = self.protocol
            self._rows.append(
                {"id": current, "protocol": p.protocol, "side": p.side,
                 "condition": p.condition, "practice": p.practice, "status": "not_saved"}
            )  # fmt: skip
        labels = []
        for row in self._rows:
            if row["id"] in new:
                row["status"] = "not_saved"
                labels.append(Step(row["protocol"], row["side"], row.get("condition")).label)
                stopped = stopped or same_step(row, self.step)
        self.outcomes = [(tid, o) for tid, o in self.outcomes if tid not in lost]
        events: list[ProtocolEvent] = []
        if stopped and self.protocol.in_trial:
            # An earlier trial of this test was lost while another one runs: that one ends
            # (kept as incomplete, saying why), so the test's count is rebuilt from what
            # was really stored.
            self._finish_reason = "stopped: an earlier trial of this test was not saved"
            try:
                events += self._handle(self.protocol.abort(now_s), now_s)
            finally:
                self._finish_reason = None
        reason = next((f.reason for f in failures if f.trial_id in new or f.trial_id is None),
                      failures[0].reason)  # fmt: skip
        for trial_id in sorted(new):
            self.journal.submit(not_saved_writer(trial_id, reason), quiet=True)
        if stopped and not self.finished and not self.protocol.in_trial:
            # This step's counts come from the stored rows: the lost trial is wanted again.
            self.protocol = self.plan.make_protocol(self.step, self._rows)
            events += self._handle(self.protocol.start_step(now_s), now_s)
        what = sorted({f.what for f in failures if f.what})
        text = f"Not saved: {reason}."
        event = ProtocolEvent(
            "not_saved",
            now_s,
            text,
            {
                "trial_ids": sorted(new),
                "steps": sorted(set(labels)),
                "what": what,
                "reason": reason,
                "visit_end": not self.visit_end_saved,
            },
        )
        self.events.append(event)
        log.error(
            "write failed (%s): %d trial(s) not saved in session_id=%d",
            ", ".join(what) or "?",
            len(new),
            self.session_id,
        )
        return [event, *events]


def not_saved_writer(trial_id: int, reason: str) -> Callable[[Database], Any]:
    """Close a trial that could not be stored as ``incomplete``, saying why (best effort:
    it succeeds only if the database accepts writes again; the journal refused every
    later write of that trial, so it was never stored as finished)."""

    def write(db: Database) -> Any:
        if db.get_trial(trial_id).ended_at is None:
            db.finish_trial(trial_id, "incomplete", None, f"not saved: {reason}")

    return write


def same_step(row: dict[str, Any], step: Step) -> bool:
    return bool(
        row["protocol"] == step.protocol
        and row["side"] == step.side
        and (row.get("condition") or None) == step.condition
    )
