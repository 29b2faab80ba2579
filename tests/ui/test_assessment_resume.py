"""Resuming an interrupted visit on the assessment page uses the plan stored with the visit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from clinic_app.protocols.journal import SyncJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import Database
from clinic_app.ui.selftest_support import run_modal
from drivers.registry import default_registry
from tests.ui.conftest import PATIENT


@pytest.fixture(autouse=True)
def _close_devices() -> Iterator[None]:
    """A resumed visit opens the devices; later tests must find none left open."""
    yield
    default_registry().close_all()
    default_registry().clear()


VALID_BALANCE = {
    "planned_s": 20.0,
    "completed_s": 20.0,
    "time_to_failure_s": None,
    "failure_reason": None,
    "body_mass_kg": 61.5,
    "metrics": None,
    "processing": None,
}


def _resume(window: Any, patient_id: int) -> Any:
    window.select_patient(patient_id)
    window.show_page("assessment")
    page = window.page("assessment")
    assert page.setup.resume_box.isVisible()
    return page


def test_a_resumed_visit_keeps_its_tests_and_20_s_whatever_the_setup_screen_says(
    make_window: Any, db: Database
) -> None:
    patient_id = db.create_patient(PATIENT).id
    chosen = SessionPlan.build(
        lunge=False, conditions=("eo_firm", "ec_foam"), planned_s=20.0, practice=False
    )
    run = AssessmentRun.start(db, patient_id, chosen, SyncJournal(db))
    trial = db.begin_trial(run.session_id, "balance", "left", "eo_firm", 1)
    db.finish_trial(trial, "valid", VALID_BALANCE)
    db.begin_trial(run.session_id, "balance", "left", "eo_firm", 2)  # the crash

    window = make_window()
    page = _resume(window, patient_id)
    # The setup screen now shows other tests and 10 s (its defaults, or another visit's).
    page.setup.lunge.setChecked(True)
    for condition, box in page.setup.conditions.items():
        box.setChecked(condition == "ec_firm")
    page.setup.duration.setCurrentIndex(page.setup.duration.findData(10.0))
    QTest.mouseClick(page.setup.resume_button, Qt.MouseButton.LeftButton)

    assert page.run is not None and page.run.session_id == run.session_id
    page.bridge.stop()
    assert page.run.plan == chosen
    labels = [page.live.steps.item(i).text() for i in range(page.live.steps.count())]
    assert len(labels) == 4
    assert [("EO" in t and "foam" not in t, "EC foam" in t) for t in labels] == [
        (True, False), (True, False), (False, True), (False, True),
    ]  # fmt: skip
    assert "1/3" in labels[0] and not any("Lunge" in t for t in labels)
    assert page.run.protocol.settings.planned_s == 20.0
    assert page.run.protocol.status().big_text == "20 s"
    run_modal(page.finish_visit, _finish_anyway, QMessageBox)  # tests are missing: asked
    assert db.get_session(run.session_id).status == "complete"


def test_a_visit_stored_without_a_plan_resumes_with_the_setup_screen_choice(
    make_window: Any, db: Database
) -> None:
    patient_id = db.create_patient(PATIENT).id
    session_id = db.create_session(patient_id, "Dr Kim")  # as visits begun before schema v2
    trial = db.begin_trial(session_id, "balance", "right", "ec_firm", 1)
    db.finish_trial(trial, "valid", VALID_BALANCE)

    window = make_window()
    page = _resume(window, patient_id)
    page.setup.lunge.setChecked(False)
    for condition, box in page.setup.conditions.items():
        box.setChecked(condition == "eo_firm")
    page.setup.duration.setCurrentIndex(page.setup.duration.findData(30.0))
    QTest.mouseClick(page.setup.resume_button, Qt.MouseButton.LeftButton)

    assert page.run is not None and page.run.session_id == session_id
    page.bridge.stop()
    keys = [s.key for s in page.run.plan.steps]  # chosen now, plus the steps with trials
    assert keys == [
        "balance:left:eo_firm", "balance:right:eo_firm",
        "balance:left:ec_firm", "balance:right:ec_firm",
    ]  # fmt: skip
    assert page.run.plan.balance.planned_s == 30.0
    run_modal(page.finish_visit, _finish_anyway, QMessageBox)


def _finish_anyway(box: Any) -> None:
    assert "Not finished" in box.text()
    next(b for b in box.buttons() if b.text() == "&Finish visit").click()


def test_a_visit_whose_stored_plan_is_damaged_is_not_resumed_and_says_why(
    make_window: Any, db: Database
) -> None:
    patient_id = db.create_patient(PATIENT).id
    data = SessionPlan.build(conditions=("eo_firm",)).to_json()
    data["balance"]["planned_s"] = "ten"
    session_id = db.create_session(patient_id, "Dr Kim", test_plan=data)

    window = make_window()
    page = _resume(window, patient_id)
    QTest.mouseClick(page.setup.resume_button, Qt.MouseButton.LeftButton)
    assert page.run is None
    assert "cannot be resumed" in page.setup.message.text()
    assert "balance.planned_s" in page.setup.message.text()
    assert db.get_session(session_id).status == "in_progress"
