"""Unexpected errors reach the log (without their message) and a dialog; never a silent exit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from clinic_app.logging_setup import configure
from clinic_app.ui import crash

SECRET = "Patient Zoë Example"


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[Path]:
    log_path = configure(log_dir=tmp_path)
    crash.install()
    yield log_path
    crash.uninstall()
    dialog = crash.current_dialog()
    if dialog is not None:
        dialog.close()
    for name in ("clinic_app", "drivers"):
        for handler in list(logging.getLogger(name).handlers):
            logging.getLogger(name).removeHandler(handler)
            handler.close()


def _boom() -> None:
    raise RuntimeError(f"could not draw {SECRET}")


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_slot_shows_the_dialog(qtbot: Any, hooked: Path) -> None:
    QTimer.singleShot(0, _boom)
    qtbot.waitUntil(lambda: crash.current_dialog() is not None)
    dialog = crash.current_dialog()
    assert dialog is not None and dialog.isVisible()
    assert "RuntimeError" in dialog.details
    assert SECRET in dialog.details  # the clinician sees the whole story…
    dialog.copy_button.click()
    assert "RuntimeError" in QApplication.clipboard().text()
    log_text = hooked.read_text(encoding="utf-8")
    assert "builtins.RuntimeError" in log_text  # …the log gets the type and the frames
    assert "_boom" in log_text
    assert SECRET not in log_text  # …but never the message


@pytest.mark.qt_no_exception_capture
def test_worker_thread_exception_is_shown_in_the_gui_thread(qtbot: Any, hooked: Path) -> None:
    worker = threading.Thread(target=_boom, name="device-reader")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: crash.current_dialog() is not None)
    dialog = crash.current_dialog()
    assert dialog is not None
    assert "device-reader" in dialog.details


@pytest.mark.qt_no_exception_capture
def test_a_second_error_joins_the_open_dialog(qtbot: Any, hooked: Path) -> None:
    QTimer.singleShot(0, _boom)
    QTimer.singleShot(0, _boom)
    qtbot.waitUntil(lambda: crash.current_dialog() is not None)
    dialog = crash.current_dialog()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.count == 2)
    assert "2 problems" in dialog.headline.text()
    assert (
        len(
            [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, crash.CrashDialog) and w.isVisible()
            ]
        )
        == 1
    )
