"""``clinic-app devices list|stream`` (owned by the device layer; placeholder until it lands)."""

from __future__ import annotations

import argparse
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError


def register(subparsers: Any) -> None:
    """Add the ``devices`` command."""
    parser = subparsers.add_parser("devices", help="list serial devices or stream samples")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Not available yet."""
    raise UserError("'devices' is not available in this build yet")
