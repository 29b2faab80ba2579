"""Small trend lines of the key measures for the patient page (one glance, no axes).

Each sparkline shows left and right (theme hues) over the visits and, beside it, the first
and latest values in words, with "real change" where the analysis calls the change since
the first visit real (see :class:`clinic_app.ui.history.model.PatientHistory`). The strip
hides itself until the patient has two measured visits; the History page (Ctrl+H) has the
full charts.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QWidget

from clinic_app.numbers import fixed
from clinic_app.ui import theme
from clinic_app.ui.history.chart import SIDE_COLOURS
from clinic_app.ui.history.model import (
    LUNGE_MEASURES,
    Measure,
    PatientHistory,
    Series,
    balance_measures,
)


def _comparable(series: Series) -> list[Any]:
    """Measured points taken like the first one (angles at another site are left out)."""
    site = series.points[0].site if series.points else None
    return [p for p in series.points if p.value is not None and p.site == site]


def _words(measure: Measure, series: Series) -> str:
    values = _comparable(series)
    if not values:
        return f"{series.side.capitalize()[0]} —"
    first, last = values[0], values[-1]
    units = measure.units if measure.units == "°" else f" {measure.units}"
    text = f"{series.side.capitalize()[0]} {fixed(first.value)} → {fixed(last.value)}{units}"
    if last.real:
        text += " (real change)"
    return text


class TrendSparklines(QFrame):
    """Sparklines of knee-to-wall distance, tibial angle and eyes-closed sway velocity.

    Attributes
    ----------
    shown : list of str
        Titles of the measures drawn (for tests).
    """

    HEIGHT = 46

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(theme.GAP * 2, theme.GAP // 2, theme.GAP * 2, theme.GAP // 2)
        self.grid.setHorizontalSpacing(theme.GAP * 2)
        self.grid.setVerticalSpacing(2)
        self.shown: list[str] = []
        self.setVisible(False)

    def show_history(self, db: Any, patient_id: int | None) -> None:
        """Redraw for ``patient_id`` (hidden without two measured visits)."""
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.shown = []
        history = PatientHistory.from_database(db, patient_id) if patient_id is not None else None
        if history is None or len(history.visits) < 2:
            self.setVisible(False)
            return
        measures: list[Measure] = [LUNGE_MEASURES[1], LUNGE_MEASURES[0]]
        if "ec_firm" in history.balance_conditions:
            measures.append(balance_measures("ec_firm")[0])
        for column, measure in enumerate(measures):
            series = [history.series(measure, side) for side in ("left", "right")]
            if not any(p.value is not None for s in series for p in s.points):
                continue
            where = ", eyes closed" if measure.condition else ""
            title = QLabel(f"{measure.title}{where}")
            title.setObjectName("muted")
            title.setWordWrap(True)
            self.grid.addWidget(title, 0, column)
            self.grid.addWidget(self._spark(series), 1, column)
            words = QLabel("\n".join(_words(measure, s) for s in series))
            theme.set_font(words, theme.SMALL_PT)
            words.setWordWrap(True)  # never widen the window on a small screen
            self.grid.setColumnStretch(column, 1)
            self.grid.addWidget(words, 2, column)
            self.shown.append(measure.title)
        self.setVisible(bool(self.shown))

    def _spark(self, series: list[Series]) -> pg.PlotWidget:
        plot = pg.PlotWidget(background=theme.SURFACE)
        plot.setFixedHeight(self.HEIGHT)
        plot.setMinimumWidth(90)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        for axis in ("left", "bottom"):
            plot.hideAxis(axis)
        plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for s in series:
            pts = _comparable(s)
            if pts:
                plot.plot([p.weeks for p in pts], [p.value for p in pts],
                          pen=pg.mkPen(SIDE_COLOURS[s.side], width=2.5), symbol="o",
                          symbolSize=6, symbolBrush=SIDE_COLOURS[s.side],
                          symbolPen=None)  # fmt: skip
        return plot
