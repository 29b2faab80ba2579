"""Unexpected errors: logged, then shown in a dialog with "Copy details". Never a silent exit.

:func:`install` replaces :data:`sys.excepthook` and :data:`threading.excepthook`. An
exception raised in a Qt slot, a timer or a worker thread is

1. written to the rotating log as its type and stack frames only (file, line, function):
   the exception's *message* is left out of the log because it may quote patient data;
2. shown in a non-modal :class:`CrashDialog` in the GUI thread, whose "Copy details"
   button puts the full report (version, platform, traceback with message) on the
   clipboard for a support request.

The application keeps running: the clinician decides whether to continue or quit.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from clinic_app import __version__
from clinic_app.ui import theme

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def log_safe_summary(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """Type and stack frames of an exception, without its message (which may hold names)."""
    frames = traceback.extract_tb(tb)
    lines = [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames]
    return f"{exc_type.__module__}.{exc_type.__qualname__}\n" + "\n".join(lines)


def full_details(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> str:
    """The text behind "Copy details": version, platform and the full traceback."""
    header = (
        f"DorsiLab {__version__}\n"
        f"Python {platform.python_version()} on {platform.platform()}\n"
        f"Thread: {threading.current_thread().name}\n\n"
    )
    return header + "".join(traceback.format_exception(exc_type, exc, tb))


class CrashDialog(QDialog):
    """Tells the clinician something went wrong, in words, with the details one click away."""

    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("DorsiLab — unexpected problem")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.details = details
        self.count = 1

        icon = QLabel()
        style = self.style()
        icon.setPixmap(
            style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48, 48)
        )
        self.headline = QLabel("Something went wrong in DorsiLab.")
        theme.set_font(self.headline, theme.TITLE_PT, bold=True)
        self.explanation = QLabel(
            "Everything you saved before this moment is safe in the database. You can carry "
            "on working, or quit and start DorsiLab again.\n\n"
            "If this keeps happening, press “Copy details” and send them to your support "
            "contact. The details hold no patient names."
        )
        self.explanation.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.addWidget(self.headline)
        text.addWidget(self.explanation)
        top.addLayout(text, 1)

        self.details_box = QPlainTextEdit(details)
        self.details_box.setReadOnly(True)
        self.details_box.setVisible(False)
        self.details_box.setMinimumHeight(180)

        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy details")
        self.show_button = QPushButton("Show details")
        self.show_button.setCheckable(True)
        self.quit_button = QPushButton("Quit DorsiLab")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setDefault(True)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.show_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy_button.clicked.connect(self.copy_details)
        self.show_button.toggled.connect(self.details_box.setVisible)
        self.quit_button.clicked.connect(self._quit)
        self.continue_button.clicked.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_box, 1)
        layout.addWidget(buttons)
        self.resize(640, 280)

    def add_occurrence(self, details: str) -> None:
        """Another error arrived while this dialog is open: append, don't stack dialogs."""
        self.count += 1
        self.details += "\n\n" + details
        self.details_box.setPlainText(self.details)
        self.headline.setText(f"Something went wrong in DorsiLab ({self.count} problems).")

    @Slot()
    def copy_details(self) -> None:
        """Put the full report on the clipboard."""
        QApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied ✓")

    @Slot()
    def _quit(self) -> None:
        log.info("user chose to quit after an unexpected error")
        self.accept()
        QApplication.exit(1)


class _CrashReporter(QObject):
    """Receives exceptions from any thread and shows them in the GUI thread."""

    report = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.dialog: CrashDialog | None = None
        # Queued: a worker thread's exception is shown by the GUI thread.
        self.report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @Slot(str)
    def _show(self, details: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add_occurrence(details)
            return
        parent = QApplication.activeWindow()
        self.dialog = CrashDialog(details, parent)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.destroyed.connect(self._forget)
        self.dialog.show()

    @Slot()
    def _forget(self) -> None:
        self.dialog = None


_reporter: _CrashReporter | None = None
_previous: tuple[Callable[..., object], Callable[..., object]] | None = None
_reported: list[str] = []


def handle(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Log one exception and show it (the body of both hooks; safe from any thread)."""
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.exit(130)
        return
    summary = log_safe_summary(exc_type, tb)
    _reported.append(summary)
    log.error("unexpected error (message withheld):\n%s", summary)
    details = full_details(exc_type, exc, tb)
    sys.stderr.write(details)
    if _reporter is not None and QApplication.instance() is not None:
        _reporter.report.emit(details)


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    handle(args.exc_type, args.exc_value, args.exc_traceback)


def install() -> None:
    """Route uncaught exceptions of every thread to the log and the crash dialog.

    Call once, after the QApplication exists. :func:`uninstall` restores the old hooks.
    """
    global _reporter, _previous
    if _reporter is None:
        _reporter = _CrashReporter()
    if _previous is None:
        _previous = (sys.excepthook, threading.excepthook)
    sys.excepthook = handle
    threading.excepthook = _thread_hook


def uninstall() -> None:
    """Put back the hooks that were active before :func:`install`."""
    global _previous
    if _previous is not None:
        sys.excepthook, threading.excepthook = _previous
        _previous = None


def reported() -> list[str]:
    """Type-and-frames summaries of every error handled so far (the selftest checks it)."""
    return list(_reported)


def current_dialog() -> CrashDialog | None:
    """The crash dialog on screen, if any (for tests and the selftest)."""
    return _reporter.dialog if _reporter is not None else None
