"""Rotating log file in the user log folder.

Logs hold record ids, never names or birth dates: code logs ``patient_id=17``, not the
patient. :class:`RedactingFilter` is a second line of defence that masks any text a
caller registered as sensitive (e.g. the names of the patient on screen).
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import threading
from pathlib import Path

from clinic_app import paths

LOG_FILE_NAME = "dorsilab.log"
_MAX_BYTES = 1_000_000
_BACKUPS = 5


class RedactingFilter(logging.Filter):
    """Replace registered sensitive strings in every record with ``[redacted]``."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()

    def add(self, *values: str) -> None:
        """Register strings (e.g. a patient's names) that must never reach the log."""
        with self._lock:
            self._secrets.update(v for v in values if v and len(v) >= 2)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = tuple(self._secrets)
        if secrets:
            message = record.getMessage()
            for secret in secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


redactor = RedactingFilter()


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the current one and each rotated one, is owner-only.

    The standard handler creates the fresh file after each rollover with the process's
    umask (0644 on most systems), so every rotated log became readable by other users.
    """

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(self.baseFilename, 0o600)  # a file created earlier by another version
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def configure(level: int = logging.INFO, log_dir: Path | None = None) -> Path:
    """Send the ``clinic_app`` and ``drivers`` loggers to a rotating file.

    Returns
    -------
    Path
        The log file in use.
    """
    folder = log_dir or paths.log_dir()
    log_path = folder / LOG_FILE_NAME
    handler = PrivateRotatingFileHandler(
        log_path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    handler.addFilter(redactor)
    for name in ("clinic_app", "drivers"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for old in [h for h in logger.handlers if getattr(h, "_dorsilab", False)]:
            logger.removeHandler(old)
            old.close()
        handler._dorsilab = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return log_path
