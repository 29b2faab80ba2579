"""``clinic-app bench [--quick] [--json] [--load N]``: measured performance figures."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from clinic_app.bench import run_all
from clinic_app.bench.load import busy_processes, load_average
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
    parser.add_argument(
        "--load",
        metavar="N",
        type=_count,
        default=0,
        help="run N busy processes (one core each) beside the bench, to see the margins "
        "left under load",
    )
    parser.set_defaults(func=run)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes (0 or more): {text!r}")
    return value


def _groups() -> list[str]:
    from clinic_app.bench import FIGURE_MODULES

    return list(FIGURE_MODULES)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Measure every figure group and print the figures.

    With ``--db postgresql://…`` the 'db' group is also measured on that clinic server (an
    empty bench database), beside the file's figures.
    """
    with busy_processes(args.load):
        figures = run_all(
            quick=args.quick, only=args.only, progress=None if args.json else sys.stderr
        )
        if ctx.db_url is not None and (not args.only or "db" in args.only):
            from clinic_app.bench.db_server import measure_server

            figures.update(measure_server(ctx.db_url, args.quick))
        # The 1-minute average trails the load; read while the busy processes still run.
        figures["bench_loadavg_1min"] = round(load_average(), 2)
    figures["bench_load_processes"] = float(args.load)
    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
    else:
        width = max((len(k) for k in figures), default=10)
        for key in sorted(figures):
            value = figures[key]
            text = f"{value:,.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {text}")
    return 0
