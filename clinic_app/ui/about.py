"""The About box: version, and where DorsiLab keeps the database, backups and logs."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app import __version__, paths
from clinic_app.commands import AppContext
from clinic_app.logging_setup import LOG_FILE_NAME
from clinic_app.ui import theme


def about_facts(ctx: AppContext) -> dict[str, str]:
    """The lines of the About box, as plain text (also used by "Copy")."""
    return {
        "Version": __version__,
        "Database": str(ctx.db_path) + ("  (demo)" if ctx.demo else ""),
        "Backups": str(ctx.db_path.parent / "backups"),
        "Data folder": str(paths.data_dir()),
        "Log file": str(paths.log_dir() / LOG_FILE_NAME),
        "Settings folder": str(paths.config_dir()),
        "Runs on": f"Python {platform.python_version()}, Qt for Python {pyside_version}, "
        f"{platform.system()} {platform.release()}",
    }


class AboutDialog(QDialog):
    """Version and data locations, selectable and copyable for a support call."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About DorsiLab")
        self.facts = about_facts(ctx)
        title = QLabel(f"DorsiLab {__version__}")
        theme.set_font(title, theme.HEADLINE_PT, bold=True)
        blurb = QLabel(
            "Weight-bearing lunge test and single-leg balance assessment for runners, "
            "with progression plans, reports and handouts. Your data stays on this computer."
        )
        blurb.setWordWrap(True)
        form = QFormLayout()
        form.setHorizontalSpacing(theme.GAP * 2)
        for caption, value in self.facts.items():
            text = QLabel(value)
            text.setObjectName(f"about_{caption.lower().replace(' ', '_')}")
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setWordWrap(True)
            caption_label = QLabel(caption)
            caption_label.setObjectName("muted")
            form.addRow(caption_label, text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        self.logs_button = QPushButton("Open log folder")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.logs_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        for button in (self.copy_button, self.logs_button):
            button.setAutoDefault(False)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        self.copy_button.clicked.connect(self.copy)
        self.logs_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))
        )
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.GAP)
        layout.addWidget(title)
        layout.addWidget(blurb)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(680)
        self.resize(self.minimumWidth(), layout.heightForWidth(self.minimumWidth()))

    @Slot()
    def copy(self) -> None:
        """Put the facts on the clipboard as "Caption: value" lines."""
        text = f"DorsiLab {__version__}\n" + "\n".join(f"{k}: {v}" for k, v in self.facts.items())
        QApplication.clipboard().setText(text)
        self.copy_button.setText("Copied ✓")
