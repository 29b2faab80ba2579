"""A throwaway PostgreSQL cluster for the tests (pytest plugin, fixture ``pg_server``).

The session-scoped fixture ``pg_server`` runs ``initdb`` into a temporary folder and starts
``postgres`` on a Unix socket in that folder only (``listen_addresses = ''``: nothing listens
on the network), with SCRAM-SHA-256 password authentication for every connection and a
superuser ``postgres`` whose password is random. It yields a :class:`PgServer`:

* ``superuser_url``: a ``postgresql://`` URL of the superuser on the cluster's default
  database;
* ``new_database() -> url``: a fresh database (and the superuser's URL of it), so tests do
  not share state; roles are cluster-wide, so tests give their logins unique names
  (:meth:`PgServer.unique_login`);
* ``url_for(login, password, database=None)``: the URL another login connects with;
* ``stop()`` / ``start()``: a server going away and coming back mid-visit;
* ``log_path``: the server's log (``log_statement = 'all'``: every statement is written,
  so a test can check that a password never reaches it).

Where ``initdb`` is found: ``PATH``, then ``/usr/lib/postgresql/<version>/bin`` (Debian and
Ubuntu install the server there and put only the client on ``PATH``), newest first. When
none is installed the tests that use the fixture are skipped, except under ``CI=true``,
where that is a failure: CI installs the distribution's ``postgresql`` package.

Running as root (CI containers do): ``initdb`` and ``postgres`` refuse to run as root, by
design. The robust way round, with no system user created and no ``sudo``/``runuser`` to
depend on, is to run them as ``nobody``: the folder is handed to ``nobody`` and the
programs are started through :func:`subprocess.run`'s ``user=``/``group=``/
``extra_groups=`` (``setresuid`` in the child, root's groups dropped). The tests, still
root, reach the socket and read the log because root may enter any folder.

With pytest-xdist each worker is its own process with its own session, so each worker
gets its own cluster (its own folder and socket; nothing is shared, no port is claimed).
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

SUPERUSER = "postgres"
PORT = 5432  # only names the socket file (.s.PGSQL.5432) in the cluster's own folder
_START_TIMEOUT_S = 120


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None.

    ``PATH`` first (a source build or a distribution that links the tools there), then
    ``/usr/lib/postgresql/*/bin``, the highest version first.
    """
    found = shutil.which("initdb")
    if found:
        folder = Path(found).resolve().parent
        if (folder / "pg_ctl").exists() and (folder / "postgres").exists():
            return folder
    candidates = []
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        try:
            version = int(folder.parent.name)
        except ValueError:
            continue
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            candidates.append((version, folder))
    return max(candidates)[1] if candidates else None


@dataclass
class PgServer:
    """A running throwaway cluster (see the module docstring)."""

    root: Path
    bin_dir: Path
    password: str
    _run_as: dict[str, object] = field(default_factory=dict)
    _databases: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _logins: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        """The folder of the server's Unix socket (the ``host`` of every URL)."""
        return self.root

    @property
    def log_path(self) -> Path:
        """The server's log file (every statement, ``log_statement = 'all'``)."""
        return self.root / "server.log"

    @property
    def superuser_url(self) -> str:
        """The superuser's URL of the cluster's default database."""
        return self.url_for(SUPERUSER, self.password, "postgres")

    def url_for(self, login: str, password: str | None, database: str | None = None) -> str:
        """The URL with which ``login`` connects to ``database`` (default ``postgres``).

        ``password=None`` leaves it out, for libpq's ``PGPASSWORD`` or ``.pgpass``.
        """
        userinfo = quote(login, safe="")
        if password is not None:
            userinfo += ":" + quote(password, safe="")
        return (
            f"postgresql://{userinfo}@/{quote(database or 'postgres', safe='')}"
            f"?host={quote(str(self.socket_dir), safe='')}&port={PORT}"
        )

    def new_database(self) -> str:
        """Create an empty database; returns the superuser's URL of it."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._databases)}"
        with psycopg.connect(self.superuser_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(SUPERUSER, self.password, name)

    def unique_login(self, stem: str) -> str:
        """A login name no other test of this cluster uses (roles are cluster-wide)."""
        return f"{stem}{next(self._logins)}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S + 30,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            **self._run_as,  # type: ignore[arg-type]
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        result = self._run(
            "pg_ctl", "start", "-w", "-t", str(_START_TIMEOUT_S),
            "-D", str(self.data_dir), "-l", str(self.log_path),
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {result.stdout}{result.stderr}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode``: ``smart``, ``fast`` or ``immediate``)."""
        result = self._run("pg_ctl", "stop", "-w", "-m", mode, "-D", str(self.data_dir))
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl stop failed: {result.stdout}{result.stderr}")

    def is_running(self) -> bool:
        """True while the server's postmaster runs."""
        return self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode == 0


def _run_as_for_root(root: Path) -> dict[str, object]:
    """subprocess arguments that run the PostgreSQL programs as ``nobody`` when we are root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    for path in (root, *root.rglob("*")):
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def start_cluster(bin_dir: Path) -> PgServer:
    """initdb a new cluster in a temporary folder and start it."""
    # /tmp, not pytest's deep tmp_path: a Unix socket's path is limited to ~107 bytes.
    root = Path(tempfile.mkdtemp(prefix="dorsilab-pg-"))
    password = secrets.token_urlsafe(18)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n", encoding="utf-8")
    server = PgServer(root=root, bin_dir=bin_dir, password=password)
    server._run_as = _run_as_for_root(root)
    result = server._run(
        "initdb", "-D", str(server.data_dir), "-U", SUPERUSER, f"--pwfile={pwfile}",
        "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
        "--encoding=UTF8", "--no-locale", "--no-sync",
    )  # fmt: skip
    pwfile.unlink()
    if result.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {result.stdout}{result.stderr}")
    settings = {
        "listen_addresses": "''",
        "unix_socket_directories": f"'{root}'",
        "port": str(PORT),
        "password_encryption": "'scram-sha-256'",
        "log_statement": "'all'",
        "log_line_prefix": "'%m [%p] %u@%d '",
        "lc_messages": "'C'",
        # A throwaway cluster: durability buys nothing, speed does.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "shared_buffers": "'32MB'",
        "max_connections": "60",
    }
    with (server.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# tests/pg_cluster.py\n")
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    try:
        server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A running throwaway PostgreSQL cluster (see the module docstring)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        reason = (
            "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin); "
            "install the distribution's postgresql package"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = start_cluster(bin_dir)
    try:
        yield server
    finally:
        try:
            if server.is_running():
                server.stop("immediate")
        finally:
            shutil.rmtree(server.root, ignore_errors=True)
