"""Settings round-trip through the database; the About box names version and folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from clinic_app import __version__
from clinic_app.commands import AppContext
from clinic_app.storage import Database
from clinic_app.ui.about import AboutDialog
from clinic_app.ui.selftest_support import type_into
from clinic_app.ui.settings_dialog import LOGO_MAX_PX, SettingsDialog


def _logo(path: Path, width: int = 1200) -> Path:
    image = QImage(width, 300, QImage.Format.Format_RGB32)
    image.fill(QColor("#1F5FA8"))
    assert image.save(str(path), "PNG")
    return path


def test_settings_round_trip(qtbot: Any, db: Database, tmp_path: Path) -> None:
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    type_into(dialog.clinic_name, "Clínica Río Running")
    dialog.clinic_address.setPlainText("1 River Road\nSpringfield")
    type_into(dialog.examiner, "Dr Kim")
    dialog.units.setCurrentIndex(dialog.units.findData("imperial"))
    assert dialog.load_logo_file(_logo(tmp_path / "logo.png"))
    assert not dialog.logo_preview.pixmap().isNull()
    dialog.save()

    assert db.get_setting("clinic_name") == "Clínica Río Running"
    assert db.get_setting("clinic_address") == "1 River Road\nSpringfield"
    assert db.get_setting("examiner_name") == "Dr Kim"
    assert db.get_setting("units") == "imperial"
    logo = Path(db.get_setting("logo_path"))
    assert logo.parent.parent == db.path.parent  # copied beside the database
    assert QImage(str(logo)).width() == LOGO_MAX_PX

    again = SettingsDialog(db)
    qtbot.addWidget(again)
    assert again.clinic_name.text() == "Clínica Río Running"
    assert again.units.currentData() == "imperial"
    assert again.remove_logo.isEnabled()
    again.remove_logo.click()
    again.save()
    assert db.get_setting("logo_path") == ""
    assert any(e.entity == "settings" for e in db.audit_entries("settings"))


def test_unreadable_logo_is_explained(qtbot: Any, db: Database, tmp_path: Path) -> None:
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"not an image")
    assert not dialog.load_logo_file(bad)
    assert "logo.png could not be read" in dialog.logo_error.text()
    assert dialog.logo_error.isVisible()


def test_about_names_version_and_folders(qtbot: Any, db_path: Path) -> None:
    dialog = AboutDialog(AppContext(db_path=db_path, demo=False))
    qtbot.addWidget(dialog)
    assert dialog.facts["Version"] == __version__
    assert dialog.facts["Database"] == str(db_path)
    assert dialog.facts["Log file"].endswith("dorsilab.log")
    dialog.copy()
    assert str(db_path) in QApplication.clipboard().text()
