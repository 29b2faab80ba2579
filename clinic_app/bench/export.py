"""Bench figures of the 'export' group: clinic-wide exports at clinic scale.

A temporary database (the real schema) is seeded with 10,000 fictional patients (1,000
with ``quick``), each with one visit of two lunge trials and one balance trial, with their
results and recordings (two 200-sample inclinometer recordings and a 500-sample plate
recording per patient). Each export runs as the real command in a child process
(``clinic-app --db … export --all --format F -o DIR``), so the figures include start-up
and the peak memory is that whole process's (its maximum resident set size).

Figures
-------
export_json_patients_per_s, export_csv_patients_per_s, export_fhir_patients_per_s
    Patients exported per second (JSON without recordings, as ``--no-recordings``).
export_json_recordings_patients_per_s
    The same for the JSON export *with* every recording (zlib and base64 of each).
export_json_recordings_peak_mb
    Peak memory of the JSON export with every recording, MB.
export_json_peak_mb, export_csv_peak_mb, export_fhir_peak_mb
    Peak memory of the JSON (no recordings), CSV and FHIR exports, MB.
export_one_patient_s
    Wall time of exporting one patient (CSV), s: the start-up and audit every export pays,
    which the patients-per-second figures include once.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

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


def run_export(
    db_path: Path, out: Path, fmt: str, *extra: str, patient: int | None = None
) -> tuple[float, float]:
    """Run the export command (the whole clinic, or one ``patient``) in a child process:
    (wall seconds, peak memory MB)."""
    who = ["--all"] if patient is None else ["--patient", str(patient)]
    command = [sys.executable, "-m", "clinic_app", "--db", str(db_path), "export", *who,
               "--format", fmt, "-o", str(out), *extra]  # fmt: skip
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        stderr = child.stderr.read().decode() if child.stderr else ""
        raise RuntimeError(f"export --format {fmt} failed: {stderr.strip()}")
    if child.stderr:
        child.stderr.close()
    return elapsed, usage.ru_maxrss / 1024.0  # Linux: kilobytes


def measure(quick: bool) -> dict[str, float]:
    """Seed the clinic and time and weigh each clinic-wide export."""
    n = N_QUICK if quick else N_PATIENTS
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dorsilab-bench-export-") as folder:
        db_path = Path(folder) / "clinic.sqlite3"
        seed(db_path, n)
        for fmt, extra, key in (
            ("json", ("--no-recordings",), "json"),
            ("csv", (), "csv"),
            ("fhir", (), "fhir"),
            ("json", (), "json_recordings"),
        ):
            seconds, peak = run_export(db_path, Path(folder) / key, fmt, *extra)
            figures[f"export_{key}_patients_per_s"] = round(n / seconds, 1)
            figures[f"export_{key}_peak_mb"] = round(peak, 1)
        seconds, _ = run_export(db_path, Path(folder) / "one", "csv", patient=1)
        figures["export_one_patient_s"] = round(seconds, 3)
    return figures
