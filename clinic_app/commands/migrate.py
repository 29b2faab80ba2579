"""``clinic-app --db FILE migrate-to-server URL``: move a clinic's file onto its server.

Every patient, visit, trial, recording, plan, setting and audit row of FILE is written
to the clinic server at URL in one server transaction, verified there (row counts, and
the SHA-256 of every recording computed by the server), and committed only if all of it
matches (:mod:`clinic_app.storage.transfer`). FILE itself is only read, never changed.
Sign in as an administrator so the audit rows keep the names they were written with.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError
from clinic_app.output_files import shown

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``migrate-to-server`` command."""
    parser = subparsers.add_parser(
        "migrate-to-server",
        help="copy the --db file's records onto a clinic server (the file is not changed)",
    )
    parser.add_argument("url", metavar="URL", help="the clinic server (postgresql://…)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Move ``ctx.db_path`` onto the server at ``args.url``."""
    from clinic_app.cli import is_server_url
    from clinic_app.commands.signin import connect_server
    from clinic_app.storage import StorageError
    from clinic_app.storage.transfer import file_copy, move_to_server

    if ctx.db_url is not None:
        raise UserError("give the database file to move with --db PATH, and the server as URL")
    if not is_server_url(args.url):
        raise UserError(f"{shown(args.url)} is not a clinic server URL (postgresql://…)")
    if not ctx.db_path.is_file():
        raise UserError(f"there is no DorsiLab database at {shown(ctx.db_path)}")
    server = connect_server(args.url)
    if server.role not in ("admin", None):  # None: the DBA (a superuser), not a DorsiLab role
        server.close()
        raise UserError(
            f"{server.user} is signed in as {server.role}; moving a clinic's file needs a "
            "DorsiLab admin login (so that the audit history keeps its names)"
        )
    try:
        with file_copy(ctx.db_path) as source:
            report = move_to_server(source, server, file_name=ctx.db_path.name)
    except StorageError as exc:
        raise UserError(str(exc)) from exc
    finally:
        server.close()
    for table, count in report.rows.items():
        print(f"{table}: {count} rows moved")
    print(f"recordings checked byte for byte on the server: {report.recordings_checked}")
    if report.settings_kept:
        print(f"settings the server already had, kept: {', '.join(report.settings_kept)}")
    print(f"{shown(ctx.db_path)} was not changed")
    return 0
