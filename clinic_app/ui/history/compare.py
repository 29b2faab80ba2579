"""Any two visits side by side: measure, visit A, visit B, change, MDC, verdict.

Visit B is judged against visit A by :meth:`PatientHistory.compare` (that is, by
:func:`clinic_app.analysis.session.interpret_session`): the MDC that applies to the two
visits' examiners, "not compared" for angles from different inclinometer sites, and the
verdict in words beside its colour. Selecting a row shows the whole sentence with its source.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui import theme
from clinic_app.ui.history.model import ComparisonRow, PatientHistory
from clinic_app.ui.plain_text import tooltip

LEVEL_COLOURS = {"green": theme.GOOD, "red": theme.BAD, "amber": theme.CAUTION,
                 "grey": theme.MUTED}  # fmt: skip
LEVEL_TINTS = {"green": "#E3F2E6", "red": "#FBE4E2", "amber": "#FFF1D6", "grey": "#FFFFFF"}
COLUMNS = ("Measure", "Side", "Visit A", "Visit B", "Change", "MDC", "Verdict")


class ComparisonPanel(QWidget):
    """Two visit pickers, a swap button and the comparison table.

    Attributes
    ----------
    combo_a, combo_b : QComboBox
    table : QTableWidget
        Section lines ("Lunge test", "Balance · eyes closed, firm") span every column.
    row_items : list of ComparisonRow or str
        What each table row shows (a str is a section line).
    detail : QLabel
        The selected row's verdict in full.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: PatientHistory | None = None
        self.rows: list[ComparisonRow] = []
        self.row_items: list[ComparisonRow | str] = []
        self.combo_a = QComboBox()
        self.combo_a.setObjectName("visitA")
        self.combo_b = QComboBox()
        self.combo_b.setObjectName("visitB")
        for combo in (self.combo_a, self.combo_b):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(self._draw_comparison)
        self.swap_button = QPushButton("Swap  (Alt+S)")
        self.swap_button.clicked.connect(self.swap)
        label_a = QLabel("Visit &A:")
        label_a.setBuddy(self.combo_a)
        label_b = QLabel("  Visit &B:")
        label_b.setBuddy(self.combo_b)
        row = QHBoxLayout()
        for widget in (label_a, self.combo_a, label_b, self.combo_b, self.swap_button):
            row.addWidget(widget)
        row.addStretch(1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("comparisonTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(self._row_detail)
        self.detail = QLabel()
        self.detail.setObjectName("comparisonDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(self.detail.fontMetrics().height() * 2 + 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.GAP, theme.GAP, theme.GAP, theme.GAP // 2)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)

    def set_history(self, history: PatientHistory | None) -> None:
        """Show ``history``'s visits in the pickers; compare the first and the last."""
        self.history = history
        if history is None:
            return
        for combo in (self.combo_a, self.combo_b):
            with QSignalBlocker(combo):
                combo.clear()
                for visit in history.visits:
                    combo.addItem(visit.label, visit.session_id)
                    combo.setItemData(
                        combo.count() - 1,
                        tooltip(f"Examiner: {visit.examiner or 'not recorded'}"),
                        Qt.ItemDataRole.ToolTipRole,
                    )
        last = len(history.visits) - 1
        self.set_comparison(0, last)

    def set_comparison(self, a: int, b: int) -> None:
        """Compare visit number ``b`` (0-based) against visit ``a`` in the table."""
        with QSignalBlocker(self.combo_a), QSignalBlocker(self.combo_b):
            self.combo_a.setCurrentIndex(a)
            self.combo_b.setCurrentIndex(b)
        self._draw_comparison()

    @Slot()
    def swap(self) -> None:
        """Exchange visits A and B."""
        self.set_comparison(self.combo_b.currentIndex(), self.combo_a.currentIndex())

    @Slot()
    def _draw_comparison(self) -> None:
        if self.history is None or self.combo_a.currentIndex() < 0:
            return
        visits = self.history.visits
        a, b = visits[self.combo_a.currentIndex()], visits[max(self.combo_b.currentIndex(), 0)]
        self.rows = self.history.compare(a, b) if a is not b else []
        self.table.setHorizontalHeaderLabels(
            ["Measure", "Side", f"A · {a.day:%d %b}", f"B · {b.day:%d %b}", "Change", "MDC",
             "Verdict"]
        )  # fmt: skip
        self.table.clearSpans()
        # A section line ("Balance · eyes closed, firm") before each group of rows.
        self.row_items = []
        for row in self.rows:
            if not self.row_items or row.group != self._group_of(self.row_items[-1]):
                self.row_items.append(row.group)
            self.row_items.append(row)
        self.table.setRowCount(len(self.row_items))
        for r, item in enumerate(self.row_items):
            if isinstance(item, str):
                self._fill_section(r, item)
            else:
                self._fill_row(r, item)
        if a is b:
            self.detail.setText("Pick two different visits to compare.")
        else:
            self.detail.setText("Select a row to read its verdict in full, with its source.")

    @staticmethod
    def _group_of(item: ComparisonRow | str) -> str:
        return item if isinstance(item, str) else item.group

    def _fill_section(self, r: int, title: str) -> None:
        item = QTableWidgetItem(title)
        item.setFont(theme.font(theme.BASE_PT, bold=True))
        item.setBackground(QBrush(QColor(theme.WINDOW)))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.table.setItem(r, 0, item)
        self.table.setSpan(r, 0, 1, len(COLUMNS))

    def _fill_row(self, r: int, row: ComparisonRow) -> None:
        side = theme.LEFT if row.side == "left" else theme.RIGHT
        cells = (row.label, row.side.capitalize(), row.a, row.b, row.change, row.mdc, row.verdict)
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(row.detail)
            if c == 1:
                item.setForeground(QBrush(QColor(side)))
                item.setFont(theme.font(theme.BASE_PT, bold=True))
            elif 1 < c < 6:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            elif c == 6:
                item.setForeground(QBrush(QColor(LEVEL_COLOURS.get(row.level, theme.MUTED))))
                item.setBackground(QBrush(QColor(LEVEL_TINTS.get(row.level, "#FFFFFF"))))
                item.setFont(theme.font(theme.BASE_PT, bold=row.level != "grey"))
            self.table.setItem(r, c, item)

    @Slot(int, int, int, int)
    def _row_detail(self, row: int, _col: int, _prev_row: int, _prev_col: int) -> None:
        item = self.row_items[row] if 0 <= row < len(self.row_items) else None
        if isinstance(item, ComparisonRow):
            self.detail.setText(item.detail)
