"""SIGKILL in the middle of a trial: every finished trial survives, the visit is offered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clinic_app.protocols.journal import SyncJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import Database
from tests.conftest import REPO_ROOT


def run_and_kill(db_path: Path, stored_before_kill: int = 3) -> tuple[int, list[int]]:
    """Start the child, wait for ``stored_before_kill`` trials and a trial with journaled
    chunks in progress, then SIGKILL it. Returns (session id, stored trial ids)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.protocols.crash_child", str(db_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stored: list[int] = []
    session = -1
    armed_after = False
    chunks_in_new = 0
    deadline = time.monotonic() + 100
    try:
        assert child.stdout is not None
        for line in child.stdout:
            word, _, value = line.strip().partition(" ")
            if word == "session":
                session = int(value)
            elif word == "stored":
                stored.append(int(value))
                armed_after = False
                chunks_in_new = 0
            elif word == "armed" and len(stored) >= stored_before_kill:
                armed_after = True
            elif word == "chunk" and armed_after and int(value) not in stored:
                chunks_in_new += 1
                if chunks_in_new >= 3:
                    os.kill(child.pid, signal.SIGKILL)
                    break
            if time.monotonic() > deadline or word == "done":
                pytest.fail(f"the child never reached a trial in progress ({line.strip()})")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return session, stored


def test_sigkill_mid_trial_keeps_finished_trials_and_offers_the_visit(tmp_path: Path) -> None:
    db_path = tmp_path / "crash.sqlite3"
    session_id, stored = run_and_kill(db_path)
    with Database.open(db_path) as db:  # the next start: quick_check, WAL recovered
        assert [s.id for s in db.unfinished_sessions()] == [session_id]
        trials = {t.id: t for t in db.trials_for_session(session_id)}
        for trial_id in stored:
            t = trials[trial_id]
            assert t.ended_at is not None and t.result is not None, trial_id
            assert db.recording_sample_count(trial_id, "plate") > 0
            assert db.recording_sample_count(trial_id, "inclinometer") > 0
        cut = [t for t in trials.values() if t.ended_at is None]
        assert len(cut) == 1, "exactly the trial in progress is unfinished"
        assert db.recording_sample_count(cut[0].id, "inclinometer") > 0  # journaled part
        plan = SessionPlan.build(conditions=("eo_firm",), practice=False, body_mass_kg=70.0)
        run = AssessmentRun.resume(db, session_id, plan, SyncJournal(db))
        closed = db.get_trial(cut[0].id)
        assert closed.status == "incomplete" and "program stopped" in closed.invalid_reason
        valid = sum(1 for t in trials.values() if t.status == "valid" and t.ended_at)
        assert sum(p.valid for p in run.progress()) == valid
