"""The ``clinic-app`` command line (a stable contract; see README "Command line").

``clinic-app [--db PATH] [--demo]`` starts the GUI; sub-commands run headless. User
errors print one line on stderr and exit 2 with no traceback and nothing written.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import multiprocessing
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from clinic_app import __version__, paths
from clinic_app.commands import COMMAND_MODULES, AppContext
from clinic_app.errors import UserError

log = logging.getLogger(__name__)
PROG = "clinic-app"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{PROG} --help')\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command registered."""
    parser = _Parser(
        prog=PROG,
        description="DorsiLab: lunge test and single-leg balance assessment for runners.",
    )
    parser.add_argument("--version", action="version", version=f"DorsiLab {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        help="database file (default: the user data folder), or a clinic server's "
        "postgresql:// URL",
    )
    parser.add_argument(
        "--demo", action="store_true", help="simulated devices and a seeded demo database"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"clinic_app.commands.{name}")
        module.register(subparsers)
    return parser


def is_server_url(value: str) -> bool:
    """True if ``--db`` names a PostgreSQL server (a libpq URL) rather than a file."""
    return value.startswith(("postgresql://", "postgres://"))


def _context(args: argparse.Namespace) -> AppContext:
    from clinic_app.output_files import os_reason, shown

    if args.db is not None and is_server_url(args.db):
        if args.demo:
            raise UserError("--demo uses its own database file; leave out --db with a server URL")
        return AppContext(db_path=paths.default_db_path(), demo=False, db_url=args.db)
    if args.db is None and not args.demo:
        from clinic_app import workstation

        chosen = workstation.server_url()  # Settings › Clinic server, for this computer
        if chosen is not None:
            return AppContext(db_path=paths.default_db_path(), demo=False, db_url=chosen)
    try:
        db_path = Path(args.db) if args.db is not None else paths.default_db_path(demo=args.demo)
        if db_path.exists() and db_path.is_dir():
            raise UserError(f"--db {shown(db_path)} is a folder; give the path of a database file")
        if not db_path.parent.is_dir():
            raise UserError(
                f"--db {shown(db_path)}: the folder {shown(db_path.parent)} does not exist"
            )
        return AppContext(db_path=db_path.resolve(), demo=bool(args.demo))
    except OSError as exc:  # a name too long, a folder that cannot be read or created
        where = shown(args.db) if args.db is not None else "the DorsiLab data folder"
        raise UserError(f"--db {where}: {os_reason(exc)}") from None


def _log_to_file() -> None:
    """Send the app's log to its rotating file, for the GUI and every command alike.

    Without it, a command's warnings (e.g. a WAL checkpoint that failed at close) would
    reach stderr through Python's last-resort handler and break the one-line contract.
    """
    from clinic_app.logging_setup import configure

    try:
        configure()
    except OSError:  # no writable log folder: the command still runs, unlogged
        for name in ("clinic_app", "drivers"):
            logging.getLogger(name).addHandler(logging.NullHandler())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``clinic-app``; returns the process exit code."""
    # In an installed (frozen) app an export's worker process is this executable started
    # again with multiprocessing's own arguments: it must run the worker, not the CLI.
    multiprocessing.freeze_support()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        ctx = _context(args)
        _log_to_file()
        if args.command is None:
            gui = importlib.import_module("clinic_app.ui.app")
            return int(gui.run_gui(ctx))
        status = int(args.func(args, ctx))
        # Flushed here, not at exit, so that a reader gone away is caught below rather
        # than reported by the interpreter's final flush ("Exception ignored …").
        sys.stdout.flush()
        return status
    except UserError as exc:
        message = " ".join(str(exc).split())  # always one line, whatever the paths hold
        sys.stderr.write(f"{PROG}: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. ``clinic-app analyze F | head``): stop quietly, and
        # point stdout at devnull so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def gui_main() -> int:
    """Entry point of the ``dorsilab`` GUI launcher (no console on Windows)."""
    return main(sys.argv[1:])
