"""One trend chart of the history page: left and right over the visits, with the MDC band.

Drawn with pyqtgraph, calm and static (no mouse zoom or context menu): each side is a line
in its own hue (:data:`theme.LEFT`, :data:`theme.RIGHT`), the baseline ± MDC a translucent
band in the same hue, and a visit whose change against the first visit is real wears a
star in the verdict colour (green better, red worse). The words for all of this are in the
page's legend line, so colour never speaks alone. Angles taken at another inclinometer site
are drawn apart (hollow squares, not joined) because they are never compared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from clinic_app.ui import theme
from clinic_app.ui.history.model import CONDITION_WORDS, Measure, Series

SIDE_COLOURS = {"left": theme.LEFT, "right": theme.RIGHT}
STAR_COLOURS = {"improved": theme.GOOD, "worsened": theme.BAD}


def _with_alpha(colour: str, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


class TrendChart(QWidget):
    """A titled trend chart of one measure (both sides), or a note when nothing was measured.

    Attributes
    ----------
    plot : pyqtgraph.PlotWidget
    star_count : int
        Real-change markers drawn (for tests and the page's summary).
    band_count : int
        MDC bands drawn.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        theme.set_font(self.title, theme.BASE_PT + 1, bold=True)
        self.plot = pg.PlotWidget(background=theme.SURFACE)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(180)
        tick_font = QFont(theme.font(theme.SMALL_PT))
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTextPen(pg.mkPen(theme.INK))
            axis.setPen(pg.mkPen(theme.BORDER))
            axis.setTickFont(tick_font)
            axis.setStyle(hideOverlappingLabels=False)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.empty = QLabel()
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)
        self.star_count = 0
        self.band_count = 0

    def show_series(self, measure: Measure, series: Sequence[Series], weeks: Sequence[float],
                    dates: Sequence[str]) -> None:  # fmt: skip
        """Draw ``series`` (one per side) at the visits' ``weeks`` labelled with ``dates``."""
        where = f", {CONDITION_WORDS[measure.condition].lower()}" if measure.condition else ""
        self.title.setText(f"{measure.title}{where} ({measure.units})")
        self.plot.clear()
        self.star_count = self.band_count = 0
        values = [p.value for s in series for p in s.points if p.value is not None]
        if not values:
            self.empty.setText(f"{measure.title}: not measured at any visit.")
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentWidget(self.plot)
        margin = max(0.1 * (max(weeks) - min(weeks)), 0.6)
        lo_x, hi_x = min(weeks) - margin, max(weeks) + margin
        bottom = self.plot.getAxis("bottom")
        bottom.setTicks([list(zip(weeks, dates, strict=True)), []])
        ys: list[float] = list(values)
        for s in series:
            ys += self._draw_side(s, lo_x, hi_x)
        pad = 0.12 * (max(ys) - min(ys) or 1.0)
        self.plot.setXRange(lo_x, hi_x, padding=0)
        self.plot.setYRange(min(ys) - pad, max(ys) + pad, padding=0)

    def _draw_side(self, s: Series, lo_x: float, hi_x: float) -> list[float]:
        colour = SIDE_COLOURS[s.side]
        extra: list[float] = []
        base_site = s.points[0].site if s.points else None
        same = [p for p in s.points if p.value is not None and p.site == base_site]
        other = [p for p in s.points if p.value is not None and p.site != base_site]
        if s.baseline is not None and s.mdc is not None and len(s.points) > 1:
            # The band only reaches over visits measured like the baseline: angles from
            # another inclinometer site are never judged against it.
            last_same = max(p.weeks for p in same)
            right_edge = hi_x if not other else last_same + 0.5 * (hi_x - last_same)
            xs = np.array([lo_x, right_edge])
            upper = pg.PlotDataItem(xs, np.full(2, s.baseline + s.mdc),
                                    pen=pg.mkPen(_with_alpha(colour, 120), width=1,
                                                 style=Qt.PenStyle.DashLine))  # fmt: skip
            lower = pg.PlotDataItem(xs, np.full(2, s.baseline - s.mdc),
                                    pen=pg.mkPen(_with_alpha(colour, 120), width=1,
                                                 style=Qt.PenStyle.DashLine))  # fmt: skip
            self.plot.addItem(upper)
            self.plot.addItem(lower)
            self.plot.addItem(pg.FillBetweenItem(upper, lower, brush=_with_alpha(colour, 28)))
            self.band_count += 1
            extra += [s.baseline + s.mdc, s.baseline - s.mdc]
        if same:
            self.plot.plot(
                [p.weeks for p in same], [p.value for p in same],
                pen=pg.mkPen(colour, width=3), symbol="o", symbolSize=12,
                symbolBrush=colour, symbolPen=pg.mkPen(theme.SURFACE, width=1.5),
            )  # fmt: skip
        if other:
            self.plot.plot(
                [p.weeks for p in other], [p.value for p in other], pen=None, symbol="s",
                symbolSize=12, symbolBrush=theme.SURFACE, symbolPen=pg.mkPen(colour, width=2.5),
            )  # fmt: skip
        stars = [p for p in s.points if p.real and p.value is not None]
        if stars:
            scatter = pg.ScatterPlotItem(
                [p.weeks for p in stars], [p.value for p in stars], symbol="star", size=26,
                brush=[STAR_COLOURS.get(p.status, theme.MUTED) for p in stars],
                pen=pg.mkPen(theme.INK, width=1), hoverable=True,
                data=[p.text for p in stars], tip=lambda x, y, data: str(data),
            )  # fmt: skip
            self.plot.addItem(scatter)
            self.star_count += len(stars)
        return extra
