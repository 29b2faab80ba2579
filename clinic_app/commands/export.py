"""``clinic-app export`` (owned by the exchange package; placeholder until it lands)."""

from __future__ import annotations

import argparse
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError


def register(subparsers: Any) -> None:
    """Add the ``export`` command."""
    parser = subparsers.add_parser("export", help="export a patient as CSV, JSON or FHIR")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Not available yet."""
    raise UserError("'export' is not available in this build yet")
