"""Save as PDF, Print and Export from the GUI: checked, audited, remembered (issues 12, 14 §5).

The file dialog and the yes/no questions are answered by replacing the static Qt calls
(the only part of the flow that waits for a person); everything else is the real widget
over a real database file, and the files written are read back with pypdf.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from clinic_app.bench.report import build_fixture_db
from clinic_app.storage import Database
from clinic_app.ui import documents
from clinic_app.ui.patients.export_dialog import ExportDialog
from clinic_app.ui.plan_editor.report_preview import ReportPreview


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "data" / "clinic.sqlite3"
    path.parent.mkdir()
    build_fixture_db(path, visits=2)
    with Database.open(path, backup_on_start=False) as database:
        yield database


def _disclosures(db: Database) -> list[dict[str, Any]]:
    return [e.details for e in db.audit_entries("patient", 1) if e.action == "disclose"]


def _answer_save(monkeypatch: pytest.MonkeyPatch, answers: list[str], seen: list[str]) -> None:
    def get_save_file_name(parent: Any, caption: str, start: str, *args: Any, **kw: Any):  # type: ignore[no-untyped-def]
        seen.append(start)
        return answers.pop(0), "PDF files (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save_file_name))


def _refusal_shown() -> str:
    for widget in QApplication.topLevelWidgets():
        box = widget if isinstance(widget, QMessageBox) else None
        if box is not None and box.objectName() == "outputRefused" and box.isVisible():
            text = box.text()
            box.close()
            return text
    return ""


def test_save_as_pdf_remembers_the_folder_asks_before_replacing_and_audits(
    qtbot: Any, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = ReportPreview(db, 1)
    qtbot.addWidget(preview)
    folder = tmp_path / "Ana's letters"
    folder.mkdir()
    seen: list[str] = []
    _answer_save(monkeypatch, [str(folder / "report")], seen)
    preview._on_save()
    saved = folder / "report.pdf"  # the dialog may leave the extension off
    assert len(PdfReader(saved).pages) == len(preview.page_images())
    assert saved.stat().st_mode & 0o777 == 0o600
    assert Path(seen[0]).parent == documents.system_documents()  # first time: Documents
    assert _disclosures(db) == [
        {"document": "report", "session_id": preview.visit_id, "file": "report.pdf"}
    ]

    # Next time it opens where this patient's documents went; replacing needs a yes.
    questions: list[str] = []

    def say_no(parent: Any, title: str, text: str, *args: Any) -> QMessageBox.StandardButton:
        questions.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", staticmethod(say_no))
    before = saved.read_bytes()
    preview.set_document("handout")
    _answer_save(monkeypatch, [str(saved)], seen)
    preview._on_save()
    assert Path(seen[1]).parent == folder
    assert questions and "report.pdf already exists" in questions[0]
    assert saved.read_bytes() == before and "existing file was kept" in preview.status.text()
    assert len(_disclosures(db)) == 1  # nothing left, nothing audited


def test_save_as_pdf_refuses_the_database_and_other_kinds_of_file(
    qtbot: Any, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = ReportPreview(db, 1)
    qtbot.addWidget(preview)
    notes = tmp_path / "notes.pdf"
    notes.write_text("a,b\n1,2\n", encoding="utf-8")  # a CSV under a PDF name
    original = db.path.read_bytes()
    for target, words in ((db.path, "patient database"), (notes, "is a CSV file")):
        _answer_save(monkeypatch, [str(target)], [])
        preview._on_save()
        assert words in _refusal_shown()
        assert words in preview.status.text()
    assert notes.read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert db.path.read_bytes()[:16] == original[:16] == b"SQLite format 3\x00"
    assert _disclosures(db) == []


def test_print_is_audited_first_and_the_last_printer_is_one_click_away(
    qtbot: Any, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No print server here: a "printer" named Reception that writes a PDF file.
    monkeypatch.setattr(QPrinterInfo, "availablePrinterNames", staticmethod(lambda: ["Reception"]))
    out = tmp_path / "printed.pdf"

    def make_printer(self: ReportPreview, name: str = "") -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        printer.printerName = lambda: name or "Reception"  # type: ignore[method-assign]
        return printer

    monkeypatch.setattr(ReportPreview, "make_printer", make_printer)
    preview = ReportPreview(db, 1)
    qtbot.addWidget(preview)
    assert not preview.quick_print_button.isVisibleTo(preview)  # nothing printed yet
    preview._print_to(preview.make_printer("Reception"))  # what "Print…" does after the dialog
    assert len(PdfReader(out).pages) == len(preview.page_images())
    assert preview.quick_print_button.isVisibleTo(preview)
    assert preview.quick_print_button.text() == "Print to Reception"

    out.unlink()
    again = ReportPreview(db, 1)  # another day, another patient page: still one click
    qtbot.addWidget(again)
    again.set_document("handout")
    again.quick_print_button.click()
    assert len(PdfReader(out).pages) == len(again.page_images())  # the handout's pages
    assert (
        _disclosures(db)
        == [
            {"document": "report", "session_id": preview.visit_id, "printer": "Reception"},
            {"document": "handout", "session_id": again.visit_id, "printer": "Reception"},
        ][::-1]
    )


def test_export_dialog_makes_the_command_line_checks_and_audits_first(
    qtbot: Any, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ExportDialog(db, 1)
    qtbot.addWidget(dialog)
    target = tmp_path / "exports" / "new"
    dialog.folder.setText(str(target))
    dialog.choose("raw")
    assert not dialog.recordings.isEnabled()
    dialog.export()
    assert dialog.result() == ExportDialog.DialogCode.Accepted
    assert dialog.written and all(p.is_file() for p in dialog.written)
    assert {p.suffix for p in dialog.written} == {".csv", ".c3d"}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in dialog.written)
    assert target.stat().st_mode & 0o777 == 0o700
    exports = [e for e in db.audit_entries("patient", 1) if e.action == "export"]
    assert exports[0].details == {"format": "raw", "deidentified": False,
                                  "files": len(dialog.written)}  # fmt: skip

    refused = ExportDialog(db, 1)  # the backups folder, as on the command line
    qtbot.addWidget(refused)
    refused.folder.setText(str(db.path.parent / "backups"))
    refused.choose("json")
    refused.export()
    assert "backups folder" in refused.error.text() and refused.result() == 0

    # Same files again: replaced only after a yes; a no keeps them and writes nothing.
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a: QMessageBox.StandardButton.No))  # fmt: skip
    stamp = {p: p.stat().st_mtime_ns for p in dialog.written}
    again = ExportDialog(db, 1)
    qtbot.addWidget(again)
    assert again.folder.text() == str(target)  # remembered for this patient
    again.choose("raw")
    again.export()
    assert "existing files were kept" in again.error.text()
    assert {p: p.stat().st_mtime_ns for p in dialog.written} == stamp
    assert len([e for e in db.audit_entries("patient", 1) if e.action == "export"]) == 1
