"""Numbered schema migrations: each in one transaction, each preceded by a backup.

The schema is described in ``docs/data-model.md``. Migration ``n`` takes the database
from version ``n - 1`` to ``n``; the ``schema_version`` table records every version
applied. A released migration is never edited: a change is a new, higher number.

A migration is a :class:`Migration` whose ``apply`` receives a :class:`sqlite_utils.Database`
inside an open transaction. It must not commit (so no ``executescript``): if it raises,
everything it did is rolled back and the database stays at the previous version.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clinic_app.storage._sqlite_utils import sqlite_utils
from clinic_app.storage._util import to_json, utc_now
from clinic_app.storage.search import search_columns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """One schema step.

    Attributes
    ----------
    version : int
        The schema version this migration produces (1, 2, …, no gaps).
    description : str
        What it changes, in a few words (logged and kept in the audit log).
    apply : callable
        ``apply(db)`` with ``db`` a :class:`sqlite_utils.Database` inside a transaction.
    """

    version: int
    description: str
    apply: Callable[[sqlite_utils.Database], None]


_V1_STATEMENTS = (
    """CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        record_number TEXT UNIQUE,
        first_name TEXT NOT NULL CHECK (length(trim(first_name)) > 0),
        last_name TEXT NOT NULL CHECK (length(trim(last_name)) > 0),
        birth_date TEXT NOT NULL CHECK (date(birth_date) IS birth_date),
        sex TEXT NOT NULL DEFAULT 'unspecified'
            CHECK (sex IN ('female', 'male', 'other', 'unspecified')),
        height_cm REAL,
        mass_kg REAL,
        dominant_leg TEXT NOT NULL DEFAULT 'unknown'
            CHECK (dominant_leg IN ('left', 'right', 'unknown')),
        involved_side TEXT NOT NULL DEFAULT 'none'
            CHECK (involved_side IN ('left', 'right', 'both', 'none')),
        weekly_km REAL,
        years_running REAL,
        notes TEXT NOT NULL DEFAULT '',
        search_text TEXT NOT NULL DEFAULT '',
        sort_name TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT
    )""",
    # Search as you type scans this index in name order and tests search_text in the index
    # itself, touching table rows only for matches.
    "CREATE INDEX idx_patients_active_name ON patients (sort_name, search_text) "
    "WHERE deleted_at IS NULL",
    "CREATE INDEX idx_patients_name ON patients "
    "(last_name COLLATE NOCASE, first_name COLLATE NOCASE)",
    "CREATE INDEX idx_patients_first_name ON patients (first_name COLLATE NOCASE)",
    "CREATE INDEX idx_patients_birth_date ON patients (birth_date)",
    "CREATE INDEX idx_patients_deleted ON patients (deleted_at) WHERE deleted_at IS NOT NULL",
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE RESTRICT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        examiner TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'in_progress'
            CHECK (status IN ('in_progress', 'complete', 'abandoned')),
        inclinometer_site TEXT NOT NULL DEFAULT 'tibial_crest_15cm',
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX idx_sessions_patient_date ON sessions (patient_id, started_at)",
    "CREATE INDEX idx_sessions_started ON sessions (started_at)",
    "CREATE INDEX idx_sessions_unfinished ON sessions (status) WHERE status = 'in_progress'",
    """CREATE TABLE trials (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE RESTRICT,
        protocol TEXT NOT NULL CHECK (protocol IN ('lunge', 'balance')),
        side TEXT NOT NULL CHECK (side IN ('left', 'right')),
        condition TEXT CHECK (condition IS NULL
            OR condition IN ('eo_firm', 'ec_firm', 'eo_foam', 'ec_foam')),
        attempt INTEGER NOT NULL CHECK (attempt >= 1),
        practice INTEGER NOT NULL DEFAULT 0 CHECK (practice IN (0, 1)),
        status TEXT NOT NULL DEFAULT 'incomplete'
            CHECK (status IN ('valid', 'invalid', 'failed', 'incomplete')),
        invalid_reason TEXT,
        result TEXT CHECK (result IS NULL OR json_valid(result)),
        started_at TEXT NOT NULL,
        ended_at TEXT
    )""",
    "CREATE INDEX idx_trials_session ON trials (session_id)",
    """CREATE TABLE recordings (
        id INTEGER PRIMARY KEY,
        trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
        device TEXT NOT NULL CHECK (device IN ('inclinometer', 'plate')),
        chunk INTEGER NOT NULL CHECK (chunk >= 0),
        dtype TEXT NOT NULL CHECK (json_valid(dtype)),
        n_samples INTEGER NOT NULL CHECK (n_samples >= 0),
        data BLOB NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (trial_id, device, chunk)
    )""",
    """CREATE TABLE plans (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE RESTRICT,
        version INTEGER NOT NULL CHECK (version >= 1),
        plan TEXT NOT NULL CHECK (json_valid(plan)),
        edited_by TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (session_id, version)
    )""",
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL CHECK (json_valid(value))
    )""",
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore',
            'export', 'import', 'backup', 'migrate')),
        entity TEXT NOT NULL CHECK (entity IN ('patient', 'session', 'trial', 'plan',
            'settings', 'database')),
        entity_id INTEGER,
        details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
        user TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX idx_audit_entity ON audit_log (entity, entity_id)",
    # The audit log is append-only: no application path may rewrite history.
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)


def _v1(db: sqlite_utils.Database) -> None:
    for statement in _V1_STATEMENTS:
        db.execute(statement)


def _v2(db: sqlite_utils.Database) -> None:
    # ADD COLUMN keeps every row in place; visits begun before v2 get NULL (no plan was
    # stored then), which the assessment screen treats as "rebuild the plan as before".
    db.execute(
        "ALTER TABLE sessions ADD COLUMN test_plan TEXT "
        "CHECK (test_plan IS NULL OR json_valid(test_plan))"
    )


UUID_SQL = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || "
    "substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || "
    "'-' || lower(hex(randomblob(6)))"
)
"""A random (version 4) UUID in SQL, for rows written by code that does not give one."""

AUDIT_ACTIONS_V3 = (
    "create", "update", "delete", "restore", "export", "import", "backup", "migrate",
    "disclose", "void",
)  # fmt: skip
AUDIT_ENTITIES_V3 = ("patient", "session", "trial", "plan", "settings", "database")


def _audit_log_table(actions: Sequence[str], entities: Sequence[str]) -> tuple[str, ...]:
    def quoted(values: Sequence[str]) -> str:
        return ", ".join(f"'{v}'" for v in values)

    return (
        f"""CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ({quoted(actions)})),
        entity TEXT NOT NULL CHECK (entity IN ({quoted(entities)})),
        entity_id INTEGER,
        details TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(details)),
        user TEXT NOT NULL DEFAULT ''
    )""",
        "CREATE INDEX idx_audit_entity ON audit_log (entity, entity_id)",
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    )


def _v3(db: sqlite_utils.Database) -> None:
    # Stable identities that survive a backup, an export/import or a second workstation
    # (the integer ids do not). Existing rows get new random UUIDs; code that inserts a row
    # without one gets one from the trigger, so no row is ever without.
    for table in ("patients", "sessions", "trials"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN uid TEXT")
        db.execute(f"UPDATE {table} SET uid = {UUID_SQL} WHERE uid IS NULL")
        db.execute(f"CREATE UNIQUE INDEX idx_{table}_uid ON {table} (uid)")
        db.execute(
            f"CREATE TRIGGER {table}_uid AFTER INSERT ON {table} WHEN NEW.uid IS NULL "
            f"BEGIN UPDATE {table} SET uid = {UUID_SQL} WHERE id = NEW.id; END"
        )
    # Body mass and height as measured at the visit (reports and FHIR must not rewrite the
    # past when the patient record changes). Earlier visits take the record's values at
    # the time of this migration: the best that is known of them.
    db.execute("ALTER TABLE sessions ADD COLUMN mass_kg REAL")
    db.execute("ALTER TABLE sessions ADD COLUMN height_cm REAL")
    db.execute(
        "UPDATE sessions SET mass_kg = (SELECT p.mass_kg FROM patients p "
        "WHERE p.id = sessions.patient_id), height_cm = (SELECT p.height_cm FROM patients p "
        "WHERE p.id = sessions.patient_id)"
    )
    # A voided visit (recorded by mistake, wrong patient) stays stored and restorable but
    # counts nowhere.
    db.execute("ALTER TABLE sessions ADD COLUMN voided_at TEXT")
    db.execute("ALTER TABLE sessions ADD COLUMN void_reason TEXT NOT NULL DEFAULT ''")
    # The audit log learns two actions: 'disclose' (a report, handout, print or PDF left
    # the database) and 'void'. SQLite cannot change a CHECK in place, so the table is
    # copied; DROP TABLE does not fire the append-only triggers, and every row is kept.
    # Search columns again, with the case folding of this version (a letter and its capital
    # now fold alike where case folding adds a letter, as in Greek).
    rows = db.execute(
        "SELECT id, first_name, last_name, record_number, birth_date FROM patients"
    ).fetchall()
    for patient_id, first, last, record_number, birth in rows:
        derived = search_columns(
            {"first_name": first, "last_name": last, "record_number": record_number,
             "birth_date": birth}
        )  # fmt: skip
        db.execute(
            "UPDATE patients SET search_text = ?, sort_name = ? WHERE id = ?",
            (derived["search_text"], derived["sort_name"], patient_id),
        )
    for statement in (
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
        "DROP INDEX idx_audit_entity",
        "ALTER TABLE audit_log RENAME TO audit_log_v2",
        *_audit_log_table(AUDIT_ACTIONS_V3, AUDIT_ENTITIES_V3),
        "INSERT INTO audit_log (id, at, action, entity, entity_id, details, user) "
        "SELECT id, at, action, entity, entity_id, details, user FROM audit_log_v2",
        "DROP TABLE audit_log_v2",
    ):
        db.execute(statement)


def _v4(db: sqlite_utils.Database) -> None:
    # Optimistic concurrency between workstations: a save names the version it was read
    # at, and one that finds a newer version says who changed the record and when. On a
    # clinic server a trigger keeps these columns; here the record stores do.
    for table in ("patients", "sessions"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1")
        db.execute(f"ALTER TABLE {table} ADD COLUMN updated_by TEXT NOT NULL DEFAULT ''")


def _v5(db: sqlite_utils.Database) -> None:
    # Optional sign-in for a file used by several people: each login with a role and an
    # Argon2id hash (never the password). A clinic server signs in with its own logins.
    db.execute(
        """CREATE TABLE local_users (
        login TEXT PRIMARY KEY CHECK (length(login) BETWEEN 1 AND 63),
        role TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'assistant')),
        password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
        created_at TEXT NOT NULL,
        disabled_at TEXT
    )"""
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "patients, sessions, trials, recordings, plans, settings, audit log", _v1),
    Migration(2, "sessions.test_plan: the tests and settings chosen for the visit", _v2),
    Migration(
        3,
        "uid of patients, sessions and trials; body measures and voiding of a visit; "
        "audit actions 'disclose' and 'void'; search columns refolded",
        _v3,
    ),
    Migration(4, "row_version and updated_by of patients and sessions", _v4),
    Migration(5, "local_users: optional sign-in to a database file", _v5),
)
"""The migrations of this DorsiLab version, in order."""

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this DorsiLab version writes."""


def current_version(conn: sqlite3.Connection) -> int:
    """The highest applied schema version (0 for a new, empty database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def has_user_tables(conn: sqlite3.Connection) -> bool:
    """True if the database holds any table (so a backup before migrating is worth it)."""
    row = conn.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()
    return bool(row[0])


def check_sequence(migrations: Sequence[Migration]) -> None:
    """Raise ValueError unless versions run 1, 2, 3, … without gaps or repeats."""
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3, … without gaps: {versions}")


def run_migrations(
    su: sqlite_utils.Database,
    migrations: Sequence[Migration],
    backup: Callable[[str], Path],
    user: str,
) -> list[int]:
    """Apply every pending migration, each after a backup and in its own transaction.

    Parameters
    ----------
    su : sqlite_utils.Database
        The open database (its connection in autocommit mode; we issue BEGIN ourselves).
    migrations : sequence of Migration
        All migrations, numbered from 1.
    backup : callable
        ``backup(reason) -> Path`` makes a backup through the SQLite backup API; called
        before each migration of a database that existed before this run.
    user : str
        Written to the audit log.

    Returns
    -------
    list of int
        The versions applied (empty when already up to date).
    """
    check_sequence(migrations)
    conn = su.conn
    applied: list[int] = []
    # A database this run creates from nothing holds no data yet: no backup before its
    # later steps (the daily backup at open follows).
    created_now = current_version(conn) == 0
    for migration in migrations:
        if migration.version <= current_version(conn):
            continue
        keep = not created_now and has_user_tables(conn)
        backup_path = backup(f"before-v{migration.version}") if keep else None
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            before = current_version(conn)
            if migration.version <= before:
                conn.execute("ROLLBACK")
                continue
            migration.apply(su)
            if before == 0:
                conn.execute(
                    "CREATE TABLE schema_version ("
                    "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
            now = utc_now()
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (migration.version, now),
            )
            details = {
                "from_version": before,
                "to_version": migration.version,
                "description": migration.description,
                "backup": backup_path.name if backup_path else None,
            }
            conn.execute(
                "INSERT INTO audit_log (at, action, entity, entity_id, details, user) "
                "VALUES (?, 'migrate', 'database', NULL, ?, ?)",
                (now, to_json(details), user),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            log.exception("migration to schema v%d failed; rolled back", migration.version)
            raise
        log.info("database migrated to schema v%d", migration.version)
        applied.append(migration.version)
    return applied
