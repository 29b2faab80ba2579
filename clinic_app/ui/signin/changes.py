"""Refresh what the window shows when another workstation changes the clinic server.

:class:`ServerChanges` runs a :class:`~clinic_app.storage.server_changes.ChangeListener`
and posts its changes to the GUI thread, where they are gathered for a moment (a visit
saves many rows at once) and then refresh the patient list, and the open patient's page
and history if that patient changed.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from clinic_app.storage.server_changes import Change
from clinic_app.storage.server_database import ServerDatabase

log = logging.getLogger(__name__)

GATHER_MS = 300
"""How long changes are gathered before one refresh (a saved visit is many rows)."""


class ServerChanges(QObject):
    """Listen for changes and refresh ``window`` (a MainWindow) in the GUI thread."""

    changed = Signal(object)
    """Emitted in the listener's thread with each :class:`Change` (queued to the GUI)."""
    refreshed = Signal(object)
    """Emitted after a refresh with the set of patient ids it covered (None: all)."""

    def __init__(self, window: Any, db: ServerDatabase) -> None:
        super().__init__(window)
        self.window = window
        self._patients: set[int] | None = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(GATHER_MS)
        self._timer.timeout.connect(self._refresh)
        self.changed.connect(self._gather)
        self.listener = db.change_listener(self.changed.emit)
        self.listener.start()

    def stop(self) -> None:
        """Stop listening (the window is closing)."""
        self._timer.stop()
        self.listener.stop()

    @Slot(object)
    def _gather(self, change: Change) -> None:
        if change.table == "*" or change.patient_id is None:
            self._patients = None
        elif self._patients is not None:
            self._patients.add(change.patient_id)
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _refresh(self) -> None:
        patients, self._patients = self._patients, set()
        window = self.window
        window.patient_list.refresh()
        current = window.current_patient_id
        if current is not None and (patients is None or current in patients):
            window.patient_page.refresh()
            history = window.loaded_page("history")
            if history is not None:
                history.refresh()
        log.info("refreshed after changes on the clinic server")
        self.refreshed.emit(patients)
