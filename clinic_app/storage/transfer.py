"""Moving a clinic's database file onto a clinic server (``migrate-to-server``).

The file is never changed: it is read through a read-only SQLite connection into a
private temporary copy (SQLite's backup API, consistent even if the app has it open),
the copy is brought to the current schema, and every row is written to the server in
**one** server transaction: patients, visits, trials, recordings, plans, settings and
the audit log. The server gives every row a new id (another room's file may already be
there), so references are mapped; each row keeps its ``uid``. Before committing, the
copy is verified on the server inside that transaction: row counts per table, and for
every recording the SHA-256 of its stored bytes (``sha256(data)`` computed by the
server) against the file's. Any difference rolls everything back.

Refused, with nothing written: a file already moved (its patients' uids are on the
server), and record numbers that the server already gives to other patients.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinic_app.storage._sql import in_clause
from clinic_app.storage.database import Database
from clinic_app.storage.errors import StorageError

log = logging.getLogger(__name__)

TABLES = ("patients", "sessions", "trials", "recordings", "plans", "settings", "audit_log")
"""Every table moved, parents before children."""

_PARENT = {"sessions": ("patient_id", "patients"), "trials": ("session_id", "sessions"),
           "recordings": ("trial_id", "trials"), "plans": ("session_id", "sessions")}  # fmt: skip
_AUDIT_ENTITY_TABLE = {"patient": "patients", "session": "sessions", "trial": "trials",
                       "plan": "plans"}  # fmt: skip
_BATCH = 200


@dataclass
class TransferReport:
    """What was moved and checked.

    Attributes
    ----------
    rows : dict
        Rows written per table.
    recordings_checked : int
        Recordings whose bytes the server hashed and matched.
    settings_kept : list of str
        Setting keys the server already had (its values were kept, the file's not used).
    """

    rows: dict[str, int] = field(default_factory=dict)
    recordings_checked: int = 0
    settings_kept: list[str] = field(default_factory=list)


@contextlib.contextmanager
def file_copy(path: Path) -> Iterator[Database]:
    """A private, current-schema copy of the database file at ``path`` (never changed).

    Raises
    ------
    StorageError
        If the file is missing or not a readable SQLite database.
    """
    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise StorageError(f"There is no database file at {path}.")
    with tempfile.TemporaryDirectory(prefix="dorsilab-move-") as folder:
        copy = Path(folder) / "copy.sqlite3"
        try:
            source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            try:
                target = sqlite3.connect(copy)
                try:
                    source.backup(target)
                finally:
                    target.close()
            finally:
                source.close()
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"The file {path} cannot be read as a database ({exc}).") from exc
        with Database.open(copy, backup_on_start=False, user="migrate-to-server") as db:
            yield db


def move_to_server(source: Database, server: Database, *, file_name: str) -> TransferReport:
    """Copy every row of ``source`` onto ``server`` in one verified server transaction.

    Parameters
    ----------
    source : Database
        The (copied) clinic file, at the current schema.
    server : ServerDatabase
        The signed-in clinic server (an admin login keeps the audit rows' historic users).
    file_name : str
        Named in the server's audit row for the move.

    Raises
    ------
    StorageError
        Already moved, clashing record numbers, or a verification difference (nothing
        is written in any of these cases).
    """
    report = TransferReport()
    with server.transaction():
        _refuse_clashes(source, server)
        server.sql.execute("SELECT set_config('dorsilab.migrating', 'on', true)")
        ids: dict[str, dict[int, int]] = {}
        for table in TABLES:
            if table == "settings":
                report.settings_kept = _copy_settings(source, server)
                continue
            ids[table], hashes = _copy_table(source, server, table, ids)
            report.rows[table] = len(ids[table])
            if table == "recordings":
                report.recordings_checked = _verify_recordings(server, hashes)
        _verify_counts(server, ids)
        server.record_audit(
            "import", "database", None,
            {"file": file_name, "migrate_to_server": True,
             "rows": dict(report.rows)},
        )  # fmt: skip
    log.info("database file moved to the clinic server: %s", report.rows)
    return report


def _columns(db: Database, table: str) -> list[str]:
    return [str(row["name"]) for row in db._rows(f"PRAGMA table_info({table})")]


def _refuse_clashes(source: Database, server: Database) -> None:
    uids = [str(r["uid"]) for r in source._rows("SELECT uid FROM patients")]
    moved = 0
    for start in range(0, len(uids), 500):
        clause, params = in_clause("uid", uids[start : start + 500])
        row = server._row(f"SELECT COUNT(*) AS n FROM patients WHERE {clause}", params)
        moved += int(row["n"]) if row else 0
    if moved:
        raise StorageError(
            f"{moved} of this file's {len(uids)} patients are already on the server (the "
            "file was moved before); nothing was written."
        )
    numbers = [
        str(r["record_number"])
        for r in source._rows("SELECT record_number FROM patients WHERE record_number IS NOT NULL")
    ]
    taken: list[str] = []
    for start in range(0, len(numbers), 500):
        clause, params = in_clause("record_number", numbers[start : start + 500])
        taken += [
            str(r["record_number"])
            for r in server._rows(f"SELECT record_number FROM patients WHERE {clause}", params)
        ]
    if taken:
        shown = ", ".join(sorted(taken)[:10]) + (" …" if len(taken) > 10 else "")
        raise StorageError(
            f"{len(taken)} record numbers of this file already belong to other patients on "
            f"the server ({shown}); nothing was written. Give those patients new record "
            "numbers in the file (or on the server), then move it again."
        )


def _copy_table(
    source: Database, server: Database, table: str, ids: dict[str, dict[int, int]]
) -> tuple[dict[int, int], dict[int, str]]:
    """Insert every row of ``table``; return old id → new id, and new id → SHA-256 of
    ``data`` (recordings only)."""
    columns = [c for c in _columns(source, table) if c != "id"]
    mapped: dict[int, int] = {}
    hashes: dict[int, str] = {}
    parent = _PARENT.get(table)
    for rows in _batches(source, table):
        for row in rows:
            record = {c: row[c] for c in columns}
            if parent is not None:
                column, parent_table = parent
                record[column] = ids[parent_table][int(row[column])]
            if table == "audit_log":
                record["entity_id"] = _audit_entity(record, ids)
            new_id = server._insert(table, record)
            mapped[int(row["id"])] = new_id
            if table == "recordings":
                hashes[new_id] = hashlib.sha256(bytes(row["data"])).hexdigest()
    return mapped, hashes


def _batches(source: Database, table: str) -> Iterator[Sequence[Any]]:
    last = 0
    while True:
        rows = source._rows(
            f"SELECT * FROM {table} WHERE id > :last ORDER BY id LIMIT {_BATCH}", {"last": last}
        )
        if not rows:
            return
        yield rows
        last = int(rows[-1]["id"])


def _audit_entity(record: dict[str, Any], ids: dict[str, dict[int, int]]) -> int | None:
    """The audit row's entity id on the server (None for a record that no longer exists)."""
    entity_id = record["entity_id"]
    table = _AUDIT_ENTITY_TABLE.get(str(record["entity"]))
    if entity_id is None or table is None:
        return None if table is not None else entity_id
    return ids[table].get(int(entity_id))


def _copy_settings(source: Database, server: Database) -> list[str]:
    kept: list[str] = []
    for row in source._rows("SELECT key, value FROM settings ORDER BY key"):
        present = server._row("SELECT value FROM settings WHERE key = :key", {"key": row["key"]})
        if present is not None:
            kept.append(str(row["key"]))
            continue
        server._execute(
            "INSERT INTO settings (key, value) VALUES (:key, :value)",
            {"key": row["key"], "value": row["value"]},
        )
    return kept


def _verify_recordings(server: Database, hashes: dict[int, str]) -> int:
    new_ids = sorted(hashes)
    checked = 0
    for start in range(0, len(new_ids), 500):
        clause, params = in_clause("id", new_ids[start : start + 500])
        for row in server._rows(
            f"SELECT id, encode(sha256(data), 'hex') AS digest FROM recordings WHERE {clause}",
            params,
        ):
            if row["digest"] != hashes[int(row["id"])]:
                raise StorageError(
                    "A recording read back from the server differs from the file's; nothing "
                    "was written. Check the server's storage, then try again."
                )
            checked += 1
    if checked != len(hashes):
        raise StorageError(
            f"Only {checked} of {len(hashes)} recordings could be read back from the server; "
            "nothing was written."
        )
    return checked


def _verify_counts(server: Database, ids: dict[str, dict[int, int]]) -> None:
    for table, mapped in ids.items():
        new_ids = sorted(mapped.values())
        found = 0
        for start in range(0, len(new_ids), 500):
            clause, params = in_clause("id", new_ids[start : start + 500])
            row = server._row(f"SELECT COUNT(*) AS n FROM {table} WHERE {clause}", params)
            found += int(row["n"]) if row else 0
        if found != len(new_ids):
            raise StorageError(
                f"The server holds {found} of the {len(new_ids)} {table} rows just written; "
                "nothing was written."
            )


__all__ = ["TABLES", "TransferReport", "file_copy", "move_to_server"]
