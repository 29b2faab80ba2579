"""What a clinician at a 1366×768 laptop would see cut off: checks for the fit tests.

:func:`layout_problems` walks a top-level window and names, in words, every visible
button that lies outside the window or is clipped by a parent (a scroll area, a splitter,
the window's edge), every button whose text does not fit (too narrow, or squeezed too low to read),
form rows drawn over each other, and every word-wrapped label
cut short ("…Lunge your knee towards"). The screenshot script uses the same checks.
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QFormLayout, QLabel, QScrollArea, QWidget

TEXT_SLACK_PX = 2
"""Rounding the style may leave between a button's size hint and its width (px)."""


def _name(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton | QLabel) else ""
    text = " ".join(text.split())[:40]
    return f"{type(widget).__name__} {widget.objectName() or ''} {text!r}".replace("  ", " ")


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0


def visible_rect(widget: QWidget, top: QWidget) -> QRect:
    """The part of ``widget`` not clipped by its parents, in ``top``'s coordinates."""
    rect = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        rect = rect.intersected(QRect(parent.mapTo(top, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect.intersected(QRect(QPoint(0, 0), top.size()))


def _in_scroll_area(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def layout_problems(top: QWidget, *, allow_scrolled: bool = False) -> list[str]:
    """Every clipped button, button text or wrapped label inside ``top`` (empty: fine).

    Parameters
    ----------
    top : QWidget
        A shown top-level window or dialog.
    allow_scrolled : bool
        Accept widgets clipped by a scroll area (lists of many items may scroll).
    """
    problems: list[str] = []
    for button in top.findChildren(QAbstractButton):
        if not _shown(button) or button.window() is not top:
            continue
        if type(button).__name__ in ("QToolBarExtension", "QLineEditIconButton"):
            continue
        full = QRect(button.mapTo(top, QPoint(0, 0)), button.size())
        seen = visible_rect(button, top)
        if seen != full and not (allow_scrolled and _in_scroll_area(button, top)):
            problems.append(
                f"{_name(button)} is cut off: {seen.width()}×{seen.height()} of "
                f"{full.width()}×{full.height()} px visible"
            )
        hint = button.sizeHint().width()
        if button.text() and button.width() + TEXT_SLACK_PX < hint:
            problems.append(f"{_name(button)} text clipped: {button.width()} < {hint} px")
        tall = button.sizeHint().height()
        if button.text() and button.height() + TEXT_SLACK_PX < tall:  # squeezed by its layout
            problems.append(f"{_name(button)} squashed: {button.height()} px high, needs {tall}")
    for label in top.findChildren(QLabel):
        if not _shown(label) or label.window() is not top or not label.text():
            continue
        if not label.wordWrap():
            need_w = label.minimumSizeHint().width()
            if label.width() + TEXT_SLACK_PX < need_w and label.textFormat() != 1:
                problems.append(f"{_name(label)} cut: needs {need_w} px wide, has {label.width()}")
            continue
        if not label.text() or label.hasScaledContents():
            continue
        need = label.heightForWidth(label.width())
        if need > label.height() + TEXT_SLACK_PX:
            problems.append(f"{_name(label)} cut: needs {need} px high, has {label.height()}")
    problems += _overlapping_form_rows(top)
    for area in top.findChildren(QScrollArea):
        page = getattr(area, "page", None)
        if not _shown(area) or page is None or not area.objectName().startswith("frame_"):
            continue
        bars = [b for b in (area.horizontalScrollBar(), area.verticalScrollBar()) if b.isVisible()]
        if bars and not allow_scrolled:
            need = page.minimumSizeHint()
            problems.append(
                f"page {page.objectName()} scrolls: needs {need.width()}×{need.height()} px, "
                f"has {area.viewport().width()}×{area.viewport().height()}"
            )
    return problems


def _overlapping_form_rows(top: QWidget) -> list[str]:
    """Form rows drawn over each other (a form squeezed below its rows' own heights)."""
    problems = []
    for form in top.findChildren(QFormLayout):
        parent = form.parentWidget()
        if parent is None or not _shown(parent) or parent.window() is not top:
            continue
        rows = [form.itemAt(r, QFormLayout.ItemRole.FieldRole) for r in range(form.rowCount())]
        shown = [i.geometry() for i in rows if i is not None and not i.isEmpty()]
        for above, below in pairwise(shown):
            if below.top() <= above.bottom():
                problems.append(
                    f"form rows overlap in {parent.objectName() or type(parent).__name__}: "
                    f"a row ends at y={above.bottom()}, the next starts at y={below.top()}"
                )
    return problems


def outside_screen(top: QWidget) -> str:
    """Words when ``top`` (with its frame) is not inside its screen's available area."""
    screen = top.screen()
    if screen is None:
        return ""
    area = screen.availableGeometry()
    frame = top.frameGeometry()
    if area.contains(frame):
        return ""
    return (
        f"{top.objectName() or type(top).__name__} is {frame.width()}×{frame.height()} at "
        f"({frame.x()}, {frame.y()}), the screen's free area {area.width()}×{area.height()}"
    )
