"""Bench figure ``startup_ms``: cold start to a usable main window (target ≤ 1.5 s).

Each run launches ``python -m clinic_app.ui.startup_probe`` in a fresh child process
(this package must not import Qt) on a database that already holds a few patients, as a
clinic's would after the first day. The child reports the milliseconds from just before
its launch to the first event-loop turn after the main window was shown and painted.
The figure is the median of the runs: 5, or 3 with ``quick``. The first run, which also
warms the operating system's file cache, is not counted.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clinic_app.bench.child_env import probe_env

PROBE = "clinic_app.ui.startup_probe"

ENV_T0 = "DORSILAB_PROBE_T0_NS"
_TIMEOUT_S = 60


def _one_run(db_path: Path, home: Path) -> float:
    env = probe_env(home)
    env[ENV_T0] = str(time.time_ns())
    done = subprocess.run(
        [sys.executable, "-m", PROBE, "--db", str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("startup_ms="):
            return float(line.partition("=")[2])
    raise RuntimeError(
        f"startup probe failed (exit {done.returncode}): {done.stderr.strip()[-400:]}"
    )


def _prepare_database(db_path: Path) -> None:
    """A database with a handful of patients, created (and migrated) before timing."""
    from clinic_app.storage import Database

    db = Database.open(db_path)
    try:
        for i in range(20):
            db.create_patient(
                {
                    "first_name": f"Bench{i}",
                    "last_name": "Startup",
                    "birth_date": f"19{70 + i}-03-1{i % 10}",
                    "record_number": f"B-{i:04d}",
                }
            )
    finally:
        db.close()


def measure(quick: bool) -> dict[str, float]:
    """Median cold-start time in milliseconds over several child processes."""
    runs = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="dorsilab-bench-startup-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        db_path = Path(tmp) / "bench.sqlite3"
        _prepare_database(db_path)
        _one_run(db_path, home)  # warm the file cache; not counted
        times = [_one_run(db_path, home) for _ in range(runs)]
    return {"startup_ms": round(statistics.median(times), 1)}
