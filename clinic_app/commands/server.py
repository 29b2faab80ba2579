"""``clinic-app --db URL server init``: set up or upgrade a clinic's PostgreSQL server.

Creates (or upgrades) the DorsiLab schema in the database the URL names, the three group
roles ``dorsilab_admin``, ``dorsilab_clinician`` and ``dorsilab_assistant``, their grants
and row-level security policies. Idempotent: on a server already set up it changes
nothing and says so. Run it as the database's owner (or a superuser); it prints one line
per fact.

The URL follows libpq's conventions (``postgresql://[user@]host[:port]/database
[?sslmode=…]``); the password comes from ``PGPASSWORD``, ``~/.pgpass``, the URL, or, in a
terminal, a prompt. It is never printed: messages name the server, database and login.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError

if TYPE_CHECKING:
    # psycopg loads when a server command runs, not when the parser is built.
    from clinic_app.storage.server import Conn


def register(subparsers: Any) -> None:
    """Add the ``server`` command and its ``init`` action."""
    parser = subparsers.add_parser(
        "server",
        help="set up the clinic's PostgreSQL server (give --db postgresql://…)",
        description="Set up a PostgreSQL database shared by the clinic's workstations.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="create or upgrade the schema, the roles and their privileges",
        description=(
            "Create or upgrade the DorsiLab schema in the database of --db, the groups "
            "dorsilab_admin, dorsilab_clinician and dorsilab_assistant, and what each may "
            "do (grants, row-level security). Safe to run again: a server already set up "
            "is left as it is. Run it as the database's owner or a superuser."
        ),
    )
    init.set_defaults(func=run_init)


def require_server(ctx: AppContext) -> str:
    """The ``--db`` server URL, or a UserError: these commands never work on a file."""
    if ctx.db_url is None:
        raise UserError(
            "this command works on a clinic server, not a database file: give --db postgresql://…"
        )
    return ctx.db_url


def open_server(ctx: AppContext) -> Conn:
    """Connect to the ``--db`` server; in a terminal, ask for a password it asks for."""
    from clinic_app.storage.server import connect, target_params
    from clinic_app.storage.server.errors import PasswordRequiredError, describe_target

    url = require_server(ctx)
    try:
        return connect(url, application_name="DorsiLab command line")
    except PasswordRequiredError:
        if not sys.stdin.isatty():
            raise
    params = target_params(url)
    password = getpass.getpass(f"Password of {params['user']} on {describe_target(params)}: ")
    return connect(url, password=password, application_name="DorsiLab command line")


@contextmanager
def server_errors() -> Iterator[None]:
    """Turn what the server says mid-command into one line (never a traceback)."""
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:
        raise UserError(
            f"the connection to the clinic server failed: {_first_line(exc)}"
        ) from None
    except psycopg.Error as exc:
        raise UserError(f"the clinic server refused: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def with_server(action: Callable[[Conn], int], ctx: AppContext) -> int:
    """Run ``action(conn)`` on the ``--db`` server, closing the connection after."""
    require_server(ctx)
    with server_errors():
        conn = open_server(ctx)
        try:
            return action(conn)
        finally:
            conn.close()


def run_init(args: Any, ctx: AppContext) -> int:
    """``server init``: print what was found and done, one fact a line."""
    from clinic_app.storage.server import init_server

    def init(conn: Conn) -> int:
        result = init_server(conn)
        print(
            f"server: PostgreSQL {result.server_version}, database {result.database}, "
            f"signed in as {result.login}"
        )
        if not result.applied:
            print(f"schema: version {result.version_after}, up to date")
        elif result.version_before == 0:
            print(f"schema: version {result.version_after} created")
        else:
            print(
                f"schema: upgraded from version {result.version_before} to {result.version_after}"
            )
        if result.roles_created:
            print(f"roles: created {', '.join(result.roles_created)}")
        else:
            print("roles: dorsilab_admin, dorsilab_clinician, dorsilab_assistant in place")
        if result.privileges_changed:
            print("privileges: grants and row-level security policies set")
        else:
            print("privileges: grants and row-level security policies in place")
        if result.trigram_index:
            print("patient search: trigram index (pg_trgm)")
        else:
            print("patient search: without a trigram index (pg_trgm is not available)")
        if not result.changed:
            print("nothing changed: the server was already set up")
        elif result.version_before == 0:
            print("next: add the first admin: clinic-app --db URL users add LOGIN --role admin")
        return 0

    return with_server(init, ctx)
