"""Stopping mid-trial (a signal, a log-out): the samples so far are stored, nothing is ended."""

from __future__ import annotations

from clinic_app.protocols.journal import SyncJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import Database
from tests.protocols.conftest import make_rig


def test_interrupt_mid_trial_stores_the_samples_and_leaves_trial_and_visit_open(
    db: Database,
) -> None:
    plan = SessionPlan.build(conditions=(), practice=False, body_mass_kg=70.0)
    rig = make_rig(db, plan)
    run = rig.run
    run.chunk_s = 1.0  # longer than the 0.3 s below: nothing journaled before interrupt()
    run.begin(rig.clock.now())
    rig.drive.until(lambda: rig.patient.idle, 60)
    run.space(rig.clock.now())  # arm: the trial begins
    trial_id = run.trial_id
    assert trial_id is not None
    rig.drive.wait(0.3)
    assert db.recording_sample_count(trial_id, "inclinometer") == 0

    run.interrupt(rig.clock.now())

    assert db.recording_sample_count(trial_id, "inclinometer") >= 25  # 0.3 s at 100 Hz
    assert db.get_trial(trial_id).ended_at is None
    assert [s.id for s in db.unfinished_sessions()] == [run.session_id]
    assert not run.finished

    again = AssessmentRun.resume(db, run.session_id, None, SyncJournal(db))
    cut = db.get_trial(trial_id)
    assert cut.status == "incomplete" and "program stopped" in (cut.invalid_reason or "")
    assert db.recording_sample_count(trial_id, "inclinometer") >= 25  # kept by resume
    assert again.protocol.protocol == "lunge" and not again.finished


def test_interrupt_between_trials_writes_nothing(db: Database) -> None:
    plan = SessionPlan.build(conditions=(), practice=False, body_mass_kg=70.0)
    rig = make_rig(db, plan)
    rig.run.begin(rig.clock.now())
    before = rig.run.journal.written
    rig.run.interrupt(rig.clock.now())
    assert rig.run.journal.written == before
    assert db.trials_for_session(rig.run.session_id) == []
