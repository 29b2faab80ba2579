"""Colours, fonts and sizes of the DorsiLab window (one place, so every screen agrees).

Conventions
-----------
- Sizes of text are in **points**, never pixels: Qt 6 scales points with the screen's
  DPI, so the window stays readable on a 4K clinic monitor and on a 1366×768 laptop.
- Left and right are always :data:`LEFT` and :data:`RIGHT` (Okabe-Ito blue and
  vermillion, distinguishable with every common colour-vision deficiency) in plots,
  tables and PDFs.
- Green, amber and red are only for verdicts and always appear with a word beside them
  (:func:`verdict_text`), never as colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

# ---------------------------------------------------------------- colours
LEFT = "#0072B2"  # Okabe-Ito blue
RIGHT = "#D55E00"  # Okabe-Ito vermillion

GOOD = "#1E7B34"  # verdict "within reference" (with the word, never alone)
CAUTION = "#9A5B00"  # verdict "borderline" (dark amber: 4.5:1 on white)
BAD = "#B3261E"  # verdict "below reference" / errors

INK = "#1B1F24"  # body text (contrast > 15:1 on WINDOW)
MUTED = "#4A5560"  # secondary text (contrast > 7:1 on WINDOW)
WINDOW = "#F6F7F9"
SURFACE = "#FFFFFF"
BORDER = "#C9D0D8"
ACCENT = "#1F5FA8"  # primary buttons and the selection
ACCENT_TEXT = "#FFFFFF"
DEMO = "#7A3E9D"  # the demo banner: a colour no verdict uses

# ---------------------------------------------------------------- type scale (points)
BASE_PT = 12.0
"""Body text. Larger than the desktop default so it reads from two metres."""
SMALL_PT = 10.5
TITLE_PT = 18.0
HEADLINE_PT = 24.0
BIG_NUMBER_PT = 44.0
"""The one big number of a live screen (an angle, a time)."""

# ---------------------------------------------------------------- spacing (logical px)
GAP = 12
"""Spacing between widgets in logical pixels (Qt scales these on high-DPI screens)."""
RADIUS = 8


@dataclass(frozen=True)
class DeviceLook:
    """How a device state looks in the device strip: background, text colour, word."""

    background: str
    foreground: str


DEVICE_LOOKS: dict[str, DeviceLook] = {
    "streaming": DeviceLook("#DCEFE0", GOOD),
    "connected": DeviceLook("#DCEAF7", ACCENT),
    "connecting": DeviceLook("#FFF1D6", CAUTION),
    "reconnecting": DeviceLook("#FFF1D6", CAUTION),
    "lost": DeviceLook("#FBE1DF", BAD),
    "error": DeviceLook("#FBE1DF", BAD),
    "disconnected": DeviceLook("#ECEEF1", MUTED),
}
"""Keyed by :class:`drivers.base.DeviceState` values."""

VERDICT_WORDS = {"good": "Within reference", "caution": "Borderline", "bad": "Below reference"}


def verdict_text(kind: str) -> str:
    """The word that always accompanies a verdict colour (``good``/``caution``/``bad``)."""
    return VERDICT_WORDS[kind]


def verdict_colour(kind: str) -> str:
    """The colour of a verdict (``good``/``caution``/``bad``)."""
    return {"good": GOOD, "caution": CAUTION, "bad": BAD}[kind]


def font(point_size: float = BASE_PT, bold: bool = False) -> QFont:
    """The application font at ``point_size`` points."""
    f = QFont(QApplication.font())
    f.setPointSizeF(point_size)
    f.setBold(bold)
    return f


def set_font(widget: QWidget, point_size: float, bold: bool = False) -> None:
    """Give ``widget`` the application font at ``point_size`` points."""
    widget.setFont(font(point_size, bold))


_STYLESHEET = f"""
QWidget {{ color: {INK}; }}
QMainWindow, QDialog {{ background: {WINDOW}; }}
QToolBar {{ background: {SURFACE}; border-bottom: 1px solid {BORDER}; spacing: 4px;
           padding: 4px; }}
QToolBar QToolButton {{ padding: 6px 12px; border-radius: {RADIUS}px; }}
QToolBar QToolButton:hover {{ background: #E6ECF3; }}
QToolBar QToolButton:pressed, QToolBar QToolButton:checked {{ background: #D5E1EE; }}
QLineEdit, QPlainTextEdit, QTextEdit, QDoubleSpinBox, QSpinBox, QDateEdit {{
    background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 5px 8px;
    selection-background-color: {ACCENT}; selection-color: {ACCENT_TEXT}; }}
QComboBox {{ padding: 5px 8px; }}
QLineEdit:focus, QPlainTextEdit:focus, QDoubleSpinBox:focus,
QSpinBox:focus, QDateEdit:focus {{ border: 2px solid {ACCENT}; }}
QLineEdit[invalid="true"], QDoubleSpinBox[invalid="true"], QPlainTextEdit[invalid="true"],
QDateEdit[invalid="true"] {{ border: 2px solid {BAD}; }}
QPushButton {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px;
              padding: 7px 16px; }}
QPushButton:hover {{ background: #EEF2F6; }}
QPushButton:default, QPushButton[primary="true"] {{ background: {ACCENT}; color: {ACCENT_TEXT};
              border: 1px solid {ACCENT}; }}
QPushButton[primary="true"] {{ font-weight: bold; }}
QPushButton:disabled {{ background: #E4E7EB; color: #6B7580; border: 1px solid #D3D8DE; }}
QListView, QTableView, QTreeView {{ background: {SURFACE}; border: 1px solid {BORDER};
              border-radius: 6px; selection-background-color: {ACCENT};
              selection-color: {ACCENT_TEXT}; }}
QListView::item {{ padding: 6px 8px; border-bottom: 1px solid #EEF0F3; }}
QListView::item:selected {{ background: {ACCENT}; color: {ACCENT_TEXT}; }}
QListView::item:selected:!active {{ background: #D5E1EE; color: {INK}; }}
QListView::item:hover:!selected {{ background: #EEF2F6; }}
QWidget#deviceStrip {{ background: {SURFACE}; border-bottom: 1px solid {BORDER}; }}
QWidget#recoveryBar {{ background: #FFF1D6; border-bottom: 1px solid {BORDER}; }}
QFrame#card {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: {RADIUS}px; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#fieldError {{ color: {BAD}; font-weight: bold; }}
QLabel#demoBanner {{ background: {DEMO}; color: white; font-weight: bold; padding: 6px 12px; }}
QSplitter::handle {{ background: transparent; }}
QSplitter::handle:horizontal {{ width: 8px; }}
QSplitter::handle:hover {{ background: {BORDER}; }}
QStatusBar {{ background: {SURFACE}; border-top: 1px solid {BORDER}; }}
"""


def apply(app: QApplication) -> None:
    """Apply the DorsiLab look to ``app``: Fusion style, palette, base font, stylesheet."""
    app.setStyle("Fusion")
    base = QFont(app.font())
    base.setPointSizeF(BASE_PT)
    app.setFont(base)
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(WINDOW))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(INK))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#F0F3F6"))
    palette.setColor(QPalette.ColorRole.Text, QColor(INK))
    palette.setColor(QPalette.ColorRole.Button, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(INK))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(ACCENT_TEXT))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor(INK))
    app.setPalette(palette)
    app.setStyleSheet(_STYLESHEET)
