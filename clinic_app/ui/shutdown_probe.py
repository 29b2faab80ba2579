"""The real app in the middle of a visit, for the shutdown bench and tests.

``python -m clinic_app.ui.shutdown_probe --db PATH [--stored N] [--balance] [--question]``
runs ``clinic-app --demo --db PATH`` (the same :func:`clinic_app.cli.main` and
:func:`~clinic_app.ui.app.run_gui`, signal handling included) with a scripted clinician
beside it. The clinician picks the first demo patient with a body mass, starts a visit
(lunges without practice, or one balance condition with ``--balance``) and works through it
in real time with the simulated devices, as a clinician at the keyboard would: Space to
arm, the demo's tape reading accepted. It prints one line per fact, flushed at once::

    session 12          the visit began
    stored 40           a trial's outcome is in the database
    recording 43 52     the trial in progress has samples in the database (52 so far)
    question            (``--question``) a modal question is on screen, unanswered

After ``N`` stored trials (default 2) and the ``recording`` line the clinician stops
acting, leaving the trial in progress; with ``--question`` it first tries to open the
patient page, so that "Stop the trial in progress and leave this screen?" waits for an
answer that never comes (what a clinician called away leaves on screen). The parent
(:mod:`clinic_app.bench.shutdown`, ``tests/ui/test_shutdown.py``) then sends a signal and
watches the process end.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

TICK_MS = 50
"""How often the scripted clinician looks at the screen (ms)."""


def say(line: str) -> None:
    """One line on stdout, flushed so the parent reads it at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Clinician(QObject):
    """Drives the real assessment page from a timer, never blocking the event loop."""

    def __init__(self, stored_before_stop: int, balance: bool, question: bool) -> None:
        super().__init__()
        self.stored_before_stop = stored_before_stop
        self.balance = balance
        self.question = question
        self.asked = False
        self.window: Any = None
        self.page: Any = None
        self.reported: set[int] = set()
        self.recording: int | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.step)
        self.timer.start()

    def step(self) -> None:
        """Look at the screen and do what a clinician would do next."""
        if self.window is None:
            self._find_window()
            return
        page = self.page
        run = page.run
        if run is None:
            return
        self._report_stored(run)
        if len(self.reported) >= self.stored_before_stop:
            self._watch_recording(run)
            if self.recording is not None:
                self._leave_trial_running()
                return
        phase = run.protocol.phase
        patient = self.window.demo_patient
        if phase in ("ready", "done") and patient.idle:
            page.key_space()
        elif phase == "entry" and page.live.entry.distance.text().strip():
            page.submit_entry()

    def _leave_trial_running(self) -> None:
        """Stop acting; with ``--question``, leave a question open over the trial."""
        if not self.question:
            self.timer.stop()
            return
        if not self.asked:
            self.asked = True
            # The modal question runs its own event loop: ask from a fresh event, and keep
            # this timer (it fires inside that loop) to see the question appear.
            QTimer.singleShot(0, lambda: self.window.show_page("patient"))
            return
        if QApplication.activeModalWidget() is not None:
            say("question")
            self.timer.stop()

    def _find_window(self) -> None:
        from clinic_app.ui.main_window import MainWindow

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.demo_patient is not None:
                self.window = widget
                self._start_visit()
                return

    def _start_visit(self) -> None:
        window = self.window
        patient = next(p for p in window.db.search_patients("", limit=None) if p.mass_kg)
        window.select_patient(patient.id)
        window.show_page("assessment")
        page = window.page("assessment")
        page.beep = False
        setup = page.setup
        setup.practice.setChecked(False)
        setup.lunge.setChecked(not self.balance)
        for condition, box in setup.conditions.items():
            box.setChecked(self.balance and condition == "eo_firm")
        page.start_new()
        self.page = page
        say(f"session {page.run.session_id}")

    def _report_stored(self, run: Any) -> None:
        db = self.window.db
        for trial_id, _outcome in run.outcomes:
            if trial_id not in self.reported and db.get_trial(trial_id).ended_at is not None:
                self.reported.add(trial_id)
                say(f"stored {trial_id}")

    def _watch_recording(self, run: Any) -> None:
        trial_id = run.trial_id
        if self.recording is not None or trial_id is None or trial_id in self.reported:
            return
        db = self.window.db
        device = "plate" if self.balance else "inclinometer"
        count = db.recording_sample_count(trial_id, device)
        if count > 0:
            self.recording = trial_id
            say(f"recording {trial_id} {count}")


def main(argv: list[str] | None = None) -> int:
    """Run ``clinic-app --demo --db PATH`` with the scripted clinician (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True, help="database file (demo-seeded)")
    parser.add_argument("--stored", type=int, default=2, help="trials to finish first")
    parser.add_argument("--balance", action="store_true", help="a balance visit, not lunges")
    parser.add_argument(
        "--question", action="store_true", help="leave a modal question open over the trial"
    )
    args = parser.parse_args(argv)

    from clinic_app.cli import main as cli_main
    from clinic_app.ui.app import create_application

    create_application([sys.argv[0]])  # run_gui takes this one; the timer needs it now
    clinician = Clinician(args.stored, args.balance, args.question)
    status = cli_main(["--demo", "--db", str(args.db)])
    clinician.timer.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
