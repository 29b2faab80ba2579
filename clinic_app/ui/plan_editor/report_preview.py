"""Preview of the clinician report and the patient handout; print or save as PDF.

Self-contained widget::

    preview = ReportPreview(db, patient_id, session_id=None)   # latest session by default
    preview.set_plan(plan)        # show an edited, not yet saved plan (plan editor preview)

The PDFs are built in memory by :mod:`clinic_app.reports` and rendered page by page with
pypdfium2; printing sends the same pages to a :class:`QPrinter`, so paper and screen agree.
The main window mounts :class:`ReportPreviewPage` (``PageSpec "report"``).

Saving and printing are disclosures (:mod:`clinic_app.disclosure`): each writes an audit
row first, and a saved file gets the same checks as ``clinic-app report -o`` (never the
database or a backup, never a file of another kind; an existing PDF is replaced only
after "Replace?"). Save as PDF opens in the folder last used for this patient (or the
clinic's, :mod:`clinic_app.ui.documents`); "Print to …" sends the document straight to
the printer used last, with one click.
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
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_app.disclosure import Cancelled, record_print, save_document
from clinic_app.errors import UserError
from clinic_app.output_paths import OutputCheck
from clinic_app.plan import Plan
from clinic_app.reports import ReportData, build_clinician_report, build_handout
from clinic_app.reports.source import load_report_data
from clinic_app.ui import documents, theme

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
        self.quick_print_button = QPushButton()
        self.quick_print_button.setObjectName("quickPrint")
        self.save_button = QPushButton("Save as PDF…  (Ctrl+S)")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        for widget in (QLabel("Document"), self.document, QLabel("Paper"), self.paper):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.quick_print_button)
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
        self.quick_print_button.clicked.connect(self._on_quick_print)
        self.save_button.clicked.connect(self._on_save)
        QShortcut(QKeySequence.StandardKey.Print, self, self._on_print)
        QShortcut(QKeySequence.StandardKey.Save, self, self._on_save)
        self.refresh(reload=True)
        self._offer_quick_print()

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
        self.quick_print_button.setEnabled(True)
        self.document_built.emit(self.kind, len(self._images))

    @property
    def visit_id(self) -> int | None:
        """The visit the documents are about."""
        return None if self._data is None else self._data.visit.session_id

    def save_pdf(self, path: Path, *, confirm_replace: Any = None, force: bool = False) -> Path:
        """Write the current document to ``path``: checked, audited, whole or not at all.

        Raises
        ------
        UserError
            The path is refused (the database, a backup, another kind of file…), the disk
            failed, or the audit row could not be written.
        Cancelled
            ``confirm_replace(check)`` declined to replace an existing PDF.
        """
        return save_document(
            self.db,
            self.patient_id,
            kind=self.kind,
            session_id=self.visit_id,
            pdf=self._pdf,
            path=Path(path),
            force=force,
            confirm_replace=confirm_replace,
        )

    def print_document(self, printer: QPrinter) -> int:
        """Print every page (rendered at the printer's resolution); return the page count.

        The audit row (``disclose``, the printer's name) is written before any page is
        sent; if it cannot be written nothing is printed.
        """
        where = printer.printerName() or (
            f"file {Path(printer.outputFileName()).name}" if printer.outputFileName() else ""
        )
        record_print(
            self.db, self.patient_id, kind=self.kind, session_id=self.visit_id, printer=where
        )
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
        self.quick_print_button.setEnabled(False)

    def _offer_quick_print(self) -> None:
        name = documents.last_printer()
        self.quick_print_button.setText(f"Print to {name}" if name else "")
        self.quick_print_button.setToolTip(
            f"Send the document straight to {name}, the printer used last" if name else ""
        )
        self.quick_print_button.setVisible(bool(name))

    def make_printer(self, name: str = "") -> QPrinter:
        """A printer at full resolution (``name``: a given one, else the system default)."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if name:
            printer.setPrinterName(name)
        return printer

    def _print_to(self, printer: QPrinter) -> None:
        try:
            pages = self.print_document(printer)
        except UserError as exc:
            self._refused("Not printed", str(exc))
            return
        documents.remember_printer(printer.printerName())
        self._offer_quick_print()
        target = printer.printerName() or "the chosen file"
        self.status.setText(f"{DOCUMENTS[self.kind]}: {pages} pages sent to {target}.")

    def _on_print(self) -> None:
        if not self._pdf:
            return
        printer = self.make_printer(documents.last_printer())
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self._print_to(printer)

    def _on_quick_print(self) -> None:
        name = documents.last_printer()
        if not self._pdf or not name:
            self._offer_quick_print()
            return
        self._print_to(self.make_printer(name))

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
        folder = documents.folder_for(self.db, self.patient_id)
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            "Save as PDF",
            str(folder / name),
            "PDF files (*.pdf)",
            options=QFileDialog.Option.DontConfirmOverwrite,  # asked below, by content
        )
        if not chosen:
            return
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".pdf")
        try:
            written = self.save_pdf(path, confirm_replace=self._confirm_replace)
        except Cancelled:
            self.status.setText("Not saved: the existing file was kept.")
            return
        except UserError as exc:
            self._refused("Not saved", str(exc))
            return
        documents.remember_folder(self.db, self.patient_id, written.parent)
        self.status.setText(f"Saved {written}")

    def _confirm_replace(self, check: OutputCheck) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace the file?",
            f"{check.path.name} already exists in {check.path.parent}. Replace it with "
            f"this {DOCUMENTS[self.kind].lower()}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _refused(self, title: str, message: str) -> None:
        self.status.setText(f"{title}: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=self)
        box.setObjectName("outputRefused")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()


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
