"""Bench figures of the 'db' group: patient search and one patient's history.

A temporary database (the real schema, opened through :class:`Database`) is seeded with
10,000 fictional patients and 100,000 sessions with three trials each (two lunge, one
balance with a full metrics dict). Sessions are shuffled before insertion so that one
patient's visits are scattered through the file as they are after years of use; 100
"regulars" have 100 visits each, the rest about nine.

Figures
-------
db_search_ms
    Median wall time of ``search_patients(query, limit=50)`` over many different queries
    as typed: 1–3 letter name prefixes (accented and not), two-word queries, record-number
    digits and birth years.
db_history_ms
    Median wall time of ``patient_history(patient_id)`` for the regulars (100 visits, 300
    trials each, result JSON parsed).

``quick`` runs fewer repetitions on the same database size.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from clinic_app.storage import Database
from clinic_app.storage.search import search_columns

N_PATIENTS = 10_000
N_SESSIONS = 100_000
N_REGULARS = 100
REGULAR_VISITS = 100

_FIRST = [
    "Amélie",
    "Íñigo",
    "Jürgen",
    "小明",
    "Siobhán",
    "Kwame",
    "Priya",
    "Ingrid",
    "Mateus",
    "Zoë",
    "Noa",
    "Chloé",
    "Yuki",
    "José",
    "Aoife",
    "Liam",
    "Emma",
    "Noah",
    "Olivia",
    "Lucas",
    "Mia",
    "Elias",
    "Sofia",
    "Ben",
    "Hannah",
    "Omar",
    "Leila",
    "Jonas",
    "Clara",
    "Mateo",
    "Ava",
    "Felix",
    "Nora",
    "Tariq",
    "Ines",
    "Pavel",
    "Greta",
    "Ravi",
    "Ana",
]
_LAST = ["Durand", "Martínez", "Müller", "王", "O'Connor", "Mensah", "Raman", "Sørensen",
         "Gonçalves", "Quattlebaum", "Ben-David", "Lefèvre", "Tanaka", "Núñez", "Smith",
         "Johnson", "Schmidt", "Rossi", "Kowalski", "Nguyen", "Kim", "Hansen", "Novak",
         "Papadopoulos", "Silva", "Dubois", "Fischer", "Jensen", "Moreau", "Horvat", "Ivanova",
         "Yilmaz", "Costa", "Bauer", "Lindqvist", "Okafor", "Haddad", "Kaur", "Byrne",
         "Weiß"]  # fmt: skip


def _patients(rng: random.Random) -> list[tuple[Any, ...]]:
    rows = []
    now = "2026-01-01T00:00:00Z"
    for i in range(N_PATIENTS):
        last = rng.choice(_LAST)
        if rng.random() < 0.3:  # double-barrelled names
            last += "-" + rng.choice(_LAST)
        birth = f"{rng.randint(1935, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        values = {
            "first_name": rng.choice(_FIRST),
            "last_name": last,
            "birth_date": birth,
            "record_number": f"MRN-{i + 1:06d}",
        }
        derived = search_columns(values)
        rows.append(
            (i + 1, values["record_number"], values["first_name"], values["last_name"],
             values["birth_date"], rng.choice(("female", "male")), 170.0, 68.0,
             derived["search_text"], derived["sort_name"], now, now,
             now if rng.random() < 0.02 else None)
        )  # fmt: skip
    return rows


def bench_rows(
    rng: random.Random,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[int]]:
    """The fictional clinic: patients, sessions and trials rows, and the regulars' ids.

    Patients ``(id, record_number, first_name, last_name, birth_date, sex, height_cm,
    mass_kg, search_text, sort_name, created_at, updated_at, deleted_at)``; sessions
    ``(id, patient_id, started_at, ended_at, examiner, status, created_at, updated_at)``;
    trials ``(session_id, protocol, side, condition, result, started_at, ended_at)``.
    """
    patients = _patients(rng)
    regulars = list(range(1, N_REGULARS + 1))
    owners = [p for p in regulars for _ in range(REGULAR_VISITS)]
    owners += [rng.randint(N_REGULARS + 1, N_PATIENTS) for _ in range(N_SESSIONS - len(owners))]
    rng.shuffle(owners)
    sessions, trials = [], []
    lunge = {"angle_deg": 41.3, "distance_cm": 10.4, "hold_s": 2.1, "hold_sd_deg": 0.31,
             "capture": "auto", "heel_lift": False, "pain_nrs": 2,
             "pain_location": "posterior", "site": "tibial_crest_15cm"}  # fmt: skip
    metric_keys = (
        "n", "fs_hz", "duration_s", "path_length_cm", "mean_velocity_cm_s",
        "mean_velocity_ap_cm_s", "mean_velocity_ml_cm_s", "mean_distance_cm",
        "rms_distance_cm", "range_ap_cm", "range_ml_cm", "ellipse_area_95_cm2",
        "sway_area_cm2_s", "mean_frequency_hz", "mean_power_frequency_hz")  # fmt: skip
    metrics = dict.fromkeys(metric_keys, 1.234)
    balance = {"planned_s": 10.0, "completed_s": 10.0, "time_to_failure_s": None,
               "failure_reason": None, "body_mass_kg": 70.0, "metrics": metrics,
               "processing": {"filter": "butterworth zero-lag 4th order 10 Hz",
                              "fs_hz": 100.0, "trim_s": [0, 0]}}  # fmt: skip
    lunge_json, balance_json = json.dumps(lunge), json.dumps(balance)
    for session_id, patient_id in enumerate(owners, start=1):
        day = f"20{10 + session_id * 16 // N_SESSIONS:02d}-{rng.randint(1, 12):02d}-" + (
            f"{rng.randint(1, 28):02d}T09:00:00Z"
        )
        sessions.append((session_id, patient_id, day, day, "Examiner", "complete", day, day))
        trials += [
            (session_id, "lunge", "left", None, lunge_json, day, day),
            (session_id, "lunge", "right", None, lunge_json, day, day),
            (session_id, "balance", "left", "eo_firm", balance_json, day, day),
        ]
    return patients, sessions, trials, regulars


def _seed(path: Path, rng: random.Random) -> list[int]:
    """Fill the database; return the ids of the regulars."""
    Database.open(path, backup_on_start=False).close()  # the real schema
    patients, sessions, trials, regulars = bench_rows(rng)
    insert_rows(path, patients, sessions, trials)
    return regulars


def insert_rows(
    path: Path,
    patients: list[tuple[Any, ...]],
    sessions: list[tuple[Any, ...]],
    trials: list[tuple[Any, ...]],
) -> None:
    """Insert :func:`bench_rows`' rows into the database at ``path`` (its schema made) and
    update the query planner's statistics."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")  # a throw-away file: seed fast
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO patients (id, record_number, first_name, last_name, birth_date, sex,"
        " height_cm, mass_kg, search_text, sort_name, created_at, updated_at, deleted_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        patients,
    )
    conn.executemany(
        "INSERT INTO sessions (id, patient_id, started_at, ended_at, examiner, status,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        sessions,
    )
    conn.executemany(
        "INSERT INTO trials (session_id, protocol, side, condition, attempt, practice, status,"
        " result, started_at, ended_at) VALUES (?, ?, ?, ?, 1, 0, 'valid', ?, ?, ?)",
        trials,
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _queries(rng: random.Random, n: int) -> list[str]:
    queries = []
    for i in range(n):
        name = rng.choice(_LAST + _FIRST)
        kind = i % 6
        if kind in (0, 1, 2):
            queries.append(name[: kind + 1])  # typing a name: 1, 2, 3 letters
        elif kind == 3:
            queries.append(f"{rng.choice(_LAST)[:3]} {rng.choice(_FIRST)[:2]}".lower())
        elif kind == 4:
            queries.append(f"{rng.randint(0, 9999):04d}")  # record-number digits
        else:
            queries.append(str(rng.randint(1935, 2015)))  # birth year
    return queries


def _median_ms(calls: list[float]) -> float:
    return round(statistics.median(calls) * 1000.0, 3)


def measure(quick: bool) -> dict[str, float]:
    """Seed the 10,000-patient / 100,000-session database and time search and history."""
    rng = random.Random(20261124)
    with tempfile.TemporaryDirectory(prefix="dorsilab-bench-db-") as folder:
        path = Path(folder) / "bench.sqlite3"
        regulars = _seed(path, rng)
        with Database.open(path, backup_on_start=False) as db:
            search_ms, history_ms = time_search_and_history(db, rng, regulars, quick)
    return {"db_search_ms": search_ms, "db_history_ms": history_ms}


def time_search_and_history(
    db: Database, rng: random.Random, regulars: list[int], quick: bool
) -> tuple[float, float]:
    """Median ms of ``search_patients`` over typed queries and of ``patient_history``."""
    searches = _queries(rng, 60 if quick else 300)
    for query in searches[:10]:  # warm the caches as a running app has them
        db.search_patients(query)
    search_times = []
    for query in searches:
        start = time.perf_counter()
        db.search_patients(query, limit=50)
        search_times.append(time.perf_counter() - start)
    history_times = []
    for patient_id in regulars[: 20 if quick else N_REGULARS]:
        start = time.perf_counter()
        history = db.patient_history(patient_id)
        history_times.append(time.perf_counter() - start)
        assert len(history) == REGULAR_VISITS
    return _median_ms(search_times), _median_ms(history_times)
