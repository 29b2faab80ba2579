"""``clinic-app report`` (owned by the reports package; placeholder until it lands)."""

from __future__ import annotations

import argparse
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser("report", help="clinician report or patient handout as PDF")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Not available yet."""
    raise UserError("'report' is not available in this build yet")
