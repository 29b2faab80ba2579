"""Benchmarks behind ``clinic-app bench``.

Each module in :data:`FIGURE_MODULES` exposes ``measure(quick: bool) -> dict[str, float]``
returning figures keyed with their unit in the name (``..._ms``, ``..._per_s``). Figures
that need Qt run in a child process so that this package stays Qt-free.
"""

from __future__ import annotations

import importlib
import time
from typing import TextIO

FIGURE_MODULES = (
    "startup", "db", "codecs", "acquisition", "idle", "sway", "view", "report", "export",
    "scale", "shutdown", "table",
)  # fmt: skip


def run_all(
    quick: bool = False, only: list[str] | None = None, progress: TextIO | None = None
) -> dict[str, float]:
    """Run the selected figure groups and merge their figures.

    Parameters
    ----------
    quick : bool
        Shorter runs (e.g. 10 s of acquisition instead of 60 s).
    only : list of str, optional
        Names from :data:`FIGURE_MODULES`; all when None.
    progress : text stream, optional
        Where to write one progress line per group.
    """
    figures: dict[str, float] = {}
    for name in FIGURE_MODULES:
        if only and name not in only:
            continue
        start = time.perf_counter()
        module = importlib.import_module(f"clinic_app.bench.{name}")
        result: dict[str, float] = module.measure(quick)
        figures.update(result)
        if progress is not None:
            progress.write(f"bench {name}: {time.perf_counter() - start:.1f} s\n")
    return figures
