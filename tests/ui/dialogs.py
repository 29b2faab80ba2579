"""Answering the app's question boxes in tests, by the words on their buttons."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QMessageBox


def answer(button_text: str) -> Any:
    """A ``drive`` for :func:`~clinic_app.ui.selftest_support.run_modal` that clicks the
    question box's button with this text (mnemonic ampersands ignored)."""

    def drive(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        chosen = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
        chosen.click()

    return drive
