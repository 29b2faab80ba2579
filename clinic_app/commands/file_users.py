"""``clinic-app --db FILE users add|list|disable``: the logins of a database file.

A file's first login needs nobody's sign-in (whoever can write the file could replace it
anyway); once it has logins, adding or disabling one asks an admin's login and password
at the terminal, and the roles of :mod:`clinic_app.storage.local_users` apply.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError


def _admin_signed_in(db: Any) -> None:
    """Once the file has logins, an admin signs in before logins change."""
    from clinic_app.storage import StorageError

    if not db.sign_in_required():
        return
    if not sys.stdin.isatty():
        raise UserError(
            "this database has logins: run the command in a terminal to sign in as an admin"
        )
    login = input("Admin login: ").strip()
    password = getpass.getpass("Password: ")
    try:
        db.sign_in_local(login, password)
        db.require("users")
    except StorageError as exc:
        raise UserError(str(exc)) from None


def run_add(args: Any, ctx: AppContext, password_of: Any) -> int:
    """Add a login to the file; ``password_of(file, login)`` reads the new password."""
    from clinic_app.commands._db import open_database
    from clinic_app.storage import StorageError

    db = open_database(ctx, backup=True)
    try:
        _admin_signed_in(db)
        password = password_of(args.password_file, args.login)
        db.add_local_user(args.login, args.role, password)
    except StorageError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()
    print(f"login {args.login} added as {args.role}")
    return 0


def run_list(args: Any, ctx: AppContext) -> int:
    """List the file's logins."""
    from clinic_app.commands._db import open_database

    db = open_database(ctx)
    try:
        users = db.local_users()
    finally:
        db.close()
    if not users:
        print("no logins: nobody signs in to this database (add one with: users add LOGIN "
              "--role ROLE)")  # fmt: skip
    for user in users:
        print(f"{user.login}: {user.role}, {'enabled' if user.enabled else 'disabled'}")
    return 0


def run_disable(args: Any, ctx: AppContext) -> int:
    """Disable one of the file's logins."""
    from clinic_app.commands._db import open_database
    from clinic_app.storage import StorageError

    db = open_database(ctx, backup=True)
    try:
        _admin_signed_in(db)
        if db.signed_in == args.login:
            raise UserError("an admin cannot disable their own login; ask another admin")
        db.disable_local_user(args.login)
    except StorageError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()
    print(f"login {args.login} disabled")
    return 0
