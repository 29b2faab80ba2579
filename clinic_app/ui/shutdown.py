"""Stop cleanly on SIGTERM, Ctrl+C and at the end of the desktop session (issue 18 §5).

A visit must survive the computer being shut down or the clinician being logged out: what
was recorded is kept, the visit stays resumable, and DorsiLab neither waits for an answer
nobody will give nor makes the session wait for it.

Signals (SIGTERM, SIGINT from Ctrl+C, SIGHUP when the terminal goes, SIGBREAK on Windows)
    Python runs a signal handler only when the interpreter runs, and Qt's event loop waits
    in C++. :class:`SignalNotifier` uses the standard bridge: :func:`signal.set_wakeup_fd`
    makes the C-level handler write the signal number into one end of a socket pair, and a
    :class:`~PySide6.QtCore.QSocketNotifier` on the other end wakes the event loop at once
    (no polling timer). :class:`ShutdownGuard` then keeps the visit
    (:meth:`MainWindow.stop_without_asking <clinic_app.ui.main_window.MainWindow.
    stop_without_asking>`: the trial in progress journaled and left open, queued writes
    waited for at most :data:`JOURNAL_WAIT_S`) and ends the event loop, even from inside a
    modal question; ``run_gui`` then closes the devices and the database. A signal that was
    ignored when DorsiLab started (``nohup``, a background job) stays ignored.

Exit status
    ``128 + signal number``: 143 after SIGTERM, 130 after Ctrl+C, 129 after SIGHUP: the
    shell's convention for "ended by this signal", the same 130 the command line already
    returns when interrupted, and unlike 0 it tells a supervisor the visit was cut short.
    If the clean path has not ended the process :data:`FORCE_EXIT_S` after the signal (a
    hung disk or device driver), it is ended with the same status: SQLite commits are
    atomic, so this loses at most the writes still queued, like a power cut.

End of the desktop session (log-out, shutdown, Windows ``WM_QUERYENDSESSION``)
    Qt emits :attr:`QGuiApplication.commitDataRequest`; the same keeping happens there,
    without any dialog and without ``QSessionManager.cancel()``, so the log-out is never
    held up. The process is then ended by the session (Qt turns its "die" message, and
    Windows' ``WM_ENDSESSION``, into a normal quit: status 0). Should the log-out be
    cancelled, DorsiLab is still running with the visit offered for resuming.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot
from PySide6.QtGui import QGuiApplication, QSessionManager

from clinic_app.ui import crash

log = logging.getLogger(__name__)

JOURNAL_WAIT_S = 1.0
"""Longest wait for the visit's queued writes when stopping (s); normally a few ms."""

BACKUP_WAIT_S = 0.2
"""Longest wait for a daily backup still being made when a signal stops DorsiLab (s): it is
written under a temporary name, so abandoning it leaves the database and older backups
as they were."""

FORCE_EXIT_S = 5.0
"""After a signal, the process ends with its status after this long at the latest (s)."""

SIGNAL_NAMES = ("SIGTERM", "SIGINT", "SIGHUP", "SIGBREAK")
"""The signals that stop DorsiLab cleanly, where the platform has them."""


def exit_status(signum: int) -> int:
    """The process exit status after signal ``signum``: 128 + its number (143 for SIGTERM)."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    """``"SIGTERM"`` for 15 (the number as text for a signal without a name)."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


def stopping_signals() -> list[int]:
    """The numbers of :data:`SIGNAL_NAMES` this platform has and that are not ignored.

    A signal ignored when the process started (``nohup`` ignores SIGHUP, a shell's
    background job SIGINT) is left ignored: whoever started DorsiLab asked for that.
    """
    numbers = []
    for name in SIGNAL_NAMES:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            numbers.append(int(number))
    return numbers


def _wake_only(_signum: int, _frame: FrameType | None) -> None:
    """The Python-level handler: nothing to do, the wake-up byte carries the signal."""


class SignalNotifier(QObject):
    """Route POSIX signals into the Qt event loop; emits :attr:`received` (signal number).

    Must be created in the main thread (a :func:`signal.set_wakeup_fd` rule).
    :meth:`uninstall` puts back the handlers and the wake-up descriptor it replaced.
    """

    received = Signal(int)

    def __init__(self, signums: Iterable[int], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signums = frozenset(signums)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)  # the C handler must never block
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous: dict[int, Any] = {
            signum: signal.signal(signum, _wake_only) for signum in self._signums
        }
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)
        self.installed = True

    @Slot()
    def _read(self) -> None:
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for signum in data:  # one byte per signal: its number
            if signum in self._signums:
                self.received.emit(signum)

    def uninstall(self) -> None:
        """Restore the previous signal handlers and wake-up descriptor; close the sockets."""
        if not self.installed:
            return
        self.installed = False
        self._notifier.setEnabled(False)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


class ShutdownGuard(QObject):
    """What DorsiLab does when it is told to stop by the system rather than the clinician.

    Parameters
    ----------
    app : QGuiApplication
        Its event loop is ended on a signal; its session-end request is answered.
    quit_loop : callable, optional
        Ends the event loop with a status (default ``app.exit``).
    force_exit_s : float or None
        Seconds after a signal before the process is ended whatever it is doing
        (:data:`FORCE_EXIT_S`); None never forces (tests running in-process).

    Attributes
    ----------
    status : int or None
        The exit status once a signal was received (``128 + signum``), else None.
    """

    def __init__(
        self,
        app: QGuiApplication,
        *,
        quit_loop: Callable[[int], None] | None = None,
        force_exit_s: float | None = FORCE_EXIT_S,
    ) -> None:
        super().__init__(app)
        self.app = app
        self.quit_loop = quit_loop if quit_loop is not None else app.exit
        self.force_exit_s = force_exit_s
        self.status: int | None = None
        self.window: Any = None
        self.signals = SignalNotifier(stopping_signals(), self)
        self.signals.received.connect(self.stop_on_signal)
        app.commitDataRequest.connect(self.keep_for_session_end)

    def attach(self, window: Any) -> None:
        """The main window whose work is kept (``stop_without_asking``, ``keep_for_later``)."""
        self.window = window

    @property
    def backup_wait_s(self) -> float:
        """How long ``run_gui`` may wait for the daily backup (s): short after a signal."""
        return BACKUP_WAIT_S if self.status is not None else 60.0

    @Slot(int)
    def stop_on_signal(self, signum: int) -> None:
        """Keep the visit, then end the event loop with ``128 + signum`` (no question)."""
        if self.status is not None:
            return  # already stopping (a second Ctrl+C)
        self.status = exit_status(signum)
        name = signal_name(signum)
        log.info("%s received: keeping the visit and stopping", name)
        self._force_exit_later()
        kept = self._keep(lambda window: window.stop_without_asking(JOURNAL_WAIT_S))
        if not kept:
            log.warning("stopping before every write of the visit was made")
        if sys.stderr is not None:  # a console (none for the Windows GUI launcher)
            what = (
                "Everything recorded is kept"
                if kept
                else "Not every write of the visit could be made (see the log)"
            )
            sys.stderr.write(
                f"DorsiLab stopped ({name}). {what}; an unfinished visit is offered for "
                "resuming at the next start.\n"
            )
        self.quit_loop(self.status)

    @Slot(QSessionManager)
    def keep_for_session_end(self, manager: QSessionManager | None) -> None:
        """The desktop session is ending: keep the visit now, ask nothing, never cancel."""
        del manager  # neither allowsInteraction() (a dialog) nor cancel() (holds log-out)
        log.info("the desktop session is ending: keeping the visit")
        self._keep(lambda window: window.keep_for_later(JOURNAL_WAIT_S))

    def _keep(self, keep: Callable[[Any], object]) -> bool:
        """Run ``keep(window)``; an error is logged, never shown (a crash dialog would be
        one more thing to answer) and never stops the stopping."""
        if self.window is None:
            return True
        try:
            return bool(keep(self.window))
        except Exception as exc:
            # The type and frames only: the message may quote patient data.
            log.error(
                "keeping the work failed: %s", crash.log_safe_summary(type(exc), exc.__traceback__)
            )
            return False

    def uninstall(self) -> None:
        """Stop listening (the previous signal handlers are back)."""
        if self.signals.installed:
            self.signals.uninstall()
            self.app.commitDataRequest.disconnect(self.keep_for_session_end)

    def _force_exit_later(self) -> None:
        if self.force_exit_s is None or self.status is None:
            return
        status = self.status
        timer = threading.Timer(self.force_exit_s, _force_exit, args=(status,))
        timer.name = "force-exit"
        timer.daemon = True  # never keeps a process alive that is ending cleanly
        timer.start()


def _force_exit(status: int) -> None:
    """The clean path hung: end the process now (committed data is safe in SQLite)."""
    log.error("not stopped %.0f s after the signal: ending the process", FORCE_EXIT_S)
    for name in ("clinic_app", "drivers", ""):
        for handler in logging.getLogger(name).handlers:
            handler.flush()
    os._exit(status)
