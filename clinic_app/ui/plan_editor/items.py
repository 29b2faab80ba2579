"""The plan editor's exercise tree and the form that edits the selected exercise.

:class:`PlanTree` lists each phase with its exercises (dose, the dose's basis, the findings
that caused it); every row carries ``(phase_id, position)`` with position ``-1`` for a phase
row. :class:`ItemForm` shows the selected exercise's dose level, custom dose (sets, reps,
hold in seconds, days a week), note and drawing, and holds the move/remove/add buttons. Both
only display and read values: the editor turns button clicks into plan edits.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from clinic_app.plan import Dose, Library, Plan, PlanItem
from clinic_app.plan.text import dose_basis
from clinic_app.ui.plan_editor.review import finding_numbers

ItemKey = tuple[str, int]
"""An exercise's place in the plan: ``(phase_id, position within the phase)``."""


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their text wrapped to the column's width (Qt sizes them one line).

    A phase row spans the whole width (``setFirstColumnSpanned``); the first column loses
    the tree's indentation.
    """

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        view = self.parent()
        assert isinstance(view, QTreeWidget)
        depth, parent = 0, index.parent()
        while parent.isValid():
            depth, parent = depth + 1, parent.parent()
        if view.isFirstColumnSpanned(index.row(), index.parent()):
            width = view.viewport().width()
        else:
            width = view.header().sectionSize(index.column())
        if index.column() == 0:
            width -= view.indentation() * (depth + 1)
        sized = QStyleOptionViewItem(option)
        sized.rect = QRect(0, 0, max(20, width), 1)  # the style wraps to a valid rect's width
        return super().sizeHint(sized, index)


class PlanTree(QTreeWidget):
    """The plan's phases (top level, one line across) and exercises (children).

    Columns share the tree's width and long texts wrap at word boundaries: the tree never
    scrolls sideways, never elides, and never asks for more width than it is given (on a
    1366-px screen the checklist and the form take the rest).
    """

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.setHeaderLabels(["Exercise", "Dose", "Because"])
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setItemDelegate(WrappingDelegate(self))
        header.sectionResized.connect(lambda *_: self.scheduleDelayedItemsLayout())
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setMinimumSize(260, 200)

    def show_plan(self, plan: Plan, select: ItemKey | None = None) -> None:
        """Rebuild the tree from ``plan`` and make the ``select`` exercise current, if any."""
        number = finding_numbers(plan)
        self.clear()
        target = None
        for phase in plan.phases:
            top = QTreeWidgetItem([f"{phase.title} — {phase.status}", "", ""])
            top.setData(0, Qt.ItemDataRole.UserRole, (phase.id, -1))
            top.setToolTip(0, phase.entry)
            self.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)  # the phase's whole name, across the row
            for n, item in enumerate(phase.items):
                child = self._item_row(plan, item, number)
                child.setData(0, Qt.ItemDataRole.UserRole, (phase.id, n))
                top.addChild(child)
                if select == (phase.id, n):
                    target = child
            top.setExpanded(True)
        if target is not None:
            self.setCurrentItem(target)

    def _item_row(self, plan: Plan, item: PlanItem, number: dict[str, int]) -> QTreeWidgetItem:
        ex = self.library.exercises.get(item.exercise_id)
        basis = dose_basis(item)
        causes = ", ".join(
            f"F{number[c]}" if c in number else "added by you" for c in item.because
        )
        row = QTreeWidgetItem(
            [
                (ex.name if ex else item.exercise_id) + (f" ({item.side})" if item.side else ""),
                f"{item.dose.describe()} (level {item.level}) · {basis}",
                causes,
            ]
        )
        for column in range(3):  # a wrapped dose beside a one-line name: read from the top
            row.setTextAlignment(column, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        reasons = plan.causes_of(item)
        if item.progression:
            reasons.append(f"Level: {item.progression}.")
        row.setToolTip(2, "\n".join(reasons))
        row.setToolTip(1, item.dose_source or basis)
        return row

    def selected(self) -> ItemKey | None:
        """The current exercise's place, or None when nothing or a phase row is current."""
        item = self.currentItem()
        if item is None:
            return None
        phase_id, position = item.data(0, Qt.ItemDataRole.UserRole)
        return (str(phase_id), int(position)) if position >= 0 else None


class ItemForm(QWidget):
    """Dose level, custom dose, note and order of the selected exercise; add from the library.

    A spin box at 0 shows "–" and means "not part of the dose".
    """

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.level = QSpinBox()
        self.level.setMinimum(1)
        self.sets, self.reps, self.hold, self.days = (QSpinBox() for _ in range(4))
        for spin, top in ((self.sets, 10), (self.reps, 50), (self.hold, 600), (self.days, 7)):
            spin.setRange(0, top)
            spin.setSpecialValueText("–")
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("Note for the patient's card")
        self.apply_level = QPushButton("Use this level")
        self.apply_dose = QPushButton("Use this dose")
        self.apply_notes = QPushButton("Save note")
        self.up, self.down, self.remove = (QPushButton(t) for t in ("Up", "Down", "Remove"))
        self.up.setToolTip("Move the exercise up in its phase (the handout's order)")
        self.down.setToolTip("Move the exercise down in its phase (the handout's order)")
        self.remove.setToolTip("Take the exercise out of the plan")
        self.add_choice = QComboBox()
        for ex in library.exercises.values():
            self.add_choice.addItem(f"{ex.name} ({ex.phase})", ex.id)
            self.add_choice.setItemData(self.add_choice.count() - 1, ex.summary,
                                        Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        # The longest exercise name must not widen the page (the list shows it in full).
        self.add_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.add_button = QPushButton("Add to plan")
        # Long exercise names must not set the form's width (1366-px screens).
        self.add_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.add_choice.setMinimumContentsLength(12)
        form = QFormLayout()
        form.setVerticalSpacing(4)
        # Short rows: the form sits beside the tree, which takes the width it leaves.
        form.addRow("Dose level", _row(self.level, self.apply_level))
        form.addRow("Sets × reps", _row(self.sets, self.reps))
        form.addRow("Hold, seconds", _row(self.hold))
        form.addRow("Days a week", _row(self.days, self.apply_dose))
        form.addRow("Note", _row(self.notes, self.apply_notes))
        form.addRow("Order", _row(self.up, self.down, self.remove))
        # "Add exercise" (add_choice, add_button) is placed by the editor, under the tree.
        self.picture = QSvgWidget()
        self.picture.setFixedSize(80, 80)
        for spin in (self.level, self.sets, self.reps, self.hold, self.days):
            spin.setMaximumWidth(90)  # numbers of two or three digits; labels keep their room
        self.picture.setToolTip("The drawing printed on the patient's card")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form, 1)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)

    def set_item_actions_enabled(self, enabled: bool) -> None:
        """Enable the buttons that act on the selected exercise (adding is always possible)."""
        for button in (
            self.apply_level,
            self.apply_dose,
            self.apply_notes,
            self.up,
            self.down,
            self.remove,
        ):
            button.setEnabled(enabled)

    def show_item(self, item: PlanItem) -> None:
        """Fill the fields from ``item`` and show its exercise's drawing."""
        ex = self.library.exercises.get(item.exercise_id)
        self.level.setMaximum(len(ex.levels) if ex else 1)
        self.level.setValue(item.level)
        self.sets.setValue(item.dose.sets or 0)
        self.reps.setValue(item.dose.reps or 0)
        self.hold.setValue(int(item.dose.hold_s or 0))
        self.days.setValue(item.dose.days_per_week or 0)
        self.notes.setText(item.notes)
        if ex is not None:
            self.picture.load(str(ex.illustration_path()))

    def dose(self, old: Dose) -> Dose:
        """``old`` with the sets, reps, hold (s) and days a week typed in the form."""
        return dataclasses.replace(
            old,
            sets=self.sets.value() or None,
            reps=self.reps.value() or None,
            hold_s=float(self.hold.value()) or None,
            days_per_week=self.days.value() or None,
        )


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w)
    layout.addStretch(1)
    return box
