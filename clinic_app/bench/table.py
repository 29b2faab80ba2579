"""Bench figures of the 'table' group: reading a 300 s, 1 kHz force-plate CSV (``analyze``).

The file is written once (time, Fz, COP AP and ML: 300,000 rows, about 11 MB), then read as
``clinic-app analyze`` reads it (:func:`clinic_app.exchange.recordings.read_balance_trial`).
The reference is the row-by-row parser the reader falls back on (and used for every file
before issue 18), measured in the same run on the same text.

Figures
-------
table_read_300s_ms
    The whole read of the file: text, table, columns, checks (median, ms).
table_parse_300s_ms, table_parse_rowwise_300s_ms
    The table alone by the fast path and by the row-by-row path (median, ms).
table_parse_speedup
    Row-by-row time ÷ fast time (target ≥ 10).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from clinic_app.bench.sway import synthetic_trial

FS_HZ = 1000.0
DURATION_S = 300.0


def write_recording(path: Path) -> None:
    """A 300 s single-leg trial at 1 kHz as a CSV with units in the header."""
    ap, ml = synthetic_trial(seed=3, fs_hz=FS_HZ, duration_s=DURATION_S)
    t = np.arange(ap.size) / FS_HZ
    fz = 690.0 + 4.0 * np.sin(2 * np.pi * 0.8 * t)
    table = np.column_stack([t, fz, ap * 10.0, ml * 10.0])
    np.savetxt(path, table, fmt=["%.3f", "%.2f", "%.3f", "%.3f"], delimiter=",",
               header="time[s],fz[N],cop_ap[mm],cop_ml[mm]", comments="")  # fmt: skip


def _median_ms(call: Callable[[], object], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def measure(quick: bool) -> dict[str, float]:
    """Read and parse times of a 300 s recording, and the ratio to the row-by-row parser."""
    from clinic_app.exchange.recordings import read_balance_trial
    from clinic_app.exchange.recordings import table as table_module

    runs = 3 if quick else 7
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trial-300s.csv"
        write_recording(path)
        text = table_module.read_text(path)
        fast = _median_ms(lambda: table_module.parse_table(path.name, text), runs)
        slow = _median_ms(
            lambda: table_module.parse_table(path.name, text, fast=False), max(1, runs // 2)
        )
        read = _median_ms(lambda: read_balance_trial(path), runs)
    return {
        "table_read_300s_ms": read,
        "table_parse_300s_ms": fast,
        "table_parse_rowwise_300s_ms": slow,
        "table_parse_speedup": slow / fast,
    }
