"""The demo database's history: measured on simulated devices, scored by the real analysis."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from clinic_app.analysis.balance import analyse_plate_trial
from clinic_app.analysis.heel_lift import detect_heel_lift
from clinic_app.analysis.lunge import find_hold
from clinic_app.analysis.session import interpret_session, summarize_session
from clinic_app.demo.history import SCRIPTS, SECOND_EXAMINER
from clinic_app.demo_data import ensure_demo_data
from clinic_app.plan import Plan
from clinic_app.storage import Database, SessionHistory

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database.open(tmp_path_factory.mktemp("demo") / "demo.sqlite3", backup_on_start=False)
    ensure_demo_data(db, today=TODAY)
    yield db
    db.close()


def _summary(visit: SessionHistory):
    rows = [{f.name: getattr(t, f.name) for f in dataclasses.fields(t)} for t in visit.trials]
    s = visit.session
    return summarize_session(rows, session_id=s.id, examiner=s.examiner, site=s.inclinometer_site)


def _day(stamp: str) -> date:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()


def _history(db: Database, number: str) -> list[SessionHistory]:
    pid = db.record_number_owner(number)
    assert pid is not None
    return db.patient_history(pid)


def test_showcase_patient_has_four_visits_over_twelve_weeks(demo_db: Database) -> None:
    history = _history(demo_db, "DEMO-001")
    assert len(history) == 4
    days = [_day(v.session.started_at) for v in history]
    assert (days[-1] - days[0]).days == 84
    assert days[-1] < TODAY
    assert all(v.session.status == "complete" for v in history)
    examiners = [v.session.examiner for v in history]
    assert examiners.count(SECOND_EXAMINER) == 1 and len(set(examiners)) == 2
    for visit in history:
        stored = demo_db.latest_plan(visit.session.id)
        assert stored is not None
        plan = Plan.from_dict(stored.plan)
        assert plan.session_id == visit.session.id


def test_left_range_improves_beyond_the_mdc_and_right_does_not(demo_db: Database) -> None:
    history = _history(demo_db, "DEMO-001")
    first, last = _summary(history[0]), _summary(history[-1])
    changes = interpret_session(last, first, involved_side="left").changes
    by = {(c.measure, c.side, c.condition): c for c in changes}
    assert by[("lunge_angle_deg", "left", None)].real
    assert by[("lunge_angle_deg", "left", None)].verdict.status == "improved"
    assert by[("lunge_distance_cm", "left", None)].real
    assert not by[("lunge_angle_deg", "right", None)].real
    assert not by[("lunge_distance_cm", "right", None)].real
    # Balance settles: eyes-closed velocity on the left falls by more than its MDC.
    ec = by[("balance_mean_velocity_cm_s", "left", "ec_firm")]
    assert ec.real and ec.delta is not None and ec.delta < 0


def test_first_visit_has_a_heel_lift_and_a_touchdown(demo_db: Database) -> None:
    trials = _history(demo_db, "DEMO-001")[0].trials
    lifted = [t for t in trials if t.protocol == "lunge" and t.status == "invalid"]
    assert len(lifted) == 1 and lifted[0].result is not None
    assert lifted[0].result["heel_lift"] is True and lifted[0].invalid_reason
    failed = [t for t in trials if t.result and t.result.get("failure_reason") == "touchdown"]
    assert len(failed) == 1
    assert failed[0].status == "failed" and failed[0].result is not None
    assert failed[0].result["metrics"] is None
    assert 3.5 < failed[0].result["time_to_failure_s"] < 5.0


def test_stored_results_are_what_the_analysis_reads_from_the_stored_recordings(
    demo_db: Database,
) -> None:
    trials = [t for v in _history(demo_db, "DEMO-001") for t in v.trials]
    lunge = [t for t in trials if t.protocol == "lunge"]
    balance = [t for t in trials if t.protocol == "balance" and t.status == "valid"]
    assert lunge and balance
    for trial in lunge[:4] + [t for t in lunge if t.status == "invalid"]:
        inc = demo_db.load_recording(trial.id, "inclinometer")
        plate = demo_db.load_recording(trial.id, "plate")
        hold = find_hold(inc["t_host_s"], inc["tibia_deg"])
        assert hold is not None and trial.result is not None
        assert trial.result["angle_deg"] == pytest.approx(hold.angle_deg, abs=0.01)
        lift = detect_heel_lift(
            plate["t_host_s"], plate["fz_n"], plate["cop_y_mm"], plate["bl_n"] + plate["br_n"]
        )
        assert lift.lifted is trial.result["heel_lift"] is (trial.status == "invalid")
    for trial in balance[:3]:
        samples = demo_db.load_recording(trial.id, "plate")
        again = analyse_plate_trial(samples, planned_s=10.0, body_mass_kg=57.5)
        assert trial.result is not None and again.metrics is not None
        stored = trial.result["metrics"]
        assert stored["mean_velocity_cm_s"] == pytest.approx(again.metrics.mean_velocity_cm_s)
        assert stored["ellipse_area_95_cm2"] == pytest.approx(again.metrics.ellipse_area_95_cm2)


def test_other_patients_and_the_site_change(demo_db: Database) -> None:
    for script in SCRIPTS:
        assert len(_history(demo_db, script.record_number)) == len(script.visits)
    site_visits = _history(demo_db, "DEMO-004")
    assert [v.session.inclinometer_site for v in site_visits] == [
        "tibial_crest_15cm",
        "tibial_tuberosity",
    ]
    changes = interpret_session(_summary(site_visits[1]), _summary(site_visits[0])).changes
    angle = [c for c in changes if c.measure == "lunge_angle_deg"]
    assert angle and all(c.verdict.status == "not_comparable" for c in angle)


def test_seeding_again_adds_nothing(demo_db: Database) -> None:
    before = sum(len(_history(demo_db, s.record_number)) for s in SCRIPTS)
    ensure_demo_data(demo_db, today=TODAY)
    after = sum(len(_history(demo_db, s.record_number)) for s in SCRIPTS)
    assert before == after


def test_seeding_is_deterministic(demo_db: Database, tmp_path: Path) -> None:
    other = Database.open(tmp_path / "again.sqlite3", backup_on_start=False)
    try:
        ensure_demo_data(other, today=TODAY)
        for number in ("DEMO-001", "DEMO-003"):
            a, b = _history(demo_db, number), _history(other, number)
            assert [v.session.started_at for v in a] == [v.session.started_at for v in b]
            results_a = [t.result for v in a for t in v.trials]
            assert results_a == [t.result for v in b for t in v.trials]
        t1 = _history(demo_db, "DEMO-001")[0].trials[0]
        t2 = _history(other, "DEMO-001")[0].trials[0]
        first = demo_db.load_recording(t1.id, "inclinometer")
        assert np.array_equal(first, other.load_recording(t2.id, "inclinometer"))
    finally:
        other.close()
