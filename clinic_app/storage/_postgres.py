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


@functools.lru_cache(maxsize=1024)
def compiled(sql: str) -> str:
    """``sql`` (``:name`` parameters) in psycopg's ``%(name)s`` style."""
    from sqlalchemy import text
    from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

    dialect = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]
    return str(text(sql).compile(dialect=dialect))


def where(conninfo: str) -> str:
    """Where a connection goes, in words, never its password."""
    from clinic_app.storage.server import target_params
    from clinic_app.storage.server.errors import ServerError, describe_target

    try:
        return describe_target(target_params(conninfo))
    except ServerError:
        return "the clinic server"


def connect(conninfo: str, password: str | None = None) -> psycopg.Connection[Any]:
    """An autocommit connection following libpq's conventions (``PGPASSWORD``, ``.pgpass``,
    ``sslmode``); ``password`` (typed at a sign-in) goes to libpq only.

    Raises
    ------
    clinic_app.storage.server.errors.ServerError
        In words: unreachable, sign-in refused, no such database, a URL that is not one.
    """
    from clinic_app.storage.server import connect as server_connect

    return server_connect(conninfo, password=password)


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

        return self._read(sql, params, dict_row)

    def tuples(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        from psycopg.rows import tuple_row

        return self._read(sql, params, tuple_row)

    def _read(self, sql: str, params: Params | None, row_factory: Any) -> list[Any]:
        """A query's rows; sent again once on a new connection if the old one had died."""

        def read(conn: psycopg.Connection[Any]) -> list[Any]:
            with conn.cursor(row_factory=row_factory) as cursor:
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
