"""The main window on a clinic server: who is signed in, and another room's changes
shown without a click."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from clinic_app.commands import AppContext
from tests.backends import ServerClinic


def test_the_window_names_who_signed_in_and_shows_another_rooms_new_patient(
    qtbot: Any, server_clinic: ServerClinic, tmp_path: Path
) -> None:
    from clinic_app.ui.main_window import MainWindow

    room1 = server_clinic.open("clinician", server_clinic.add_login("clinician", "lopez"))
    ctx = AppContext(db_path=tmp_path / "unused.sqlite3", demo=False, db_url=server_clinic.url)
    window = MainWindow(ctx, room1)
    window.setWindowState(Qt.WindowState.WindowNoState)
    qtbot.addWidget(window)
    window.show()
    try:
        chip = window.findChild(QLabel, "signedIn")
        assert chip is not None and chip.text() == f"Signed in as {room1.user} (clinician)"
        assert window.patient_list.list.count() == 0
        changes = window.signed_in.changes
        assert changes is not None and changes.listener.listening.wait(10)
        room2 = server_clinic.open("assistant")  # the front desk registers a runner
        with qtbot.waitSignal(changes.refreshed, timeout=10_000):
            room2.create_patient(
                {"first_name": "Noa", "last_name": "Ben-David", "birth_date": "1993-06-03"}
            )
        assert window.patient_list.list.count() == 1
        assert "Ben-David, Noa" in window.patient_list.list.item(0).text()
    finally:
        window.close()
