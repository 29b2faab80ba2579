"""What a signed-in main window adds: who is working, the idle lock, others' changes."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QMainWindow

from clinic_app.storage import Database


class SignedIn:
    """Set up ``window`` for the signed-in user of ``db`` (nothing when nobody signed in).

    * the status bar names where the records are, and keeps "Signed in as …" in view;
    * the window locks after the clinic's idle time (:mod:`.idle_lock`);
    * on a clinic server, the lists refresh when another workstation changes them
      (:mod:`.changes`).
    """

    def __init__(self, window: QMainWindow, db: Database) -> None:
        self.changes: Any = None
        self.lock: Any = None
        self.label: QLabel | None = None
        server = getattr(db, "where", None)
        place = f"Records on {server}" if server else f"Database: {db.path}"
        window.statusBar().showMessage(place, 8000)
        if not db.signed_in:
            return
        self.label = QLabel(f"Signed in as {db.signed_in} ({db.role or 'no role'})")
        self.label.setObjectName("signedIn")
        self.label.setToolTip(place)
        window.statusBar().addPermanentWidget(self.label)
        from clinic_app.ui.signin.idle_lock import IdleLock, verifier

        minutes = int(db.get_setting("idle_lock_minutes") or 0)
        self.lock = IdleLock(window, db.signed_in, minutes, verifier(db))
        from clinic_app.storage.server_database import ServerDatabase

        if isinstance(db, ServerDatabase):
            from clinic_app.ui.signin.changes import ServerChanges

            self.changes = ServerChanges(window, db)

    def stop(self) -> None:
        """No more locking or listening: the window is closing."""
        if self.changes is not None:
            self.changes.stop()
        if self.lock is not None:
            self.lock.stop()
