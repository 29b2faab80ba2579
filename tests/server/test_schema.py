"""``server init`` and the schema: fresh, idempotent, two at once, SQLite's shape, triggers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.server.conftest import NOW, PASSWORD, ServerDb, insert_patient, insert_session

psycopg = pytest.importorskip("psycopg")

from clinic_app.storage.server import init_server, schema  # noqa: E402
from clinic_app.storage.server.errors import NotAllowedError, SchemaError  # noqa: E402
from clinic_app.storage.server_changes import Change, parse_change  # noqa: E402

ALL = [m.version for m in schema.SERVER_MIGRATIONS]
LATEST = schema.SERVER_SCHEMA_VERSION


def _columns(conn: object, table: str) -> list[str]:
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [r[0] for r in rows]


def test_fresh_init_creates_schema_roles_and_privileges(fresh_db: ServerDb) -> None:
    conn = fresh_db.connect()
    result = init_server(conn)
    assert result.version_before == 0
    assert result.applied == ALL and result.version_after == LATEST
    assert result.privileges_changed and result.changed
    for table in schema.TABLES:
        assert _columns(conn, table), table
    rows = conn.execute("SELECT version FROM schema_version").fetchall()
    assert rows == [(v,) for v in ALL]
    audit = conn.execute('SELECT action, entity, "user", details FROM audit_log').fetchall()
    assert [(a, e, u) for a, e, u, _ in audit] == [("migrate", "database", "postgres")] * len(ALL)
    assert [json.loads(row[3])["to_version"] for row in audit] == ALL
    groups = conn.execute(
        "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'dorsilab\\_%' ORDER BY 1"
    ).fetchall()
    assert groups == [
        ("dorsilab_admin", False),
        ("dorsilab_assistant", False),
        ("dorsilab_clinician", False),
    ]
    forced = conn.execute(
        "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relrowsecurity "
        "AND relforcerowsecurity ORDER BY 1",
        (list(schema.CLINICAL_TABLES),),
    ).fetchall()
    assert sorted(r[0] for r in forced) == sorted(schema.CLINICAL_TABLES)


def test_init_on_an_up_to_date_server_changes_nothing(server_db: ServerDb) -> None:
    conn = server_db.connect()
    state = _catalog_state(conn)
    result = init_server(conn)
    assert not result.changed
    assert result.applied == [] and result.roles_created == [] and not result.privileges_changed
    assert result.version_before == result.version_after == LATEST
    assert _catalog_state(conn) == state


def _catalog_state(conn: object) -> object:
    """Rows that any write by init would touch (xmin changes even for an equal rewrite)."""
    return conn.execute(  # type: ignore[attr-defined]
        "SELECT (SELECT array_agg(xmin::text || relname ORDER BY relname) FROM pg_class "
        "        WHERE relnamespace = 'public'::regnamespace), "
        "(SELECT array_agg(xmin::text || polname ORDER BY polname) FROM pg_policy), "
        "(SELECT count(*) FROM audit_log), "
        "(SELECT array_agg(xmin::text) FROM pg_database WHERE datname = current_database())"
    ).fetchone()


def test_init_repairs_a_dropped_grant_and_policy(server_db: ServerDb) -> None:
    conn = server_db.connect()
    conn.execute("REVOKE INSERT ON patients FROM dorsilab_assistant")
    conn.execute("DROP POLICY dorsilab_generated ON plans")
    conn.execute("CREATE POLICY dba_own ON plans FOR SELECT TO dorsilab_admin USING (true)")
    result = init_server(conn)
    assert result.privileges_changed and result.applied == []
    policies = {r[0] for r in conn.execute("SELECT policyname FROM pg_policies").fetchall()}
    assert {"dorsilab_generated", "dba_own"} <= policies  # a DBA's own policy stays
    granted = conn.execute(
        "SELECT has_table_privilege('dorsilab_assistant', 'patients', 'INSERT')"
    ).fetchone()
    assert granted == (True,)


def test_two_inits_at_once_migrate_once(fresh_db: ServerDb) -> None:
    blocker = fresh_db.connect()
    blocker.execute("SELECT pg_advisory_lock(%s)", (schema.ADVISORY_LOCK_KEY,))
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(fresh_db.url, autocommit=True) as conn:
                results.append(init_server(conn))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    # Both runs wait on the lock, so they really are at the same point at once.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        waiting = blocker.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()[0]
        if waiting == 2:
            break
        time.sleep(0.02)
    blocker.execute("SELECT pg_advisory_unlock(%s)", (schema.ADVISORY_LOCK_KEY,))
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    applied = sorted(v for r in results for v in r.applied)  # type: ignore[attr-defined]
    assert applied == ALL  # each step once, whichever init took it
    assert all(r.version_after == LATEST for r in results)  # type: ignore[attr-defined]
    conn = fresh_db.connect()
    versions = conn.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    assert versions == [(v,) for v in ALL]
    migrations = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'migrate'")
    assert migrations.fetchone() == (len(ALL),)


def test_a_database_with_foreign_tables_is_refused(fresh_db: ServerDb) -> None:
    conn = fresh_db.connect()
    conn.execute("CREATE TABLE patients (id int)")
    with pytest.raises(SchemaError, match=r"did not create \(patients\)"):
        init_server(conn)
    assert conn.execute("SELECT to_regclass('schema_version')").fetchone() == (None,)


def test_a_newer_schema_is_refused(server_db: ServerDb) -> None:
    conn = server_db.connect()
    conn.execute("INSERT INTO schema_version VALUES (99, %s)", (NOW,))
    with pytest.raises(SchemaError, match="version 99, newer"):
        init_server(conn)
    with pytest.raises(SchemaError, match="update DorsiLab"):
        schema.check_server_schema(conn)


def test_check_server_schema_says_what_to_do(fresh_db: ServerDb) -> None:
    conn = fresh_db.connect()
    with pytest.raises(SchemaError, match="server init"):
        schema.check_server_schema(conn)
    init_server(conn)
    assert schema.check_server_schema(conn) == LATEST
    with pytest.raises(SchemaError, match="older than this"):
        schema.check_server_schema(conn, expected=LATEST + 1)


def test_a_database_owner_without_superuser_sets_up_and_is_held_to_rls(
    fresh_db: ServerDb,
) -> None:
    su = fresh_db.connect()
    dba = fresh_db.server.unique_login("dba")
    su.execute(f"CREATE ROLE {dba} LOGIN CREATEROLE PASSWORD '{PASSWORD}'")
    su.execute(f'ALTER DATABASE "{fresh_db.name}" OWNER TO {dba}')
    conn = fresh_db.connect(fresh_db.url_for(dba))
    assert init_server(conn).applied == ALL
    assert not init_server(conn).changed
    owner = conn.execute("SELECT relowner::regrole::text FROM pg_class WHERE relname = 'patients'")
    assert owner.fetchone() == (dba,)
    insert_patient(su)
    # FORCE ROW LEVEL SECURITY: the tables' owner sees and writes no patient row.
    assert conn.execute("SELECT count(*) FROM patients").fetchone() == (0,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        insert_patient(conn)
    # The DBA adds the first admin; an admin who does not own the tables may not re-run init.
    admin = fresh_db.server.unique_login("admin")
    from clinic_app.storage.server.users import add_user

    add_user(conn, admin, "admin", PASSWORD)
    with pytest.raises(NotAllowedError, match="owner of database"):
        init_server(fresh_db.connect(fresh_db.url_for(admin)))


def test_columns_are_sqlites_plus_v4(server_db: ServerDb, tmp_path: Path) -> None:
    from clinic_app.storage import Database
    from clinic_app.storage import migrations as sqlite_migrations

    v4_extra = {
        "patients": ["row_version", "updated_by"],
        "sessions": ["row_version", "updated_by"],
    }
    conn = server_db.connect()
    with Database.open(tmp_path / "parity.sqlite3", backup_on_start=False) as db:
        sqlite_version = db.schema_version
        for table in schema.TABLES:
            sqlite_cols = [r[1] for r in db.conn.execute(f"PRAGMA table_info({table})")]
            if sqlite_version < 4:
                sqlite_cols += v4_extra.get(table, [])
            assert _columns(conn, table) == sqlite_cols, table
    assert schema.AUDIT_ACTIONS_V3 == sqlite_migrations.AUDIT_ACTIONS_V3
    assert schema.AUDIT_ENTITIES_V3 == sqlite_migrations.AUDIT_ENTITIES_V3
    assert sqlite_version <= schema.SERVER_SCHEMA_VERSION


def test_checks_match_sqlite(server_db: ServerDb) -> None:
    conn = server_db.connect()
    insert_patient(conn, birth_date="1990-04-17")
    for bad_date in ("2020-02-30", "17.04.1990", "1990-4-17", "1990-04-17T00:00:00"):
        with pytest.raises(psycopg.errors.CheckViolation):
            insert_patient(conn, birth_date=bad_date)
    with pytest.raises(psycopg.errors.CheckViolation):
        insert_patient(conn, first=" ")
    with pytest.raises(psycopg.errors.CheckViolation):
        insert_patient(conn, sex="unknown")
    conn.execute("INSERT INTO settings (key, value) VALUES ('a', '{\"x\": [1, 2.5, null]}')")
    for bad_json in ("not json", "{'x': 1}", "", "[1,"):
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO settings (key, value) VALUES ('b', %s)", (bad_json,))


def test_patients_sort_bytewise_as_in_sqlite(server_db: ServerDb) -> None:
    conn = server_db.connect()
    names = ["zoe\tann", "Zoe\tann", "élodie\tx", "eve\ty", "o'brien\tz", "obrien\tz", "ß\ta"]
    for name in names:
        insert_patient(conn, sort_name=name)
    rows = conn.execute("SELECT sort_name FROM patients ORDER BY sort_name, id").fetchall()
    assert [r[0] for r in rows] == sorted(names, key=lambda s: s.encode())


def test_uid_is_given_when_omitted_or_null(server_db: ServerDb) -> None:
    conn = server_db.connect()
    first = insert_patient(conn)
    second = insert_patient(conn, uid=None)
    session = insert_session(conn, first, uid=None)
    trial = conn.execute(
        "INSERT INTO trials (session_id, protocol, side, attempt, started_at, uid) "
        "VALUES (%s, 'lunge', 'left', 1, %s, NULL) RETURNING uid",
        (session, NOW),
    ).fetchone()[0]
    uids = [
        conn.execute("SELECT uid FROM patients WHERE id = %s", (i,)).fetchone()[0]
        for i in (first, second)
    ]
    uids.append(conn.execute("SELECT uid FROM sessions").fetchone()[0])
    uids.append(trial)
    assert len(set(uids)) == 4 and all(len(u) == 36 for u in uids)


def test_row_version_and_updated_by_come_from_the_server(server_db: ServerDb) -> None:
    clinician = server_db.add_login("clinician")
    conn = server_db.connect(server_db.url_for(clinician))
    patient = insert_patient(conn, row_version=9, updated_by="someone else")
    session = insert_session(conn, patient)
    query = "SELECT row_version, updated_by FROM {} WHERE id = %s"
    assert conn.execute(query.format("patients"), (patient,)).fetchone() == (1, clinician)
    conn.execute("UPDATE patients SET notes = 'a' WHERE id = %s", (patient,))
    assert conn.execute(query.format("patients"), (patient,)).fetchone() == (2, clinician)
    conn.execute(
        "UPDATE patients SET notes = 'b', row_version = 100, updated_by = 'mallory' WHERE id = %s",
        (patient,),
    )
    assert conn.execute(query.format("patients"), (patient,)).fetchone() == (3, clinician)
    # Optimistic concurrency: a save based on version 2 matches no row now.
    stale = conn.execute(
        "UPDATE patients SET notes = 'c' WHERE id = %s AND row_version = 2", (patient,)
    )
    assert stale.rowcount == 0
    for _ in range(2):
        conn.execute("UPDATE sessions SET notes = notes || 'x' WHERE id = %s", (session,))
    assert conn.execute(query.format("sessions"), (session,)).fetchone() == (3, clinician)


def test_audit_user_is_the_signed_in_login(server_db: ServerDb) -> None:
    assistant = server_db.add_login("assistant")
    conn = server_db.connect(server_db.url_for(assistant))
    conn.execute(
        'INSERT INTO audit_log (at, action, entity, entity_id, details, "user") '
        "VALUES (%s, 'create', 'patient', 1, '{}', 'dr_somebody_else')",
        (NOW,),
    )
    # SET ROLE changes current_user, not the login that signed in.
    conn.execute("SET ROLE dorsilab_assistant")
    conn.execute(
        "INSERT INTO audit_log (at, action, entity) VALUES (%s, 'update', 'patient')", (NOW,)
    )
    users = conn.execute("SELECT \"user\" FROM audit_log WHERE action <> 'migrate'").fetchall()
    assert users == [(assistant,), (assistant,)]


def test_the_audit_log_is_append_only_even_for_its_owner(server_db: ServerDb) -> None:
    conn = server_db.connect()  # the superuser owns the tables here
    for statement in ("UPDATE audit_log SET details = '{}'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone() == (len(ALL),)


def test_notifications_carry_ids_only(server_db: ServerDb) -> None:
    clinician = server_db.add_login("clinician")
    assistant = server_db.add_login("assistant")
    listener = server_db.connect(server_db.url_for(assistant))
    listener.execute(f"LISTEN {schema.CHANGES_CHANNEL}")
    writer = server_db.connect(server_db.url_for(clinician))
    patient = insert_patient(writer, "Grace", "Hopper", record_number="MRN-0042")
    session = insert_session(writer, patient, notes="knee pain")
    trial = writer.execute(
        "INSERT INTO trials (session_id, protocol, side, attempt, started_at) "
        "VALUES (%s, 'lunge', 'left', 1, %s) RETURNING id",
        (session, NOW),
    ).fetchone()[0]
    plan = writer.execute(
        "INSERT INTO plans (session_id, version, plan, created_at) "
        "VALUES (%s, 1, '{}', %s) RETURNING id",
        (session, NOW),
    ).fetchone()[0]
    writer.execute("UPDATE patients SET mass_kg = 60 WHERE id = %s", (patient,))
    # Recording chunks are journaled every second: they are not announced.
    writer.execute(
        "INSERT INTO recordings (trial_id, device, chunk, dtype, n_samples, data, created_at) "
        "VALUES (%s, 'plate', 0, '[]', 0, '\\x00', %s)",
        (trial, NOW),
    )
    got = [n.payload for n in listener.notifies(timeout=30, stop_after=5)]
    assert [json.loads(p) for p in got] == [
        {"table": "patients", "id": patient, "patient_id": patient},
        {"table": "sessions", "id": session, "patient_id": patient},
        {"table": "trials", "id": trial, "patient_id": patient},
        {"table": "plans", "id": plan, "patient_id": patient},
        {"table": "patients", "id": patient, "patient_id": patient},
    ]
    for payload in got:
        for secret in ("Grace", "Hopper", "MRN", "1990", "knee"):
            assert secret not in payload
    assert parse_change(got[2]) == Change("trials", trial, patient)
    assert parse_change("not ours") is None


def test_bulk_load_keeps_history_and_resets_sequences(server_db: ServerDb) -> None:
    conn = server_db.connect()
    with conn.transaction():
        with schema.bulk_load(conn):
            insert_patient(conn, id=100, row_version=7, updated_by="sqlite-user")
            conn.execute(
                'INSERT INTO audit_log (id, at, action, entity, entity_id, "user") '
                "VALUES (50, %s, 'create', 'patient', 100, 'dr_history')",
                (NOW,),
            )
        schema.reset_identity_sequences(conn)
    row = conn.execute("SELECT row_version, updated_by FROM patients WHERE id = 100")
    assert row.fetchone() == (7, "sqlite-user")
    assert conn.execute('SELECT "user" FROM audit_log WHERE id = 50').fetchone() == ("dr_history",)
    assert insert_patient(conn) == 101
    audit = conn.execute(
        "INSERT INTO audit_log (at, action, entity) VALUES (%s, 'create', 'patient') "
        'RETURNING id, "user"',
        (NOW,),
    ).fetchone()
    assert audit == (51, "postgres")  # the triggers are back
    forced = conn.execute(
        "SELECT bool_and(relforcerowsecurity) FROM pg_class WHERE relname = ANY(%s)",
        (list(schema.CLINICAL_TABLES),),
    )
    assert forced.fetchone() == (True,)


def test_clinic_app_storage_does_not_import_psycopg() -> None:
    code = "import sys, clinic_app.storage; print('psycopg' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_pg_dump_restored_into_a_new_database_is_set_up_again(server_db: ServerDb) -> None:
    su = server_db.connect()
    patient = insert_patient(su, "Restored", "Record")
    dump = server_db.server.root / f"{server_db.name}.dump"
    bin_dir = server_db.server.bin_dir
    # Run as this process's user: root may write the cluster's folder, nobody need not.
    subprocess.run(
        [str(bin_dir / "pg_dump"), "-Fc", "-f", str(dump), "-d", server_db.url],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    target = ServerDb(server_db.server, server_db.server.new_database())
    try:
        subprocess.run(
            [str(bin_dir / "pg_restore"), "-d", target.url, str(dump)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        conn = target.connect()
        # A dump holds no database-level grants: init puts them back, and nothing else.
        result = init_server(conn)
        assert result.applied == [] and result.privileges_changed
        assert not init_server(conn).changed
        clinician = target.add_login("clinician")
        with target.connect(target.url_for(clinician)) as as_clinician:
            row = as_clinician.execute("SELECT last_name FROM patients WHERE id = %s", (patient,))
            assert row.fetchone() == ("Record",)
    finally:
        target.close()
        dump.unlink(missing_ok=True)
