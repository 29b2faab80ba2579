"""Sub-commands of ``clinic-app``: one module each, each with ``register(subparsers)``.

A module's ``register`` adds its parser and sets ``func`` to a callable
``(args: argparse.Namespace, ctx: AppContext) -> int``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

COMMAND_MODULES = (
    "selftest",
    "bench",
    "devices",
    "analyze",
    "report",
    "export",
    "importdata",
    "importrecording",
    "migrate",
    "server",
    "users",
)


@dataclass(frozen=True)
class AppContext:
    """What every command gets from the global options.

    Attributes
    ----------
    db_path : Path
        The database to use (``--db``, else the default or the demo database).
    demo : bool
        ``--demo`` was given: simulated devices and the seeded demo database.
    db_url : str or None
        ``--db postgresql://…``: the clinic server (libpq connection URL) instead of a
        file; ``db_path`` is then the default file, unused by commands that take a server.
    """

    db_path: Path
    demo: bool
    db_url: str | None = None


Subparsers = "argparse._SubParsersAction[argparse.ArgumentParser]"
__all__ = ["COMMAND_MODULES", "AppContext", "argparse"]
