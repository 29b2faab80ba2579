"""Open every page and dialog of the real demo app on the display it is given; report fit.

Run by :mod:`tests.ui.test_fit_x11` under Xvfb + openbox; with ``--shots DIR`` it also
saves a screenshot of every screen (``<name>_<tag>.png``)::

    DISPLAY=:14 DORSILAB_HOME=/tmp/x python -m tests.ui.fit_child [--shots DIR] [--tag T]

Prints one JSON object: ``{"screen": [w, h], "screens": [{"name", "frame", "outside",
"problems"}, …]}``. ``frame`` is the window with its title bar as the window manager
placed it; ``outside`` says in words when it is not inside the screen's free area;
``problems`` lists clipped buttons, button texts and wrapped labels (see
:mod:`tests.ui.layout_probe`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from tests.ui.layout_probe import layout_problems, outside_screen

SETTLE_MS = 400
"""Time for the window manager to place a window and Qt to lay it out (ms)."""


class Probe:
    """Visit screens, record what does not fit, save screenshots when asked."""

    def __init__(self, shots: Path | None, tag: str) -> None:
        self.shots = shots
        self.tag = tag
        self.report: list[dict[str, Any]] = []

    def check(self, name: str, top: QWidget, *, allow_scrolled: bool = False) -> None:
        QTest.qWait(SETTLE_MS)
        frame = top.frameGeometry()
        self.report.append(
            {
                "name": name,
                "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                "outside": outside_screen(top),
                "problems": layout_problems(top, allow_scrolled=allow_scrolled),
            }
        )
        if self.shots is not None:
            screen = top.screen()
            picture = screen.grabWindow(0) if top.isWindow() else top.grab()
            picture.save(str(self.shots / f"{name}_{self.tag}.png"))

    def dialog(self, name: str, make: Callable[[], QDialog], prepare: Any = None) -> None:
        """Open ``make()`` modally as the app does, check it, then close it."""
        dialog = make()

        def look() -> None:
            if prepare is not None:
                prepare(dialog)
            self.check(name, dialog)
            dialog.reject()

        QTimer.singleShot(SETTLE_MS, look)
        dialog.exec()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=Path)
    parser.add_argument("--tag", default="")
    args = parser.parse_args(argv)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)

    from clinic_app import paths
    from clinic_app.commands import AppContext
    from clinic_app.ui.about import AboutDialog
    from clinic_app.ui.app import (
        create_application,
        create_main_window,
        open_database,
        start_demo_devices,
    )
    from clinic_app.ui.patients.form import PatientFormDialog
    from clinic_app.ui.selftest_support import type_into
    from clinic_app.ui.settings_dialog import SettingsDialog
    from drivers.registry import default_registry

    ctx = AppContext(db_path=paths.default_db_path(demo=True), demo=True)
    app = create_application()
    db = open_database(ctx, interactive=False)
    assert db is not None
    probe = Probe(args.shots, args.tag)
    window = create_main_window(ctx, db)
    start_demo_devices(window)
    window.show()
    QTest.qWaitForWindowExposed(window)
    patient_id = db.record_number_owner("DEMO-001")
    window.select_patient(patient_id)
    window.show_page("patient")
    probe.check("patient", window)
    for key in ("plan", "history", "report", "devices", "patient"):
        window.show_page(key)
        probe.check(key, window)
        editor = getattr(window.page(key), "editor", None) if key == "plan" else None
        if editor is not None and editor.preview is not None:
            editor.tabs.setCurrentWidget(editor.preview)  # Print… and Save as PDF…
            QTest.qWait(1500)  # the handout is rendered for the preview
            probe.check("plan_preview", window)
            editor.tabs.setCurrentIndex(0)
    sessions = [s for s in db.list_sessions(patient_id) if s.status == "complete"]
    if sessions:
        window.open_session(sessions[-1].id)
        probe.check("results", window)
    window.show_page("assessment")
    page: Any = window.page("assessment")
    page.beep = False
    probe.check("assessment_setup", window)
    page.start_new()
    QTest.qWait(1500)
    probe.check("assessment_lunge", window)
    balance = next(i for i, s in enumerate(page.run.plan.steps) if s.protocol == "balance")
    page._go_to(balance)
    probe.check("assessment_balance", window)
    page._stop_run()
    window.show_page("patient")

    def four_errors(dialog: QDialog) -> None:
        assert isinstance(dialog, PatientFormDialog)
        for field, text in (
            ("first_name", " "),
            ("birth_date", "2031-05-02"),
            ("height_cm", "300"),
            ("mass_kg", "7000"),
            ("years_running", "x"),
        ):
            type_into(dialog.fields[field].editor, text)
        dialog.save()

    probe.dialog("new_patient", lambda: PatientFormDialog(db, parent=window))
    probe.dialog("new_patient_errors", lambda: PatientFormDialog(db, parent=window), four_errors)
    probe.dialog("edit_patient", lambda: PatientFormDialog(db, patient_id, parent=window))
    probe.dialog("settings", lambda: SettingsDialog(db, window))
    probe.dialog("about", lambda: AboutDialog(ctx, window))
    for name, make in _extra_dialogs(window):
        probe.dialog(name, make)
    probe.check("patient_after_dialogs", window)

    json.dump({"screens": probe.report}, sys.stdout)
    window.close()
    default_registry().close_all()
    db.close()
    app.quit()
    return 0


def _extra_dialogs(window: Any) -> list[tuple[str, Callable[[], QDialog]]]:
    """The device dialogs and the confirmations a clinician meets."""
    from clinic_app.ui.devices.connect import ConnectDialog
    from clinic_app.ui.devices.panel import DevicesDialog
    from clinic_app.ui.patients.void_visit import VoidVisitDialog
    from drivers.registry import default_registry

    def question(title: str, text: str) -> Callable[[], QDialog]:
        def make() -> QDialog:
            box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=window)
            box.setStandardButtons(
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel
            )
            return box

        return make

    dialogs: list[tuple[str, Callable[[], QDialog]]] = [
        ("devices_dialog", lambda: DevicesDialog(window)),
        ("connect_device", lambda: ConnectDialog(default_registry(), lambda: [], window)),
    ]
    dialogs.append(("void_visit", lambda: VoidVisitDialog("2 Dec 2026", window)))
    dialogs.append(("question", question("A trial is running", "Stop the trial?")))
    return dialogs


if __name__ == "__main__":
    QApplication.setDesktopSettingsAware(True)
    sys.exit(main())
