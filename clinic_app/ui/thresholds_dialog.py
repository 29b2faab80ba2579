"""Clinic thresholds: the editable clinic defaults the results, report and plan judge with.

Opened from Settings ("Clinical thresholds…"). Each row is one entry of
:data:`clinic_app.analysis.norms.CLINIC_SETTINGS` with its value, units and basis: an
unconfirmed [U] default is named as such, a published value as its source (the clinic may
replace it with its own reference). Saving stores only the values that differ from
``norms.toml`` in the ``thresholds`` setting and writes an audit row naming each threshold
changed with its old and new value (no patient data). Every report then lists them in its
methods.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.analysis.norms import CLINIC_SETTINGS, NormEntry, check_override, load_norms
from clinic_app.analysis.verdicts import short_citation
from clinic_app.ui import theme

log = logging.getLogger(__name__)

THRESHOLDS = "thresholds"
ORDERED = (
    ("reference.balance_ec_velocity_low_cm_s", "reference.balance_ec_velocity_high_cm_s"),
    ("reference.balance_ec_velocity_high_cm_s", "reference.balance_ec_velocity_flag_cm_s"),
    ("retest.min_weeks", "retest.max_weeks"),
)
"""Pairs that must stay in order (first ≤ second)."""


def basis_text(entry: NormEntry) -> str:
    """The basis of a threshold as Settings shows it (never a clinic default as evidence)."""
    if entry.evidence == "U":
        return "editable clinic default, not research-based"
    return f"[{entry.evidence}] {short_citation(entry.source)}"


def _decimals(entry: NormEntry) -> int:
    return 0 if entry.units in ("count", "weeks") else 1


class ThresholdsDialog(QDialog):
    """Edit the clinic's thresholds; Save writes them (audited) or says what is wrong."""

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("thresholdsDialog")
        self.setWindowTitle("Clinical thresholds")
        self.defaults = load_norms()
        stored = db.get_setting(THRESHOLDS) or {}
        self.stored: dict[str, float] = {k: float(v) for k, v in stored.items()}
        heading = QLabel("Clinical thresholds")
        theme.set_font(heading, theme.TITLE_PT, bold=True)
        note = QLabel(
            "The results, reports and plans judge with these values. Clinic defaults are "
            "not research-based; a published reference may be replaced by the clinic's own. "
            "Every report lists the values changed here."
        )
        note.setWordWrap(True)
        note.setObjectName("muted")
        grid = QGridLayout()
        grid.setHorizontalSpacing(theme.GAP)
        self.boxes: dict[str, QDoubleSpinBox] = {}
        for row, key in enumerate(CLINIC_SETTINGS):
            entry = self.defaults[key]
            box = QDoubleSpinBox()
            box.setObjectName(key)
            box.setDecimals(_decimals(entry))
            box.setRange(0.0, 1000.0)
            box.setSuffix(f" {entry.units}" if entry.units != "count" else "")
            box.setValue(self.stored.get(key, float(entry.value)))
            box.setToolTip(f"Default {float(entry.value):g} {entry.units} · {entry.source}")
            name = QLabel(entry.name)
            name.setWordWrap(True)
            basis = QLabel(basis_text(entry))
            basis.setObjectName("muted")
            basis.setWordWrap(True)
            grid.addWidget(name, row, 0)
            grid.addWidget(box, row, 1)
            grid.addWidget(basis, row, 2)
            self.boxes[key] = box
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(2, 2)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.reset = QPushButton("Reset all to the defaults")
        self.reset.clicked.connect(self.reset_all)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.addButton(self.reset, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(note)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(760)

    @Slot()
    def reset_all(self) -> None:
        """Put every value back to ``norms.toml`` (saved only with Save)."""
        for key, box in self.boxes.items():
            box.setValue(float(self.defaults[key].value))

    def overrides(self) -> dict[str, float]:
        """The values that differ from the defaults, as the ``thresholds`` setting holds them."""
        out: dict[str, float] = {}
        for key, box in self.boxes.items():
            value = round(box.value(), box.decimals())
            if abs(value - float(self.defaults[key].value)) > 1e-9:
                out[key] = value
        return out

    def problems(self) -> list[str]:
        """What is wrong with the values typed (empty when they can be saved)."""
        values = {key: box.value() for key, box in self.boxes.items()}
        out = [p for key in values if (p := check_override(self.defaults[key], values[key]))]
        for low, high in ORDERED:
            if values[low] > values[high]:
                out.append(
                    f"{self.defaults[low].name} must not be above {self.defaults[high].name}"
                )
        return out

    @Slot()
    def save(self) -> None:
        """Store the clinic's thresholds (one audit row naming each change) and close."""
        problems = self.problems()
        if problems:
            self.error.setText("⚠ " + "; ".join(problems) + ".")
            self.error.setVisible(True)
            return
        new = self.overrides()
        changed = {
            key: {
                "from": self.stored.get(key, float(self.defaults[key].value)),
                "to": new.get(key, float(self.defaults[key].value)),
            }
            for key in CLINIC_SETTINGS
            if self.stored.get(key) != new.get(key)
        }
        if changed:
            with self.db.transaction():
                self.db.set_setting(THRESHOLDS, new)
                self.db.record_audit(
                    "update", "settings", None, {"fields": [THRESHOLDS], "thresholds": changed}
                )
            log.info("clinic thresholds saved (%s)", ", ".join(sorted(changed)))
        self.accept()


__all__ = ["ThresholdsDialog", "basis_text"]
