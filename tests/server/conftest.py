"""Fixtures of the clinic-server tests: a fresh database per test on the session's cluster."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.pg_cluster import PgServer

psycopg = pytest.importorskip("psycopg")

NOW = "2025-03-04T10:11:12Z"
PASSWORD = "correct horse 7"


@dataclass
class ServerDb:
    """One fresh database of the test cluster, and the connections a test opened on it."""

    server: PgServer
    url: str  # the superuser's
    _open: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The database's name."""
        return unquote(urlsplit(self.url).path.lstrip("/"))

    def url_for(self, login: str, password: str | None = PASSWORD) -> str:
        """The URL of ``login`` on this database."""
        return self.server.url_for(login, password, self.name)

    def connect(self, url: str | None = None) -> Any:
        """An autocommit connection (superuser unless ``url``), closed after the test."""
        conn = psycopg.connect(url or self.url, autocommit=True)
        self._open.append(conn)
        return conn

    def add_login(self, role: str, stem: str | None = None, password: str = PASSWORD) -> str:
        """A new DorsiLab login of ``role`` (added by the superuser); returns its name."""
        from clinic_app.storage.server.users import add_user

        login = self.server.unique_login(stem or role)
        add_user(self.connect(), login, role, password)
        return login

    def close(self) -> None:
        """Close every connection the test opened."""
        for conn in self._open:
            conn.close()


@pytest.fixture
def fresh_db(pg_server: PgServer) -> Iterator[ServerDb]:
    """An empty database (no DorsiLab schema)."""
    db = ServerDb(pg_server, pg_server.new_database())
    yield db
    db.close()


@pytest.fixture
def server_db(fresh_db: ServerDb) -> ServerDb:
    """A database set up by ``init_server`` as the superuser."""
    from clinic_app.storage.server import init_server

    init_server(fresh_db.connect())
    return fresh_db


def insert_patient(conn: Any, first: str = "Ada", last: str = "Lovelace", **extra: Any) -> int:
    """Insert a patient with plain SQL; returns its id."""
    values = {
        "first_name": first,
        "last_name": last,
        "birth_date": "1990-04-17",
        "created_at": NOW,
        "updated_at": NOW,
        **extra,
    }
    columns = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    row = conn.execute(
        f"INSERT INTO patients ({columns}) VALUES ({marks}) RETURNING id",
        list(values.values()),
    ).fetchone()
    return int(row[0])


def insert_session(conn: Any, patient_id: int, **extra: Any) -> int:
    """Insert a visit with plain SQL; returns its id."""
    values = {
        "patient_id": patient_id,
        "started_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
        **extra,
    }
    columns = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    row = conn.execute(
        f"INSERT INTO sessions ({columns}) VALUES ({marks}) RETURNING id",
        list(values.values()),
    ).fetchone()
    return int(row[0])
