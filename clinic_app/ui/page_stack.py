"""The main window's page stack, where no page can make the window outgrow a laptop screen.

A ``QStackedWidget`` is as large as its largest page, ever: once the plan editor (about
1380 × 790 px at its minimum) had been opened, the window grew to 1669 × 968 on a
1366 × 768 screen and stayed that size on every page, with the plan's buttons off-screen.
Here each page sits in a frameless scroll area that takes the page's minimum size only
as far as the window has room: a page that fits is laid out as before, a page that does
not scrolls inside itself, and the window keeps the size the clinician gave it.

The stack hands out the pages themselves (``currentWidget``, ``indexOf``), never the
scroll areas, so callers need not know about them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QStackedWidget, QVBoxLayout, QWidget


class _PlainHeightLayout(QVBoxLayout):
    """Holds a page at its minimum height rule, not its height-for-width.

    A scroll area sizes a page whose layout has height-for-width (any word-wrapped label)
    from the children's *preferred* heights, so a page that fits at its minimum still
    scrolled (the patient page by 59 px at 1366×768). Pages are designed to fit at their
    minimum; the fit tests check that no wrapped label is then cut.
    """

    def hasHeightForWidth(self) -> bool:
        return False


class PageFrame(QScrollArea):
    """A frameless, transparent scroll area around one page (scroll bars only if needed)."""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self.page = page
        self.setObjectName(f"frame_{page.objectName()}")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QScrollArea { background: transparent; }")
        holder = QWidget()
        holder.setObjectName(f"holder_{page.objectName()}")
        layout = _PlainHeightLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(page)
        self.setWidget(holder)


class PageStack(QStackedWidget):
    """A stacked widget of pages, each in a :class:`PageFrame`; see the module docstring."""

    def addWidget(self, page: QWidget) -> int:
        """Add ``page`` (wrapped in its scroll area); returns its index."""
        return super().addWidget(PageFrame(page))

    def _frame(self, page: QWidget | None) -> QWidget | None:
        if page is None:
            return None
        for i in range(self.count()):
            frame = super().widget(i)
            if isinstance(frame, PageFrame) and frame.page is page:
                return frame
        return None

    def widget(self, index: int) -> QWidget | None:
        """The page at ``index`` (not its scroll area)."""
        frame = super().widget(index)
        return frame.page if isinstance(frame, PageFrame) else frame

    def currentWidget(self) -> QWidget | None:
        """The page on screen (not its scroll area)."""
        frame = super().currentWidget()
        return frame.page if isinstance(frame, PageFrame) else frame

    def setCurrentWidget(self, page: QWidget) -> None:
        """Show ``page``."""
        frame = self._frame(page)
        super().setCurrentWidget(frame if frame is not None else page)

    def indexOf(self, page: QWidget) -> int:
        """Index of ``page``, -1 when it is not in the stack."""
        frame = self._frame(page)
        return super().indexOf(frame if frame is not None else page)
