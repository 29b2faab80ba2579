"""``clinic-app --db URL|FILE users add|list|disable``: the logins of a server or a file.

With a file, :mod:`clinic_app.commands.file_users` keeps them in the file (Argon2id
hashes); what follows is about a clinic server.

``users add LOGIN --role {admin,clinician,assistant} [--password-file F]`` creates a
PostgreSQL login in that DorsiLab group. The password is asked twice at a prompt, or read
from the first line of ``F`` (``-``: standard input); it is hashed to SCRAM-SHA-256 on this
computer, so the clear password reaches neither the server nor any log.

``users list`` prints one line per DorsiLab login: its role, whether it may sign in, and
until when its password is valid if the DBA set a limit.

``users disable LOGIN`` stops that login from signing in and ends its open connections
where the signed-in login may (a superuser, or a member of ``pg_signal_backend``); what it
recorded stays, under its name.

Adding and disabling need a DorsiLab admin (or the DBA); the server checks it.
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_app.commands import AppContext
from clinic_app.commands.server import with_server
from clinic_app.errors import UserError

if TYPE_CHECKING:
    from clinic_app.storage.server import Conn

ROLE_CHOICES = ("admin", "clinician", "assistant")


def register(subparsers: Any) -> None:
    """Add the ``users`` command and its ``add``, ``list`` and ``disable`` actions."""
    parser = subparsers.add_parser(
        "users",
        help="logins of the clinic server (--db postgresql://…) or of a database file",
        description="Add, list and disable the logins of the clinic server, or of a "
        "database file (the file then asks who is working and locks when idle).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="create a login",
        description=(
            "Create a login of the clinic server in one role: assistant (registers patients, "
            "runs assessments), clinician (everything clinical), admin (also logins and "
            "settings). The password is asked twice, or read from --password-file."
        ),
    )
    add.add_argument("login", metavar="LOGIN", help="letters, digits, '_', '.', '-'")
    add.add_argument("--role", required=True, choices=ROLE_CHOICES, help="what the login may do")
    add.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help="read the password from the first line of FILE ('-': standard input)",
    )
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="every DorsiLab login and its role")
    listing.set_defaults(func=run_list)
    disable = actions.add_parser(
        "disable",
        help="stop a login from signing in",
        description=(
            "Stop a login from signing in and end its open connections where allowed. "
            "Its records and audit entries stay."
        ),
    )
    disable.add_argument("login", metavar="LOGIN")
    disable.set_defaults(func=run_disable)


def read_password(password_file: Path | None, login: str) -> str:
    """The new login's password: the file's first line, or asked twice in a terminal."""
    if password_file is not None:
        if str(password_file) == "-":
            line = sys.stdin.readline()
        else:
            try:
                with password_file.open(encoding="utf-8") as handle:
                    line = handle.readline()
            except (OSError, UnicodeDecodeError) as exc:
                reason = (
                    exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
                )
                raise UserError(f"--password-file {password_file}: {reason}") from None
        password = line.rstrip("\r\n")
        if not password:
            raise UserError("--password-file: the first line is empty")
        return password
    if not sys.stdin.isatty():
        raise UserError(
            "give the new login's password with --password-file FILE ('-' for standard "
            "input), or run the command in a terminal to be asked for it"
        )
    first = getpass.getpass(f"Password for the new login {login}: ")
    second = getpass.getpass("The same password again: ")
    if first != second:
        raise UserError("the two passwords differ; nothing was changed")
    return first


def run_add(args: Any, ctx: AppContext) -> int:
    """``users add``."""
    from clinic_app.storage.server.users import add_user, check_login, check_password

    if ctx.db_url is None:  # a database file's own logins
        from clinic_app.commands import file_users

        return file_users.run_add(args, ctx, read_password)
    check_login(args.login)  # before connecting or asking for anything

    def add(conn: Conn) -> int:
        password = read_password(args.password_file, args.login)
        check_password(password)
        add_user(conn, args.login, args.role, password)
        print(f"login {args.login} added as {args.role}")
        return 0

    return with_server(add, ctx)


def _valid_until(value: datetime | None) -> str:
    if value is None:
        return ""
    when = value.astimezone(UTC)
    expired = " (expired)" if when <= datetime.now(UTC) else ""
    return f", password valid until {when:%Y-%m-%d %H:%M} UTC{expired}"


def run_list(args: Any, ctx: AppContext) -> int:
    """``users list``."""
    from clinic_app.storage.server.users import list_users

    if ctx.db_url is None:
        from clinic_app.commands import file_users

        return file_users.run_list(args, ctx)

    def listing(conn: Conn) -> int:
        users = list_users(conn)
        if not users:
            print("no DorsiLab logins yet (add one with: users add LOGIN --role ROLE)")
        for user in users:
            state = "enabled" if user.enabled else "disabled"
            print(f"{user.login}: {user.role}, {state}{_valid_until(user.valid_until)}")
        return 0

    return with_server(listing, ctx)


def run_disable(args: Any, ctx: AppContext) -> int:
    """``users disable``."""
    from clinic_app.numbers import counted
    from clinic_app.storage.server.users import disable_user

    if ctx.db_url is None:
        from clinic_app.commands import file_users

        return file_users.run_disable(args, ctx)

    def disable(conn: Conn) -> int:
        result = disable_user(conn, args.login)
        if result.was_enabled:
            print(f"login {result.login} disabled")
        else:
            print(f"login {result.login} was already disabled")
        if result.sessions_ended:
            print(f"{counted(result.sessions_ended, 'open connection')} ended")
        if result.sessions_left:
            verb, it = ("goes", "it") if result.sessions_left == 1 else ("go", "them")
            print(
                f"{counted(result.sessions_left, 'open connection')} of {result.login} "
                f"{verb} on until closed (ending {it} needs a superuser or pg_signal_backend)"
            )
        return 0

    return with_server(disable, ctx)
