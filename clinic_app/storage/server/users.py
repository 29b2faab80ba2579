"""DorsiLab logins: add, list, disable (``clinic-app --db URL users …``).

A login is a PostgreSQL role with LOGIN, member of one DorsiLab group
(:data:`clinic_app.storage.server.roles.GROUPS`). Its password is hashed to a SCRAM-SHA-256
verifier here, on the client (libpq's ``PQencryptPasswordConn``), so the clear password
never travels in SQL and cannot land in the server's statement log; the verifier is
salted and iterated, as the server would store it anyway.

Login names are letters, digits, ``_``, ``.`` and ``-`` (at most 63 bytes, PostgreSQL's
limit), always quoted with :class:`psycopg.sql.Identifier`, so case is kept and nothing in a
name is read as SQL.

Admins get CREATEROLE, which is how they add and disable logins (the server checks it).
On PostgreSQL 14 and 15 CREATEROLE may manage any role that is not a superuser; from 16 on,
the roles it has ADMIN OPTION on (the groups, through ``dorsilab_admin``, and the logins
it created): there a login made by another admin is disabled by the DBA.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from psycopg import errors as pgerrors
from psycopg import sql

from clinic_app.errors import UserError
from clinic_app.storage.server.errors import (
    LoginTakenError,
    NoSuchLoginError,
    NotAllowedError,
    SchemaError,
)
from clinic_app.storage.server.roles import ADMIN, GROUPS, ROLES, missing_groups
from clinic_app.storage.server.schema import Conn

log = logging.getLogger(__name__)

LOGIN_PATTERN = re.compile(r"[A-Za-z0-9_.\-]+")
MAX_LOGIN_BYTES = 63
MIN_PASSWORD_LENGTH = 8
"""Shorter passwords are refused: a clinic's records sit behind them."""


@dataclass(frozen=True)
class UserInfo:
    """One DorsiLab login as ``users list`` shows it.

    Attributes
    ----------
    login : str
    role : str
        ``admin``, ``clinician`` or ``assistant`` (the highest group it is in).
    enabled : bool
        May sign in (PostgreSQL's LOGIN attribute).
    valid_until : datetime or None
        When its password stops being accepted (None: never).
    """

    login: str
    role: str
    enabled: bool
    valid_until: datetime | None


@dataclass(frozen=True)
class DisableResult:
    """What ``disable_user`` did.

    Attributes
    ----------
    login : str
    was_enabled : bool
        False if the login was already disabled (nothing to change).
    sessions_ended : int
        Open connections of that login that were ended.
    sessions_left : int
        Open connections that go on until they close: ending another login's
        connection needs a superuser or ``pg_signal_backend``.
    """

    login: str
    was_enabled: bool
    sessions_ended: int
    sessions_left: int


def check_login(login: str) -> None:
    """Raise UserError unless ``login`` is a name ``users add`` accepts."""
    if not login or not LOGIN_PATTERN.fullmatch(login):
        raise UserError(f"{login!r} is not a login name: use only a-z, A-Z, 0-9, '_', '.' and '-'")
    if len(login.encode()) > MAX_LOGIN_BYTES:
        raise UserError(f"the login name is too long (at most {MAX_LOGIN_BYTES} characters)")
    if login.lower().startswith(("pg_", "dorsilab_")):
        raise UserError(f"{login!r} is reserved: logins may not start with 'pg_' or 'dorsilab_'")


def check_password(password: str) -> None:
    """Raise UserError unless ``password`` may be set (length; no NUL, which libpq cuts at)."""
    if "\0" in password:
        raise UserError("the password contains a NUL character")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _require_groups(conn: Conn) -> None:
    if missing_groups(conn):
        raise SchemaError(
            "this server is not set up for DorsiLab yet (no DorsiLab roles): its "
            "administrator runs 'clinic-app --db URL server init'"
        )


def _not_allowed(action: str) -> NotAllowedError:
    return NotAllowedError(f"you are not allowed to {action}: sign in as a DorsiLab admin")


def add_user(conn: Conn, login: str, role: str, password: str) -> None:
    """Create a login in the role's group with a client-side SCRAM-SHA-256 password.

    Parameters
    ----------
    conn : psycopg.Connection
        Signed in as a DorsiLab admin, the DBA or a superuser; no transaction open.
    login : str
        The new login (see :func:`check_login`).
    role : str
        ``admin``, ``clinician`` or ``assistant``. Admins get CREATEROLE and may hand
        out the admin group.
    password : str
        The clear password; only its verifier is sent.

    Raises
    ------
    UserError
        Bad login name or password; :class:`LoginTakenError`; :class:`NotAllowedError`;
        :class:`SchemaError` if ``server init`` has not run.
    """
    check_login(login)
    check_password(password)
    if role not in ROLES:
        raise UserError(f"{role!r} is not a role: use one of {', '.join(ROLES)}")
    _require_groups(conn)
    verifier = conn.pgconn.encrypt_password(
        password.encode(), login.encode(), b"scram-sha-256"
    ).decode("ascii")
    ident = sql.Identifier(login)
    try:
        with conn.transaction():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,))
            if exists.fetchone() is not None:
                raise LoginTakenError(f"the login {login!r} is taken (a role of that name exists)")
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN {} PASSWORD {} IN ROLE {}").format(
                    ident,
                    sql.SQL("CREATEROLE" if role == "admin" else "NOCREATEROLE"),
                    sql.Literal(verifier),
                    sql.Identifier(GROUPS[role]),
                )
            )
            if role == "admin":
                # Lets this admin add other admins (PostgreSQL 16 asks for ADMIN OPTION).
                conn.execute(
                    sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(
                        sql.Identifier(ADMIN), ident
                    )
                )
    except (pgerrors.DuplicateObject, pgerrors.UniqueViolation):
        raise LoginTakenError(
            f"the login {login!r} is taken (a role of that name exists)"
        ) from None
    except pgerrors.InsufficientPrivilege:
        raise _not_allowed("add logins") from None
    log.info("login %s added as %s", login, role)


def list_users(conn: Conn) -> list[UserInfo]:
    """Every DorsiLab login (a direct member of a DorsiLab group), by name."""
    groups = list(GROUPS.values())
    rows = conn.execute(
        "SELECT r.rolname, array_agg(g.rolname), r.rolcanlogin, "
        "CASE WHEN r.rolvaliduntil = 'infinity' THEN NULL "
        "WHEN r.rolvaliduntil = '-infinity' THEN '0001-01-01 00:00:00+00'::timestamptz "
        "ELSE r.rolvaliduntil END "
        "FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid "
        "JOIN pg_roles g ON g.oid = m.roleid "
        "WHERE g.rolname = ANY(%s) AND NOT r.rolname = ANY(%s) "
        "GROUP BY r.rolname, r.rolcanlogin, r.rolvaliduntil ORDER BY r.rolname",
        (groups, groups),
    ).fetchall()
    users = []
    for login, member_of, can_login, valid_until in rows:
        role = max((r for r in ROLES if GROUPS[r] in member_of), key=ROLES.index)
        users.append(UserInfo(str(login), role, bool(can_login), valid_until))
    return users


def get_user(conn: Conn, login: str) -> UserInfo:
    """The DorsiLab login of that name, or :class:`NoSuchLoginError`."""
    for user in list_users(conn):
        if user.login == login:
            return user
    raise NoSuchLoginError(f"there is no DorsiLab login {login!r} on this server")


def disable_user(conn: Conn, login: str) -> DisableResult:
    """Stop a login from signing in (NOLOGIN) and end its open connections where allowed.

    The login and everything it recorded stay (the audit log names it). Ending another
    login's connections needs a superuser or ``pg_signal_backend``; without that they
    go on until they close, and the result says how many.

    Raises
    ------
    NoSuchLoginError
        Not a DorsiLab login of this server.
    NotAllowedError
        The signed-in login may not alter roles, or names itself.
    """
    user = get_user(conn, login)
    me = conn.execute("SELECT session_user").fetchone()
    if me is not None and me[0] == login:
        raise NotAllowedError(
            "you cannot disable the login you are signed in with: ask another admin"
        )
    if user.enabled:
        try:
            with conn.transaction():
                conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(login)))
        except pgerrors.InsufficientPrivilege:
            raise _not_allowed("disable logins") from None
        log.info("login %s disabled", login)
    ended = left = 0
    pids = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
        (login,),
    ).fetchall()
    for (pid,) in pids:
        try:
            with conn.transaction():
                row = conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
        except pgerrors.InsufficientPrivilege:
            left += 1
            continue
        if row is not None and row[0]:
            ended += 1
    return DisableResult(login, user.enabled, ended, left)
