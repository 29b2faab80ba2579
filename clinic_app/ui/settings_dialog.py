"""Clinic settings: name, address, logo, units, examiner and (a sub-dialog) thresholds.

Keys are those of :data:`clinic_app.storage.DEFAULT_SETTINGS`: ``clinic_name``,
``clinic_address`` (may hold line breaks), ``logo_path``, ``units`` (``"metric"`` or
``"imperial"``: how values are *displayed*; they are always stored metric) and
``examiner_name`` (the default examiner of new sessions).

The chosen logo is copied, as a PNG at most :data:`LOGO_MAX_PX` wide, to
``branding/clinic-logo.png`` beside the database, and ``logo_path`` points there: the
report keeps its logo when the original file (on a USB stick, in Downloads) goes away.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QImage, QImageReader, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinic_app.storage.errors import StorageError
from clinic_app.storage.settings import MAX_IDLE_LOCK
from clinic_app.ui import theme
from clinic_app.ui.exchange_settings import ExchangeSettingsBox
from clinic_app.ui.sound_settings import SoundCueBox

log = logging.getLogger(__name__)

CLINIC_NAME = "clinic_name"
CLINIC_ADDRESS = "clinic_address"
LOGO_PATH = "logo_path"
UNITS = "units"
EXAMINER = "examiner_name"
IDLE_LOCK = "idle_lock_minutes"
LOGO_FILE = Path("branding") / "clinic-logo.png"
UNIT_CHOICES = [("metric", "Metric (cm, kg, km)"), ("imperial", "Imperial (in, lb, mi)")]
LOGO_MAX_PX = 600
PREVIEW_HEIGHT = 72


def save_logo(image: QImage, db_path: Path) -> Path:
    """Write ``image`` (scaled to at most :data:`LOGO_MAX_PX` wide) beside the database."""
    if image.width() > LOGO_MAX_PX:
        image = image.scaledToWidth(LOGO_MAX_PX, Qt.TransformationMode.SmoothTransformation)
    target = Path(db_path).parent / LOGO_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(".tmp.png")
    if not image.save(str(staging)):  # PNG, from the suffix
        raise OSError(f"the logo could not be written to {target.parent}")
    os.replace(staging, target)
    return target


class SettingsDialog(QDialog):
    """Edit the clinic settings; OK writes them in one go."""

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        stored_logo = str(db.get_setting(LOGO_PATH) or "")
        self._logo = QImage(stored_logo) if stored_logo else QImage()
        self._logo_changed = False

        # No heading inside: the title bar says it, and a 768-px screen needs the height
        # (with it, the form was squeezed: the logo overlapped the address box).
        note = QLabel("Clinic settings appear on every report and handout.")
        note.setObjectName("muted")
        self.clinic_name = QLineEdit(str(db.get_setting(CLINIC_NAME, "") or ""))
        self.clinic_name.setObjectName("clinicName")
        self.clinic_name.setPlaceholderText("e.g. Riverside Running Clinic")
        self.clinic_address = QPlainTextEdit(str(db.get_setting(CLINIC_ADDRESS, "") or ""))
        self.clinic_address.setObjectName("clinicAddress")
        self.clinic_address.setTabChangesFocus(True)
        self.clinic_address.setPlaceholderText("Street, town, phone")
        self.clinic_address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 18)
        self.examiner = QLineEdit(str(db.get_setting(EXAMINER, "") or ""))
        self.examiner.setObjectName("examiner")
        self.examiner.setPlaceholderText("Name printed as examiner on new reports")
        self.units = QComboBox()
        self.units.setObjectName("units")
        for value, text in UNIT_CHOICES:
            self.units.addItem(text, value)
        self.units.setCurrentIndex(max(self.units.findData(db.get_setting(UNITS, "metric")), 0))

        self.logo_preview = QLabel()
        self.logo_preview.setObjectName("logoPreview")
        self.logo_preview.setMinimumSize(PREVIEW_HEIGHT * 3, PREVIEW_HEIGHT)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet(
            f"background:{theme.SURFACE}; border:1px dashed {theme.BORDER}; border-radius:6px;"
        )
        self.choose_logo = QPushButton("Choose logo…")
        self.choose_logo.setObjectName("chooseLogo")
        self.remove_logo = QPushButton("Remove")
        self.remove_logo.setObjectName("removeLogo")
        self.choose_logo.clicked.connect(self.pick_logo)
        self.remove_logo.clicked.connect(lambda: self.set_logo(QImage()))
        self.logo_error = QLabel("")
        self.logo_error.setObjectName("fieldError")
        self.logo_error.setVisible(False)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo_preview, 1)
        # Side by side, top-aligned: stacked, the two buttons needed more height than the
        # preview and were squashed unreadable on a 768-px screen.
        logo_row.addWidget(self.choose_logo, 0, Qt.AlignmentFlag.AlignTop)
        logo_row.addWidget(self.remove_logo, 0, Qt.AlignmentFlag.AlignTop)
        logo_box = QVBoxLayout()
        logo_box.addLayout(logo_row)
        logo_box.addWidget(self.logo_error)

        form = QFormLayout()
        form.setHorizontalSpacing(theme.GAP)
        form.setVerticalSpacing(theme.GAP // 2)  # the style's own spacing let rows overlap
        form.addRow("Clinic name", self.clinic_name)
        form.addRow("Address", self.clinic_address)
        form.addRow("Logo", logo_box)
        form.addRow("Units", self.units)
        form.addRow("Examiner", self.examiner)
        self.thresholds = QPushButton("Clinical thresholds…")
        self.thresholds.setObjectName("thresholdsButton")
        self.thresholds.setToolTip("The editable clinic defaults the results and plans use")
        self.thresholds.clicked.connect(self.edit_thresholds)
        form.addRow("Thresholds", self.thresholds)
        # Clinic-wide idle lock (for signed-in users) and this computer's clinic server.
        self.idle_lock = QSpinBox()
        self.idle_lock.setObjectName("idleLockMinutes")
        self.idle_lock.setRange(0, MAX_IDLE_LOCK)
        self.idle_lock.setSuffix(" min without use")
        self.idle_lock.setSpecialValueText("never")
        self.idle_lock.setValue(int(db.get_setting(IDLE_LOCK) or 0))
        self.idle_lock.setToolTip("A signed-in window locks after this long without use")
        self.server_button = QPushButton("Clinic server…")
        self.server_button.setObjectName("serverButton")
        self.server_button.clicked.connect(self.choose_server)
        sign_in_row = QHBoxLayout()
        sign_in_row.addWidget(QLabel("Lock after"))
        sign_in_row.addWidget(self.idle_lock, 1)
        sign_in_row.addWidget(self.server_button)
        form.addRow("Sign-in", sign_in_row)
        self.problem = QLabel("")
        self.problem.setObjectName("fieldError")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)

        self.sound_box = SoundCueBox()  # per user, not per clinic: saved with QSettings
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.GAP)
        layout.addWidget(note)
        layout.addLayout(form)
        self.exchange = ExchangeSettingsBox(db)
        layout.addWidget(self.exchange)
        layout.addWidget(self.sound_box)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)
        self._show_logo()

    def showEvent(self, event: QShowEvent) -> None:
        """Never shorter than the styled form needs (as far as the screen allows).

        At its computed minimum the form squeezed its rows below their own minimum
        heights (the logo overlapped the address box), so the dialog asks for its size
        hint once the application's style has set the fonts.
        """
        super().showEvent(event)
        screen = self.screen()
        room = screen.availableGeometry().height() - 40 if screen is not None else 10_000
        self.setMinimumHeight(min(self.sizeHint().height(), room))

    @Slot()
    def edit_thresholds(self) -> int:
        """Open the clinical thresholds (saved and audited by that dialog itself)."""
        from clinic_app.ui.thresholds_dialog import ThresholdsDialog

        return ThresholdsDialog(self.db, self).exec()

    # ------------------------------------------------------------ logo
    @Slot()
    def pick_logo(self) -> None:
        """Ask for an image file and preview it."""
        formats = " ".join(
            f"*.{bytes(f.data()).decode()}" for f in QImageReader.supportedImageFormats()
        )
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the clinic logo", str(Path.home()), f"Images ({formats})"
        )
        if path:
            self.load_logo_file(Path(path))

    def load_logo_file(self, path: Path) -> bool:
        """Use the image at ``path`` as the logo; False (with a message) if it cannot be read."""
        reader = QImageReader(str(path))
        image = reader.read()
        if image.isNull():
            self.logo_error.setText(
                f"⚠ {path.name} could not be read as an image ({reader.errorString()}). "
                "Choose a PNG, JPEG or SVG file."
            )
            self.logo_error.setVisible(True)
            return False
        self.set_logo(image)
        return True

    def set_logo(self, image: QImage) -> None:
        """Set (or, with a null image, clear) the logo."""
        self.logo_error.setVisible(False)
        self._logo = image
        self._logo_changed = True
        self._show_logo()

    def _show_logo(self) -> None:
        image = self._logo
        self.remove_logo.setEnabled(not image.isNull())
        if image.isNull():
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")
            return
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap.fromImage(image).scaledToHeight(
            int(PREVIEW_HEIGHT * ratio), Qt.TransformationMode.SmoothTransformation
        )
        pixmap.setDevicePixelRatio(ratio)
        self.logo_preview.setPixmap(pixmap)

    # ------------------------------------------------------------ saving
    def values(self) -> dict[str, str]:
        """The text settings as they will be stored (the logo is saved separately)."""
        return {
            CLINIC_NAME: self.clinic_name.text().strip(),
            CLINIC_ADDRESS: self.clinic_address.toPlainText().strip(),
            UNITS: str(self.units.currentData()),
            EXAMINER: self.examiner.text().strip(),
        }

    @Slot()
    def choose_server(self) -> None:
        """Where this computer finds the records (from the next start)."""
        from clinic_app.ui.signin.server_choice import ServerChoiceDialog

        ServerChoiceDialog(self).exec()

    @Slot()
    def save(self) -> None:
        """Store every setting in one transaction and close."""
        if self.exchange.problem():
            return
        self.sound_box.save()
        values: dict[str, str] = self.values()
        values[self.exchange.KEY] = self.exchange.value()
        try:
            if self._logo_changed:
                values[LOGO_PATH] = (
                    "" if self._logo.isNull() else str(save_logo(self._logo, self.db.path))
                )
        except OSError as exc:
            self.logo_error.setText(f"⚠ {exc}. Check that the data folder is writable.")
            self.logo_error.setVisible(True)
            return
        try:
            with self.db.transaction():
                for key, value in values.items():
                    self.db.set_setting(key, value)
                self.db.set_setting(IDLE_LOCK, self.idle_lock.value())
        except StorageError as exc:  # e.g. only an admin may change them: said, not lost
            self.problem.setText(f"⚠ Not saved: {exc}")
            self.problem.setVisible(True)
            return
        log.info("clinic settings saved (%s)", ", ".join(sorted(values)))
        self.accept()
