"""Names are text, never markup, on every screen that shows them (issue 12 §5).

A patient named ``<font size=40>X</font>`` showed a giant X, ``<img src="/etc/passwd"/>``
made Qt load a file and ``A & B < C`` lost "< C". Each name here goes into the first and
last name, the examiner of an unfinished visit and the record number; every page and
message box that shows the patient is opened and what Qt *renders* is read back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from clinic_app.storage import Database
from clinic_app.storage.validation import validate_patient
from clinic_app.ui.patients.form import PatientFormDialog
from clinic_app.ui.selftest_support import type_into
from tests.exchange.conftest import add_visit

NASTY = ["<font size=40>X</font>", '<img src="/etc/passwd"/>', "A & B < C"]


def rendered(label: QLabel) -> str:
    """The characters Qt draws for ``label`` (rich text is parsed as Qt would)."""
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(text)
    )
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def rendered_tooltip(text: str) -> str:
    """What a tooltip shows (tooltips guess rich text the same way)."""
    if not Qt.mightBeRichText(text):
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def _shown_labels(top: QWidget, fragment: str) -> list[QLabel]:
    return [
        label
        for label in top.findChildren(QLabel)
        if label.isVisibleTo(top) and (fragment in label.text() or "&lt;" in label.text())
    ]


def _check_window(top: QWidget, name: str, where: str) -> int:
    """Every label whose source mentions the name renders it exactly; returns how many."""
    fragment = name[:5]
    labels = _shown_labels(top, fragment)
    for label in labels:
        assert name in rendered(label), (
            f"{where}: {label.objectName() or type(label).__name__} renders "
            f"{rendered(label)!r} for {label.text()!r}"
        )
        if label.toolTip():
            assert fragment not in label.toolTip() or name in rendered_tooltip(label.toolTip())
    return len(labels)


@pytest.fixture
def nasty_patient(db: Database, request: pytest.FixtureRequest) -> Iterator[tuple[int, str]]:
    name = request.param
    patient = db.create_patient(
        {
            "first_name": "Ana",
            "last_name": name,
            "birth_date": "1990-04-17",
            "record_number": name,
            "mass_kg": "61.5",
        }
    )
    add_visit(db, patient.id, "2026-09-01T09:00:00Z", 35.0, 3)
    add_visit(db, patient.id, "2026-10-06T09:00:00Z", 38.0, 4)
    db.create_session(patient.id, name)  # an unfinished visit, examined by "name"
    yield patient.id, name


@pytest.mark.parametrize("nasty_patient", NASTY, indirect=True)
def test_every_screen_renders_the_name_as_typed(
    qtbot: Any, make_window: Callable[..., Any], db: Database, nasty_patient: tuple[int, str]
) -> None:
    patient_id, name = nasty_patient
    window = make_window()
    window.resize(1366, 740)
    counted = _check_window(window, name, "start (recovery bar)")
    assert window.recovery_bar.isVisible()
    window.select_patient(patient_id)
    for key in ("patient", "history", "assessment"):
        assert window.show_page(key)
        qtbot.wait(50)
        counted += _check_window(window, name, key)
    finished = [s for s in db.list_sessions(patient_id) if s.status == "complete"]
    assert window.open_session(finished[-1].id)
    qtbot.wait(50)
    counted += _check_window(window, name, "results (and the toolbar's patient chip)")
    assert name in window.patient_chip.text()
    assert name in rendered(window.patient_chip)
    window.show_page("patient")
    # name on the patient page, subtitle (record number), recovery bar, history title,
    # setup heading, resume text, results heading, chip: at least one label each
    assert counted >= 8

    seen: list[str] = []

    def read_box() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.extend(rendered(label) for label in box.findChildren(QLabel) if label.text())
        box.reject()

    QTimer.singleShot(100, read_box)
    window.actions_.delete_patient.trigger()
    assert any(name in text for text in seen), seen


@pytest.mark.parametrize("bad", ["Ana\x00", "An\x07a", "\x1b[31mAna", "Ana\u202eanA", "A\x85na"])
def test_control_characters_are_refused_at_entry(qtbot: Any, db: Database, bad: str) -> None:
    errors = validate_patient({"first_name": bad, "last_name": "Ruiz", "birth_date": "1990-01-01"})
    assert "control characters" in errors["first_name"]
    dialog = PatientFormDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    for field, text in (("last_name", "Ruiz"), ("birth_date", "1990-01-01")):
        type_into(dialog.fields[field].editor, text)
    editor = dialog.fields["first_name"].editor
    editor.setFocus()
    QApplication.clipboard().setText(bad)  # pasted from another program, as it happens
    QTest.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert dialog.values()["first_name"] == bad
    assert "control characters" in dialog.visible_error("first_name")
    assert not dialog.save_button.isEnabled()
    type_into(dialog.fields["first_name"].editor, "Ana")
    assert dialog.visible_error("first_name") == ""
    assert dialog.save_button.isEnabled()


def test_names_may_keep_joiners_and_notes_keep_line_breaks() -> None:
    fields = {
        "first_name": "می\u200cخواهم",  # Persian needs the zero-width non-joiner
        "last_name": "Ruiz",
        "birth_date": "1990-01-01",
        "notes": "line one\nline two\twith a tab",
    }
    assert validate_patient(fields) == {}
    assert "control" in validate_patient(dict(fields, notes="bell\x07"))["notes"]
