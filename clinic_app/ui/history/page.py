"""The history page: a patient's visits on a timeline, trends, and any two visits compared.

Layout, top to bottom: the patient and the span of their visits; a timeline of the visits
(select two of them to compare); three tabs — **Lunge test** (tibial angle and knee-to-wall
distance), **Balance** (mean COP velocity and 95 % ellipse area for one condition at a time)
and **Compare visits** (a table: measure, visit A, visit B, change, MDC, verdict in words and
colour). Charts show the baseline ± MDC band and a star where a change against the first visit
is real; every judgement comes from :mod:`clinic_app.ui.history.model` (that is,
:func:`clinic_app.analysis.session.interpret_session`).

Keys: Alt+L, Alt+N, Alt+C switch tabs; Alt+A / Alt+B pick the visits to compare; Alt+S swaps
them; arrows move in the timeline and the table (Shift+arrows select two visits).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.logging_setup import redactor
from clinic_app.ui import theme
from clinic_app.ui.history.chart import TrendChart
from clinic_app.ui.history.compare import ComparisonPanel
from clinic_app.ui.history.model import (
    CONDITION_WORDS,
    LUNGE_MEASURES,
    Measure,
    PatientHistory,
    balance_measures,
)
from clinic_app.ui.plain_text import plain, tooltip

log = logging.getLogger(__name__)


def _legend_html() -> str:
    def dot(colour: str, text: str) -> str:
        return f'<span style="color:{colour}; font-size:16pt">●</span>&nbsp;{text}'

    return "&nbsp;&nbsp;&nbsp; ".join(
        [
            dot(theme.LEFT, "<b>Left</b>"),
            dot(theme.RIGHT, "<b>Right</b>"),
            f'<span style="background:{theme.BORDER}">&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;'
            "band: first visit ± MDC (same examiner)",
            f'<span style="color:{theme.GOOD}; font-size:15pt">★</span> real improvement / '
            f'<span style="color:{theme.BAD}; font-size:15pt">★</span> real worsening '
            "against the first visit",
        ]
    )


class HistoryPage(QWidget):
    """Trends and re-test comparison for the host's current patient.

    Parameters
    ----------
    host : PageHost
        The main window (``db``, ``current_patient_id``…).

    Attributes
    ----------
    history : PatientHistory or None
        What is on screen (None without a patient).
    """

    def __init__(self, host: Any) -> None:
        super().__init__()
        self.host = host
        self.patient_id: int | None = None
        self.history: PatientHistory | None = None
        self.setObjectName("page_history")
        self.inner = QStackedWidget()
        self.message = plain(QLabel())
        self.message.setObjectName("muted")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        theme.set_font(self.message, theme.BASE_PT + 2)
        self.inner.addWidget(self.message)
        self.inner.addWidget(self._build_content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.GAP, 0, 0, 0)
        layout.addWidget(self.inner)
        for key, slot in (("Alt+S", self.compare.swap), ("Alt+A", self.compare.combo_a.setFocus),
                          ("Alt+B", self.compare.combo_b.setFocus)):  # fmt: skip
            QShortcut(QKeySequence(key), self, slot)

    # ------------------------------------------------------------------ building
    def _build_content(self) -> QWidget:
        content = QWidget()
        self.title = plain(QLabel())
        theme.set_font(self.title, theme.TITLE_PT, bold=True)
        self.subtitle = plain(QLabel())
        self.subtitle.setObjectName("muted")
        self.timeline = QListWidget()
        self.timeline.setObjectName("historyTimeline")
        self.timeline.setFlow(QListWidget.Flow.LeftToRight)
        self.timeline.setWrapping(False)
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.timeline.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.timeline.setToolTip("Select two visits (Ctrl+click or Shift+arrows) to compare them")
        self.timeline.itemSelectionChanged.connect(self._timeline_selected)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("historyTabs")
        self.lunge_charts = [TrendChart(), TrendChart()]
        self.tabs.addTab(self._chart_tab(self.lunge_charts, None), "&Lunge test")
        self.balance_charts = [TrendChart(), TrendChart()]
        self.condition = QComboBox()
        self.condition.setObjectName("balanceCondition")
        self.condition.currentIndexChanged.connect(self._draw_balance)
        self.tabs.addTab(self._chart_tab(self.balance_charts, self.condition), "Bala&nce")
        self.compare = ComparisonPanel()
        self.tabs.addTab(self.compare, "&Compare visits")

        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(theme.GAP // 2)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addSpacing(theme.GAP)
        head.addWidget(self.subtitle, 1, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(head)
        layout.addWidget(self.timeline)
        layout.addWidget(self.tabs, 1)
        return content

    def _chart_tab(self, charts: list[TrendChart], selector: QComboBox | None) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(theme.GAP, theme.GAP, theme.GAP, theme.GAP // 2)
        layout.setSpacing(theme.GAP // 2)
        if selector is not None:
            row = QHBoxLayout()
            label = QLabel("Con&dition:")
            label.setBuddy(selector)
            row.addWidget(label)
            row.addWidget(selector)
            row.addStretch(1)
            layout.addLayout(row)
        grid = QGridLayout()
        grid.setHorizontalSpacing(theme.GAP * 2)
        for column, chart in enumerate(charts):
            grid.addWidget(chart, 0, column)
        layout.addLayout(grid, 1)
        legend = QLabel(_legend_html())
        legend.setWordWrap(True)
        layout.addWidget(legend)
        notes = QLabel()
        notes.setObjectName("muted")
        notes.setWordWrap(True)
        notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(notes)
        tab.setProperty("notes", notes)
        if selector is None:
            self.lunge_notes = notes
        else:
            self.balance_notes = notes
        return tab

    # ------------------------------------------------------------------ page API
    def show_patient(self, patient_id: int | None) -> None:
        """Show ``patient_id``'s history (None: ask for a patient)."""
        self.patient_id = patient_id
        self.refresh()

    def can_leave(self) -> bool:
        """Nothing to lose here: always True."""
        return True

    @Slot()
    def refresh(self) -> None:
        """Read the patient's visits again and redraw everything."""
        if self.patient_id is None:
            self._say("Select a patient on the left to see their visits over time.")
            return
        patient = self.host.db.get_patient(self.patient_id)
        redactor.add(patient.first_name, patient.last_name, patient.record_number or "")
        self.history = PatientHistory.from_database(self.host.db, self.patient_id)
        visits = self.history.visits
        name = f"{patient.first_name} {patient.last_name}"
        if not visits:
            self.history = None
            self._say(
                f"{name} has no measured visit yet. Press “New assessment” (Ctrl+T); each "
                "re-test then appears here with its trend and the change since the first visit."
            )
            return
        self.inner.setCurrentIndex(1)
        self.title.setText(f"History · {name}")
        span = self.history.weeks(visits[-1])
        involved = patient.involved_side if patient.involved_side in ("left", "right") else None
        bits = [f"{len(visits)} visit" + ("s" if len(visits) != 1 else "")]
        if len(visits) > 1:
            bits.append(f"over {span:.0f} weeks")
        if involved:
            bits.append(f"{involved} side involved")
        if len(visits) == 1:
            bits.append("trends and changes appear after the first re-test")
        self.subtitle.setText(" · ".join(bits))
        self._fill_timeline()
        self.compare.set_history(self.history)
        self._draw_lunge()
        with QSignalBlocker(self.condition):
            self.condition.clear()
            for condition in self.history.balance_conditions:
                self.condition.addItem(CONDITION_WORDS[condition], condition)
            ec = self.condition.findData("ec_firm")
            self.condition.setCurrentIndex(max(ec, 0))
        self._draw_balance()
        log.info("history shown for patient %d (%d visits)", self.patient_id, len(visits))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.inner.setCurrentWidget(self.message)

    # ------------------------------------------------------------------ timeline
    def _fill_timeline(self) -> None:
        assert self.history is not None
        with QSignalBlocker(self.timeline):
            self.timeline.clear()
            for visit in self.history.visits:
                weeks = self.history.weeks(visit)
                examiner = visit.examiner or "examiner not recorded"
                day = f"{visit.day.day} {visit.day:%b %Y}"
                text = f"Visit {visit.number}  ·  week {weeks:.0f}\n{day}\n{examiner}"
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, visit.session_id)
                item.setToolTip(
                    tooltip(f"{visit.label}, examiner {visit.examiner or 'not recorded'}")
                )
                self.timeline.addItem(item)
        rows = self.timeline.sizeHintForRow(0) if self.timeline.count() else 60
        self.timeline.setFixedHeight(rows + 2 * self.timeline.frameWidth() + 4)

    @Slot()
    def _timeline_selected(self) -> None:
        rows = sorted(self.timeline.row(i) for i in self.timeline.selectedItems())
        if len(rows) == 2:
            self.compare.set_comparison(rows[0], rows[1])
            self.tabs.setCurrentIndex(2)

    # ------------------------------------------------------------------ charts
    def _draw(self, charts: list[TrendChart], measures: tuple[Measure, ...]) -> None:
        assert self.history is not None
        visits = self.history.visits
        weeks = [self.history.weeks(v) for v in visits]
        dates = [f"{v.day.day} {v.day:%b}" for v in visits]
        for chart, measure in zip(charts, measures, strict=True):
            series = [self.history.series(measure, side) for side in ("left", "right")]
            chart.show_series(measure, series, weeks, dates)

    def _band_words(self, measures: tuple[Measure, ...]) -> list[str]:
        assert self.history is not None
        words = []
        for measure in measures:
            s = self.history.series(measure, "left")
            if s.mdc is not None:
                mdc = (
                    f"{s.mdc:g}{measure.units}"
                    if measure.units == "°"
                    else (f"{s.mdc:g} {measure.units}")
                )
                words.append(f"{measure.title}: MDC {mdc} ({s.mdc_basis}).")
            else:
                words.append(f"{measure.title}: no published MDC, so no band; changes are "
                             "shown for information only.")  # fmt: skip
        return words

    def _examiner_words(self) -> str:
        assert self.history is not None
        visits = self.history.visits
        others = [v for v in visits[1:] if v.examiner.casefold() != visits[0].examiner.casefold()]
        if not others:
            return ""
        names = ", ".join(f"{v.label} ({v.examiner or 'examiner not recorded'})" for v in others)
        return (f"The band uses the same-examiner MDC; {names} had another examiner and is judged "
                "against the between-examiner MDC.")  # fmt: skip

    def _draw_lunge(self) -> None:
        self._draw(self.lunge_charts, LUNGE_MEASURES)
        assert self.history is not None
        lines = self._band_words(LUNGE_MEASURES)
        lines += [w for w in (self._examiner_words(),) if w] + self.history.site_notes()
        self.lunge_notes.setText("\n".join(lines))

    @Slot()
    def _draw_balance(self) -> None:
        if self.history is None:
            return
        condition = self.condition.currentData()
        if condition is None:
            for chart in self.balance_charts:
                chart.title.setText("")
                chart.empty.setText("No balance trials recorded at any visit.")
                chart.stack.setCurrentWidget(chart.empty)
            self.balance_notes.setText("")
            return
        measures = balance_measures(condition)
        self._draw(self.balance_charts, measures)
        self.balance_notes.setText("\n".join(self._band_words(measures)))
