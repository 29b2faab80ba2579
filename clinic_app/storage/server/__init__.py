"""The clinic server: one PostgreSQL database shared by several workstations.

Each clinician signs in as their own PostgreSQL login (SCRAM); the server enforces what
each role may do (:mod:`.roles`). This package is the only place that imports psycopg,
and ``clinic_app.storage`` does not import it: a workstation on a local file never loads
it.

================================  ====================================================
call                              what it does
================================  ====================================================
``connect(url, *, password=None)``  a psycopg connection (autocommit) following libpq's
                                  conventions (``PGPASSWORD``, ``~/.pgpass``,
                                  ``sslmode``…); failures in words
                                  (:class:`~.errors.ServerConnectionError` and kin)
``init_server(conn)``             create or upgrade the schema, the three groups, their
                                  grants and policies; idempotent (:class:`InitResult`)
``schema.check_server_schema``    the app's check at sign-in (``SchemaError`` in words)
``users.add_user / list_users /   logins (:mod:`.users`)
disable_user``
``storage.server_changes.CHANNEL``,       LISTEN/NOTIFY of other workstations' writes
``storage.server_changes.parse_change``
``schema.bulk_load``,             copying a SQLite database in (``migrate-to-server``)
``schema.reset_identity_sequences``
================================  ====================================================
"""

from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from clinic_app.storage.server import roles, schema
from clinic_app.storage.server.errors import (
    AuthenticationFailedError,
    DatabaseMissingError,
    LoginDisabledError,
    NotAllowedError,
    PasswordRequiredError,
    SchemaError,
    ServerConnectionError,
    ServerError,
    ServerUnreachableError,
    describe_target,
    mask_url,
    url_password,
)
from clinic_app.storage.server.schema import Conn

log = logging.getLogger(__name__)

__all__ = [
    "Conn",
    "InitResult",
    "connect",
    "connection_error",
    "init_server",
    "target_params",
]

CONNECT_TIMEOUT_S = 10
"""libpq's ``connect_timeout`` unless the URL or ``PGCONNECT_TIMEOUT`` sets one."""


def target_params(url: str) -> dict[str, Any]:
    """libpq's parameters of ``url`` (password removed), with the environment's defaults.

    Raises
    ------
    ServerError
        The URL is not one libpq accepts (the reason, without the password).
    """
    try:
        params: dict[str, Any] = dict(conninfo_to_dict(url))
    except psycopg.ProgrammingError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        secret = url_password(url)
        if secret:
            reason = reason.replace(secret, "***")
        raise ServerError(f"the server URL {mask_url(url)} is not valid: {reason}") from None
    params.pop("password", None)
    for key, variable in (("host", "PGHOST"), ("port", "PGPORT"), ("dbname", "PGDATABASE")):
        if key not in params and os.environ.get(variable):
            params[key] = os.environ[variable]
    if "user" not in params:
        params["user"] = os.environ.get("PGUSER") or getpass.getuser()
    params.setdefault("dbname", params["user"])  # libpq's default too
    return params


def _reason(message: str) -> str:
    """The most telling line of a libpq message, e.g. 'Connection refused'."""
    lines = [line.strip(" \t-") for line in message.splitlines() if line.strip()]
    for line in lines:
        if "FATAL:" in line:
            return line.split("FATAL:", 1)[1].strip()
    last = lines[0] if lines else message
    return last.rsplit("failed:", 1)[-1].strip() or last


def connection_error(exc: psycopg.Error, params: dict[str, Any]) -> ServerConnectionError:
    """The error in words for a failed connection attempt (libpq's message classified).

    The message names the server, the database and the login, never a password.
    """
    text = str(exc)
    low = text.lower()
    target = describe_target(params)
    login = params.get("user", "")
    database = params.get("dbname", "")
    reason = _reason(text)
    if "no password supplied" in low:
        return PasswordRequiredError(
            f"{target} asks for the password of {login}: give it in PGPASSWORD or "
            "~/.pgpass, or run the command in a terminal to be asked"
        )
    if "is not permitted to log in" in low:
        return LoginDisabledError(f"the login {login} is disabled on {target}")
    if "password authentication failed" in low or ('role "' in low and "does not exist" in low):
        return AuthenticationFailedError(
            f"{target} did not accept the login {login} with that password"
        )
    if "no pg_hba.conf entry" in low:
        return AuthenticationFailedError(
            f"{target} does not accept the login {login} from this computer "
            "(its administrator allows it in pg_hba.conf)"
        )
    if 'database "' in low and "does not exist" in low:
        server = describe_target({k: v for k, v in params.items() if k != "dbname"})
        return DatabaseMissingError(f"{server} has no database {database}")
    if "permission denied for database" in low:
        return AuthenticationFailedError(
            f"the login {login} may not use {target} (is it a DorsiLab login of this database?)"
        )
    if any(s in low for s in ("starting up", "shutting down", "in recovery mode")):
        return ServerUnreachableError(f"{target} is starting or stopping: try again in a moment")
    if any(s in low for s in ("too many clients", "too many connections", "connection slots")):
        return ServerUnreachableError(f"{target} has no free connection left: try again later")
    unreachable = (
        "connection refused", "no such file or directory", "could not translate host name",
        "timeout expired", "network is unreachable", "no route to host",
        "server closed the connection", "could not connect", "connection timed out",
        "name or service not known", "temporary failure in name resolution",
    )  # fmt: skip
    if any(s in low for s in unreachable):
        return ServerUnreachableError(f"{target} cannot be reached ({reason})")
    if "ssl" in low or "certificate" in low:
        return ServerConnectionError(f"the secure connection to {target} failed: {reason}")
    return ServerConnectionError(f"cannot connect to {target}: {reason}")


def connect(
    url: str,
    *,
    password: str | None = None,
    application_name: str = "DorsiLab",
) -> Conn:
    """A connection to the clinic server, in autocommit mode (open transactions explicitly).

    libpq's conventions hold: a password may come from the URL, ``PGPASSWORD`` or
    ``~/.pgpass``; ``sslmode`` and the other parameters from the URL or ``PG…``
    variables. ``password`` (e.g. asked at a prompt) is passed to libpq beside the URL,
    never written into it.

    Raises
    ------
    ServerConnectionError
        In words: :class:`~.errors.ServerUnreachableError`,
        :class:`~.errors.AuthenticationFailedError` (and its
        :class:`~.errors.PasswordRequiredError`, :class:`~.errors.LoginDisabledError`),
        :class:`~.errors.DatabaseMissingError`.
    ServerError
        The URL is not valid.
    """
    params = target_params(url)
    given = conninfo_to_dict(url)
    extra: dict[str, Any] = {}
    if password is not None:
        extra["password"] = password
    if "application_name" not in given and not os.environ.get("PGAPPNAME"):
        extra["application_name"] = application_name
    if "connect_timeout" not in given and not os.environ.get("PGCONNECT_TIMEOUT"):
        extra["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        return psycopg.connect(url, autocommit=True, **extra)
    except psycopg.OperationalError as exc:
        # Not chained: the libpq message is in ours, and a traceback must not carry more.
        raise connection_error(exc, params) from None


@dataclass(frozen=True)
class InitResult:
    """What ``server init`` found and did.

    Attributes
    ----------
    server_version : str
        PostgreSQL's version, e.g. ``"15.18"``.
    database : str
        The database set up.
    login : str
        The login that ran it (owner of new tables).
    version_before, version_after : int
        The DorsiLab schema version before and after (0: none).
    applied : list of int
        Migrations applied now.
    roles_created : list of str
        Group roles created now.
    privileges_changed : bool
        Grants, memberships or policies were set or repaired now.
    trigram_index : bool
        The patient search has a pg_trgm index.
    """

    server_version: str
    database: str
    login: str
    version_before: int
    version_after: int
    applied: list[int] = field(default_factory=list)
    roles_created: list[str] = field(default_factory=list)
    privileges_changed: bool = False
    trigram_index: bool = False

    @property
    def changed(self) -> bool:
        """True if this run changed anything on the server."""
        return bool(self.applied or self.roles_created or self.privileges_changed)


def _precheck(conn: Conn) -> tuple[str, str, int]:
    """Refuse in words what ``server init`` cannot do; (database, login, schema version)."""
    if conn.info.server_version < schema.MIN_SERVER_VERSION:
        raise ServerError(
            f"DorsiLab needs PostgreSQL 14 or newer; this server runs "
            f"{_version_text(conn.info.server_version)}"
        )
    row = conn.execute(
        "SELECT current_database(), session_user, pg_has_role(current_user, d.datdba, 'USAGE'), "
        "d.datdba::regrole::text, r.rolsuper OR r.rolcreaterole "
        "FROM pg_database d, pg_roles r "
        "WHERE d.datname = current_database() AND r.rolname = current_user"
    ).fetchone()
    assert row is not None
    database, login, owns_database, database_owner, may_create_roles = row
    if not owns_database:
        raise NotAllowedError(
            f"server init needs the owner of database {database} ({database_owner}) or a "
            f"superuser; you are signed in as {login}"
        )
    version = schema.schema_version(conn)
    latest = schema.SERVER_SCHEMA_VERSION
    if version > latest:
        raise SchemaError(
            f"the server's DorsiLab schema is version {version}, newer than this DorsiLab "
            f"knows ({latest}): run server init with the newer DorsiLab"
        )
    if version == 0:
        foreign = schema.foreign_tables(conn)
        if foreign:
            raise SchemaError(
                f"database {database} already has tables named like DorsiLab's that "
                f"DorsiLab did not create ({', '.join(foreign)}): use a new, empty database"
            )
    elif not schema.may_alter_schema(conn):
        raise NotAllowedError(
            f"server init needs the owner of the DorsiLab tables ({schema.table_owner(conn)}) "
            f"or a superuser; you are signed in as {login}"
        )
    if roles.missing_groups(conn) and not may_create_roles:
        raise NotAllowedError(
            "creating the DorsiLab roles needs a login with CREATEROLE (or a superuser); "
            f"{login} has neither"
        )
    return str(database), str(login), version


def _version_text(number: int) -> str:
    return f"{number // 10000}.{number % 10000}"


def init_server(conn: Conn) -> InitResult:
    """Create or upgrade the DorsiLab schema, groups, grants and policies (``server init``).

    Idempotent: on an up-to-date server nothing is written (``InitResult.changed`` is
    False). Run by the database's owner (who then owns the tables) or a superuser; the
    groups need CREATEROLE the first time. Each migration runs in its own transaction
    under an advisory lock, so two runs at once do the work once.

    Raises
    ------
    NotAllowedError, SchemaError, ServerError
        In words, before anything is changed.
    """
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise psycopg.ProgrammingError("init_server needs a connection with no transaction open")
    database, login, before = _precheck(conn)
    try:
        created = roles.ensure_roles(conn)
        applied = schema.migrate(conn)
        changed = roles.set_up_privileges(conn)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise NotAllowedError(
            f"server init was refused by the server for {login}: {_first_line(exc)}"
        ) from None
    trigram = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_indexes WHERE schemaname = 'public' "
        "AND indexname = 'idx_patients_search_trgm'"
    ).fetchone()
    return InitResult(
        server_version=_version_text(conn.info.server_version),
        database=database,
        login=login,
        version_before=before,
        version_after=schema.schema_version(conn),
        applied=applied,
        roles_created=created,
        privileges_changed=changed,
        trigram_index=trigram is not None,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
