"""``clinic-app bench [--quick] [--json]``: measured performance figures."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from clinic_app.bench import run_all
from clinic_app.commands import AppContext


def register(subparsers: Any) -> None:
    """Add the ``bench`` command."""
    parser = subparsers.add_parser(
        "bench", help="throughput, latency, frame-rate and timing figures"
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        default=None,
        choices=_groups(),
        help="run only this figure group (repeatable): " + ", ".join(_groups()),
    )
    parser.set_defaults(func=run)


def _groups() -> list[str]:
    from clinic_app.bench import FIGURE_MODULES

    return list(FIGURE_MODULES)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Measure every figure group and print the figures."""
    figures = run_all(quick=args.quick, only=args.only, progress=None if args.json else sys.stderr)
    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
    else:
        width = max((len(k) for k in figures), default=10)
        for key in sorted(figures):
            value = figures[key]
            text = f"{value:,.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {text}")
    return 0
