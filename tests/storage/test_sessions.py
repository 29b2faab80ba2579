"""Sessions, journaled trials, recordings, history, plans, settings and their audit rows."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.storage import Database, NotFoundError, StorageError
from drivers.base import INCLINOMETER_DTYPE, PLATE_DTYPE
from tests.storage.conftest import PatientFactory


def _plate(n: int, start: int = 0) -> np.ndarray:
    rng = np.random.default_rng(start)
    samples = np.zeros(n, dtype=PLATE_DTYPE)
    for name in PLATE_DTYPE.names or ():
        samples[name] = rng.normal(size=n) * 100
    samples["seq"] = np.arange(start, start + n)
    samples["cop_x_mm"][::17] = np.nan  # COP is NaN below the load gate
    return samples


@pytest.fixture
def session_id(db: Database, make_patient: PatientFactory) -> int:
    return db.create_session(make_patient().id, "Dr Example")


@pytest.fixture
def db(any_db: Database) -> Database:
    """These record-store tests run on a SQLite file and on a clinic server."""
    return any_db


def test_a_session_keeps_its_test_plan_exactly(db: Database, make_patient: PatientFactory) -> None:
    patient = make_patient()
    plan = {
        "schema": 1,
        "steps": [{"protocol": "balance", "side": "left", "condition": "eo_foam"}],
        "balance": {"planned_s": 20.0, "body_mass_kg": None, "note": "Zoë 中文"},
    }
    with_plan = db.create_session(patient.id, "Dr A", test_plan=plan)
    without = db.create_session(patient.id, "Dr A")
    assert db.get_session(with_plan).test_plan == plan
    assert db.get_session(without).test_plan is None
    listed = {s.id: s.test_plan for s in db.list_sessions(patient.id)}
    assert listed == {with_plan: plan, without: None}
    assert db.unfinished_sessions()[0].test_plan == plan
    with pytest.raises(ValueError, match="JSON object"):
        db.create_session(patient.id, "Dr A", test_plan="lunge")  # type: ignore[arg-type]
    assert len(db.list_sessions(patient.id)) == 2


def test_session_lifecycle_and_audit(db: Database, make_patient: PatientFactory) -> None:
    patient = make_patient()
    first = db.create_session(patient.id, "Dr A", started_at="2026-09-01T09:00:00Z")
    second = db.create_session(patient.id, "Dr B")
    session = db.get_session(first)
    assert session.status == "in_progress" and session.inclinometer_site == "tibial_crest_15cm"
    assert [s.id for s in db.unfinished_sessions()] == [first, second]
    db.finish_session(first, "complete")
    db.finish_session(first, "complete")  # again: nothing happens
    with pytest.raises(StorageError, match="already complete"):
        db.finish_session(first, "abandoned")
    with pytest.raises(ValueError):
        db.finish_session(second, "in_progress")
    db.finish_session(second, "abandoned")
    assert db.unfinished_sessions() == []
    assert [s.id for s in db.list_sessions(patient.id)] == [second, first]  # newest first
    assert db.get_session(first).ended_at is not None
    actions = [e.action for e in reversed(db.audit_entries("session", first))]
    assert actions == ["create", "update"]
    with pytest.raises(NotFoundError):
        db.create_session(9999, "Dr A")


def test_recording_chunks_round_trip_exactly(db: Database, session_id: int) -> None:
    trial = db.begin_trial(session_id, "balance", "left", "ec_foam", 1, False)
    chunks = [_plate(n, start) for n, start in ((1000, 0), (1, 1000), (999, 1001), (0, 0))]
    numbers = [db.append_recording_chunk(trial, "plate", c) for c in chunks]
    assert numbers == [0, 1, 2, None]
    incl = np.zeros(200, dtype=INCLINOMETER_DTYPE)
    incl["tibia_deg"] = np.linspace(0, 45, 200)
    db.append_recording_chunk(trial, "inclinometer", incl)
    db.finish_trial(
        trial, "valid", {"metrics": {"n": 2000}}, final_samples={"plate": _plate(7, 2000)}
    )

    loaded = db.load_recording(trial, "plate")
    expected = np.concatenate([*chunks, _plate(7, 2000)])
    assert loaded.dtype == PLATE_DTYPE
    assert loaded.tobytes() == expected.tobytes()  # bit-exact, NaNs included
    assert np.array_equal(db.load_recording(trial, "inclinometer"), incl)
    assert db.recording_devices(trial) == ["inclinometer", "plate"]
    assert db.recording_sample_count(trial, "plate") == 2007
    empty = db.load_recording(db.begin_trial(session_id, "lunge", "left"), "inclinometer")
    assert empty.dtype == INCLINOMETER_DTYPE and len(empty) == 0


def test_other_dtypes_round_trip_and_dtype_changes_are_refused(
    db: Database, session_id: int
) -> None:
    trial = db.begin_trial(session_id, "lunge", "right")
    nested = np.dtype([("t", "<f4"), ("xyz", ">i2", (3,)), ("flag", "?")])
    samples = np.zeros(5, dtype=nested)
    samples["xyz"] = np.arange(15).reshape(5, 3)
    db.append_recording_chunk(trial, "inclinometer", samples)
    assert db.load_recording(trial, "inclinometer").tobytes() == samples.tobytes()
    with pytest.raises(ValueError, match="changed dtype"):
        db.append_recording_chunk(trial, "inclinometer", np.zeros(3, dtype=INCLINOMETER_DTYPE))
    with pytest.raises(ValueError, match="device"):
        db.append_recording_chunk(trial, "camera", samples)


def test_finish_trial_is_atomic(db: Database, session_id: int) -> None:
    trial = db.begin_trial(session_id, "lunge", "left", None, 1)
    db.append_recording_chunk(trial, "plate", _plate(10))
    with pytest.raises(ValueError):  # the second final chunk is bad: nothing is written
        db.finish_trial(
            trial, "valid", {"angle_deg": 41.3},
            final_samples={"plate": _plate(5, 10), "camera": _plate(5)},
        )  # fmt: skip
    assert db.get_trial(trial).status == "incomplete" and db.get_trial(trial).ended_at is None
    assert db.recording_sample_count(trial, "plate") == 10

    db.finish_trial(trial, "invalid", {"angle_deg": 41.3, "heel_lift": True}, "heel_lift")
    stored = db.get_trial(trial)
    assert stored.status == "invalid" and stored.invalid_reason == "heel_lift"
    assert stored.result == {"angle_deg": 41.3, "heel_lift": True}
    with pytest.raises(StorageError, match="already finished"):
        db.finish_trial(trial, "valid", {})
    with pytest.raises(StorageError, match="cannot grow"):
        db.append_recording_chunk(trial, "plate", _plate(3))
    actions = [e.action for e in reversed(db.audit_entries("trial", trial))]
    assert actions == ["create", "update"]


def test_trial_kinds_are_checked(db: Database, session_id: int) -> None:
    with pytest.raises(ValueError, match="condition"):
        db.begin_trial(session_id, "lunge", "left", "eo_firm")
    with pytest.raises(ValueError, match="condition"):
        db.begin_trial(session_id, "balance", "left", None)
    with pytest.raises(ValueError, match="side"):
        db.begin_trial(session_id, "lunge", "middle")
    with pytest.raises(ValueError, match="attempt"):
        db.begin_trial(session_id, "lunge", "left", None, 0)
    db.finish_session(session_id)
    with pytest.raises(StorageError, match="complete"):
        db.begin_trial(session_id, "lunge", "left")


def test_results_with_nan_and_numpy_values_are_stored_as_json(
    db: Database, session_id: int
) -> None:
    trial = db.begin_trial(session_id, "balance", "right", "eo_firm", 1, practice=True)
    result = {"metrics": {"a": np.float64(1.5), "b": float("nan"), "c": np.arange(3)}}
    db.finish_trial(trial, "valid", result)
    stored = db.get_trial(trial)
    assert stored.practice is True
    assert stored.result == {"metrics": {"a": 1.5, "b": None, "c": [0, 1, 2]}}


def test_history_holds_every_session_with_its_trials(
    db: Database, make_patient: PatientFactory
) -> None:
    patient, other = make_patient(), make_patient(first_name="Other")
    dates = ["2026-09-01T09:00:00Z", "2026-10-01T09:00:00Z", "2026-08-01T09:00:00Z"]
    sessions = [db.create_session(patient.id, "Dr A", started_at=d) for d in dates]
    db.create_session(other.id, "Dr A")
    for session in sessions:
        for side in ("left", "right"):
            attempt = db.next_attempt(session, "lunge", side)
            trial = db.begin_trial(session, "lunge", side, None, attempt)
            db.finish_trial(trial, "valid", {"angle_deg": 40.0})
        db.finish_session(session)
    history = db.patient_history(patient.id)
    assert [h.session.started_at for h in history] == sorted(dates)  # oldest first
    assert all([t.side for t in h.trials] == ["left", "right"] for h in history)
    assert db.next_attempt(sessions[0], "lunge", "left") == 2
    assert db.patient_history(9999) == []
    assert [t.id for t in db.trials_for_session(sessions[0])] == [t.id for t in history[1].trials]


def test_plans_are_versioned(db: Database, session_id: int) -> None:
    assert db.latest_plan(session_id) is None
    assert db.save_plan(session_id, {"schema": 1, "phases": []}, "generator") == 1
    assert db.save_plan(session_id, {"schema": 1, "phases": [{"id": "mobility"}]}, "Dr A") == 2
    latest = db.latest_plan(session_id)
    assert latest is not None and latest.version == 2 and latest.edited_by == "Dr A"
    assert latest.plan["phases"] == [{"id": "mobility"}]
    assert [p.version for p in db.plan_versions(session_id)] == [1, 2]
    assert len(db.audit_entries("plan")) == 2


def test_settings_have_defaults_validation_and_audit(db: Database) -> None:
    assert db.get_setting("units") == "metric"
    assert db.get_setting("no_such_key") is None
    assert db.get_setting("no_such_key", 5) == 5
    db.set_setting("clinic_name", "Städtische Laufambulanz")
    db.set_setting("thresholds", {"wblt_asymmetry_cm": 1.5})
    db.set_setting("thresholds", {"wblt_asymmetry_cm": 1.5})  # unchanged: no audit row
    assert db.get_setting("clinic_name") == "Städtische Laufambulanz"
    assert db.all_settings()["thresholds"] == {"wblt_asymmetry_cm": 1.5}
    with pytest.raises(ValueError, match="metric, imperial"):
        db.set_setting("units", "furlongs")
    with pytest.raises(ValueError, match="numbers"):
        db.set_setting("thresholds", {"x": "high"})
    entries = db.audit_entries("settings")
    assert [e.details["fields"] for e in reversed(entries)] == [["clinic_name"], ["thresholds"]]
    assert "Städtische" not in str([e.details for e in entries])


def test_the_audit_log_is_append_only(db: Database, make_patient: PatientFactory) -> None:
    make_patient()
    before = db.audit_entries()
    # Past the record stores, straight to the connection: the database itself refuses.
    for statement in ("DELETE FROM audit_log", "UPDATE audit_log SET \"user\" = 'someone'"):
        with pytest.raises(Exception, match=r"append-only|may not"), db.transaction():
            db.sql.execute(statement)
    assert db.audit_entries() == before
    with pytest.raises(ValueError):
        db.record_audit("erase", "patient", 1)
    db.record_audit("export", "patient", 1, {"format": "csv", "files": 3})
    assert db.audit_entries("patient", 1)[0].action == "export"


def test_voided_and_empty_visits_do_not_count(db: Database) -> None:
    patient = db.create_patient({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"})
    empty = db.create_session(patient.id, "X")
    measured = db.create_session(patient.id, "X")
    db.begin_trial(measured, "lunge", "left")
    voided = db.create_session(patient.id, "X")
    db.begin_trial(voided, "lunge", "left")
    db.void_session(voided, "wrong patient")
    assert [v.session.id for v in db.patient_history(patient.id)] == [empty, measured, voided]
    assert [v.session.id for v in db.patient_history(patient.id, counted_only=True)] == [measured]


def test_a_plan_saved_from_an_older_version_is_refused_with_who_and_when(
    db: Database, make_patient: PatientFactory
) -> None:
    from clinic_app.storage import ConcurrentChangeError

    session_id = db.create_session(make_patient().id, "X")
    assert db.save_plan(session_id, {"items": []}, "generator") == 1
    assert db.save_plan(session_id, {"items": [1]}, "dr.lopez", based_on=1) == 2
    with pytest.raises(
        ConcurrentChangeError, match=r"changed by dr.lopez at .* nothing was saved"
    ):
        db.save_plan(session_id, {"items": [2]}, "dr.smith", based_on=1)  # opened before v2
    assert [p.version for p in db.plan_versions(session_id)] == [1, 2]
    fresh = db.create_session(make_patient(first_name="Bo").id, "X")
    db.save_plan(fresh, {"items": []}, "generator")
    with pytest.raises(ConcurrentChangeError):  # the editor showed no plan; one came since
        db.save_plan(fresh, {"items": [3]}, "dr.smith", based_on=None)
