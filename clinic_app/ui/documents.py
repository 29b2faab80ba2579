"""Where documents and exports go, and the last printer: remembered per user.

Save as PDF and the export dialog open in the folder last used *for this patient*, else
the folder last used for anyone (the clinic's documents folder), else the user's
Documents folder. "Print" remembers the printer, so the next document can go straight to
it with one click. Kept in ``documents.ini`` in the per-user configuration folder (owner
only); patients are keyed by their stable uid, never by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtPrintSupport import QPrinterInfo

from clinic_app import paths

SETTINGS_FILE = "documents.ini"
_CLINIC_KEY = "folders/last"
_PRINTER_KEY = "printing/last_printer"


def _settings() -> QSettings:
    return QSettings(str(paths.config_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


def _patient_key(db: Any, patient_id: int) -> str:
    uid = getattr(db.get_patient(patient_id), "uid", "") or f"id-{patient_id}"
    return f"folders/patient-{uid}"


def _folder(value: object) -> Path | None:
    if isinstance(value, str) and value:
        folder = Path(value)
        if folder.is_dir():
            return folder
    return None


def system_documents() -> Path:
    """The user's Documents folder (home when the desktop has none)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return _folder(location) or Path.home()


def folder_for(db: Any, patient_id: int | None) -> Path:
    """The folder to offer for this patient's next document or export."""
    settings = _settings()
    if patient_id is not None:
        remembered = _folder(settings.value(_patient_key(db, patient_id)))
        if remembered is not None:
            return remembered
    return _folder(settings.value(_CLINIC_KEY)) or system_documents()


def remember_folder(db: Any, patient_id: int | None, folder: Path) -> None:
    """Offer ``folder`` next time, for this patient and as the clinic's default."""
    settings = _settings()
    if patient_id is not None:
        settings.setValue(_patient_key(db, patient_id), str(folder))
    settings.setValue(_CLINIC_KEY, str(folder))
    settings.sync()


def last_printer() -> str:
    """The printer the last document went to ("" if none, or if it is gone)."""
    name = _settings().value(_PRINTER_KEY)
    if not isinstance(name, str) or not name:
        return ""
    return name if name in QPrinterInfo.availablePrinterNames() else ""


def remember_printer(name: str) -> None:
    """Offer ``name`` for one-click printing next time."""
    if name:
        settings = _settings()
        settings.setValue(_PRINTER_KEY, name)
        settings.sync()
