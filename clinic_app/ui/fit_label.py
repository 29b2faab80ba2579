"""A word-wrapped label whose type shrinks until the whole text fits its box.

Patient-facing instructions are set large (26 pt) to be read from two metres, but on a
1366×768 laptop their box is small and the end of a sentence was simply cut ("…Lunge your
knee towards"). :class:`FitLabel` keeps the largest size, up to its maximum, at which
every word shows, and never goes below its minimum (below it, the text would not be read
from the patient's place anyway).
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

STEP_PT = 1.0
"""Size step (pt) when searching the largest size that fits."""


class FitLabel(QLabel):
    """Plain, word-wrapped text at the largest size in ``[min_pt, max_pt]`` that fits.

    Parameters
    ----------
    max_pt, min_pt : float
        Largest and smallest point size.
    """

    def __init__(self, max_pt: float, min_pt: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_pt = max_pt
        self.min_pt = min_pt
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self._fitting = False
        self._fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def minimumSizeHint(self) -> QSize:
        """Any height: the text shrinks to the box it is given."""
        hint = super().minimumSizeHint()
        return QSize(hint.width(), self.fontMetrics().lineSpacing() * 2)

    def point_size(self) -> float:
        """The size the text is drawn at now (pt)."""
        return self.font().pointSizeF()

    def _fit(self) -> None:
        if self._fitting or self.width() <= 0 or self.height() <= 0:
            return
        self._fitting = True
        try:
            font = self.font()
            size = self.max_pt
            while True:
                font.setPointSizeF(size)
                self.setFont(font)
                if size <= self.min_pt or self.heightForWidth(self.width()) <= self.height():
                    break
                size = max(size - STEP_PT, self.min_pt)
        finally:
            self._fitting = False
