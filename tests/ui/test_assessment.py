"""The assessment and results pages in the real window, on simulated devices (manual clock)."""

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
from tests.ui.assessment_rig import open_assessment
from tests.ui.conftest import PATIENT


@pytest.fixture
def rig(make_window: Any, db: Database) -> Iterator[dict[str, Any]]:
    """The window on the assessment page for a patient, simulated devices on a manual clock."""
    rig = open_assessment(make_window, db, begin=False)
    page = rig["page"]
    yield rig
    if page.run is not None:  # no trial left running: closing would ask the clinician
        page.key_abort()
    default_registry().close_all()
    default_registry().clear()


def start(rig: dict[str, Any]) -> Any:
    page = rig["page"]
    QTest.mouseClick(page.setup.start_button, Qt.MouseButton.LeftButton)
    assert page.run is not None
    page.bridge.stop()  # the test ticks the bridge on the manual clock
    return page.run


def test_a_whole_visit_ends_on_the_results_page_with_everything_stored(rig, db) -> None:
    run = start(rig)
    labels = [rig["page"].live.steps.item(i).text() for i in range(4)]
    assert "●" in labels[0] and "Lunge L" in labels[0] and "Balance R EO" in labels[3]
    captured = []
    session_id = rig["visit"].play(on_phase=lambda name, r: captured.append(name))
    assert "captured" in captured and "balance_done" in captured
    window = rig["window"]
    assert window.current_page_key() == "results"
    assert db.get_session(session_id).status == "complete"
    trials = db.trials_for_session(session_id)
    assert {(t.protocol, t.side) for t in trials if t.status == "valid"} == {
        ("lunge", "left"),
        ("lunge", "right"),
        ("balance", "left"),
        ("balance", "right"),
    }
    assert all(db.recording_sample_count(t.id, "plate") > 0 for t in trials)
    lunges = [t for t in trials if t.protocol == "lunge"]
    assert {t.result["distance_cm"] for t in lunges} == {9.4, 11.8}
    results = window.page("results")
    assert results.session_id == run.session_id
    texts = results.texts()
    assert "Left" in texts and "Right" in texts
    assert any("Left–right difference in tibial angle" in t for t in texts)
    assert any(t.endswith("Flag</b>") or t.endswith("OK</b>") for t in texts)  # words + colour


def test_keys_work_whatever_has_the_focus_and_typing_is_not_a_key(rig, db) -> None:
    run = start(rig)
    page, visit = rig["page"], rig["visit"]
    visit.until(lambda: rig["patient"].idle)
    page.live.steps.setFocus()
    QTest.keyClick(page.live.steps, Qt.Key.Key_Space)  # a foot pedal into the step list
    assert run.protocol.phase == "live"
    QTest.keyClick(page.live.finish_button, Qt.Key.Key_R)
    assert run.protocol.phase == "live" and run.outcomes[-1][1].status == "incomplete"
    assert "repeated by the clinician" in run.outcomes[-1][1].invalid_reason
    visit.until(lambda: run.protocol.phase == "entry")
    form = page.live.entry
    assert form.isVisible()
    QTest.keyClicks(form.distance, "4")
    QTest.keyClick(form.distance, Qt.Key.Key_R)  # R repeats, even with the cursor here
    assert run.protocol.phase == "live" and form.distance.text() == ""
    visit.until(lambda: run.protocol.phase == "entry")
    form.distance.clear()
    QTest.keyClicks(form.distance, "x45")  # the field takes numbers only
    assert form.distance.text() == "45"
    QTest.keyClick(form.distance, Qt.Key.Key_Return)
    assert "above 30 cm" in form.error.text() and run.protocol.phase == "entry"
    QTest.keyClick(form.distance, Qt.Key.Key_Escape)
    assert run.protocol.phase == "ready"
    assert page.journal.flush(10)  # the worker thread writes the outcomes
    stored = db.trials_for_session(run.session_id)
    assert [t.status for t in stored] == ["incomplete"] * 3
    assert "stopped by the clinician" in stored[-1].invalid_reason


def test_a_device_lost_mid_trial_keeps_it_incomplete_and_the_clinician_can_retry(rig, db):
    run = start(rig)
    page, visit = rig["page"], rig["visit"]
    run.go_to(2, rig["clock"].now())  # balance, left, eyes open
    visit.until(lambda: rig["patient"].idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: run.protocol.phase == "live")
    visit.until(lambda: rig["clock"].now() > run.protocol.t_start + 3.0)
    page.bridge.device("plate").simulate_dropout(2.0)
    visit.tick()
    assert page.journal.flush(10)
    (trial,) = db.trials_for_session(run.session_id)
    assert trial.status == "incomplete"
    assert "force plate connection was lost after 3." in trial.invalid_reason
    assert page.live.alert.isVisible() and "plate" in page.live.alert.text()
    assert db.recording_sample_count(trial.id, "plate") > 2500  # the trial so far is kept
    visit.until(lambda: page.bridge.device("plate").state.value == "streaming")
    QTest.keyClick(page, Qt.Key.Key_Space)  # retry
    assert run.protocol.phase == "waiting"
    QTest.keyClick(page, Qt.Key.Key_Escape)


def test_an_interrupted_visit_is_offered_and_resumed(make_window: Any, db: Database) -> None:
    patient_id = db.create_patient(PATIENT).id
    plan = SessionPlan.build(conditions=("eo_firm",), practice=False)
    run = AssessmentRun.start(db, patient_id, plan, SyncJournal(db))
    trial = db.begin_trial(run.session_id, "lunge", "left", None, 1)
    db.finish_trial(
        trial,
        "valid",
        {
            "angle_deg": 38.0,
            "distance_cm": 9.0,
            "hold_s": 2.0,
            "hold_sd_deg": 0.2,
            "capture": "auto",
            "heel_lift": False,
            "pain_nrs": 0,
            "pain_location": "none",
            "site": "tibial_crest_15cm",
        },
    )
    cut = db.begin_trial(run.session_id, "lunge", "left", None, 2)  # the crash
    window = make_window()
    window.select_patient(patient_id)
    assert window.open_session(run.session_id)  # double-click on the unfinished visit
    results = window.page("results")
    assert results.resume_button.isVisible() and "interrupted" in results.heading.text()
    assert window.recovery_bar.isVisible()
    assert "interrupted" in window.recovery_bar.message.text()
    window.select_patient(patient_id)
    window.show_page("assessment")
    page = window.page("assessment")
    assert page.setup.resume_box.isVisible()
    assert "1 finished trial" in page.setup.resume_text.text()
    QTest.mouseClick(page.setup.resume_button, Qt.MouseButton.LeftButton)
    assert page.run is not None and page.run.session_id == run.session_id
    assert page.run.protocol.valid_done == 1
    assert db.get_trial(cut).status == "incomplete"
    assert "1/3" in page.live.steps.item(0).text()
    run_modal(  # tests are missing: the clinician is asked first
        page.finish_visit,
        lambda box: next(b for b in box.buttons() if b.text() == "&Finish visit").click(),
        QMessageBox,
    )
    assert db.get_session(run.session_id).status == "complete"
    assert window.current_page_key() == "results"


def test_the_clinics_default_examiner_is_offered_and_a_typed_one_kept(
    make_window: Any, db: Database
) -> None:
    """The examiner signs the report and decides which MDC a re-test is judged by."""
    db.set_setting("examiner_name", "Dr. Léa Moreau")
    patient_id = db.create_patient(PATIENT).id
    window = make_window(demo=True)
    window.select_patient(patient_id)
    assert window.show_page("assessment")
    page = window.page("assessment")
    assert page.setup.examiner.text() == "Dr. Léa Moreau"
    page.setup.examiner.setText("TO")
    window.show_page("patient")
    assert window.show_page("assessment")
    assert page.setup.examiner.text() == "TO"
    default_registry().close_all()
    default_registry().clear()
