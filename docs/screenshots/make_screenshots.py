"""Make the README screenshots of the real window, in demo mode, at two screen sizes.

Run from the repository root under a virtual X server, so that fonts, scaling and window
sizes are those of a real desktop::

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/screenshots/make_screenshots.py

Everything happens in a temporary DORSILAB_HOME: a fresh demo database (fictional
patients; three past visits are added to one of them through the storage API so that the
patient page has something to list). PNGs are written beside this script; the committed
ones were then reduced to 256 colours (``convert f.png -dither None -colors 256 PNG8:f.png``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}


def main() -> int:
    """Write every screenshot; returns 0."""
    home = Path(tempfile.mkdtemp(prefix="dorsilab-shots-"))
    os.environ["DORSILAB_HOME"] = str(home)
    sys.path.insert(0, str(HERE.parent.parent))

    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QWidget

    from clinic_app import paths
    from clinic_app.commands import AppContext
    from clinic_app.ui.about import AboutDialog
    from clinic_app.ui.app import (
        create_application,
        create_main_window,
        open_database,
        start_demo_devices,
    )
    from clinic_app.ui.patient_form import PatientFormDialog
    from clinic_app.ui.selftest import type_into
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

    def shot_dialog(make: Callable[[], QWidget], name: str, prepare=None) -> None:
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


def _demo_logo():
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
    sys.exit(main())
