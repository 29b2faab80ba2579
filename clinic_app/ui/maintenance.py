"""The daily backup (and so the daily whole-file check) while the window is already usable.

:func:`start_daily_backup` runs :class:`clinic_app.storage.backups.BackgroundBackup` and
watches it from the GUI thread with a slow timer. The clinician hears about it only if
something is wrong: a failed backup is a status-bar line; a damaged database is a modal
alert saying what to do (close DorsiLab; the next start checks the file and offers the
newest good backup).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from clinic_app.storage.backups import BackgroundBackup

log = logging.getLogger(__name__)

POLL_MS = 500
DAMAGE_TITLE = "The patient database is damaged"
DAMAGE_TEXT = (
    "The daily backup found damage in the patient database; the damaged copy was not kept. "
    "Finish what you are doing and close DorsiLab: at the next start DorsiLab checks the "
    "file, says what is damaged and offers to restore the newest good backup."
)


def start_daily_backup(window: QWidget, db_path: Any) -> BackgroundBackup:
    """Back up ``db_path`` in the background if a backup is due; report only problems.

    Returns the job; :meth:`BackgroundBackup.wait` lets the caller finish it before exit.
    """
    job = BackgroundBackup(db_path).start()
    timer = QTimer(window)
    timer.setInterval(POLL_MS)

    def poll() -> None:
        if not job.done.is_set():
            return
        timer.stop()
        if job.damaged:
            box = QMessageBox(
                QMessageBox.Icon.Critical,
                DAMAGE_TITLE,
                DAMAGE_TEXT,
                QMessageBox.StandardButton.Ok,
                window,
            )
            box.setObjectName("backupFoundDamage")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        elif job.error:
            notify = getattr(window, "notify", None)
            if notify is not None:
                notify(f"The daily backup could not be made: {job.error}", 15000)
        elif job.path is not None:
            log.info("daily backup made in the background")

    timer.timeout.connect(poll)
    timer.start()
    return job
