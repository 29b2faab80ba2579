"""Several workstations on one database: on a SQLite file and on a clinic server.

Each "workstation" here is its own process (``tests/storage/workstation_child.py``) or its
own connection, as in a clinic: two saves of one patient at once, a workstation killed
mid-trial, the server stopped and started again mid-visit, changes heard by the others,
and the role matrix refused by the server even past the app's own check.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clinic_app.protocols.journal import ThreadJournal
from clinic_app.storage import Database, PermissionDeniedError
from drivers.base import PLATE_DTYPE
from tests.backends import ServerClinic

CHILD = [sys.executable, "-m", "tests.storage.workstation_child"]


def _where(db: Database, clinic: ServerClinic | None, login: str | None) -> str:
    if clinic is None:
        return str(db.path)
    assert login is not None
    return clinic.url_for(login)


@pytest.fixture(params=["sqlite", "postgresql"])
def workstations(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Database, ServerClinic | None]:
    """The first workstation's database, and the server clinic (None for a file)."""
    if request.param == "sqlite":
        db = Database.open(tmp_path / "clinic.sqlite3", user="room1")
        request.addfinalizer(db.close)
        return db, None
    clinic: ServerClinic = request.getfixturevalue("server_clinic")
    return clinic.open("clinician", clinic.add_login("clinician", "room")), clinic


def _patient(db: Database) -> int:
    return db.create_patient(
        {"first_name": "Ana", "last_name": "García", "birth_date": "1990-04-17", "mass_kg": 60}
    ).id


def test_two_processes_saving_one_patient_at_once_never_overwrite(
    workstations: tuple[Database, ServerClinic | None], tmp_path: Path
) -> None:
    db, clinic = workstations
    patient_id = _patient(db)
    logins = [clinic.add_login("clinician", f"room{n}") if clinic else None for n in (2, 3)]
    go = tmp_path / "go"
    children = []
    for n, (login, mass) in enumerate(zip(logins, (70.0, 80.0), strict=True)):
        ready = tmp_path / f"ready{n}"
        args = ["save", _where(db, clinic, login), str(patient_id), str(mass), str(ready), str(go)]
        children.append(
            (ready, subprocess.Popen([*CHILD, *args], stdout=subprocess.PIPE, text=True))
        )
    deadline = time.monotonic() + 30
    while not all(r.exists() for r, _ in children) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both read version 1; both save now
    outputs = [child.communicate(timeout=60)[0].strip() for _, child in children]
    assert sorted(o.split(":")[0] for o in outputs) == ["conflict", "saved"]
    stored = db.get_patient(patient_id)
    winner = outputs.index("saved")
    assert stored.mass_kg == (70.0, 80.0)[winner] and stored.row_version == 2
    loser = outputs[1 - winner]
    assert "nothing was saved" in loser and "Reload" in loser
    if clinic is not None:  # the server names who saved first
        assert f"changed by {logins[winner]} at" in loser


def test_a_workstation_killed_mid_trial_keeps_every_committed_chunk(
    workstations: tuple[Database, ServerClinic | None],
) -> None:
    db, clinic = workstations
    session_id = db.create_session(_patient(db), "X")
    login = clinic.add_login("clinician", "room") if clinic else None
    child = subprocess.Popen(
        [*CHILD, "record", _where(db, clinic, login), str(session_id)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    trial_id = int(child.stdout.readline())
    committed = -1
    while committed < 10:
        committed = int(child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    samples = db.load_recording(trial_id, "plate")
    assert len(samples) >= 20 * (committed + 1)  # every chunk it said was committed
    assert np.array_equal(samples["seq"], np.arange(len(samples)))  # in order, no hole
    assert db.get_trial(trial_id).status == "incomplete"
    assert [s.id for s in db.unfinished_sessions()] == [session_id]  # offered for resuming


def test_a_change_on_one_workstation_is_heard_by_the_others(server_clinic: ServerClinic) -> None:
    heard: list[Any] = []
    room1 = server_clinic.open("clinician")
    listener = room1.change_listener(heard.append)  # type: ignore[attr-defined]
    listener.start()
    try:
        assert listener.listening.wait(10)
        room2 = server_clinic.open("assistant")
        patient_id = _patient(room2)
        room2.create_session(patient_id, "Sam")
        deadline = time.monotonic() + 10
        while len(heard) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        listener.stop()
    tables = {(c.table, c.patient_id) for c in heard}
    assert ("patients", patient_id) in tables and ("sessions", patient_id) in tables


def test_the_server_writes_who_signed_in_whatever_the_app_says(
    server_clinic: ServerClinic,
) -> None:
    db = server_clinic.open("clinician")
    login = db.user
    db.user = "someone else"  # a client trying to write another name
    patient_id = _patient(db)
    assert {e.user for e in db.audit_entries("patient", patient_id)} == {login}
    assert db.get_patient(patient_id).updated_by == login


def test_an_assistant_is_refused_by_the_server_even_past_the_app(
    server_clinic: ServerClinic,
) -> None:
    clinician = server_clinic.open("clinician")
    patient_id = _patient(clinician)
    session_id = clinician.create_session(patient_id, "X")
    clinician.save_plan(session_id, {"items": []}, "generator")
    assistant = server_clinic.open("assistant")
    assert assistant.role == "assistant"
    with pytest.raises(PermissionDeniedError, match="may not delete a patient"):
        assistant.delete_patient(patient_id)  # the app's own words first
    assistant.role = None  # now as a client that skips the app's check
    forbidden = {
        "edit a plan": lambda: assistant.save_plan(session_id, {"items": [1]}, "sam"),
        "delete": lambda: assistant.delete_patient(patient_id),
        "void": lambda: assistant.void_session(session_id, "wrong patient"),
        "export": lambda: assistant.record_audit("export", "patient", patient_id),
        "settings": lambda: assistant.set_setting("clinic_name", "Mine"),
    }
    for what, action in forbidden.items():
        with pytest.raises(PermissionDeniedError, match="refused"):
            action()
        assert what
    assert not clinician.get_patient(patient_id).is_deleted
    assert [p.version for p in clinician.plan_versions(session_id)] == [1]
    assert clinician.get_setting("clinic_name") == ""


def test_recording_goes_on_while_the_server_is_stopped_and_is_stored_when_it_is_back(
    server_clinic: ServerClinic, pg_server: Any
) -> None:
    db = server_clinic.open("clinician")
    session_id = db.create_session(_patient(db), "X")
    trial_id = db.begin_trial(session_id, "balance", "left", "eo_firm")
    journal = ThreadJournal(db.reopen)
    chunks = []
    for n in range(30):
        samples = np.zeros(20, dtype=PLATE_DTYPE)
        samples["seq"] = np.arange(20) + 20 * n
        chunks.append(samples)

    def append(samples: np.ndarray) -> Any:
        return lambda d: d.append_recording_chunk(trial_id, "plate", samples)

    try:
        for samples in chunks[:10]:
            journal.submit(append(samples), trial_id=trial_id, what="recording")
        assert journal.flush(10)
        pg_server.stop()  # the server goes away mid-visit
        for samples in chunks[10:]:
            journal.submit(append(samples), trial_id=trial_id, what="recording")
        journal.submit(
            lambda d: d.finish_trial(trial_id, "valid", {"x": 1}), trial_id=trial_id,
            what="trial result",
        )  # fmt: skip
        journal.submit(lambda d: d.finish_session(session_id), what="end of the visit")
        deadline = time.monotonic() + 10
        while not journal.waiting_for_server and time.monotonic() < deadline:
            time.sleep(0.02)
        assert journal.waiting_for_server and journal.pending > 0 and journal.failed == 0
    finally:
        if not pg_server.is_running():
            threading.Timer(0.5, pg_server.start).start()
    assert journal.flush(60)  # everything written once the server is back, in order
    assert not journal.waiting_for_server and journal.failed == 0
    journal.close()
    stored = db.load_recording(trial_id, "plate")  # this connection reconnects by itself
    assert np.array_equal(stored["seq"], np.arange(600))
    assert db.get_trial(trial_id).status == "valid"
    assert db.get_session(session_id).status == "complete"


def test_a_workstation_killed_while_the_server_is_away_loses_no_trial(
    server_clinic: ServerClinic, pg_server: Any, tmp_path: Path
) -> None:
    from clinic_app.protocols.spool import replay, spool_for

    login = server_clinic.add_login("clinician", "room")
    db = server_clinic.open(login=login)
    session_id = db.create_session(_patient(db), "X")
    trial_id = db.begin_trial(session_id, "balance", "left", "eo_firm")
    local = tmp_path / "room-computer"
    child = subprocess.Popen(
        [*CHILD, "offline", server_clinic.url_for(login), str(local), str(trial_id),
         str(session_id), str(tmp_path / "stopped")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "stored 10"
        pg_server.stop()  # the network goes away mid-trial
        (tmp_path / "stopped").touch()
        assert child.stdout.readline().strip() == "spooled 12"
    finally:
        os.kill(child.pid, signal.SIGKILL)  # and the workstation crashes meanwhile
        child.wait(timeout=10)
        child.stdout.close()
        if not pg_server.is_running():
            pg_server.start()
    from clinic_app.storage.server_database import ServerDatabase

    again = ServerDatabase.connect(server_clinic.url_for(login), local_dir=local)  # next start
    try:
        spool = spool_for(again)
        assert spool is not None
        assert replay(again, spool) == 12 and spool.count() == 0
        spool.close()
        stored = again.load_recording(trial_id, "plate")
        assert np.array_equal(stored["seq"], np.arange(400))  # every sample, once, in order
        assert again.get_trial(trial_id).status == "valid"
        assert again.get_session(session_id).status == "complete"
    finally:
        again.close()
