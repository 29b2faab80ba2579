"""A whole visit headless on simulated devices: stored, journaled, and replayed exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clinic_app.analysis.session import interpret_session, summarize_session
from clinic_app.protocols.balance import BalanceProtocol
from clinic_app.protocols.lunge import LungeProtocol
from clinic_app.protocols.plan import SessionPlan, Step
from clinic_app.storage import Database
from tests.protocols.conftest import make_rig
from tests.protocols.drive import play
from tests.protocols.samples import feed_in_batches


@pytest.fixture(scope="module")
def visit_db(tmp_path_factory: pytest.TempPathFactory):
    database = Database.open(tmp_path_factory.mktemp("visit") / "visit.sqlite3")
    yield database
    database.close()


@pytest.fixture(scope="module")
def finished_visit(visit_db: Database):
    """One whole visit (lunge both sides, balance eyes open both sides), played once."""
    plan = SessionPlan.build(conditions=("eo_firm",), practice=False, body_mass_kg=70.0)
    rig = make_rig(visit_db, plan)
    play(rig.drive, rig.patient)
    return rig


def test_a_visit_is_stored_with_recordings_and_summarised(finished_visit) -> None:
    db = finished_visit.db
    run = finished_visit.run
    assert db.get_session(run.session_id).status == "complete"
    trials = db.trials_for_session(run.session_id)
    assert {(t.protocol, t.side, t.condition) for t in trials} == {
        ("lunge", "left", None),
        ("lunge", "right", None),
        ("balance", "left", "eo_firm"),
        ("balance", "right", "eo_firm"),
    }
    for t in trials:
        assert t.ended_at is not None and t.result is not None
        assert db.recording_sample_count(t.id, "inclinometer") > 0
        plate = db.load_recording(t.id, "plate")
        assert len(plate) > 1000 and np.all(np.diff(plate["seq"]) == 1)  # no gap, no repeat
    balance = [t for t in trials if t.protocol == "balance" and t.status == "valid"]
    assert all(t.result["completed_s"] == 10.0 for t in balance)
    rows = [dataclasses.asdict(t) for t in trials]
    summary = summarize_session(rows, session_id=run.session_id)
    assert summary.lunge["left"].n_valid == 3 and summary.lunge["right"].n_valid == 3
    assert summary.lunge["left"].distance_mean_cm == 9.6
    assert summary.lunge["left"].angle_mean_deg == pytest.approx(36.0, abs=1.5)
    assert summary.lunge["right"].angle_mean_deg == pytest.approx(43.0, abs=1.5)
    verdicts = interpret_session(summary).verdicts
    assert any(v.kind == "asymmetry" and v.measure == "lunge_angle_deg" for v in verdicts)
    assert [p.state for p in run.progress()][-1] == "current"  # the last step on screen


def test_recordings_are_journaled_at_least_once_a_second(finished_visit) -> None:
    db = finished_visit.db
    trial = next(
        t for t in db.trials_for_session(finished_visit.run.session_id) if t.protocol == "balance"
    )
    plate = db.load_recording(trial.id, "plate")
    seconds = plate["t_host_s"][-1] - plate["t_host_s"][0]
    chunks = db.conn.execute(
        "SELECT COUNT(*) FROM recordings WHERE trial_id = ? AND device = 'plate'", (trial.id,)
    ).fetchone()[0]
    assert chunks >= seconds  # one chunk per 0.5 s of trial (≥ 1 per second)


def replay(trial, db: Database, plan: SessionPlan):
    """Feed a stored trial's recordings through a fresh protocol, in other batch sizes."""
    step = Step(trial.protocol, trial.side, trial.condition)
    proto = plan.make_protocol(step)
    inc = db.load_recording(trial.id, "inclinometer")
    plate = db.load_recording(trial.id, "plate")
    start = min(inc["t_host_s"][0], plate["t_host_s"][0])
    proto.arm(float(start))
    events = feed_in_batches(proto, inc, plate, step_s=0.1)
    if isinstance(proto, LungeProtocol) and proto.phase == "entry":
        r = trial.result
        events += proto.enter(r["distance_cm"], r["pain_nrs"], r["pain_location"], 0.0)
    return [e.data["outcome"] for e in events if "outcome" in e.data]


def test_a_recorded_trial_replayed_through_the_protocol_gives_the_same_result(
    finished_visit,
) -> None:
    db = finished_visit.db
    plan = finished_visit.run.plan
    trials = db.trials_for_session(finished_visit.run.session_id)
    checked = set()
    for trial in trials:
        (outcome,) = replay(trial, db, plan)
        assert outcome.status == trial.status
        assert outcome.invalid_reason == trial.invalid_reason
        stored = trial.result
        assert outcome.result.keys() == stored.keys()
        for key, value in outcome.result.items():
            if isinstance(value, float):
                assert value == pytest.approx(stored[key], rel=1e-12), key
            elif key == "metrics":
                assert value == pytest.approx(stored[key], rel=1e-12)
            else:
                assert value == stored[key], key
        checked.add(trial.protocol)
    assert checked == {"lunge", "balance"}


def test_resume_continues_after_the_stored_trials(db: Database) -> None:
    plan = SessionPlan.build(lunge=True, conditions=(), practice=False)
    rig = make_rig(db, plan)
    run = rig.run
    run.begin(rig.clock.now())
    done = 0
    while done < 2:  # two valid left lunges, then the program "stops"
        if run.protocol.phase == "ready":
            rig.drive.until(lambda: rig.patient.idle, 60)
            run.space(rig.clock.now())
        elif run.protocol.phase == "entry":
            run.enter_lunge("10.0", 0, "none", rig.clock.now())
            done += 1
        else:
            rig.drive.tick()
    run.space(rig.clock.now())  # a third trial armed and cut off
    rig.drive.wait(1.5)
    from clinic_app.protocols.journal import SyncJournal
    from clinic_app.protocols.runner import AssessmentRun

    again = AssessmentRun.resume(db, run.session_id, plan, SyncJournal(db))
    cut = [t for t in db.trials_for_session(run.session_id) if t.status == "incomplete"]
    assert len(cut) == 1 and "program stopped" in cut[0].invalid_reason
    assert db.recording_sample_count(cut[0].id, "inclinometer") > 0  # journaled part kept
    assert again.step == Step("lunge", "left") and again.protocol.valid_done == 2
    assert [p.valid for p in again.progress()] == [2, 0]
    assert isinstance(plan.make_protocol(Step("balance", "left", "eo_firm")), BalanceProtocol)
