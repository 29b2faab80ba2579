"""The assessment page (``"assessment"`` in ``main_window.PAGES``, Ctrl+T).

Flow: choose the tests (or resume an interrupted visit) → the live view runs the plan with
:class:`~clinic_app.protocols.runner.AssessmentRun`, fed by the 60 Hz
:class:`~clinic_app.ui.assessment.acquisition.AcquisitionBridge` → when every step is done
the visit is closed and the results page opens.

Keys work at page level (an application event filter while the page is visible), so a USB
foot pedal that types Space or R works whatever widget has the focus: **Space**
start/capture/next test,
**R** repeat the trial, **Esc** stop the trial, **N** next test. The recording is written
by a worker-thread journal (:class:`~clinic_app.protocols.journal.ThreadJournal`), so the
GUI never waits on the disk.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.analysis.lunge import InputError
from clinic_app.protocols.events import ProtocolEvent
from clinic_app.protocols.journal import ThreadJournal
from clinic_app.protocols.lunge import LungeProtocol
from clinic_app.protocols.runner import AssessmentRun, StepProgress
from clinic_app.protocols.spool import spool_for
from clinic_app.protocols.status import heel_words, trial_lines
from clinic_app.ui.assessment.acquisition import AcquisitionBridge
from clinic_app.ui.assessment.live import NUMERIC_ENTRY, LiveView, demo_tape_reader
from clinic_app.ui.assessment.setup import SetupView
from clinic_app.ui.assessment.storage_alert import StorageAlert
from clinic_app.ui.pages import PageHost
from clinic_app.ui.patients.page import format_date
from clinic_app.ui.plain_text import message_box
from clinic_app.ui.sounds import CuePlayer

log = logging.getLogger(__name__)

WAITING_FOR_SERVER = (
    "Not yet on the clinic server: it cannot be reached. {n} recording writes are kept and "
    "are written, in order, as soon as it is back. Keep DorsiLab open."
)

SampleArray = Any


def cue_for(event: ProtocolEvent) -> str | None:
    """The sound cue of a protocol event, if any (see :mod:`clinic_app.ui.sounds`).

    start: balance timing begins · end: a lunge captured or a balance trial valid ·
    failure: a heel lift, a failed or invalid trial (not one the clinician stopped) ·
    tick: each second of the countdown.
    """
    if event.kind == "prompt" and event.data.get("action") == "beep":
        return "tick"
    if event.kind == "started":
        return "start"
    if event.kind == "captured":
        return "end"
    if event.kind == "completed":
        outcome = event.data.get("outcome")
        return None if outcome is not None and outcome.protocol == "lunge" else "end"
    if event.kind == "heel_lifted":
        return "failure"
    if event.kind == "invalid":
        outcome = event.data.get("outcome")
        stopped = outcome is not None and outcome.status == "incomplete"
        lunge_heel = outcome is not None and outcome.protocol == "lunge"  # heard at the lift
        return None if stopped or lunge_heel else "failure"
    return None


def _trials(n: int, what: str) -> str:
    """ "1 finished trial is", "3 finished trials are" (never "trial(s)")."""
    return f"{n} {what} trial is" if n == 1 else f"{n} {what} trials are"


def missing_trials(progress: list[StepProgress]) -> list[str]:
    """The steps still short of valid trials, in words ("Balance L EO: 1 of 3 trials")."""
    return [
        f"{p.step.label}: {p.valid} of {p.wanted} trials"
        for p in progress
        if p.state != "done" and p.valid < p.wanted
    ]


def confirm(parent: QWidget, title: str, text: str, go: str, stay: str) -> bool:
    """Ask before data would be missing; the safe answer (stay) is the default.

    ``go`` carries a mnemonic ("&Next test anyway"): its letter alone confirms, so N then
    N skips a test from the keyboard, while Enter, Space or Esc stays.
    """
    box = message_box(
        parent, QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton
    )
    box.setObjectName("confirmMissingData")
    yes = box.addButton(go, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(stay, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def _typing_text(focus: QWidget | None) -> bool:
    """True when ``focus`` is a visible field that takes letters (the examiner's initials).

    Number-only fields (the knee-to-wall distance, the pain spin box) let the page's keys
    through, so "R" repeats the trial wherever the cursor is.
    """
    if not isinstance(focus, QLineEdit) or not focus.isVisible():
        return False
    if isinstance(focus.parentWidget(), QAbstractSpinBox):
        return False
    return not bool(focus.property(NUMERIC_ENTRY))


class AssessmentPage(QWidget):
    """Set up, run and finish a visit's tests for the selected patient."""

    def __init__(self, host: PageHost) -> None:
        super().__init__()
        self.host = host
        self.db: Any = host.db
        self.patient_id: int | None = None
        self.run: AssessmentRun | None = None
        self.journal: ThreadJournal | None = None
        self.bridge = AcquisitionBridge(getattr(host, "registry", None), parent=self)
        self.bridge.consumers.append(self._on_samples)
        self.bridge.lost_handlers.append(self._on_lost)
        self.beep = True  # sound cues on (tests and screenshots turn them off)
        self.sounds = CuePlayer.from_settings()
        self._shown_test: tuple[str, str, str | None] | None = None
        self.storage_alert = StorageAlert(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._stop_run)

        self.setup = SetupView()
        self.live = LiveView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.setup)
        self.stack.addWidget(self.live)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.setup.start_requested.connect(self.start_new)
        self.setup.resume_requested.connect(self.resume)
        self.setup.close_requested.connect(self._close_unfinished)
        self.live.step_clicked.connect(self._go_to)
        self.live.entry.submitted.connect(self.submit_entry)
        self.live.finish_button.clicked.connect(self.finish_visit)
        self._keys = {
            Qt.Key.Key_Space: self.key_space,
            Qt.Key.Key_R: self.key_retry,
            Qt.Key.Key_Escape: self.key_abort,
            Qt.Key.Key_N: self.key_next,
        }

    # ------------------------------------------------------------------ page contract
    def show_patient(self, patient_id: int | None) -> None:
        """The page is shown for ``patient_id`` (keeps a running visit of the same one)."""
        if self.run is not None and not self.run.finished and patient_id == self.patient_id:
            return
        if self.run is not None and not self.run.finished:
            self._stop_run()
        self.patient_id = patient_id
        self.stack.setCurrentWidget(self.setup)
        if patient_id is None:
            self.setup.heading.setText("New assessment — pick a patient first")
            self.setup.offer_resume(None)
            return
        patient = self.db.get_patient(patient_id)
        self.setup.heading.setText(f"New assessment — {patient.full_name}")
        if not self.setup.examiner.text().strip():  # who signed in, else the clinic's default
            self.setup.examiner.setText(self.db.examiner_default)
        self._offer_unfinished()

    def can_leave(self) -> bool:
        """Leaving during a trial stops it (kept as incomplete) after asking."""
        run = self.run
        if run is None or run.finished or not run.protocol.in_trial:
            return True
        answer = QMessageBox.question(
            self, "A trial is running", "Stop the trial in progress and leave this screen?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self._apply(run.abort(self.bridge.now()))
        return True

    def showEvent(self, event: QShowEvent) -> None:
        """Pull samples and listen to the keys only while the page is on screen."""
        super().showEvent(event)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        if self.run is not None and not self.run.finished:
            self.bridge.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """Stop the timer and the keys when another page is shown."""
        super().hideEvent(event)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.bridge.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Space, R, Esc and N for the whole window, whichever widget has the focus.

        A USB foot pedal types a key into whatever is focused, so the keys are taken at
        application level while this page is visible, except letters and Space typed into
        a text field (the distance) and keys with a modifier (menu shortcuts).
        """
        if event.type() != QEvent.Type.KeyPress or not self.isVisible():
            return False
        key_event = event if isinstance(event, QKeyEvent) else None
        if key_event is None or key_event.isAutoRepeat():
            return False
        slot = self._keys.get(Qt.Key(key_event.key()))
        if slot is None or key_event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if isinstance(watched, QWidget) and watched.window() is not self.window():
            return False  # a dialog on top has the keys
        if _typing_text(QApplication.focusWidget()) and key_event.key() != Qt.Key.Key_Escape:
            return False
        slot()
        return True

    # ------------------------------------------------------------------ start / resume
    def _offer_unfinished(self) -> None:
        unfinished = [s for s in self.db.unfinished_sessions() if s.patient_id == self.patient_id]
        if not unfinished:
            self.setup.offer_resume(None)
            return
        session = unfinished[-1]
        trials = self.db.trials_for_session(session.id)
        done = sum(1 for t in trials if t.ended_at is not None)
        self.setup.offer_resume(
            session.id,
            f"⚠ An assessment started {format_date(session.started_at)} was interrupted. "
            f"{_trials(done, 'finished')} saved. Resume it, or close it as it is.",
        )

    def _mass(self) -> float | None:
        if self.patient_id is None:
            return None
        mass = self.db.get_patient(self.patient_id).mass_kg
        return float(mass) if mass else None

    def _prompt(self) -> Any:
        patient = getattr(self.host, "demo_patient", None)
        return getattr(patient, "prompt", None)

    def start_new(self) -> None:
        """Create the visit with the chosen tests and show the first step."""
        if self.patient_id is None:
            self.setup.message.setText("Pick a patient in the list first.")
            return
        try:
            plan = self.setup.plan(self._mass())
        except ValueError as exc:
            self.setup.message.setText(f"{exc}.")
            return
        self.setup.message.clear()
        self._begin(
            lambda j: AssessmentRun.start(
                self.db,
                self.patient_id or 0,
                plan,
                j,
                examiner=self.setup.examiner.text(),
                prompt=self._prompt(),
            )
        )

    def resume(self, session_id: int) -> None:
        """Continue an interrupted visit where it stopped, with the plan stored at its start."""
        try:
            plan = AssessmentRun.stored_plan(self.db, session_id)
        except ValueError as exc:
            self.setup.message.setText(f"This visit cannot be resumed: {exc}.")
            return
        if plan is None:  # begun before plans were stored: the setup screen's choice
            keys = {
                ":".join(p for p in (t.protocol, t.side, t.condition) if p)
                for t in self.db.trials_for_session(session_id)
            }
            plan = self.setup.plan(self._mass(), keys)
        self._begin(
            lambda j: AssessmentRun.resume(self.db, session_id, plan, j, prompt=self._prompt())
        )

    def _begin(self, make: Any) -> None:
        self.sounds.reload()  # the volume may have changed in the settings
        self.journal = ThreadJournal(self.db.reopen, spool_for(self.db))
        self.run = make(self.journal)
        run = self.run
        assert run is not None
        self.live.show_alert("")
        self.live.log.clear()
        self.live.tape_reader = demo_tape_reader(self.host, self.patient_id)  # --demo only
        self.stack.setCurrentWidget(self.live)
        self.bridge.start()
        self._step_changed(run.begin(self.bridge.now()))
        self.setFocus()
        log.info("assessment page running session_id=%d", run.session_id)

    def _close_unfinished(self, session_id: int) -> None:
        trials = self.db.trials_for_session(session_id)
        for trial in trials:
            if trial.ended_at is None:
                self.db.finish_trial(
                    trial.id, "incomplete", None, "the program stopped during the trial"
                )
        status = "complete" if any(t.result for t in trials) else "abandoned"
        self.db.finish_session(session_id, status)
        self.host.notify(f"Interrupted visit closed ({status}).")
        self._offer_unfinished()
        self._visits_changed()

    def _visits_changed(self) -> None:
        """The start-up banner and the patient page follow a visit closed here."""
        for name in ("recovery_bar", "patient_page"):
            widget = getattr(self.host, name, None)
            update = getattr(widget, "check", None) or getattr(widget, "refresh", None)
            if callable(update):
                update()

    # ------------------------------------------------------------------ keys
    def key_space(self) -> None:
        """Space / pedal: arm, capture, save the typed distance, or the next test."""
        if self.run is not None and self.stack.currentWidget() is self.live:
            if self.run.protocol.phase == "entry":
                self.submit_entry()
                return
            self._apply(self.run.space(self.bridge.now()))
        elif self.stack.currentWidget() is self.setup:
            self.start_new()

    def key_retry(self) -> None:
        """R: repeat the trial in progress."""
        if self.run is not None:
            self._apply(self.run.retry(self.bridge.now()))

    def key_abort(self) -> None:
        """Esc: stop the trial in progress (kept as incomplete)."""
        if self.run is not None:
            self._apply(self.run.abort(self.bridge.now()))

    def key_next(self) -> None:
        """N: go on to the next test (the trial in progress is kept as incomplete).

        A test that still lacks trials is skipped only after asking (N again confirms,
        Enter or Esc stays): a stray key must not drop a whole test.
        """
        run = self.run
        if run is None or run.finished:
            return
        missing = missing_trials([p for p in run.progress() if p.state == "current"])
        if missing and not confirm(
            self,
            "Skip this test?",
            f"{missing[0]} is not finished. Go on to the next test without it? You can "
            "come back to it from the step list.",
            "&Next test anyway",
            "Stay on this test",
        ):
            return
        self._apply(run.next_step(self.bridge.now()))

    def submit_entry(self) -> None:
        """Distance and pain typed: finish the lunge trial (or say what is wrong)."""
        if self.run is None:
            return
        distance, pain, place = self.live.entry.values()
        try:
            events = self.run.enter_lunge(distance, pain, place, self.bridge.now())
        except InputError as exc:
            self.live.entry.show_problem(str(exc))
            return
        self.live.entry.reset()
        self.setFocus()
        self._apply(events)

    def _go_to(self, index: int) -> None:
        if self.run is None or self.run.finished or self.run.protocol.in_trial:
            return
        self._step_changed(self.run.go_to(index, self.bridge.now()))

    def finish_visit(self) -> None:
        """End the visit now (steps not done stay undone) and show the results.

        Asks first when tests are unfinished; a visit with nothing measured is closed as
        ``abandoned`` (kept, listed, counted nowhere), never as a complete visit.
        """
        run = self.run
        if run is None or run.finished:
            return
        progress = run.progress()
        measured = any(p.valid or p.not_valid for p in progress) or any(
            o.status != "incomplete" and not o.practice for _, o in run.outcomes
        )
        missing = missing_trials(progress)
        if not measured:
            if not confirm(
                self,
                "Nothing measured",
                "No trial has been measured in this visit. Close it as an empty visit? "
                "It stays in the visit list but counts nowhere.",
                "&Close the empty visit",
                "Go back to the tests",
            ):
                return
            self._apply(run.complete(self.bridge.now(), status="abandoned"))
            return
        if missing and not confirm(
            self,
            "Finish the visit?",
            "Not finished: " + ", ".join(missing) + ". Finish the visit without them?",
            "&Finish visit",
            "Go back to the tests",
        ):
            return
        self._apply(run.complete(self.bridge.now()))

    # ------------------------------------------------------------------ the frame
    def _on_samples(self, inc: SampleArray | None, plate: SampleArray | None, now: float) -> None:
        run = self.run
        if run is None or run.finished:
            return
        protocol = run.protocol
        events = run.feed(inc, plate, now)
        if protocol.protocol == "lunge":
            if inc is not None and len(inc):
                self.live.angle.extend(inc["t_host_s"], inc["tibia_deg"])
        elif plate is not None and len(plate):
            self.live.force.extend(plate["t_host_s"], plate["fz_n"])
            start = getattr(protocol, "t_start", None)
            if protocol.phase == "live" and start is not None:
                keep = plate["t_host_s"] >= start
                self.live.stabilogram.extend(plate["cop_x_mm"][keep], plate["cop_y_mm"][keep])
        self._apply(events)
        if self.run is not None and not self.run.finished:
            self.live.show_status(self.run.protocol.status())
            if isinstance(protocol, LungeProtocol):
                self.live.show_heel(*heel_words(protocol))
        if self.journal is not None and self.journal.error:
            self.live.show_alert(f"Recording problem: {self.journal.error}")
        elif self.journal is not None and self.journal.waiting_for_server:
            self.live.show_alert(WAITING_FOR_SERVER.format(n=self.journal.pending))

    def _on_lost(self, device: str, reason: str, now: float) -> None:
        if self.run is None or self.run.finished:
            return
        self.live.show_alert(f"The {device} is not delivering data: {reason}.")
        self._apply(self.run.device_lost(device, reason, now))

    # ------------------------------------------------------------------ events
    def _apply(self, events: list[ProtocolEvent]) -> None:
        if not events or self.run is None:
            return
        lines = []
        step_changed = False
        for e in events:
            cue = cue_for(e)
            if cue and self.beep:
                self.sounds.play(cue)
            if e.kind == "armed":
                self.live.angle.mark_capture(None)
                self.live.stabilogram.clear()
                self.live.show_alert("")
                self.live.entry.reset()  # no message of the last trial carries over
            elif e.kind == "captured":
                self.live.angle.mark_capture(float(e.data["angle_deg"]))
                self.live.entry.distance.setFocus()
            elif e.kind == "started":
                self.live.stabilogram.clear()
            elif e.kind == "completed" and self.run.protocol.protocol == "balance":
                self.live.stabilogram.draw_ellipse()
            elif e.kind == "step_done" and e.text == "visit complete":
                self._visit_complete()
                return
            elif e.kind == "not_saved":
                self.storage_alert.show(e)
            # A failure's words come once, with the trial's end ("touchdown" and the
            # heel lift are followed by the invalid trial that names the same reason).
            if e.kind in ("completed", "invalid", "captured", "not_saved"):
                lines.append(e.text)
            if e.kind in ("completed", "invalid", "step_done", "not_saved"):
                step_changed = True
            if e.kind == "prompt" and e.data.get("action") in ("place_foot", "step_on"):
                step_changed = True
        if lines:
            self.live.log.setText(" · ".join(lines[-3:]))
        if step_changed:
            self._step_changed([])

    def _step_changed(self, events: list[ProtocolEvent]) -> None:
        run = self.run
        if run is None:
            return
        if run.finished:
            self._visit_complete()
            return
        p = run.protocol
        # Another test: nothing of the last one stays. The same test with a new state
        # machine (a trial that was not saved is taken back) keeps what it said.
        test = (p.protocol, p.side, p.condition)
        if test != self._shown_test:
            self._shown_test = test
            self.live.clear_test()
        self.live.show_test(p.protocol, p.side)
        self.live.show_steps(run.progress())
        self.live.show_trials(trial_lines(p.outcomes, p.side, p.finished))
        bw = getattr(p, "body_weight_n", None)
        self.live.force.set_weight(bw)
        self.live.show_status(p.status())
        self._apply([e for e in events if e.kind != "step_done"])

    def _visit_complete(self) -> None:
        run = self.run
        if run is None:
            return
        self.bridge.stop()
        saved = self.storage_alert.end_of_visit(run, self.journal)  # honest about failures
        self.journal = None
        session_id = run.session_id
        self.run = None
        self.stack.setCurrentWidget(self.setup)
        self._offer_unfinished()
        self._visits_changed()
        self.host.notify(saved)
        self.host.open_session(session_id)

    def keep_for_later(self, wait_s: float) -> bool:
        """DorsiLab is stopping (a signal, the end of the desktop session): keep the visit.

        Asks nothing and ends nothing: the samples of the trial in progress are journaled
        and the trial left open, the queued writes are waited for (at most ``wait_s``
        seconds), and the visit stays ``in_progress`` so the next start offers to resume
        it. Returns False if writes were still queued after ``wait_s`` (what they carried
        is then lost; everything written before is kept, as after a crash).
        """
        run, journal = self.run, self.journal
        self.bridge.stop()
        if run is not None and not run.finished:
            run.interrupt(self.bridge.now())
        self.run = None
        self.journal = None
        written = journal is None or journal.flush(wait_s)
        if journal is not None and written:
            journal.close()
        elif journal is not None:
            log.warning("stopping with %d journal writes still queued", journal.pending)
        if run is not None:  # the visit is offered again should DorsiLab keep running
            self.stack.setCurrentWidget(self.setup)
            self._offer_unfinished()
            self._visits_changed()
        return written

    def _stop_run(self) -> None:
        if self.run is not None:
            self._apply(self.run.abort(self.bridge.now()))
        self.bridge.stop()
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self.run = None

    def closeEvent(self, event: Any) -> None:
        """Let queued writes finish when the window closes."""
        self._stop_run()
        super().closeEvent(event)
