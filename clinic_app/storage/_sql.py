"""One way to run the record stores' SQL on either backend (SQLite file or PostgreSQL).

Every query of the record stores is written once, in the portable subset both engines
share, with **named** parameters (``:name``). The SQLite connection runs the text as it
is (``sqlite3`` reads ``:name`` natively); the PostgreSQL connection
(:mod:`clinic_app.storage._postgres`) has SQLAlchemy compile the same text for psycopg's
``%(name)s`` style, so no query is rewritten by hand per backend. What differs between the
engines and cannot be one text (DDL, triggers, roles, pragmas, backups) lives in each
backend's own module, never in the record stores.

Rules for a shared query: ``INSERT … RETURNING id`` rather than ``lastrowid``; no
``IS ?`` comparisons (build ``col IS NULL`` or ``col = :v`` from the value); the audit
column is ``"user"`` (a reserved word on PostgreSQL); no string literal holds ``:word``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

Row = Mapping[str, Any]
"""A result row, by column name (``sqlite3.Row`` or a ``dict``)."""

Params = Mapping[str, Any]


class SqlConnection(Protocol):
    """What the record stores need of a connection, whichever the engine."""

    dialect: str
    """``"sqlite"`` or ``"postgresql"``."""

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`transaction`."""
        ...

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        """Every row of a query."""
        ...

    def tuples(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """Every row of a query as a plain tuple (bulk reads: no per-row mapping)."""
        ...

    def execute(self, sql: str, params: Params | None = None) -> int:
        """Run a statement; return how many rows it changed."""
        ...

    def insert(self, sql: str, params: Params | None = None) -> int:
        """Run an ``INSERT … RETURNING id``; return the new row's id."""
        ...

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Group statements atomically (a nested block is a savepoint)."""
        ...

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Read several queries from one consistent state, taking no write lock."""
        ...


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (:columns) RETURNING id`` for these columns.

    ``table`` and ``columns`` are the stores' own identifiers, never user input.
    """
    names = ", ".join(_quoted(c) for c in columns)
    values = ", ".join(f":{c}" for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({values}) RETURNING id"


def set_clause(columns: Sequence[str]) -> str:
    """``a = :a, b = :b`` for an UPDATE of these columns."""
    return ", ".join(f"{_quoted(c)} = :{c}" for c in columns)


def in_clause(column: str, values: Sequence[Any], prefix: str = "v") -> tuple[str, Params]:
    """``column IN (:v0, :v1, …)`` and its parameters (an empty list matches nothing)."""
    if not values:
        return "0 = 1", {}
    names = [f"{prefix}{i}" for i in range(len(values))]
    clause = f"{column} IN ({', '.join(':' + n for n in names)})"
    return clause, dict(zip(names, values, strict=True))


def _quoted(column: str) -> str:
    return '"user"' if column == "user" else column


class SqliteSql:
    """:class:`SqlConnection` over a ``sqlite3`` connection in autocommit mode.

    Writes start with ``BEGIN IMMEDIATE`` (the write lock up front, so two writers wait
    for each other instead of failing half-way); nested blocks are savepoints.
    """

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._savepoints = 0

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params or {}).fetchall()

    def tuples(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params or {}).fetchall()

    def execute(self, sql: str, params: Params | None = None) -> int:
        return self.conn.execute(sql, params or {}).rowcount

    def insert(self, sql: str, params: Params | None = None) -> int:
        row = self.conn.execute(sql, params or {}).fetchone()
        return int(row[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self.conn.in_transaction:
            self._savepoints += 1
            name = f"sp{self._savepoints}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
            finally:
                self._savepoints -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        if self.conn.in_transaction:  # already one consistent state
            yield
            return
        self.conn.execute("BEGIN")  # deferred: a read snapshot under WAL, no write lock
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")
