"""Nothing is skipped or finished by accident; a visit can be voided and restored.

"Finish visit" with nothing measured used to save a *complete* visit without a word, and
"N" skipped a whole test; both now ask, with the safe answer as the default. A visit
recorded by mistake is voided from the patient page (with a reason, audited, restorable)
and, like an empty visit, counts nowhere. The interrupted-visit banner goes once the
visit is closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QMessageBox

from clinic_app.storage import Database
from clinic_app.ui.history.model import PatientHistory
from clinic_app.ui.selftest_support import run_modal, type_into
from tests.exchange.conftest import add_visit
from tests.ui.assessment_rig import close_assessment, open_assessment
from tests.ui.conftest import PATIENT
from tests.ui.dialogs import answer


@pytest.fixture
def on_page(make_window: Any, db: Database) -> Iterator[dict[str, Any]]:
    rig = open_assessment(make_window, db)
    yield rig
    close_assessment(rig)


def test_finish_with_nothing_measured_asks_and_keeps_an_empty_visit_out_of_history(
    on_page: dict[str, Any], db: Database
) -> None:
    page, window = on_page["page"], on_page["window"]
    session_id = page.run.session_id
    run_modal(page.live.finish_button.click, answer("Go back to the tests"), QMessageBox)
    assert page.run is not None and not page.run.finished
    run_modal(page.live.finish_button.click, answer("Close the empty visit"), QMessageBox)
    assert page.run is None
    session = db.get_session(session_id)
    assert session.status == "abandoned"
    assert session_id not in [
        v.session.id for v in db.patient_history(on_page["patient_id"], counted_only=True)
    ]
    window.show_page("patient")
    texts = [
        window.patient_page.sessions.item(i).text()
        for i in range(window.patient_page.sessions.count())
    ]
    assert any("nothing measured (not counted)" in t for t in texts), texts
    assert window.patient_page.facts["last_visit"].text() == "no visit yet"


def test_n_asks_before_skipping_an_unfinished_test_and_n_again_skips(
    on_page: dict[str, Any],
) -> None:
    page = on_page["page"]
    first = page.run.step.label
    seen: list[str] = []

    def stay(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        QTest.keyClick(box, Qt.Key.Key_Return)  # Enter stays: the safe default

    run_modal(lambda: QTest.keyClick(page, Qt.Key.Key_N), stay, QMessageBox)
    assert page.run.step.label == first
    assert f"{first}: 0 of 3 trials" in seen[0]
    run_modal(
        lambda: QTest.keyClick(page, Qt.Key.Key_N),
        lambda box: QTest.keyClick(box, Qt.Key.Key_N),  # N, N: skip on purpose
        QMessageBox,
    )
    assert page.run.step.label != first


def test_finish_with_tests_missing_names_them_first(on_page: dict[str, Any], db: Database) -> None:
    page, visit = on_page["page"], on_page["visit"]
    run = page.run
    visit.until(lambda: on_page["visit"].patient.idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: run.protocol.phase == "entry")
    page.live.entry.distance.setText("9.5")
    QTest.keyClick(page.live.entry.distance, Qt.Key.Key_Return)
    said: list[str] = []

    def read_then_finish(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        said.append(box.text())
        answer("Finish visit")(box)

    run_modal(page.live.finish_button.click, read_then_finish, QMessageBox)
    assert "Lunge L: 1 of 3 trials" in said[0] and "Balance R EO: 0 of 3 trials" in said[0]
    assert db.get_session(run.session_id).status == "complete"


def test_a_visit_is_voided_with_a_reason_counted_nowhere_and_restored(
    make_window: Any, db: Database
) -> None:
    patient_id = db.create_patient(PATIENT).id
    first = add_visit(db, patient_id, "2026-09-01T09:00:00Z", 35.0, 3)
    mistake = add_visit(db, patient_id, "2026-10-06T09:00:00Z", 38.0, 4)
    window = make_window()
    window.select_patient(patient_id)
    page = window.patient_page
    assert len(PatientHistory.from_database(db, patient_id).visits) == 2
    page.sessions.setCurrentRow(0)  # newest first: the visit recorded by mistake
    assert page.selected_session_id() == mistake

    def give_reason(dialog: QDialog) -> None:
        assert not dialog.void_button.isEnabled()  # type: ignore[attr-defined]
        type_into(dialog.reason_field, "recorded for the wrong patient")  # type: ignore[attr-defined]
        dialog.void_button.click()  # type: ignore[attr-defined]

    run_modal(page.void_button.click, give_reason)
    session = db.get_session(mistake)
    assert session.is_voided and session.void_reason == "recorded for the wrong patient"
    assert page.sessions.item(0).text().startswith("6 Oct 2026  ·  VOIDED: recorded for")
    assert [v.session_id for v in PatientHistory.from_database(db, patient_id).visits] == [first]
    assert page.facts["last_visit"].text() == "1 Sep 2026"
    assert page.void_button.text() == "Restore visit…"
    assert "void" in [e.action for e in db.audit_entries("session", mistake)]

    run_modal(page.void_button.click, answer("Yes"), QMessageBox)
    assert not db.get_session(mistake).is_voided
    assert len(PatientHistory.from_database(db, patient_id).visits) == 2


def test_the_interrupted_visit_banner_goes_after_close_it_as_it_is(
    make_window: Any, db: Database
) -> None:
    patient_id = db.create_patient(PATIENT).id
    db.create_session(patient_id, "LM")  # left in progress, as after a crash
    window = make_window()
    assert window.recovery_bar.isVisible()
    window.select_patient(patient_id)
    assert window.show_page("assessment")
    page = window.page("assessment")
    assert page.setup.resume_box.isVisible()
    page.setup.close_button.click()
    assert not page.setup.resume_box.isVisible()
    assert not window.recovery_bar.isVisible()
