"""One visit's assessment: the plan's steps in order, each trial journaled and stored.

:class:`AssessmentRun` is what the assessment screen (and headless tools) drive. It owns the
protocol of the current step, turns its events into storage calls and keeps the trial's
recording journaled:

- ``armed`` → ``Database.begin_trial`` (status ``incomplete``) and the recording starts;
- while the protocol records, the samples of both devices are queued and written as a
  chunk every :attr:`chunk_s` (≤ 1 s, DESIGN.md "Reliability");
- an outcome → ``finish_trial`` with the last samples, in one transaction;
- a device lost mid-trial → the trial is kept as ``incomplete`` with the reason in words;
- a write that fails (the journal's, or ``begin_trial``) → the trial in progress stops, every
  trial whose data did not reach the database stops counting (its step wants it again), and
  a ``not_saved`` event says so in words. Nothing that failed is ever reported as saved.

Writes go through a journal (:mod:`clinic_app.protocols.journal`); ``begin_trial`` is the
one synchronous write, because the trial id is needed at once.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.protocols.events import ProtocolEvent, TrialOutcome
from clinic_app.protocols.journal import (
    SyncJournal,
    ThreadJournal,
    WriteFailure,
    describe_write_error,
)
from clinic_app.protocols.plan import SessionPlan, Step, TrialProtocol
from clinic_app.protocols.write_failures import WriteFailures, not_saved_writer, same_step
from clinic_app.protocols.writes import AppendChunk, FinishSession, FinishTrial
from clinic_app.storage import Database, StorageError

log = logging.getLogger(__name__)

SampleArray = npt.NDArray[np.void]
Prompt = Callable[[str, str | None, str | None], object]
Journal = SyncJournal | ThreadJournal

PATIENT_ACTIONS = ("lunge", "practice_lunge", "step_on", "step_off", "place_foot")
"""Prompt actions a (simulated) patient acts on; others (beep, go…) are for the screen."""


@dataclass(frozen=True)
class StepProgress:
    """How far one step of the plan is (for the step list).

    Attributes
    ----------
    step : Step
    state : {"todo", "current", "done"}
    valid, wanted : int
        Valid measured trials so far and needed.
    not_valid : int
        Measured trials that ended invalid, failed or incomplete.
    """

    step: Step
    state: str
    valid: int
    wanted: int
    not_valid: int


class AssessmentRun(WriteFailures):
    """Drive a visit's plan; see the module docstring.

    Parameters
    ----------
    db : Database
        Used for ``begin_trial`` and reads, on the caller's thread.
    session_id : int
        An ``in_progress`` visit.
    plan : SessionPlan
    journal : SyncJournal or ThreadJournal
        Where the other writes go (a thread journal needs its own connection).
    prompt : callable, optional
        ``prompt(action, side, condition)``: tells a simulated patient what to do next.
    chunk_s : float
        Journal period for recordings (s); at most 1.
    """

    def __init__(
        self,
        db: Database,
        session_id: int,
        plan: SessionPlan,
        journal: Journal,
        *,
        prompt: Prompt | None = None,
        chunk_s: float = 0.5,
    ) -> None:
        self.db = db
        self.session_id = session_id
        self.plan = plan
        self.journal = journal
        self.prompt = prompt
        self.chunk_s = min(chunk_s, 1.0)
        self.events: list[ProtocolEvent] = []
        self.outcomes: list[tuple[int, TrialOutcome]] = []
        self.trial_id: int | None = None
        self.finished = False
        self.not_saved: set[int] = set()
        """Trials whose recording or outcome did not reach the database."""
        self._finish_reason: str | None = None
        self.visit_end_saved = True
        """False if the end of the visit (status ``complete``) could not be written."""
        self._pending: dict[str, list[SampleArray]] = {}
        self._chunks: dict[str, int] = {}  # the next chunk number of each device
        self._last_chunk_t = 0.0
        self._rows = self._stored_rows()
        self.index = self._first_open_step()
        self.protocol: TrialProtocol = self.plan.make_protocol(self.step, self._rows)

    # ------------------------------------------------------------------ creation
    @classmethod
    def start(
        cls,
        db: Database,
        patient_id: int,
        plan: SessionPlan,
        journal: Journal,
        *,
        examiner: str = "",
        prompt: Prompt | None = None,
    ) -> AssessmentRun:
        """Create a new visit for ``patient_id``, store its plan, and start its first step."""
        session_id = db.create_session(
            patient_id, examiner, plan.lunge.site, test_plan=plan.to_json()
        )
        log.info("assessment started: session_id=%d plan=%s", session_id, plan.to_dict())
        return cls(db, session_id, plan, journal, prompt=prompt)

    @staticmethod
    def stored_plan(db: Database, session_id: int) -> SessionPlan | None:
        """The plan stored with the visit when it began, or None if it has none (a visit
        begun before schema v2, or created without one, e.g. by an import).

        Raises
        ------
        ValueError
            If the stored plan is malformed (the message says what is wrong).
        """
        data = db.get_session(session_id).test_plan
        return None if data is None else SessionPlan.from_json(data)

    @classmethod
    def resume(
        cls,
        db: Database,
        session_id: int,
        plan: SessionPlan | None,
        journal: Journal,
        *,
        prompt: Prompt | None = None,
    ) -> AssessmentRun:
        """Continue an interrupted visit: trials cut off by the interruption are closed as
        ``incomplete`` (their journaled samples kept), finished ones count.

        The visit runs with the plan stored when it began (:meth:`stored_plan`: its steps,
        durations, trial counts), whatever the setup screen shows now. ``plan`` is used
        only for a visit without a stored plan; it should then include the steps that
        already have trials.

        Raises
        ------
        ValueError
            If the stored plan is malformed, or the visit has none and ``plan`` is None.
        """
        stored = cls.stored_plan(db, session_id)
        if stored is None and plan is None:
            raise ValueError(f"session {session_id} has no stored test plan; choose the tests")
        chosen = stored if stored is not None else plan
        assert chosen is not None
        for trial in db.trials_for_session(session_id):
            if trial.ended_at is None:
                db.finish_trial(
                    trial.id,
                    "incomplete",
                    None,
                    "the program stopped during the trial; the samples up to then are kept",
                )
        log.info(
            "assessment resumed: session_id=%d plan=%s (%s)",
            session_id,
            chosen.to_dict(),
            "stored" if stored is not None else "rebuilt",
        )
        return cls(db, session_id, chosen, journal, prompt=prompt)

    # ------------------------------------------------------------------ steps
    @property
    def step(self) -> Step:
        """The step on screen."""
        return self.plan.steps[self.index]

    def progress(self) -> list[StepProgress]:
        """Every step with its state and counts (stored trials plus the current step)."""
        out = []
        for i, step in enumerate(self.plan.steps):
            proto = self.protocol if i == self.index else self.plan.make_protocol(step, self._rows)
            wanted = (
                self.plan.lunge.measured_trials
                if step.protocol == "lunge"
                else self.plan.balance.trials
            )
            rows = [r for r in self._rows if same_step(r, step) and not r["practice"]]
            not_valid = sum(1 for r in rows if r["status"] != "valid")
            state = "current" if i == self.index else ("done" if proto.finished else "todo")
            out.append(StepProgress(step, state, proto.valid_done, wanted, not_valid))
        return out

    def go_to(self, index: int, now_s: float) -> list[ProtocolEvent]:
        """Show step ``index`` (the trial in progress, if any, ends ``incomplete``)."""
        if not 0 <= index < len(self.plan.steps):
            raise IndexError(f"no step {index}")
        events = self._handle(self.protocol.abort(now_s), now_s)
        self.index = index
        self.protocol = self.plan.make_protocol(self.step, self._rows)
        return events + self._handle(self.protocol.start_step(now_s), now_s)

    def next_step(self, now_s: float) -> list[ProtocolEvent]:
        """Move to the next step that is not done; the visit completes after the last."""
        for i in range(self.index + 1, len(self.plan.steps)):
            if not self.plan.make_protocol(self.plan.steps[i], self._rows).finished:
                return self.go_to(i, now_s)
        for i in range(len(self.plan.steps)):  # steps skipped earlier
            if (
                i != self.index
                and not self.plan.make_protocol(self.plan.steps[i], self._rows).finished
            ):
                return self.go_to(i, now_s)
        return self.complete(now_s)

    @property
    def all_done(self) -> bool:
        """Every step has its trials."""
        return all(
            p.state == "done" or (p.state == "current" and self.protocol.finished)
            for p in self.progress()
        )

    def begin(self, now_s: float) -> list[ProtocolEvent]:
        """Announce the first step (prompts the patient where the step needs it)."""
        return self._handle(self.protocol.start_step(now_s), now_s)

    # ------------------------------------------------------------------ commands
    def space(self, now_s: float) -> list[ProtocolEvent]:
        """Space / foot pedal: arm, capture, or go on to the next test."""
        p = self.protocol
        if p.phase == "ready":
            return self._handle(p.arm(now_s), now_s)
        if p.phase == "live":
            return self._handle(p.capture(now_s), now_s)
        if p.phase == "done":
            return self.next_step(now_s)
        return []

    def retry(self, now_s: float) -> list[ProtocolEvent]:
        """R: repeat the trial in progress."""
        return self._handle(self.protocol.retry(now_s), now_s)

    def abort(self, now_s: float) -> list[ProtocolEvent]:
        """Esc: stop the trial in progress (kept as incomplete)."""
        return self._handle(self.protocol.abort(now_s), now_s)

    def enter_lunge(
        self,
        distance: str | float,
        pain_nrs: int | None,
        pain_location: str | None,
        now_s: float,
    ) -> list[ProtocolEvent]:
        """The distance and pain of the captured lunge (raises ``InputError`` in words)."""
        p = self.protocol
        if p.protocol != "lunge":
            return []
        return self._handle(p.enter(distance, pain_nrs, pain_location, now_s), now_s)  # type: ignore[union-attr]

    def device_lost(self, device: str, text: str, now_s: float) -> list[ProtocolEvent]:
        """A device stopped delivering samples during a trial."""
        return self._handle(self.protocol.device_lost(device, text, now_s), now_s)

    def complete(self, now_s: float, status: str = "complete") -> list[ProtocolEvent]:
        """End the visit as ``status`` (``complete``, or ``abandoned`` for a visit with
        nothing measured): the trial in progress, if any, is kept incomplete."""
        events = self._handle(self.protocol.abort(now_s), now_s)
        if not self.finished:
            self.finished = True
            sid = self.session_id
            for trial_id in sorted(self.not_saved):  # the disk may have recovered since
                self.journal.submit(not_saved_writer(trial_id, "a write failed"), quiet=True)
            self.journal.submit(FinishSession(sid, status), what="end of the visit")
            events.append(ProtocolEvent("step_done", now_s, "visit complete"))
            log.info("assessment ended: session_id=%d status=%s", sid, status)
        return events

    def interrupt(self, now_s: float) -> None:
        """The program is stopping (a signal, the end of the desktop session): journal the
        samples of the trial in progress so far and leave that trial and the visit open.

        Nothing is ended: :meth:`resume` later keeps the cut-off trial as ``incomplete``
        with its samples, exactly as after a crash. The caller then waits for the journal.
        """
        if self.trial_id is not None:
            self._flush_chunks(now_s)
        log.info("assessment interrupted: session_id=%d left open", self.session_id)

    # ------------------------------------------------------------------ data
    def feed(
        self, inclinometer: SampleArray | None, plate: SampleArray | None, now_s: float
    ) -> list[ProtocolEvent]:
        """New samples of both devices; journals them while the trial records.

        Failed writes reported by the journal since the last call come first, as a
        ``not_saved`` event (the trial in progress stops if it is one of them).
        """
        if self.finished:
            return []
        failed = self.check_storage(now_s)
        if failed:
            return failed
        recording = self.protocol.recording and self.trial_id is not None
        if recording:
            for name, batch in (("inclinometer", inclinometer), ("plate", plate)):
                if batch is not None and len(batch):
                    self._pending.setdefault(name, []).append(batch)
        events = self._handle(self.protocol.feed(inclinometer, plate, now_s), now_s)
        if self.trial_id is not None and now_s - self._last_chunk_t >= self.chunk_s:
            self._flush_chunks(now_s)
        return events

    def _flush_chunks(self, now_s: float) -> None:
        self._last_chunk_t = now_s
        trial_id = self.trial_id
        if trial_id is None:
            return
        for name, parts in self._take_pending().items():
            number = self._chunks.get(name, 0)
            self._chunks[name] = number + 1
            self.journal.submit(
                AppendChunk(trial_id, name, parts, number), trial_id=trial_id, what="recording"
            )

    def _take_pending(self) -> dict[str, SampleArray]:
        out = {k: np.concatenate(v) for k, v in self._pending.items() if v}
        self._pending = {}
        return out

    # ------------------------------------------------------------------ events
    def _handle(self, events: list[ProtocolEvent], now_s: float) -> list[ProtocolEvent]:
        for index, event in enumerate(events):
            self.events.append(event)
            if event.kind == "armed":
                try:
                    self._begin_trial(now_s)
                except (StorageError, sqlite3.Error) as exc:
                    log.error("begin_trial failed: %s", type(exc).__name__)
                    failure = WriteFailure(None, "new trial", describe_write_error(exc))
                    return events[:index] + self._storage_failed([failure], now_s)
            elif event.kind in ("completed", "invalid"):
                self._finish_trial(event.data["outcome"], now_s)
            elif event.kind == "prompt" and self.prompt is not None:
                action = event.data.get("action", "")
                if action in PATIENT_ACTIONS:
                    self.prompt(action, event.data.get("side"), event.data.get("condition"))
        return events

    def _begin_trial(self, now_s: float) -> None:
        p = self.protocol
        attempt = self.db.next_attempt(self.session_id, p.protocol, p.side, p.condition)
        self.trial_id = self.db.begin_trial(
            self.session_id, p.protocol, p.side, p.condition, attempt, p.practice
        )
        self._pending = {}
        self._chunks = {}
        self._last_chunk_t = now_s

    def _finish_trial(self, outcome: TrialOutcome, now_s: float) -> None:
        trial_id = self.trial_id
        if trial_id is None:
            return
        final = self._take_pending()
        if self._finish_reason is not None:
            outcome = dataclasses.replace(outcome, invalid_reason=self._finish_reason)
        self.journal.submit(
            FinishTrial(
                trial_id,
                outcome.status,
                dict(outcome.result) if outcome.result is not None else None,
                outcome.invalid_reason,
                final,
            ),
            trial_id=trial_id,
            what="trial result",
        )
        self.outcomes.append((trial_id, outcome))
        self._rows.append(
            {
                "id": trial_id,
                "protocol": outcome.protocol,
                "side": outcome.side,
                "condition": outcome.condition,
                "practice": outcome.practice,
                "status": outcome.status,
            }
        )
        self.trial_id = None
        log.info("trial %d finished: %s", trial_id, outcome.status)

    def _stored_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "id": t.id,
                "protocol": t.protocol,
                "side": t.side,
                "condition": t.condition,
                "practice": bool(t.practice),
                "status": t.status,
            }
            for t in self.db.trials_for_session(self.session_id)
        ]

    def _first_open_step(self) -> int:
        for i, step in enumerate(self.plan.steps):
            if not self.plan.make_protocol(step, self._rows).finished:
                return i
        return len(self.plan.steps) - 1
