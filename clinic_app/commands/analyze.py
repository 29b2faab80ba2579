"""``clinic-app analyze FILE`` (owned by the analysis core; placeholder until it lands)."""

from __future__ import annotations

import argparse
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError


def register(subparsers: Any) -> None:
    """Add the ``analyze`` command."""
    parser = subparsers.add_parser("analyze", help="sway metrics of a force-plate recording")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Not available yet."""
    raise UserError("'analyze' is not available in this build yet")
