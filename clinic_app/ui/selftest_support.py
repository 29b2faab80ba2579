"""What the selftest steps share: their state, failures and helpers that drive dialogs.

Kept apart from :mod:`clinic_app.ui.selftest` (which lists and runs the steps) so that the
steps of each feature, such as :mod:`clinic_app.ui.assessment.selftest`, import these
without importing the runner that imports them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget

from clinic_app.commands import AppContext

if TYPE_CHECKING:
    from clinic_app.ui.main_window import MainWindow

MODAL_TIMEOUT_MS = 20_000
"""A dialog driven by :func:`run_modal` is rejected after this long (ms)."""


class SelftestFailure(Exception):
    """A step found something wrong; the message says what."""


@dataclass
class SelftestState:
    """What the steps share.

    Attributes
    ----------
    ctx : AppContext
        The context the selftest runs with (its ``db_path`` is the database under test).
    app : QApplication
    window : MainWindow or None
        The main window while GUI steps run; None in verify steps.
    db : Database or None
        The open database (reopened from disk for verify steps).
    values : dict
        Values passed between steps, e.g. ``values["patient_id"]``.
    out : text stream
        Where the summary goes.
    """

    ctx: AppContext
    app: QApplication
    window: MainWindow | None = None
    db: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    out: TextIO = sys.stdout


@dataclass(frozen=True)
class Step:
    """One named step; ``run`` returns a one-line summary or raises."""

    name: str
    run: Callable[[SelftestState], str]


def run_modal(
    open_dialog: Callable[[], object], drive: Callable[[QDialog], None], kind: type = QDialog
) -> object:
    """Call ``open_dialog`` (which ``exec()``-s a dialog) and ``drive`` that dialog.

    ``drive`` runs inside the dialog's event loop once the dialog is visible. If it raises,
    or the dialog is still open after :data:`MODAL_TIMEOUT_MS`, the dialog is rejected so
    that nothing hangs, and the error is raised here.
    """
    errors: list[BaseException] = []
    deadline = time.monotonic() + MODAL_TIMEOUT_MS / 1000

    def find() -> None:
        dialog = next(
            (w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()),
            None,
        )
        if dialog is None:
            if time.monotonic() < deadline:
                QTimer.singleShot(20, find)
            return
        assert isinstance(dialog, QDialog)
        try:
            drive(dialog)
        except BaseException as exc:
            errors.append(exc)
            dialog.reject()
            return
        if dialog.isVisible():
            QTimer.singleShot(MODAL_TIMEOUT_MS, dialog.reject)

    QTimer.singleShot(0, find)
    result = open_dialog()
    if errors:
        raise errors[0]
    return result


def type_into(widget: QWidget, text: str) -> None:
    """Focus ``widget``, clear it and type ``text`` key by key, like a person.

    Non-ASCII characters (García, Zoë, 王) are sent as key events carrying the text,
    as an input method would, because ``QTest.keyClicks`` only knows ASCII keys.
    """
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
        QTest.keyClick(widget, Qt.Key.Key_Backspace)
    for char in text:
        if char.isascii():
            QTest.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(widget, event)
