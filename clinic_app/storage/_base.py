"""The connection, transactions and audit log shared by every record store.

:class:`StoreBase` is the common base of the mixins (patients, sessions, recordings, plans,
settings) that :class:`clinic_app.storage.Database` combines. All methods are serialised
with one re-entrant lock, so a :class:`Database` may be shared between threads (e.g. the
GUI thread and a journaling timer).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_app.storage._sql import Params, Row, SqlConnection, insert_sql
from clinic_app.storage._util import from_json, to_json, utc_now
from clinic_app.storage.backups import newest_backup
from clinic_app.storage.errors import DatabaseBusyError, DatabaseCorruptError, NotFoundError
from clinic_app.storage.migrations import AUDIT_ACTIONS_V3, AUDIT_ENTITIES_V3

log = logging.getLogger(__name__)

AUDIT_ACTIONS = AUDIT_ACTIONS_V3
"""``disclose``: a report, handout, print or PDF left the database; ``void``: a visit voided."""
AUDIT_ENTITIES = AUDIT_ENTITIES_V3


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the append-only audit log.

    ``details`` lists the *names* of changed fields (and ids, counts, file names), never
    patient names or birth dates.
    """

    id: int
    at: str
    action: str
    entity: str
    entity_id: int | None
    details: dict[str, Any]
    user: str


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """True if SQLite reports a damaged file (rather than a constraint or a lock)."""
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "corrupt" in text


_ROLE_CHECKED = ("export", "import", "delete", "restore", "void")
"""Audited actions that some roles may not take (:mod:`clinic_app.storage.local_users`)."""


class StoreBase:
    """Connection holder with transactions, row helpers and the audit log.

    ``sql`` runs the stores' queries on either backend (:mod:`clinic_app.storage._sql`);
    ``conn`` is the SQLite connection itself, for what only a file has (pragmas, backups).
    """

    path: Path
    conn: sqlite3.Connection
    sql: SqlConnection
    user: str
    _lock: threading.RLock
    signed_in: str | None = None
    """Who signed in (a clinic server's login), or None when nobody did (a file)."""
    role: str | None = None
    """The signed-in user's role (``admin``, ``clinician``, ``assistant``), or None."""

    def require(self, action: str) -> None:
        """Refuse ``action`` if the signed-in role may not take it (see LocalUserStore)."""

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one atomic, durable transaction (nested blocks: savepoints).

        On SQLite ``BEGIN IMMEDIATE`` takes the write lock up front, so two writers wait
        for each other (up to the busy timeout) instead of failing half-way. On any
        exception the whole block is rolled back and the exception propagates.

        Raises
        ------
        DatabaseBusyError
            If another program holds the write lock for longer than the busy timeout.
        """
        with self._lock, self._in_words(), self.sql.transaction():
            yield

    @contextlib.contextmanager
    def _in_words(self) -> Iterator[None]:
        """Turn a driver error of this backend into the storage error in words."""
        try:
            yield
        except Exception as exc:
            better = self._storage_error(exc)
            if better is not None:
                raise better from exc
            raise

    def _storage_error(self, exc: BaseException) -> Exception | None:
        """The error in words for a driver error of this backend (None: not one)."""
        if not isinstance(exc, sqlite3.DatabaseError):
            return None
        if is_damage(exc):
            return self._damaged()
        text = str(exc).lower()
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return DatabaseBusyError(
                "The patient database is busy: another DorsiLab window or program "
                "is writing to it. Try again in a moment."
            )
        return None

    # ------------------------------------------------------------------ row helpers
    def _rows(self, sql: str, params: Params | None = None) -> list[Row]:
        with self._lock, self._in_words():
            return self.sql.rows(sql, params)

    def _tuples(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """Rows as plain tuples (bulk reads: no mapping per row)."""
        with self._lock, self._in_words():
            return self.sql.tuples(sql, params)

    def _execute(self, sql: str, params: Params | None = None) -> int:
        """Run one statement (inside the caller's transaction); rows changed."""
        with self._lock:
            return self.sql.execute(sql, params)

    def _insert(self, table: str, record: Mapping[str, Any]) -> int:
        """Insert one row (inside the caller's transaction); return its id."""
        with self._lock:
            return self.sql.insert(insert_sql(table, list(record)), record)

    def _damaged(self) -> DatabaseCorruptError:
        """The error for damage found while working (not at open), in words."""
        log.error("database damage found while reading or writing")
        newest = newest_backup(self.path)
        offer = (
            f"Close DorsiLab and restore the newest backup, {newest.name}."
            if newest
            else "Close DorsiLab and contact your IT support; no backup was found."
        )
        return DatabaseCorruptError(
            f"Part of the patient database {self.path.name} is damaged and cannot be read. "
            f"{offer}",
            self.path,
            newest,
        )

    def _row(self, sql: str, params: Params | None = None) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _require_row(self, table: str, record_id: int, what: str) -> Row:
        """The row of ``table`` with ``id = record_id``, or :class:`NotFoundError` in words."""
        row = self._row(f"SELECT * FROM {table} WHERE id = :id", {"id": int(record_id)})
        if row is None:
            raise NotFoundError(f"There is no {what} with id {record_id}.")
        return row

    # ------------------------------------------------------------------ audit log
    def record_audit(
        self,
        action: str,
        entity: str,
        entity_id: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one audit-log row (its own transaction unless one is open).

        Parameters
        ----------
        action : str
            One of :data:`AUDIT_ACTIONS` (``export``/``import`` are for the exchange code).
        entity : str
            One of :data:`AUDIT_ENTITIES`.
        entity_id : int, optional
            The record's id (None for the whole database).
        details : mapping, optional
            Names of changed fields, counts, file names - never names or birth dates.
        """
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; use one of {AUDIT_ACTIONS}")
        if entity not in AUDIT_ENTITIES:
            raise ValueError(f"unknown audit entity {entity!r}; use one of {AUDIT_ENTITIES}")
        if action in _ROLE_CHECKED:  # the role's refusal in words, before the server's
            self.require(action)
        record = {
            "at": utc_now(),
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "details": to_json(dict(details or {})),
            "user": self.user,
        }
        with self.transaction():
            self._insert("audit_log", record)

    def audit_entries(
        self,
        entity: str | None = None,
        entity_id: int | None = None,
        *,
        limit: int | None = 1000,
    ) -> list[AuditEntry]:
        """Audit-log rows, newest first, optionally for one entity type and id."""
        where: list[str] = []
        params: dict[str, Any] = {}
        if entity is not None:
            where.append("entity = :entity")
            params["entity"] = entity
        if entity_id is not None:
            where.append("entity_id = :entity_id")
            params["entity_id"] = entity_id
        sql = "SELECT * FROM audit_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            AuditEntry(
                id=r["id"],
                at=r["at"],
                action=r["action"],
                entity=r["entity"],
                entity_id=r["entity_id"],
                details=from_json(r["details"]) or {},
                user=r["user"],
            )
            for r in self._rows(sql, params)
        ]
