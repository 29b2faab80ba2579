"""The patient list on the left: search as you type, and the deleted-patients view.

Typing filters by name, record number or birth date (the storage search does the
matching: accent- and case-insensitive). Queries are debounced by :data:`DEBOUNCE_MS`
so that a fast typist does not run one query per key.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui import theme

log = logging.getLogger(__name__)

DEBOUNCE_MS = 120
SEARCH_LIMIT = 200
ID_ROLE = Qt.ItemDataRole.UserRole


def describe_patient(patient: Any) -> tuple[str, str]:
    """Two lines for the list: "Last, First" and "No. MRN · 1990-04-17 · age 36"."""
    details = []
    if patient.record_number:
        details.append(f"No. {patient.record_number}")
    details.append(f"{patient.birth_date.isoformat()} · age {patient.age_years()}")
    return patient.display_name, " · ".join(details)


class _PatientDelegate(QStyledItemDelegate):
    """Draws the name in bold and the details below it in the secondary colour."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        name, _, details = str(index.data(Qt.ItemDataRole.DisplayRole)).partition("\n")
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        active = bool(opt.state & QStyle.StateFlag.State_Active)
        ink = QColor(theme.ACCENT_TEXT if selected and active else theme.INK)
        muted = ink if selected and active else QColor(theme.MUTED)
        rect = opt.rect.adjusted(10, 6, -8, -6)
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.setPen(ink)
        line = QFontMetrics(bold).height()
        elided = QFontMetrics(bold).elidedText(name, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect.x(), rect.y(), rect.width(), line, 0, elided)
        painter.setFont(opt.font)
        painter.setPen(muted)
        small = QFontMetrics(opt.font)
        elided = small.elidedText(details, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect.x(), rect.y() + line + 2, rect.width(), small.height(), 0, elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        bold = QFont(option.font)
        bold.setBold(True)
        height = QFontMetrics(bold).height() + QFontMetrics(option.font).height() + 14
        return QSize(200, height)


class PatientList(QWidget):
    """Search field, the list, and a toggle to see and restore deleted patients."""

    patient_selected = Signal(object)
    """Emitted with the selected patient's id, or None when nothing is selected."""
    patient_activated = Signal(int)
    """Double-click or Enter on a patient."""
    restore_requested = Signal(int)
    reveal_requested = Signal()
    """The list is wanted on screen (Ctrl+F while the window has folded it away)."""

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("patientList")
        self.setMinimumWidth(260)
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("Name, number or birth date")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search patients")
        self.show_deleted = QCheckBox("Show deleted patients")
        self.show_deleted.setObjectName("showDeleted")
        self.header = QLabel("Patients")
        theme.set_font(self.header, theme.TITLE_PT, bold=True)
        self.list = QListWidget()
        self.list.setObjectName("patientListView")
        self.list.setAlternatingRowColors(False)
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setItemDelegate(_PatientDelegate(self.list))
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.empty = QLabel("")
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.restore_button = QPushButton("Restore selected patient  (Ctrl+Shift+R)")
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setVisible(False)
        self.restore_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, theme.GAP // 2, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.show_deleted)

        self._stopped = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._activate_first)
        self.show_deleted.toggled.connect(self._deleted_toggled)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemActivated.connect(self._activated)
        self.restore_button.clicked.connect(self._restore_clicked)
        # Down arrow from the search field moves into the results.
        down = QShortcut(QKeySequence(Qt.Key.Key_Down), self.search)
        down.setContext(Qt.ShortcutContext.WidgetShortcut)
        down.activated.connect(self.list.setFocus)

    # ------------------------------------------------------------ API
    @property
    def deleted_view(self) -> bool:
        """True while the list shows deleted patients."""
        return self.show_deleted.isChecked()

    def selected_id(self) -> int | None:
        """The selected patient's id, or None."""
        item = self.list.currentItem()
        return None if item is None else int(item.data(ID_ROLE))

    def ids(self) -> list[int]:
        """Ids in the list, top to bottom."""
        return [int(self.list.item(i).data(ID_ROLE)) for i in range(self.list.count())]

    def focus_search(self) -> None:
        """Put the cursor in the search field, text selected (unfolding the list first)."""
        if self.isHidden():
            self.reveal_requested.emit()
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def select_patient(self, patient_id: int | None) -> None:
        """Select ``patient_id`` if it is in the list (clear the selection for None)."""
        if patient_id is None:
            self.list.setCurrentRow(-1)
            return
        for row in range(self.list.count()):
            item = self.list.item(row)
            if int(item.data(ID_ROLE)) == patient_id:
                self.list.setCurrentItem(item)
                return

    def stop(self) -> None:
        """No more queries: the window is closing (the database may close next)."""
        self._debounce.stop()
        self._stopped = True

    @Slot()
    def refresh(self) -> None:
        """Run the search again (after typing, or after a patient changed)."""
        self._debounce.stop()
        if self._stopped:
            return
        query = self.search.text().strip()
        keep = self.selected_id()
        if self.deleted_view:
            found = self.db.search_patients(query, limit=None, include_deleted=True)
            patients = [p for p in found if p.is_deleted][:SEARCH_LIMIT]
        else:
            patients = self.db.search_patients(query, limit=SEARCH_LIMIT)
        self.list.blockSignals(True)
        self.list.clear()
        for patient in patients:
            name, details = describe_patient(patient)
            item = QListWidgetItem(f"{name}\n{details}")
            item.setData(ID_ROLE, int(patient.id))
            item.setToolTip(details)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._show_empty_state(query, len(patients))
        self.select_patient(keep)
        if self.list.currentItem() is None and self.list.count() and query:
            self.list.setCurrentRow(0)
        self._current_changed(self.list.currentItem(), None)

    # ------------------------------------------------------------ internals
    def _show_empty_state(self, query: str, count: int) -> None:
        if count:
            text = ""
        elif self.deleted_view:
            text = "No deleted patients" + (f" match “{query}”." if query else ".")
        elif query:
            text = (
                f"No patient matches “{query}”.\nCheck the spelling, or press Ctrl+N to add one."
            )
        else:
            text = "No patients yet.\nPress Ctrl+N to add the first one."
        self.empty.setText(text)
        self.empty.setVisible(bool(text))

    @Slot(bool)
    def _deleted_toggled(self, on: bool) -> None:
        self.header.setText("Deleted patients" if on else "Patients")
        self.restore_button.setVisible(on)
        self.refresh()

    @Slot(object, object)
    def _current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        patient_id = None if current is None else int(current.data(ID_ROLE))
        self.restore_button.setEnabled(self.deleted_view and patient_id is not None)
        self.patient_selected.emit(patient_id)

    @Slot(QListWidgetItem)
    def _activated(self, item: QListWidgetItem) -> None:
        patient_id = int(item.data(ID_ROLE))
        if self.deleted_view:
            self.restore_requested.emit(patient_id)
        else:
            self.patient_activated.emit(patient_id)

    @Slot()
    def _activate_first(self) -> None:
        item = self.list.currentItem() or self.list.item(0)
        if item is not None:
            self.list.setCurrentItem(item)
            self._activated(item)

    @Slot()
    def _restore_clicked(self) -> None:
        patient_id = self.selected_id()
        if patient_id is not None:
            self.restore_requested.emit(patient_id)
