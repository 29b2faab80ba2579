"""A write that fails is never reported as saved (issue 12 §1), headless.

The database becomes unwritable mid-trial because another program holds its write lock
(:func:`tests.write_lock.write_locked`); the app's connection gives up after its busy
timeout, as it would on a full disk or an I/O error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_app.protocols.journal import SyncJournal, ThreadJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.storage import Database
from tests.protocols.conftest import Rig, make_rig
from tests.protocols.drive import play
from tests.write_lock import write_locked

PLAN = SessionPlan.build(lunge=False, conditions=("eo_firm",), sides=("left",), practice=False,
                         body_mass_kg=70.0)  # fmt: skip


@pytest.fixture
def quick_db(tmp_path: Path) -> Iterator[Database]:
    """A database whose writes give up after 0.3 s of waiting for a lock."""
    database = Database.open(tmp_path / "clinic.sqlite3", busy_timeout_s=0.3)
    yield database
    database.close()


def _arm_and_record(rig: Rig, seconds: float) -> int:
    rig.drive.until(lambda: rig.patient.idle, 60)
    rig.run.space(rig.clock.now())
    rig.drive.until(lambda: rig.run.protocol.phase == "live", 60)
    rig.drive.wait(seconds)
    assert rig.run.trial_id is not None
    return rig.run.trial_id


def test_a_recording_write_that_fails_stops_the_trial_and_says_not_saved(quick_db) -> None:
    rig = make_rig(quick_db, PLAN)
    run = rig.run
    run.begin(rig.clock.now())
    trial = _arm_and_record(rig, 2.0)
    with write_locked(quick_db.path):
        events = rig.drive.wait(1.0)  # the next chunk fails, the trial stops
    (alert,) = [e for e in events if e.kind == "not_saved"]
    assert alert.data["trial_ids"] == [trial]
    assert alert.data["reason"] == "another program kept the database locked"
    assert alert.data["steps"] == ["Balance L EO"]
    assert run.trial_id is None and not run.protocol.in_trial
    assert run.not_saved == {trial} and trial not in [t for t, _ in run.outcomes]
    assert run.progress()[0].not_valid == 1 and run.progress()[0].valid == 0

    play(rig.drive, rig.patient)  # the clinician repeats it; the disk is fine again
    assert run.not_saved == {trial}
    stored = {t.id: t for t in quick_db.trials_for_session(run.session_id)}
    lost = stored.pop(trial)
    assert lost.status == "incomplete" and "not saved" in (lost.invalid_reason or "")
    assert sum(1 for t in stored.values() if t.status == "valid") == PLAN.balance.trials
    assert quick_db.get_session(run.session_id).status == "complete"


def test_a_trial_whose_outcome_failed_to_store_is_taken_back_and_asked_again(quick_db) -> None:
    rig = make_rig(quick_db, PLAN)
    run = rig.run
    run.begin(rig.clock.now())
    trial = _arm_and_record(rig, PLAN.balance.planned_s - 0.2)
    with write_locked(quick_db.path):
        events = rig.drive.until(lambda: bool(run.outcomes), 5)  # "balance trial valid"
    assert run.outcomes[-1] == (trial, run.outcomes[-1][1])
    assert run.outcomes[-1][1].status == "valid" and not run.not_saved
    assert not [e for e in events if e.kind == "not_saved"]
    events = rig.drive.tick()  # the next frame learns that the write failed
    assert [e.data["trial_ids"] for e in events if e.kind == "not_saved"] == [[trial]]
    assert run.outcomes == [] and run.protocol.valid_done == 0
    stored = quick_db.get_trial(trial)  # the "valid" outcome never landed; once the lock
    assert stored.status == "incomplete"  # was gone the trial was closed, saying why
    assert stored.invalid_reason == "not saved: another program kept the database locked"


def test_a_trial_that_cannot_begin_records_nothing_and_says_so(quick_db) -> None:
    rig = make_rig(quick_db, PLAN)
    run = rig.run
    run.begin(rig.clock.now())
    rig.drive.until(lambda: rig.patient.idle, 60)
    with write_locked(quick_db.path):
        events = run.space(rig.clock.now())
    (alert,) = [e for e in events if e.kind == "not_saved"]
    assert alert.data["trial_ids"] == [] and "locked" in alert.data["reason"]
    assert run.trial_id is None and not run.protocol.in_trial
    assert quick_db.trials_for_session(run.session_id) == []


def test_the_end_of_the_visit_failing_is_not_reported_as_saved(quick_db) -> None:
    rig = make_rig(quick_db, PLAN)
    run = rig.run
    with write_locked(quick_db.path):
        run.complete(rig.clock.now())
        events = run.check_storage(rig.clock.now())
    assert [e.data["visit_end"] for e in events] == [True]
    assert not run.visit_end_saved
    assert quick_db.get_session(run.session_id).status == "in_progress"  # offered to resume


def test_the_thread_journal_refuses_the_rest_of_a_trial_after_a_failed_chunk(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clinic.sqlite3"
    with Database.open(path) as db:
        patient = db.create_patient({"first_name": "A", "last_name": "B",
                                     "birth_date": "1990-01-01"})  # fmt: skip
        session = db.create_session(patient.id, "")
        trial = db.begin_trial(session, "balance", "left", "eo_firm")
    journal = ThreadJournal(path)

    def fail(_db: Database) -> None:
        raise OSError(28, "No space left on device")

    journal.submit(fail, trial_id=trial, what="recording")
    journal.submit(lambda d: d.finish_trial(trial, "valid", {"x": 1.0}), trial_id=trial,
                   what="trial result")  # fmt: skip
    assert journal.flush(10) and journal.close()
    failures = journal.take_failures()
    assert [(f.trial_id, f.what) for f in failures] == [
        (trial, "recording"),
        (trial, "trial result"),
    ]
    assert "No space left" in failures[0].reason
    with Database.open(path) as db:
        assert db.get_trial(trial).ended_at is None  # never stored as finished and valid


def test_sync_and_thread_journals_report_failures_the_same_way(tmp_path: Path) -> None:
    with Database.open(tmp_path / "c.sqlite3") as db:
        sync = SyncJournal(db)
        sync.submit(lambda d: d.get_trial(999), trial_id=999, what="trial result")
        sync.submit(lambda d: d.get_trial(999), quiet=True)
        (failure,) = sync.take_failures()
        assert failure.trial_id == 999 and "no trial with id 999" in failure.reason
        assert sync.failed == 1 and sync.take_failures() == []


def test_a_lost_trial_reported_during_the_next_one_rebuilds_the_count(quick_db) -> None:
    """The report of a failed write can arrive while the next trial of the test runs (a
    slow disk): that trial ends, kept and saying why, and the test asks for both again."""
    from clinic_app.protocols.journal import WriteFailure

    rig = make_rig(quick_db, PLAN)
    run = rig.run
    run.begin(rig.clock.now())
    first = _arm_and_record(rig, PLAN.balance.planned_s - 0.5)
    rig.drive.until(lambda: bool(run.outcomes), 5)
    assert run.protocol.valid_done == 1
    second = _arm_and_record(rig, 1.0)
    run.journal._failures.add(WriteFailure(first, "trial result", "the disk is full"))
    events = rig.drive.tick()
    (alert,) = [e for e in events if e.kind == "not_saved"]
    assert alert.data["trial_ids"] == [first]
    assert not run.protocol.in_trial and run.protocol.valid_done == 0
    stopped = quick_db.get_trial(second)
    assert stopped.status == "incomplete"
    assert stopped.invalid_reason == "stopped: an earlier trial of this test was not saved"
    assert run.progress()[0].valid == 0 and run.progress()[0].not_valid == 2
