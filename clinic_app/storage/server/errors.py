"""Clinic-server problems in words, and URLs shown without their password.

Every error here is a :class:`clinic_app.errors.UserError`: the command line prints it as
one line and exits 2, the GUI shows it. Messages name the server, the database and the
login (none of them patient data), never a password, and never the ``--db`` URL as typed
(it may carry a password): :func:`describe_target` and :func:`mask_url` say where instead.

This module does not import psycopg, so a caller may catch these classes cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from clinic_app.errors import UserError


class ServerError(UserError):
    """A clinic-server problem the person at the keyboard or the DBA can act on."""


class ServerConnectionError(ServerError):
    """The server could not be reached or refused the connection."""


class ServerUnreachableError(ServerConnectionError):
    """No server answers at that address (down, wrong host or port, network)."""


class AuthenticationFailedError(ServerConnectionError):
    """The server refused the login or its password."""


class PasswordRequiredError(AuthenticationFailedError):
    """The server asks for a password and none was given (URL, PGPASSWORD, .pgpass)."""


class LoginDisabledError(AuthenticationFailedError):
    """The login exists but may not sign in (``users disable``, or expired)."""


class DatabaseMissingError(ServerConnectionError):
    """The server runs but has no database of that name."""


class NotAllowedError(ServerError):
    """The signed-in login lacks the privilege (the server refused, not only the UI)."""


class SchemaError(ServerError):
    """The database's DorsiLab schema is missing, too old, too new or not DorsiLab's."""


class NoSuchLoginError(ServerError):
    """``users disable`` names a login that is not a DorsiLab login of this server."""


class LoginTakenError(ServerError):
    """``users add`` names a login (PostgreSQL role) that exists already."""


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """``(before, password, after)`` if the URL's user information holds a password."""
    scheme_end = url.find("://")
    if scheme_end < 0:
        return None
    start = scheme_end + 3
    query = url.find("?", start)
    head_end = len(url) if query < 0 else query
    # The last '@' before the query ends the user information, so that a password that
    # holds an unencoded '@' or '/' is still masked whole.
    at = url.rfind("@", start, head_end)
    if at < 0:
        return None
    colon = url.find(":", start, at)
    if colon < 0:
        return None
    return url[: colon + 1], url[colon + 1 : at], url[at:]


_KEYWORD_PASSWORD = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&#]*)")


def mask_url(url: str) -> str:
    """The URL or ``key=value`` connection string with every password replaced by ``***``.

    Examples
    --------
    >>> mask_url("postgresql://alice:s3cret@db.clinic/dorsilab")
    'postgresql://alice:***@db.clinic/dorsilab'
    >>> mask_url("postgresql://db.clinic/dorsilab?user=alice&password=s3cret")
    'postgresql://db.clinic/dorsilab?user=alice&password=***'
    """
    parts = _split_userinfo(url)
    if parts is not None:
        url = parts[0] + "***" + parts[2]
    return _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + "***", url)


def url_password(url: str) -> str | None:
    """The password written in the URL's user information, as typed (or None)."""
    parts = _split_userinfo(url)
    return parts[1] if parts is not None and parts[1] else None


def describe_target(params: Mapping[str, object]) -> str:
    """Where a connection goes, in words: ``the server db.clinic:5432, database dorsilab``.

    Parameters
    ----------
    params : mapping
        libpq connection parameters (``psycopg.conninfo.conninfo_to_dict``); the password
        is never read.
    """
    host = str(params.get("host") or params.get("hostaddr") or "")
    port = str(params.get("port") or "")
    if not host:
        where = "the server on this computer"
    elif host.startswith("/"):
        where = f"the server on this computer (socket folder {host})"
    else:
        where = f"the server {host}" + (f":{port}" if port else "")
    database = params.get("dbname")
    return where + (f", database {database}" if database else "")
