"""Both storage backends for one test: ``any_db`` is a SQLite file, then a clinic server.

Pytest plugin (registered in ``tests/conftest.py``). ``server_clinic`` is a fresh server
database of the session's throwaway cluster (:mod:`tests.pg_cluster`) with the DorsiLab
schema, roles and policies (``server init``), where :meth:`ServerClinic.open` signs in a
new login of a role as a workstation does. ``any_db`` is parametrised over
``sqlite``/``postgresql``: on the server it is an administrator's workstation (every
record-store call is allowed, as on a file without logins); ``tests/server`` and
``tests/storage/test_server_workstations.py`` test what other roles are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clinic_app.storage import Database

PASSWORD = "correct horse 7"


@dataclass
class ServerClinic:
    """One initialised server database and the workstations a test signed in."""

    server: Any  # tests.pg_cluster.PgServer
    url: str  # the superuser's
    local_dir: Path
    opened: list[Database] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The database's name."""
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(self.url).path.lstrip("/"))

    def add_login(self, role: str, stem: str | None = None) -> str:
        """A new login of ``role``; returns its name (password :data:`PASSWORD`)."""
        import psycopg

        from clinic_app.storage.server.users import add_user

        login = self.server.unique_login(stem or role)
        with psycopg.connect(self.url, autocommit=True) as conn:
            add_user(conn, login, role, PASSWORD)
        return str(login)

    def url_for(self, login: str, password: str | None = PASSWORD) -> str:
        """``login``'s URL of this database."""
        return str(self.server.url_for(login, password, self.name))

    def open(self, role: str = "clinician", login: str | None = None) -> Database:
        """Sign a workstation in as a new login of ``role`` (or as ``login``)."""
        from clinic_app.storage.server_database import ServerDatabase

        name = login or self.add_login(role)
        db = ServerDatabase.connect(self.url_for(name), local_dir=self.local_dir)
        self.opened.append(db)
        return db

    def close(self) -> None:
        """Close every workstation the test opened."""
        for db in self.opened:
            db.close()


@pytest.fixture
def server_clinic(pg_server: Any, tmp_path: Path) -> Iterator[ServerClinic]:
    """A fresh server database after ``server init``."""
    pytest.importorskip("psycopg")
    import psycopg

    from clinic_app.storage.server import init_server

    url = pg_server.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        init_server(conn)
    clinic = ServerClinic(pg_server, url, tmp_path / "workstation")
    clinic.local_dir.mkdir()
    yield clinic
    clinic.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of the current schema on each backend, closed after the test."""
    if request.param == "sqlite":
        db = Database.open(tmp_path / "clinic" / "dorsilab.sqlite3", user="tester")
        yield db
        db.close()
        return
    clinic: ServerClinic = request.getfixturevalue("server_clinic")
    yield clinic.open("admin", clinic.add_login("admin", "tester"))
