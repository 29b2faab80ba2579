"""Bench figures of the 'export' group: clinic-wide exports at clinic scale.

Two temporary databases (the real schema), each export run as the real command in a child
process (``clinic-app --db … export --all --format F -o DIR``), so the figures include
start-up, the worker processes and the audit:

* **the issue's clinic** (issue 18 §2, where "30 s and 3.15 GB" was measured): the 'db'
  group's 10,000 fictional patients with 100,000 visits of three trials each (1,000 and
  10,000 with ``quick``), every result with its own full-precision numbers, no
  recordings. CSV, JSON (without recordings) and FHIR are timed on it.
* **the recordings clinic**: 10,000 patients (1,000) with one visit of two lunge trials
  and one balance trial and their recordings (two 200-sample inclinometer recordings and
  a 500-sample plate recording per patient). JSON with every recording is timed on it.

Peak memory is that of the whole process tree (the command and its export workers),
sampled from ``/proc`` every 20 ms and summed; ``…_main_peak_mb`` is the command's own
maximum resident set size.

Figures
-------
export_json_patients_per_s, export_csv_patients_per_s, export_fhir_patients_per_s
    Patients of the issue's clinic exported per second (JSON as ``--no-recordings``).
export_json_recordings_patients_per_s
    Patients of the recordings clinic exported per second as JSON *with* every recording
    (zlib and base64 of each).
export_<kind>_peak_mb, export_<kind>_main_peak_mb
    Peak memory of each export (whole process tree; the command alone), MB.
export_workers
    Worker processes the exports used (0: encoded in the command's own process).
export_one_patient_s
    Wall time of exporting one patient (CSV), s: the start-up and audit every export pays,
    which the patients-per-second figures include once.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from clinic_app.bench.db import bench_rows, insert_rows
from clinic_app.storage import Database
from clinic_app.storage.recordings import encode_samples
from clinic_app.storage.search import search_columns
from drivers.base import INCLINOMETER_DTYPE, PLATE_DTYPE

N_PATIENTS = 10_000
N_QUICK = 1_000


def _recordings(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    incl = np.zeros(200, dtype=INCLINOMETER_DTYPE)
    incl["t_host_s"] = np.arange(200) / 100.0
    incl["seq"] = np.arange(200)
    incl["angle_x_deg"] = np.linspace(5, 40, 200) + rng.normal(0, 0.1, 200)
    incl["tibia_deg"] = incl["angle_x_deg"]
    plate = np.zeros(500, dtype=PLATE_DTYPE)
    plate["t_host_s"] = np.arange(500) / 1000.0
    plate["seq"] = np.arange(500)
    plate["fz_n"] = 686.0 + rng.normal(0, 2, 500)
    plate["cop_x_mm"] = np.cumsum(rng.normal(0, 0.05, 500))
    plate["cop_y_mm"] = np.cumsum(rng.normal(0, 0.05, 500))
    return incl, plate


def seed(path: Path, n_patients: int) -> None:
    """Fill a new database at ``path`` with ``n_patients`` patients with recordings."""
    Database.open(path, backup_on_start=False).close()
    rng = random.Random(20261207)
    samples = np.random.default_rng(20261207)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    lunge = json.dumps({"angle_deg": 41.3, "distance_cm": 10.4, "hold_s": 2.1,
                        "hold_sd_deg": 0.31, "capture": "auto", "heel_lift": False,
                        "pain_nrs": 2, "pain_location": "posterior",
                        "site": "tibial_crest_15cm"})  # fmt: skip
    metrics = dict.fromkeys(("n", "fs_hz", "duration_s", "path_length_cm",
                             "mean_velocity_cm_s", "ellipse_area_95_cm2"), 1.5)  # fmt: skip
    balance = json.dumps(
        {
            "planned_s": 10.0,
            "completed_s": 10.0,
            "time_to_failure_s": None,
            "failure_reason": None,
            "body_mass_kg": 70.0,
            "metrics": metrics,
        }
    )
    now = "2026-01-01T00:00:00Z"
    incl, plate = _recordings(samples)
    encoded = {"inclinometer": encode_samples(incl), "plate": encode_samples(plate)}
    for pid in range(1, n_patients + 1):
        values = {"first_name": rng.choice(["Zoë", "Ana", "Kwame", "小明"]),
                  "last_name": f"Núñez{pid}", "birth_date": "1990-04-17",
                  "record_number": f"MRN-{pid:06d}"}  # fmt: skip
        derived = search_columns(values)
        conn.execute(
            "INSERT INTO patients (id, record_number, first_name, last_name, birth_date,"
            " mass_kg, height_cm, search_text, sort_name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 68.0, 172.0, ?, ?, ?, ?)",
            (pid, values["record_number"], values["first_name"], values["last_name"],
             values["birth_date"], derived["search_text"], derived["sort_name"], now, now),
        )  # fmt: skip
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T09:00:00Z"
        sid = conn.execute(
            "INSERT INTO sessions (patient_id, started_at, ended_at, examiner, status,"
            " created_at, updated_at, mass_kg, height_cm)"
            " VALUES (?, ?, ?, 'Dr Ruiz', 'complete', ?, ?, 68.0, 172.0)",
            (pid, day, day, day, day),
        ).lastrowid
        for protocol, side, condition, result, device in (
            ("lunge", "left", None, lunge, "inclinometer"),
            ("lunge", "right", None, lunge, "inclinometer"),
            ("balance", "left", "eo_firm", balance, "plate"),
        ):
            tid = conn.execute(
                "INSERT INTO trials (session_id, protocol, side, condition, attempt, practice,"
                " status, result, started_at, ended_at) VALUES (?, ?, ?, ?, 1, 0, 'valid', ?,"
                " ?, ?)",
                (sid, protocol, side, condition, result, day, day),
            ).lastrowid
            descr, count, data = encoded[device]
            conn.execute(
                "INSERT INTO recordings (trial_id, device, chunk, dtype, n_samples, data,"
                " created_at) VALUES (?, ?, 0, ?, ?, ?, ?)",
                (tid, device, descr, count, data, day),
            )
    conn.execute("COMMIT")
    conn.close()
    Database.open(path).close()  # the day's backup now, not inside the first export


def seed_visits_clinic(path: Path, quick: bool) -> int:
    """The 'db' group's clinic (10,000 patients, 100,000 visits; a tenth with ``quick``),
    every trial's result with its own full-precision numbers; returns how many patients
    ``export --all`` exports (those not in the deleted list)."""
    Database.open(path, backup_on_start=False).close()
    rng = random.Random(20261208)
    patients, sessions, trials, _ = bench_rows(rng)
    if quick:
        patients = patients[:N_QUICK]
        sessions = [s for s in sessions if s[1] <= N_QUICK]
        kept = {s[0] for s in sessions}
        trials = [t for t in trials if t[0] in kept]
    trials = [(*t[:4], _measured(t[4], rng), *t[5:]) for t in trials]
    insert_rows(path, patients, sessions, trials)
    Database.open(path).close()  # the day's backup now, not inside the first export
    return sum(1 for row in patients if row[-1] is None)  # --all leaves out the deleted


def _measured(result_json: str, rng: random.Random) -> str:
    """``result_json`` with every float replaced by a measured-looking one (full precision,
    as the analysis computes them), so no two trials' numbers are alike."""
    result = json.loads(result_json)
    for group in (result, result.get("metrics") or {}):
        for key, value in group.items():
            if type(value) is float:
                group[key] = value * (0.5 + rng.random())
    return json.dumps(result, separators=(",", ":"))


def run_export(
    db_path: Path, out: Path, fmt: str, *extra: str, patient: int | None = None
) -> tuple[float, float, float]:
    """Run the export command (the whole clinic, or one ``patient``) in a child process:
    (wall seconds, peak memory of its whole process tree MB, its own peak MB)."""
    who = ["--all"] if patient is None else ["--patient", str(patient)]
    command = [sys.executable, "-m", "clinic_app", "--db", str(db_path), "export", *who,
               "--format", fmt, "-o", str(out), *extra]  # fmt: skip
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tree = TreeMemory(child.pid)
    tree.start()
    _, status, _ = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    tree.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        stderr = child.stderr.read().decode() if child.stderr else ""
        raise RuntimeError(f"export --format {fmt} failed: {stderr.strip()}")
    if child.stderr:
        child.stderr.close()
    # Not ru_maxrss: a child forked from this process starts with its size (the seeded
    # clinic's rows) until it execs, which would be counted as the export's.
    return elapsed, tree.peak_mb, tree.root_peak_mb


class TreeMemory(threading.Thread):
    """Samples the summed resident memory of a process and its descendants (``/proc``,
    every :data:`SAMPLE_S`); ``peak_mb`` is the largest sum seen, ``root_peak_mb`` the
    process's own largest."""

    SAMPLE_S = 0.02

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_mb = 0.0
        self.root_peak_mb = 0.0
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.wait(self.SAMPLE_S):
            tree, root = _tree_rss_mb(self.pid)
            self.peak_mb = max(self.peak_mb, tree)
            self.root_peak_mb = max(self.root_peak_mb, root)


def _tree_rss_mb(root: int) -> tuple[float, float]:
    """Resident MB of ``root`` with its descendants, and of ``root`` alone (0 if gone)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21])  # pages
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    return sum(rss.get(pid, 0) for pid in tree) * page_mb, rss.get(root, 0) * page_mb


def measure(quick: bool) -> dict[str, float]:
    """Seed both clinics and time and weigh each clinic-wide export."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dorsilab-bench-export-") as folder:
        visits = Path(folder) / "visits.sqlite3"
        n = seed_visits_clinic(visits, quick)
        for fmt, extra, key in (
            ("json", ("--no-recordings",), "json"),
            ("csv", (), "csv"),
            ("fhir", (), "fhir"),
        ):
            _export_figures(figures, key, n, run_export(visits, Path(folder) / key, fmt, *extra))
            shutil.rmtree(Path(folder) / key)
        seconds, _, _ = run_export(visits, Path(folder) / "one", "csv", patient=1)
        figures["export_one_patient_s"] = round(seconds, 3)
        visits.unlink()
        with_recordings = Path(folder) / "recordings.sqlite3"
        n = N_QUICK if quick else N_PATIENTS
        seed(with_recordings, n)
        result = run_export(with_recordings, Path(folder) / "rec", "json")
        _export_figures(figures, "json_recordings", n, result)
        figures["export_workers"] = float(_workers(n))
    return figures


def _export_figures(
    figures: dict[str, float], key: str, n: int, result: tuple[float, float, float]
) -> None:
    seconds, tree_mb, own_mb = result
    figures[f"export_{key}_patients_per_s"] = round(n / seconds, 1)
    figures[f"export_{key}_peak_mb"] = round(tree_mb, 1)
    figures[f"export_{key}_main_peak_mb"] = round(own_mb, 1)


def _workers(n: int) -> int:
    from clinic_app.exchange.export_workers import MIN_PATIENTS, workers_for

    with tempfile.TemporaryDirectory() as folder:
        db = Database.open(Path(folder) / "probe.sqlite3", backup_on_start=False)
        try:
            return workers_for(db, max(n, MIN_PATIENTS))
        finally:
            db.close()
