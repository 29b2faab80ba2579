"""SIGTERM, Ctrl+C and the end of the session stop DorsiLab mid-visit without losing it.

The end-to-end tests run the real ``clinic-app --demo`` in a child process
(:mod:`clinic_app.ui.shutdown_probe`: the same start, with a scripted clinician working in
real time on the simulated devices), let it store a lunge and record part of the next one,
then send the signal. The process must end by itself with ``128 + signal``, the database
must hold the stored trial and the samples of the cut one, and the next start must offer
the visit for resuming. The time to exit is a bench figure (``clinic-app bench --only
shutdown``), not asserted here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from clinic_app.bench.shutdown import ms_to_exit, reap, wait_for_line
from clinic_app.commands import AppContext
from clinic_app.storage import Database
from clinic_app.ui import shutdown
from clinic_app.ui.main_window import MainWindow
from drivers.registry import default_registry
from tests.conftest import REPO_ROOT

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

READY_LIMIT_S = 150.0
"""Real time for the demo visit to store a lunge and record the next (about 20 s)."""
EXIT_LIMIT_S = 30.0
"""Generous: the process must end by itself; how fast is the bench's business."""


@pytest.fixture(autouse=True)
def _close_devices() -> Iterator[None]:
    """A resumed visit opens the devices; later tests must find none left open."""
    yield
    default_registry().close_all()
    default_registry().clear()


def _visit_then_signal(
    db_path: Path, tmp_path: Path, signum: int, question: bool
) -> tuple[subprocess.Popen[str], dict[str, list[int]], str]:
    """Run the probe to a trial in progress, send ``signum``; (child, facts, stderr)."""
    stderr_file = tmp_path / "child-stderr.txt"
    args = ["--db", str(db_path), "--stored", "1"] + (["--question"] if question else [])
    with open(stderr_file, "w", encoding="utf-8") as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "clinic_app.ui.shutdown_probe", *args],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            lines = wait_for_line(
                child, "question" if question else "recording", READY_LIMIT_S, stderr_file
            )
            elapsed = ms_to_exit(child, signum, EXIT_LIMIT_S)
            assert elapsed is not None, f"still running {EXIT_LIMIT_S:g} s after the signal"
        finally:
            reap(child)
    facts: dict[str, list[int]] = {}
    for line in lines:
        word, *numbers = line.split()
        facts.setdefault(word, []).extend(int(n) for n in numbers)
    return child, facts, stderr_file.read_text(encoding="utf-8", errors="replace")


@posix_only
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "question"),
    [("SIGTERM", True), ("SIGINT", False)],
    ids=["sigterm-with-the-question-open", "ctrl-c-mid-trial"],
)
def test_a_signal_mid_visit_keeps_the_trials_and_the_next_start_offers_the_visit(
    qtbot: Any, tmp_path: Path, name: str, question: bool
) -> None:
    signum = int(getattr(signal, name))
    db_path = tmp_path / "demo.sqlite3"
    child, facts, stderr = _visit_then_signal(db_path, tmp_path, signum, question)

    assert child.returncode == 128 + signum, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert f"DorsiLab stopped ({name})" in stderr
    (session_id,) = facts["session"]
    (stored,) = facts["stored"]
    cut, samples_seen = facts["recording"]

    with Database.open(db_path) as db:
        assert db.get_session(session_id).status == "in_progress"
        assert session_id in [s.id for s in db.unfinished_sessions()]
        kept = db.get_trial(stored)
        assert kept.status == "valid" and kept.result is not None
        assert kept.result["distance_cm"] > 0
        assert db.recording_sample_count(stored, "inclinometer") > 100
        open_trial = db.get_trial(cut)
        assert open_trial.ended_at is None, "the cut trial is left for resume, not ended"
        assert db.recording_sample_count(cut, "inclinometer") >= samples_seen > 0

        # The next start: the banner, then the visit resumed where it stopped.
        window = MainWindow(AppContext(db_path=db_path, demo=False), db)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        bar = window.recovery_bar
        assert bar.isVisible() and "interrupted" in bar.message.text()
        QTest.mouseClick(bar.open_button, Qt.MouseButton.LeftButton)
        patient_id = db.get_session(session_id).patient_id
        assert window.current_patient_id == patient_id
        assert window.show_page("assessment")
        page = window.page("assessment")
        assert page.setup.resume_box.isVisible()
        assert "1 finished trial" in page.setup.resume_text.text()
        QTest.mouseClick(page.setup.resume_button, Qt.MouseButton.LeftButton)
        try:
            assert page.run is not None and page.run.session_id == session_id
            assert page.run.protocol.valid_done == 1
            closed = db.get_trial(cut)
            assert closed.status == "incomplete" and "program stopped" in closed.invalid_reason
            assert db.recording_sample_count(cut, "inclinometer") >= samples_seen
        finally:
            page._stop_run()  # nothing left running: closing would ask the clinician
            window.close()


@posix_only
def test_a_signal_reaches_the_qt_event_loop_and_the_old_handler_comes_back(qtbot: Any) -> None:
    before = signal.getsignal(signal.SIGUSR1)
    notifier = shutdown.SignalNotifier([signal.SIGUSR1])
    try:
        assert signal.getsignal(signal.SIGUSR1) is not before
        with qtbot.waitSignal(notifier.received, timeout=5000) as received:
            os.kill(os.getpid(), signal.SIGUSR1)  # while Qt's event loop waits
        assert received.args == [signal.SIGUSR1]
    finally:
        notifier.uninstall()
    assert signal.getsignal(signal.SIGUSR1) is before


@posix_only
def test_a_signal_ignored_at_start_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        numbers = shutdown.stopping_signals()
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert signal.SIGHUP not in numbers
    assert {signal.SIGTERM, signal.SIGINT} <= set(numbers)


def test_exit_status_follows_the_shell_convention() -> None:
    assert shutdown.exit_status(signal.SIGTERM) == 143
    assert shutdown.exit_status(signal.SIGINT) == 130
    assert shutdown.signal_name(signal.SIGTERM) == "SIGTERM"


@pytest.fixture
def mid_trial(qtbot: Any, make_window: Any, db: Database) -> dict[str, Any]:
    """The real window on a lunge in progress (manual clock), with samples not yet stored."""
    from clinic_app.ui.assessment.script import ScriptedVisit, simulated_patient
    from drivers.simulated import ManualClock
    from tests.ui.conftest import PATIENT

    patient_id = db.create_patient(PATIENT).id
    clock = ManualClock(start_s=100.0)
    simulated = simulated_patient(clock, 61.5)
    window = make_window(demo=True)
    window.demo_patient = simulated
    window.select_patient(patient_id)
    assert window.show_page("assessment")
    page = window.page("assessment")
    page.beep = False
    page.setup.practice.setChecked(False)
    for box in page.setup.conditions.values():
        box.setChecked(False)
    page.start_new()
    page.bridge.stop()  # the test ticks the bridge on the manual clock
    run = page.run
    visit = ScriptedVisit(page, simulated, clock)
    visit.until(lambda: simulated.idle)
    page.key_space()  # arm the first lunge
    visit.until(lambda: run.protocol.phase == "live" and clock.now() > 101.0 and run._pending)
    assert run.trial_id is not None
    pending = sum(len(b) for b in run._pending.get("inclinometer", []))
    page.journal.flush(10)
    stored = db.recording_sample_count(run.trial_id, "inclinometer")
    assert pending > 0  # samples that are not yet in the database
    # A test leaves no trial running: pytest-qt closes the window (which would ask)
    # before this fixture could stop it.
    return {"window": window, "page": page, "run": run, "pending": pending, "stored": stored}


def _guard(window: Any, quits: list[int]) -> shutdown.ShutdownGuard:
    """The real guard, whose loop ending is recorded (pytest's own loop must go on)."""
    guard = shutdown.ShutdownGuard(
        QApplication.instance(), quit_loop=quits.append, force_exit_s=None
    )
    guard.attach(window)
    return guard


def _kept_for_later(mid_trial: dict[str, Any], db: Database) -> None:
    page, run = mid_trial["page"], mid_trial["run"]
    assert QApplication.activeModalWidget() is None
    assert page.run is None and page.journal is None
    expected = mid_trial["stored"] + mid_trial["pending"]
    assert db.recording_sample_count(run.trial_id, "inclinometer") == expected
    assert db.get_trial(run.trial_id).ended_at is None
    assert db.get_session(run.session_id).status == "in_progress"


def test_the_end_of_the_session_keeps_the_trial_in_progress_without_a_question(
    mid_trial: dict[str, Any], db: Database
) -> None:
    """commitDataRequest mid-trial: samples stored, visit left open, nothing asked.

    Qt hands the slot a ``QSessionManager`` that only a real session manager can make (its
    constructor is private); the slot must not touch it (no ``allowsInteraction()``
    dialog, no ``cancel()``), so it is called here as Qt would, with None for the manager.
    """
    quits: list[int] = []
    guard = _guard(mid_trial["window"], quits)
    try:
        guard.keep_for_session_end(None)
    finally:
        guard.uninstall()
    assert quits == [] and guard.status is None  # the session, not DorsiLab, ends it
    _kept_for_later(mid_trial, db)
    assert mid_trial["page"].setup.resume_box.isVisible()  # should the log-out be cancelled
    assert mid_trial["window"].recovery_bar.isVisible()


@posix_only
def test_sigterm_in_process_keeps_the_trial_and_ends_the_loop_with_143(
    qtbot: Any, mid_trial: dict[str, Any], db: Database
) -> None:
    quits: list[int] = []
    guard = _guard(mid_trial["window"], quits)
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # a real one: the guard's handler takes it
        qtbot.waitUntil(lambda: quits != [], timeout=5000)
    finally:
        guard.uninstall()
    assert quits == [143] and guard.status == 143
    _kept_for_later(mid_trial, db)


@posix_only
def test_a_failure_while_keeping_still_stops_and_logs_no_patient_data(
    qtbot: Any, mid_trial: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_wait_s: float) -> bool:
        raise RuntimeError("García, Ana: the disk went away")

    mid_trial["page"].keep_for_later = broken
    quits: list[int] = []
    guard = _guard(mid_trial["window"], quits)
    try:
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: quits != [], timeout=5000)
    finally:
        guard.uninstall()
        del mid_trial["page"].keep_for_later
        mid_trial["page"]._stop_run()  # no trial left running (see mid_trial)
    assert quits == [130]
    assert "keeping the work failed" in caplog.text and "RuntimeError" in caplog.text
    assert "García" not in caplog.text


HANGING_CHILD = """
import sys, time
from PySide6.QtWidgets import QApplication
from clinic_app.ui import shutdown

class HungDisk:
    def stop_without_asking(self, wait_s):
        time.sleep(120)  # a write that never returns

app = QApplication(sys.argv[:1])
guard = shutdown.ShutdownGuard(app, force_exit_s=1.0)
guard.attach(HungDisk())
print("ready", flush=True)
app.exec()
"""


@posix_only
def test_a_hung_stop_is_ended_by_the_watchdog_with_the_signals_status(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HANGING_CHILD],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_line(child, "ready", 60)
        assert ms_to_exit(child, signal.SIGTERM, EXIT_LIMIT_S) is not None
    finally:
        reap(child)
    assert child.returncode == 143
