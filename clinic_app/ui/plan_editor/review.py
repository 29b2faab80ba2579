"""The plan editor's left column: the red-flag checklist and the numbered findings.

The findings are numbered ``F1``, ``F2``… in plan order; the item tree cites those numbers
("Because"), so both take them from :func:`finding_numbers`.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QListView,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.analysis.verdicts import LEVEL_WORDS
from clinic_app.plan import Library, Plan
from clinic_app.ui import theme

LEVEL_COLOURS = {
    "green": theme.GOOD,
    "amber": theme.CAUTION,
    "red": theme.BAD,
    "grey": theme.MUTED,
}


def finding_numbers(plan: Plan) -> dict[str, int]:
    """Each finding id's display number (1-based, in plan order)."""
    return {f.id: n for n, f in enumerate(plan.findings, start=1)}


class FindingsList(QListWidget):
    """The plan's findings, one coloured line each: ``F<n> · <level word>: <text>``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Whole findings, wrapped at words: never a sideways scroll or an elided line.
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)

    def show_findings(self, plan: Plan) -> None:
        """Replace the list with the findings of ``plan``."""
        self.clear()
        for n, f in enumerate(plan.findings, start=1):
            self.addItem(f"F{n} · {LEVEL_WORDS.get(f.level, 'Info')}: {f.text}")
            self.item(self.count() - 1).setForeground(
                QColor(LEVEL_COLOURS.get(f.level, theme.MUTED))
            )


class RedFlagChecklist(QGroupBox):
    """One box per red flag of the library, plus "Checklist completed: none of the above".

    Ticking a flag clears "none of the above" and ticking "none of the above" clears the
    flags, both without a second signal.

    Signals
    -------
    flags_changed(list[str])
        A flag was ticked or cleared; the ids of the ticked flags.
    none_confirmed(bool)
        "None of the above" was ticked (True) or cleared (False).
    """

    flags_changed = Signal(list)
    none_confirmed = Signal(bool)

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__("Red-flag checklist", parent)
        layout = QVBoxLayout(self)
        self.flag_boxes: dict[str, QCheckBox] = {}
        for flag in library.red_flags.values():
            box = QCheckBox(flag.label)
            box.setToolTip(f"{flag.detail}\n→ {flag.see}")
            box.toggled.connect(self._on_flag)
            self.flag_boxes[flag.id] = box
            layout.addWidget(box)
        self.checklist_done = QCheckBox("Checklist completed: none of the above")
        self.checklist_done.toggled.connect(self._on_none)
        layout.addWidget(self.checklist_done)

    def load(self, plan: Plan) -> None:
        """Show the plan's ticked flags and checklist state (emits nothing)."""
        for flag_id, box in self.flag_boxes.items():
            _set_quietly(box, flag_id in plan.red_flags)
        _set_quietly(self.checklist_done, plan.red_flags_checked and not plan.red_flags)

    def ticked(self) -> list[str]:
        """Ids of the ticked red flags, in library order."""
        return [fid for fid, box in self.flag_boxes.items() if box.isChecked()]

    def _on_flag(self) -> None:
        ticked = self.ticked()
        if ticked:
            _set_quietly(self.checklist_done, False)
        self.flags_changed.emit(ticked)

    def _on_none(self, done: bool) -> None:
        if done:
            for box in self.flag_boxes.values():
                _set_quietly(box, False)
        self.none_confirmed.emit(done)


def _set_quietly(box: QCheckBox, checked: bool) -> None:
    with QSignalBlocker(box):
        box.setChecked(checked)
