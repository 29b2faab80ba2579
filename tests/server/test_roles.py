"""The role matrix, enforced by the server: plain SQL as each login, no app in between.

Every row of the matrix in :mod:`clinic_app.storage.server.roles` is an operation here,
run as an assistant, a clinician and an admin. An allowed operation must succeed and
touch its row; a forbidden one must be refused by the server with SQLSTATE 42501
(never a silently unchanged row). Each operation runs in a transaction that is rolled
back, so all cases share one seeded database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.pg_cluster import PgServer
from tests.server.conftest import NOW, ServerDb, insert_patient, insert_session

psycopg = pytest.importorskip("psycopg")

ALL = {"assistant", "clinician", "admin"}
CLINICAL = {"clinician", "admin"}
ADMIN = {"admin"}
NOBODY: set[str] = set()

_PATIENT_COLUMNS = "first_name, last_name, birth_date, created_at, updated_at"
_RECORDING = (
    "INSERT INTO recordings (trial_id, device, chunk, dtype, n_samples, data, created_at) "
    "VALUES (%(trial)s, 'inclinometer', 7, '[\"<f8\"]', 0, '\\x00', %(now)s)"
)


def _audit(action: str) -> str:
    return (
        "INSERT INTO audit_log (at, action, entity, entity_id, details) "
        f"VALUES (%(now)s, '{action}', 'patient', %(patient)s, '{{}}')"
    )


# (operation, SQL, who may). Reads are checked to succeed; writes to touch one row.
MATRIX: list[tuple[str, str, set[str]]] = [
    *[
        (f"read {t}", f"SELECT count(*) FROM {t}", ALL)
        for t in (
            "patients",
            "sessions",
            "trials",
            "recordings",
            "plans",
            "settings",
            "audit_log",
            "schema_version",
        )
    ],
    (
        "register a patient",
        f"INSERT INTO patients ({_PATIENT_COLUMNS}) "
        "VALUES ('Test', 'Person', '1990-04-17', %(now)s, %(now)s)",
        ALL,
    ),
    (
        "edit demographics",
        "UPDATE patients SET mass_kg = 70.5, updated_at = %(now)s WHERE id = %(patient)s",
        ALL,
    ),
    (
        "soft-delete a patient",
        "UPDATE patients SET deleted_at = %(now)s WHERE id = %(patient)s",
        CLINICAL,
    ),
    (
        "restore a patient",
        "UPDATE patients SET deleted_at = NULL WHERE id = %(deleted)s",
        CLINICAL,
    ),
    (
        "edit a deleted patient",
        "UPDATE patients SET notes = 'x' WHERE id = %(deleted)s",
        CLINICAL,
    ),
    (
        "register a patient as deleted",
        f"INSERT INTO patients ({_PATIENT_COLUMNS}, deleted_at) "
        "VALUES ('Test', 'Person', '1990-04-17', %(now)s, %(now)s, %(now)s)",
        CLINICAL,
    ),
    (
        "start a visit",
        "INSERT INTO sessions (patient_id, started_at, created_at, updated_at) "
        "VALUES (%(patient)s, %(now)s, %(now)s, %(now)s)",
        ALL,
    ),
    (
        "edit a visit",
        "UPDATE sessions SET notes = 'ok', status = 'complete' WHERE id = %(session)s",
        ALL,
    ),
    (
        "void a visit",
        "UPDATE sessions SET voided_at = %(now)s, void_reason = 'wrong patient' "
        "WHERE id = %(session)s",
        CLINICAL,
    ),
    ("undo a void", "UPDATE sessions SET voided_at = NULL WHERE id = %(voided)s", CLINICAL),
    (
        "record a trial",
        "INSERT INTO trials (session_id, protocol, side, attempt, started_at) "
        "VALUES (%(session)s, 'balance', 'right', 1, %(now)s)",
        ALL,
    ),
    (
        "finish a trial",
        "UPDATE trials SET status = 'valid', result = '{\"angle_deg\": 41.5}' "
        "WHERE id = %(trial)s",
        ALL,
    ),
    ("store a recording chunk", _RECORDING, ALL),
    (
        "rewrite a recording chunk",
        "UPDATE recordings SET n_samples = 0 WHERE id = %(recording)s",
        ALL,
    ),
    (
        "store the generated plan (version 1)",
        "INSERT INTO plans (session_id, version, plan, created_at) "
        "VALUES (%(session)s, 1, '{}', %(now)s)",
        ALL,
    ),
    (
        "store an edited plan (version 2)",
        "INSERT INTO plans (session_id, version, plan, edited_by, created_at) "
        "VALUES (%(planned)s, 2, '{}', 'x', %(now)s)",
        CLINICAL,
    ),
    ("rewrite a stored plan", "UPDATE plans SET plan = '{}' WHERE id = %(plan)s", NOBODY),
    *[(f"audit {a}", _audit(a), ALL) for a in ("create", "update", "disclose")],
    *[
        (f"audit {a}", _audit(a), CLINICAL)
        for a in ("export", "import", "delete", "restore", "void")
    ],
    ("audit migrate", _audit("migrate"), NOBODY),
    (
        "write a setting",
        "INSERT INTO settings (key, value) VALUES ('report_header', '\"Clinic\"') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ADMIN,
    ),
    ("change a setting", "UPDATE settings SET value = '\"B\"' WHERE key = 'clinic_name'", ADMIN),
    (
        "rewrite the audit log",
        "UPDATE audit_log SET details = '{}' WHERE id = %(audit)s",
        NOBODY,
    ),
    ("record a schema version", "INSERT INTO schema_version VALUES (5, %(now)s)", NOBODY),
    *[
        (f"hard-delete from {t}", f"DELETE FROM {t} WHERE id = %({key})s", NOBODY)
        for t, key in (
            ("patients", "deleted"),
            ("sessions", "voided"),
            ("trials", "trial"),
            ("recordings", "recording"),
            ("plans", "plan"),
            ("audit_log", "audit"),
        )
    ],
    ("hard-delete a setting", "DELETE FROM settings WHERE key = 'clinic_name'", NOBODY),
    *[(f"truncate {t}", f"TRUNCATE {t} CASCADE", NOBODY) for t in ("patients", "audit_log")],
    ("create a role", "CREATE ROLE matrix_probe NOLOGIN", ADMIN),
    ("disable a login", "ALTER ROLE %(target)s NOLOGIN", ADMIN),
]


@dataclass
class World:
    """One seeded database and a connection per role."""

    ids: dict[str, Any]
    conns: dict[str, Any]


@pytest.fixture(scope="module")
def world(pg_server: PgServer) -> Iterator[World]:
    """A set-up database with a row of every kind and a login per role."""
    from clinic_app.storage.server import init_server

    db = ServerDb(pg_server, pg_server.new_database())
    su = db.connect()
    init_server(su)
    logins = {role: db.add_login(role, f"m_{role}") for role in ALL}
    target = db.add_login("assistant", "m_target")
    patient = insert_patient(su)
    deleted = insert_patient(su, "Del", "Eted", deleted_at=NOW)
    session = insert_session(su, patient)
    voided = insert_session(su, patient, voided_at=NOW, void_reason="test")
    planned = insert_session(su, patient)
    trial = su.execute(
        "INSERT INTO trials (session_id, protocol, side, attempt, started_at) "
        "VALUES (%s, 'lunge', 'left', 1, %s) RETURNING id",
        (session, NOW),
    ).fetchone()[0]
    recording = su.execute(
        _RECORDING.replace("7", "0") + " RETURNING id", {"trial": trial, "now": NOW}
    ).fetchone()[0]
    plan = su.execute(
        "INSERT INTO plans (session_id, version, plan, created_at) VALUES (%s, 1, '{}', %s) "
        "RETURNING id",
        (planned, NOW),
    ).fetchone()[0]
    su.execute("INSERT INTO settings (key, value) VALUES ('clinic_name', '\"A\"')")
    audit = su.execute(
        "INSERT INTO audit_log (at, action, entity) VALUES (%s, 'create', 'patient') RETURNING id",
        (NOW,),
    ).fetchone()[0]
    ids = {
        "now": NOW, "patient": patient, "deleted": deleted, "session": session,
        "voided": voided, "planned": planned, "trial": trial, "recording": recording,
        "plan": plan, "audit": audit, "target": target,
    }  # fmt: skip
    conns = {role: db.connect(db.url_for(login)) for role, login in logins.items()}
    yield World(ids, conns)
    db.close()


def _run(conn: Any, statement: str, ids: dict[str, Any]) -> Any:
    if "%(target)s" in statement:  # a role name is an identifier, not a parameter
        return conn.execute(statement.replace("%(target)s", f'"{ids["target"]}"'))
    return conn.execute(statement, ids)


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(
    ("operation", "statement", "allowed"), MATRIX, ids=[m[0].replace(" ", "-") for m in MATRIX]
)
def test_role_matrix(
    world: World, role: str, operation: str, statement: str, allowed: set[str]
) -> None:
    conn = world.conns[role]
    with conn.transaction(force_rollback=True):
        if role in allowed:
            cursor = _run(conn, statement, world.ids)
            if statement.startswith(("INSERT", "UPDATE", "DELETE")):
                assert cursor.rowcount == 1, f"{role} may {operation}, but no row changed"
        else:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                _run(conn, statement, world.ids)


def test_every_login_sees_every_row(world: World) -> None:
    for conn in world.conns.values():
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM sessions), "
            "(SELECT count(*) FROM settings)"
        ).fetchone()
        assert counts == (2, 3, 1)  # the deleted patient and the voided visit too


def test_refusals_say_why(world: World) -> None:
    conn = world.conns["assistant"]
    with conn.transaction(force_rollback=True), pytest.raises(psycopg.Error) as restore:
        _run(conn, "UPDATE patients SET deleted_at = NULL WHERE id = %(deleted)s", world.ids)
    assert "needs a clinician or admin login" in str(restore.value)
    with conn.transaction(force_rollback=True), pytest.raises(psycopg.Error) as plan:
        _run(conn, MATRIX[[m[0] for m in MATRIX].index("store an edited plan (version 2)")][1],
             world.ids)  # fmt: skip
    assert "row-level security" in str(plan.value)
