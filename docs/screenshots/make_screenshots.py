"""Make the README screenshots of the real window, in demo mode, at two screen sizes.

Run from the repository root under a virtual X server, so that fonts, scaling and window
sizes are those of a real desktop::

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/screenshots/make_screenshots.py

Everything happens in a temporary DORSILAB_HOME: a fresh demo database (fictional
patients; three past visits are added to one of them through the storage API so that the
patient page has something to list). PNGs are written beside this script; the committed
ones were then reduced to 256 colours (``convert f.png -dither None -colors 256 PNG8:f.png``).

``python docs/screenshots/make_screenshots.py assessment`` writes only the assessment
screens (``assessment_{setup,lunge,balance,results}_<size>.png``): a whole visit of the
showcase patient (DEMO-001, four past visits) — lunge both sides, single-leg balance eyes
open and eyes closed both sides — run on the real page by the scripted clinician of
:mod:`clinic_app.ui.assessment.script` on simulated devices stepped by a manual clock.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}


def main(only: str = "") -> int:
    """Write every screenshot (or only those of ``only``: ``"assessment"``); returns 0."""
    home = Path(tempfile.mkdtemp(prefix="dorsilab-shots-"))
    os.environ["DORSILAB_HOME"] = str(home)
    sys.path.insert(0, str(HERE.parent.parent))

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QWidget

    from clinic_app import paths
    from clinic_app.commands import AppContext
    from clinic_app.storage import Database
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
    patient = db.search_patients("durand")[0]
    if not db.list_sessions(patient.id):
        for started in ("2026-09-01T09:00:00Z", "2026-10-06T09:30:00Z", "2026-11-17T10:00:00Z"):
            session = db.create_session(patient.id, "Dr Sam Okafor", started_at=started)
            db.finish_session(session, ended_at=started.replace("T09", "T10"))
    db.set_setting("clinic_name", "Riverside Running Clinic")
    db.set_setting("clinic_address", "12 River Road, Springfield\n+1 555 0100")
    db.set_setting("examiner_name", "Dr Sam Okafor")

    def save(widget: QWidget, name: str) -> None:
        QTest.qWait(150)
        path = HERE / f"{name}.png"
        widget.grab().save(str(path))
        print(f"wrote {path.relative_to(HERE.parent.parent)}")

    if only == "assessment":
        for label, size in SIZES.items():
            # Each size runs its visit on a copy of the demo database, so that the second
            # visit is not compared with the first one (both recorded today).
            copy = home / f"assessment-{label}.sqlite3"
            source, target = sqlite3.connect(db.path), sqlite3.connect(copy)
            source.backup(target)
            source.close()
            target.close()
            visit_db = Database.open(copy)
            _assessment_shots(dataclasses.replace(ctx, db_path=copy), visit_db, label, size, save)
            visit_db.close()
        db.close()
        app.quit()
        return 0

    def shot_dialog(
        make: Callable[[], QWidget], name: str, prepare: Callable[[QWidget], None] | None = None
    ) -> None:
        dialog = make()
        dialog.show()
        if prepare is not None:
            prepare(dialog)
        save(dialog, name)
        dialog.close()

    for label, (width, height) in SIZES.items():
        window = create_main_window(ctx, db)
        window.resize(width, height - 40)  # leave room for a taskbar
        start_demo_devices(window)
        window.show()
        QTest.qWaitForWindowExposed(window)
        window.select_patient(patient.id)
        window.show_page("patient")
        QTest.qWait(1200)  # the pills poll twice a second
        save(window, f"main-window-demo-{label}")
        window.close()
        default_registry().close_all()

    def bad_entry(dialog: QWidget) -> None:
        assert isinstance(dialog, PatientFormDialog)
        for field, text in [
            ("first_name", "Jonas"),
            ("last_name", "Lindqvist"),
            ("birth_date", "2031-05-02"),
            ("height_cm", "300"),
            ("mass_kg", "72,5"),
        ]:
            type_into(dialog.fields[field].editor, text)

    shot_dialog(lambda: PatientFormDialog(db), "patient-form-validation", bad_entry)

    def with_logo(dialog: QWidget) -> None:
        assert isinstance(dialog, SettingsDialog)
        dialog.set_logo(_demo_logo())

    shot_dialog(lambda: SettingsDialog(db), "settings-dialog", with_logo)
    shot_dialog(lambda: AboutDialog(ctx), "about-box")
    db.close()
    app.quit()
    return 0


def _assessment_shots(
    ctx: Any, db: Any, label: str, size: tuple[int, int], save: Callable[[Any, str], None]
) -> None:
    """Setup, live lunge (entry form with the demo's tape reading), live balance, results."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from clinic_app.ui.app import create_main_window
    from clinic_app.ui.assessment.script import ScriptedVisit, simulated_patient
    from drivers.registry import default_registry
    from drivers.simulated import ManualClock

    patient_id = db.record_number_owner("DEMO-001")
    record = db.get_patient(patient_id)
    clock = ManualClock(start_s=100.0)
    simulated = simulated_patient(clock, float(record.mass_kg or 70.0))
    window = create_main_window(ctx, db)
    window.resize(size[0], size[1] - 40)  # leave room for a taskbar
    window.demo_patient = simulated
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.select_patient(patient_id)
    window.show_page("assessment")
    page: Any = window.page("assessment")
    page.beep = False
    page.setup.practice.setChecked(False)
    for condition, box in page.setup.conditions.items():
        box.setChecked(condition in ("eo_firm", "ec_firm"))
    page.setup.examiner.setText("LM")
    QTest.qWait(700)  # the device pills poll twice a second
    save(window, f"assessment_setup_{label}")
    QTest.mouseClick(page.setup.start_button, Qt.MouseButton.LeftButton)
    page.bridge.stop()  # the script ticks the bridge on the manual clock
    taken: set[str] = set()

    def on_phase(name: str, run: Any) -> None:
        step = run.step.label
        if name == "captured" and "lunge" not in taken:
            taken.add("lunge")
            save(window, f"assessment_lunge_{label}")
        elif name == "balance_done" and "EC" in step and "balance" not in taken:
            taken.add("balance")
            save(window, f"assessment_balance_{label}")

    ScriptedVisit(page, simulated, clock).play(on_phase=on_phase)
    QTest.qWait(300)
    save(window, f"assessment_results_{label}")
    window.close()
    default_registry().close_all()
    default_registry().clear()


def _demo_logo() -> Any:
    """A fictional clinic logo drawn on the spot: a blue disc with "RRC" and a wordmark."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    image = QImage(720, 200, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#1F5FA8"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRectF(10, 10, 180, 180))
    painter.setPen(QColor("white"))
    painter.setFont(QFont("DejaVu Sans", 44, QFont.Weight.Bold))
    painter.drawText(QRectF(10, 10, 180, 180), Qt.AlignmentFlag.AlignCenter, "RRC")
    painter.setPen(QColor("#1B1F24"))
    painter.setFont(QFont("DejaVu Sans", 34, QFont.Weight.Bold))
    painter.drawText(QRectF(215, 30, 500, 70), Qt.AlignmentFlag.AlignLeft, "Riverside")
    painter.setFont(QFont("DejaVu Sans", 26))
    painter.drawText(QRectF(215, 105, 500, 60), Qt.AlignmentFlag.AlignLeft, "Running Clinic")
    painter.end()
    return image


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
