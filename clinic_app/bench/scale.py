"""Bench figures: cold start and ``report`` on a 200 MB database vs the demo database.

Issue 18 §1: start-up and every command must not grow with the size of the database
(target: within 1.2× of the same on the demo database). Two databases are built in a
temporary folder: the demo database exactly as ``--demo`` seeds it, and a copy of it grown
to about 200 MB with the recordings of many more visits (other patients' plate trials at
1 kHz, journaled in 0.5 s chunks as the app does; noise that does not compress, so the
file really is that large). Both are closed cleanly, as at the end of a clinic day.

Each figure is the median of several cold child processes (after one uncounted run that
warms the interpreter's own files). Before every run the database file is dropped from
the operating system's page cache (``posix_fadvise(DONTNEED)`` on that file only, where
the platform has it), as for the first start of the day; a check that reads every page
shows up in full then, while it hides behind the cache when the file was just read:

* ``scale_startup_demo_ms`` / ``scale_startup_200mb_ms``: the start-up probe (first
  usable paint of the main window, :mod:`clinic_app.ui.startup_probe`);
* ``scale_report_demo_ms`` / ``scale_report_200mb_ms``: ``clinic-app --db FILE report
  --patient 1 -o FILE.pdf``, the whole command, interpreter start included;
* ``*_ratio``: 200 MB over demo.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from clinic_app.bench.startup import _one_run as startup_run
from clinic_app.storage import Database
from drivers.base import PLATE_DTYPE

TARGET_BYTES = 200 * 1024 * 1024
_TIMEOUT_S = 120


def build_demo(path: Path) -> None:
    """The demo database as ``--demo`` seeds it."""
    from clinic_app.demo_data import ensure_demo_data

    with Database.open(path, backup_on_start=False) as db:
        ensure_demo_data(db)


def grow(path: Path, target_bytes: int = TARGET_BYTES) -> int:
    """Add visits until the file is ``target_bytes``, journaled as the app journals them.

    Each visit has two 30 s balance trials whose 1 kHz plate recording is stored in
    0.5 s chunks (the journal's period), so the file has as many rows and index entries
    as a clinic's would for its size.
    """
    rng = np.random.default_rng(18)
    chunk = 500  # samples: 0.5 s at 1 kHz
    with Database.open(path, backup_on_start=False, user="bench") as db:
        n = 0
        while path.stat().st_size < target_bytes:
            with db.transaction():
                patient = db.create_patient(
                    {"first_name": f"Filler{n}", "last_name": "Bench", "birth_date": "1980-01-01"}
                )
                session = db.create_session(patient.id, "bench")
                for side in ("left", "right"):
                    trial = db.begin_trial(session, "balance", side, "eo_firm")
                    for k in range(60):
                        samples = np.zeros(chunk, dtype=PLATE_DTYPE)
                        samples["t_host_s"] = (k * chunk + np.arange(chunk)) / 1000.0
                        samples["seq"] = k * chunk + np.arange(chunk)
                        samples["fz_n"] = 690.0 + rng.normal(0, 5, chunk)
                        for field in ("cop_x_mm", "cop_y_mm", "tr_n", "br_n", "tl_n", "bl_n"):
                            samples[field] = rng.normal(size=chunk)
                        db.append_recording_chunk(trial, "plate", samples)
                    db.finish_trial(trial, "incomplete", None, "bench filler")
                db.finish_session(session, "complete")
            n += 1
            if n % 10 == 0:
                db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def evict(db_path: Path) -> None:
    """Drop the database (and its WAL) from the page cache, if the platform allows.

    Only this bench's own files are touched, never another program's cache. No SQLite
    connection of this process is open on them here, so opening them is safe.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _report_run(db_path: Path, home: Path, out: Path) -> float:
    evict(db_path)
    env = dict(os.environ, DORSILAB_HOME=str(home))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", str(db_path), "report", "--patient", "1",
         "-o", str(out), "--force"],
        env=env, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False,
    )  # fmt: skip
    elapsed = (time.perf_counter() - start) * 1000.0
    if done.returncode != 0:
        raise RuntimeError(f"report failed (exit {done.returncode}): {done.stderr.strip()}")
    return elapsed


def _startup_run(db_path: Path, home: Path) -> float:
    evict(db_path)
    return startup_run(db_path, home)


def _median(run: object, runs: int) -> float:
    assert callable(run)
    run()  # warm the file cache; not counted
    return float(statistics.median(run() for _ in range(runs)))


def measure(quick: bool) -> dict[str, float]:
    """Median cold start and report times on both databases, and their ratios."""
    runs = 3 if quick else 5
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dorsilab-bench-scale-") as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        demo = root / "demo.sqlite3"
        build_demo(demo)
        large = root / "large.sqlite3"
        shutil.copyfile(demo, large)
        figures["scale_large_db_mb"] = round(grow(large) / 1024 / 1024, 1)
        figures["scale_demo_db_mb"] = round(demo.stat().st_size / 1024 / 1024, 1)
        for label, path in (("demo", demo), ("200mb", large)):
            figures[f"scale_startup_{label}_ms"] = round(
                _median(lambda p=path: _startup_run(p, home), runs), 1
            )
            out = root / f"{label}.pdf"
            figures[f"scale_report_{label}_ms"] = round(
                _median(lambda p=path, o=out: _report_run(p, home, o), runs), 1
            )
    for kind in ("startup", "report"):
        ratio = figures[f"scale_{kind}_200mb_ms"] / figures[f"scale_{kind}_demo_ms"]
        figures[f"scale_{kind}_200mb_ratio"] = round(ratio, 3)
    return figures
