"""The report preview widget: renders both PDFs, saves them, prints them (offscreen Qt)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter

from clinic_app.bench.report import build_fixture_db
from clinic_app.storage import Database
from clinic_app.ui.plan_editor.report_preview import ReportPreview, ReportPreviewPage

pytest.importorskip("pytestqt")


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "preview.sqlite3"
    build_fixture_db(path, visits=2)
    with Database.open(path, backup_on_start=False) as database:
        yield database


def test_preview_renders_saves_and_prints(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    preview = ReportPreview(db, 1)
    qtbot.addWidget(preview)
    images = preview.page_images()
    assert len(images) >= 3 and not images[0].isNull() and images[0].width() > 500
    preview.resize(1000, 900)
    preview.grab().save(str(tmp_path / "preview.png"))

    saved = preview.save_pdf(tmp_path / "report.pdf")
    assert len(PdfReader(saved).pages) == len(images)

    with qtbot.waitSignal(preview.document_built) as built:
        preview.set_document("handout")
    assert built.args[0] == "handout"
    assert (
        "Your ankle plan"
        in PdfReader(preview.save_pdf(tmp_path / "h.pdf")).pages[0].extract_text()
    )

    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert preview.print_document(printer) == len(preview.page_images())
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == len(preview.page_images())

    preview.paper.setCurrentText("Letter")
    box = PdfReader(preview.save_pdf(tmp_path / "letter.pdf")).pages[0].mediabox
    assert round(float(box.width)) == 612


def test_page_shows_a_message_for_a_patient_without_results(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    patient = db.create_patient(
        {"first_name": "Ana", "last_name": "Pérez", "birth_date": "1990-01-01", "sex": "female"}
    )

    class Host:
        pass

    host = Host()
    host.db = db  # type: ignore[attr-defined]
    page = ReportPreviewPage(host)
    qtbot.addWidget(page)
    page.show_patient(patient.id)
    assert page.preview is not None
    assert "no session with results" in page.preview.status.text()
    assert not page.preview.print_button.isEnabled()
    page.show_patient(None)
    assert page.preview is None
