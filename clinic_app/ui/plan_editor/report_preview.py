"""Preview of the clinician report and the patient handout; print or save as PDF.

Self-contained widget::

    preview = ReportPreview(db, patient_id, session_id=None)   # latest session by default
    preview.set_plan(plan)        # show an edited, not yet saved plan (plan editor preview)

The PDFs are built in memory by :mod:`clinic_app.reports` and rendered page by page with
pypdfium2; printing sends the same pages to a :class:`QPrinter`, so paper and screen agree.
The main window mounts :class:`ReportPreviewPage` (``PageSpec "report"``).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import UserError
from clinic_app.plan import Plan
from clinic_app.reports import ReportData, build_clinician_report, build_handout
from clinic_app.reports.common import write_atomic
from clinic_app.reports.source import load_report_data
from clinic_app.ui import theme

log = logging.getLogger(__name__)

DOCUMENTS = {"report": "Clinician report", "handout": "Patient handout"}
PREVIEW_WIDTH_PX = 820


def render_pages(pdf: bytes, width_px: int) -> list[QImage]:
    """Every page of a PDF as an RGB image ``width_px`` wide."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [render_pages_one(document, i, width_px) for i in range(len(document))]
    finally:
        document.close()


class ReportPreview(QWidget):
    """Both documents of one patient's session, on screen, to the printer, or to a file.

    Parameters
    ----------
    db : clinic_app.storage.Database
    patient_id : int
    session_id : int, optional
        Default: the patient's latest session with results.
    """

    document_built = Signal(str, int)
    """Emitted with the document key and its page count after each build."""

    def __init__(
        self,
        db: Any,
        patient_id: int,
        session_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.patient_id = patient_id
        self.session_id = session_id
        self._plan: Plan | None = None
        self._data: ReportData | None = None
        self._pdf = b""
        self._images: list[QImage] = []
        self.setObjectName("reportPreview")

        self.document = QComboBox()
        for key, label in DOCUMENTS.items():
            self.document.addItem(label, key)
        self.paper = QComboBox()
        self.paper.addItems(["A4", "Letter"])
        self.print_button = QPushButton("Print…  (Ctrl+P)")
        self.save_button = QPushButton("Save as PDF…  (Ctrl+S)")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        for widget in (QLabel("Document"), self.document, QLabel("Paper"), self.paper):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.print_button)
        bar.addWidget(self.save_button)

        self.pages = QWidget()
        self.pages_layout = QVBoxLayout(self.pages)
        self.pages_layout.setSpacing(theme.GAP)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.pages)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.scroll_area, 1)

        paper = str(db.get_setting("paper_size") or "A4")
        self.paper.setCurrentText(paper if paper in ("A4", "Letter") else "A4")
        self.document.currentIndexChanged.connect(lambda _i: self.refresh())
        self.paper.currentIndexChanged.connect(lambda _i: self.refresh(reload=True))
        self.print_button.clicked.connect(self._on_print)
        self.save_button.clicked.connect(self._on_save)
        QShortcut(QKeySequence.StandardKey.Print, self, self._on_print)
        QShortcut(QKeySequence.StandardKey.Save, self, self._on_save)
        self.refresh(reload=True)

    # ------------------------------------------------------------------ API
    @property
    def kind(self) -> str:
        """``"report"`` or ``"handout"``."""
        return str(self.document.currentData())

    def set_document(self, kind: str) -> None:
        """Show ``"report"`` or ``"handout"``."""
        self.document.setCurrentIndex(list(DOCUMENTS).index(kind))

    def set_plan(self, plan: Plan | None) -> None:
        """Preview with this plan instead of the stored one (None: back to the stored one)."""
        self._plan = plan
        self.refresh(reload=True)

    def pdf_bytes(self) -> bytes:
        """The current document as PDF."""
        return self._pdf

    def page_images(self) -> list[QImage]:
        """The rendered pages of the current document."""
        return list(self._images)

    def refresh(self, reload: bool = False) -> None:
        """Rebuild the current document (``reload``: gather the data from the database again)."""
        try:
            if reload or self._data is None:
                self._data = load_report_data(
                    self.db,
                    self.patient_id,
                    self.session_id,
                    paper=self.paper.currentText(),
                    plan=self._plan,
                )
            buffer = io.BytesIO()
            build = build_handout if self.kind == "handout" else build_clinician_report
            build(self._data, buffer)
        except UserError as exc:
            self._show_error(str(exc))
            return
        self._pdf = buffer.getvalue()
        self._images = render_pages(self._pdf, PREVIEW_WIDTH_PX)
        self._show_pages()
        self.status.setText(
            f"{DOCUMENTS[self.kind]} · {len(self._images)} pages · {self.paper.currentText()}"
        )
        self.print_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.document_built.emit(self.kind, len(self._images))

    def save_pdf(self, path: Path) -> Path:
        """Write the current document to ``path`` (atomically)."""
        pdf = self._pdf

        def write(buffer: io.BytesIO) -> None:
            buffer.write(pdf)

        written = write_atomic(write, Path(path))
        log.info("%s saved for patient %d", self.kind, self.patient_id)
        return written

    def print_document(self, printer: QPrinter) -> int:
        """Print every page (rendered at the printer's resolution); return the page count."""
        painter = QPainter()
        if not painter.begin(printer):
            raise UserError("The printer could not be started.")
        try:
            dpi = printer.resolution()
            document = pdfium.PdfDocument(self._pdf)
            count = len(document)
            for index in range(count):
                if index:
                    printer.newPage()
                width_px = int(document[index].get_width() / 72.0 * dpi)
                image = render_pages_one(document, index, width_px)
                target = painter.viewport()
                scaled = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRect(target.topLeft(), scaled), image)
            document.close()
        finally:
            painter.end()
        log.info("%s printed for patient %d (%d pages)", self.kind, self.patient_id, count)
        return count

    # ------------------------------------------------------------------ internals
    def _show_pages(self) -> None:
        while self.pages_layout.count():
            item = self.pages_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for n, image in enumerate(self._images, start=1):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setToolTip(f"Page {n}")
            label.setStyleSheet(f"border: 1px solid {theme.BORDER}; background: white;")
            self.pages_layout.addWidget(label)

    def _show_error(self, message: str) -> None:
        self._images = []
        self._pdf = b""
        self._show_pages()
        self.status.setText(message)
        self.print_button.setEnabled(False)
        self.save_button.setEnabled(False)

    def _on_print(self) -> None:
        if not self._pdf:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            try:
                self.print_document(printer)
            except UserError as exc:
                self.status.setText(str(exc))

    def _on_save(self) -> None:
        if not self._pdf or self._data is None:
            return
        from clinic_app.commands.report import default_name

        name = default_name(
            self.patient_id,
            self._data.visit.session_id,
            self._data.visit.day.isoformat(),
            self.kind == "handout",
        )
        path, _ = QFileDialog.getSaveFileName(self, "Save as PDF", name, "PDF files (*.pdf)")
        if path:
            try:
                self.status.setText(f"Saved {self.save_pdf(Path(path))}")
            except OSError as exc:
                self.status.setText(f"Could not save {path}: {exc.strerror}")


def render_pages_one(document: pdfium.PdfDocument, index: int, width_px: int) -> QImage:
    """One page of an open PDF as an RGB image ``width_px`` wide."""
    page = document[index]
    bitmap = page.render(scale=width_px / page.get_width(), rev_byteorder=True)
    image = QImage(
        bytes(bitmap.buffer),
        bitmap.width,
        bitmap.height,
        bitmap.stride,
        QImage.Format.Format_RGB888,
    ).copy()
    page.close()
    return image


class ReportPreviewPage(QWidget):
    """The main window's "Report" page: a :class:`ReportPreview` of the selected patient."""

    def __init__(self, host: Any) -> None:
        super().__init__()
        self.host = host
        self.preview: ReportPreview | None = None
        self.message = QLabel("Pick a patient to see their report and handout.")
        self.message.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.message)

    def show_patient(self, patient_id: int | None) -> None:
        """Show the latest session of ``patient_id`` (called by the main window)."""
        if self.preview is not None:
            self.preview.setParent(None)
            self.preview.deleteLater()
            self.preview = None
        if patient_id is None:
            self.message.show()
            return
        self.message.hide()
        self.preview = ReportPreview(self.host.db, patient_id, parent=self)
        self._layout.addWidget(self.preview)
