"""The record stores' queries on a PostgreSQL clinic server, through psycopg 3.

The query texts are the same as on SQLite (:mod:`clinic_app.storage._sql`); SQLAlchemy's
PostgreSQL dialect compiles each one once for psycopg's parameter style (``:name`` →
``%(name)s``, a literal ``%`` doubled), so no query is rewritten by hand. psycopg runs in
autocommit mode and :meth:`PostgresSql.transaction` opens ``BEGIN`` / savepoints through
``Connection.transaction()``. psycopg and SQLAlchemy are imported only here, so a
workstation on a file never loads them.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from clinic_app.storage._sql import Params, Row

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5
"""How long a workstation waits for the server before saying it cannot be reached."""


@functools.lru_cache(maxsize=1024)
def compiled(sql: str) -> str:
    """``sql`` (``:name`` parameters) in psycopg's ``%(name)s`` style."""
    from sqlalchemy import text
    from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

    return str(text(sql).compile(dialect=psycopg_dialect.dialect()))  # type: ignore[no-untyped-call]


def where(conninfo: str) -> str:
    """``user@host:port/database`` of a connection string, never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(conninfo)
    except Exception:  # a malformed URL is shown as "the clinic server"
        return "the clinic server"
    host = str(parts.get("host") or "local socket")
    if host.startswith("/"):
        host = "local socket"
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"{user}{host}{port}/{parts.get('dbname') or ''}"


def connect(conninfo: str, password: str | None = None) -> psycopg.Connection[Any]:
    """Open an autocommit connection (libpq reads ``PGPASSWORD``, ``.pgpass``, ``sslmode``).

    ``password``, when given (typed at a sign-in prompt), is passed to libpq only.

    Raises
    ------
    psycopg.OperationalError
        The server cannot be reached or refused the sign-in.
    """
    import psycopg
    from psycopg.conninfo import make_conninfo

    if password is not None:
        conninfo = make_conninfo(conninfo, password=password)
    return psycopg.connect(
        conninfo,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_S,
        application_name="DorsiLab",
    )


class PostgresSql:
    """:class:`~clinic_app.storage._sql.SqlConnection` over a psycopg connection.

    A connection lost between transactions (the server restarted, the network came
    back) is opened again on the next statement; one lost inside a transaction raises,
    so the caller knows that block was not stored.
    """

    dialect = "postgresql"

    def __init__(
        self, conn: psycopg.Connection[Any], conninfo: str, password: str | None = None
    ) -> None:
        self.conn = conn
        self.conninfo = conninfo
        self._password = password  # kept in memory only, to reconnect after a restart
        self._depth = 0

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def _live(self) -> psycopg.Connection[Any]:
        if self.conn.broken or self.conn.closed:
            if self._depth:
                import psycopg

                raise psycopg.OperationalError("the connection to the server was lost")
            self._reconnect()
        return self.conn

    def _reconnect(self) -> psycopg.Connection[Any]:
        log.info("reconnecting to the clinic server")
        self.conn = connect(self.conninfo, self._password)
        return self.conn

    def _found_dead(self, exc: BaseException) -> bool:
        """True if ``exc`` only showed that the connection had died (server restarted):
        nothing was done, so the statement may be sent again on a new connection."""
        import psycopg

        return isinstance(exc, psycopg.OperationalError) and self.conn.broken and not self._depth

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        from psycopg.rows import dict_row

        def read(conn: psycopg.Connection[Any]) -> list[Row]:
            with conn.cursor(row_factory=dict_row) as cursor:
                cursor.execute(compiled(sql), params or {})
                return list(cursor.fetchall())

        try:
            return read(self._live())
        except Exception as exc:
            if not self._found_dead(exc):
                raise
            return read(self._reconnect())

    def tuples(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        def read(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            with conn.cursor() as cursor:
                cursor.execute(compiled(sql), params or {})
                return list(cursor.fetchall())

        try:
            return read(self._live())
        except Exception as exc:
            if not self._found_dead(exc):
                raise
            return read(self._reconnect())

    def execute(self, sql: str, params: Params | None = None) -> int:
        with self._live().cursor() as cursor:
            cursor.execute(compiled(sql), params or {})
            return cursor.rowcount

    def insert(self, sql: str, params: Params | None = None) -> int:
        with self._live().cursor() as cursor:
            cursor.execute(compiled(sql), params or {})
            row = cursor.fetchone()
            if row is None:
                raise RuntimeError("INSERT … RETURNING id returned no row")
            return int(row[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self._live().transaction())  # sends BEGIN
            except Exception as exc:
                if not self._found_dead(exc):  # a BEGIN that found the connection dead
                    raise
                stack.enter_context(self._reconnect().transaction())
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        with self.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def close(self) -> None:
        self.conn.close()
