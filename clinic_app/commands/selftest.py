"""``clinic-app selftest``: boot the real GUI, run a scripted workflow, exit 0 or 1."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from clinic_app.commands import AppContext


def register(subparsers: Any) -> None:
    """Add the ``selftest`` command."""
    parser = subparsers.add_parser(
        "selftest",
        help="boot the GUI (offscreen without a display), run a scripted assessment, exit 0/1",
        description=(
            "Boots the real main window, drives a scripted workflow on simulated devices "
            "through the real widgets and checks what was stored. Without --db it writes to "
            "a fresh database in a temporary folder, never to the clinic's database."
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Run the GUI selftest in this process."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    explicit_db = args.db is not None
    selftest = importlib.import_module("clinic_app.ui.selftest")
    return int(selftest.run_selftest(ctx, explicit_db=explicit_db))
