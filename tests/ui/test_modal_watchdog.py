"""The watchdog closes a forgotten modal dialog instead of letting the run hang."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from tests.modal_watchdog import modal_watchdog


def test_a_forgotten_modal_dialog_is_closed(qtbot: Any) -> None:
    box = QMessageBox(QMessageBox.Icon.Question, "A trial is running", "Stop it?")
    qtbot.addWidget(box)
    with modal_watchdog(0.5) as closed:
        box.exec()  # nobody answers: without the watchdog this never returns
    assert closed == ["A trial is running"]
