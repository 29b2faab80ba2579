"""Write ``schema_v1_clinic.sql``: a database made by DorsiLab with schema v1, as SQL text.

The migration tests rebuild a real v1 file from this dump and open it with the current
code. It must be made by the **v1 code** (commit 6766004, before schema v2), not the
current one, e.g.::

    mkdir /tmp/dorsilab_v1
    git archive 6766004 clinic_app drivers | tar -x -C /tmp/dorsilab_v1
    cd /tmp && PYTHONPATH=/tmp/dorsilab_v1 python <checkout>/tests/storage/data/make_schema_v1.py

(run from outside the checkout so the v1 packages, not the current ones, are imported).

Every record is fictional. Kept as text (not a ``.sqlite3`` file) so it diffs and is not
ignored by git.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

import numpy as np

from clinic_app.storage import SCHEMA_VERSION, Database
from drivers.base import INCLINOMETER_DTYPE, PLATE_DTYPE

OUT = Path(__file__).with_name("schema_v1_clinic.sql")


def _inclinometer(n: int, t0: float) -> np.ndarray:
    out = np.zeros(n, dtype=INCLINOMETER_DTYPE)
    out["t_host_s"] = out["t_dev_s"] = t0 + np.arange(n) / 100.0
    out["seq"] = np.arange(n)
    out["tibia_deg"] = out["angle_x_deg"] = np.linspace(5.0, 38.0, n)
    return out


def _plate(n: int, t0: float) -> np.ndarray:
    out = np.zeros(n, dtype=PLATE_DTYPE)
    out["t_host_s"] = out["t_dev_s"] = t0 + np.arange(n) / 1000.0
    out["seq"] = np.arange(n)
    out["fz_n"] = 686.0
    out["cop_x_mm"] = np.sin(np.arange(n) / 7.0)
    out["cop_y_mm"] = np.cos(np.arange(n) / 11.0)
    return out


def build(path: Path) -> None:
    if SCHEMA_VERSION != 1:
        sys.exit(f"run this with the schema v1 code (found schema {SCHEMA_VERSION})")
    lunge = {"angle_deg": 38.0, "distance_cm": 9.5, "hold_s": 2.1, "hold_sd_deg": 0.3,
             "capture": "auto", "heel_lift": False, "pain_nrs": 1, "pain_location": "anterior",
             "site": "tibial_crest_15cm"}  # fmt: skip
    failed = {"planned_s": 20.0, "completed_s": 6.2, "time_to_failure_s": 6.2,
              "failure_reason": "touchdown", "body_mass_kg": 61.5, "metrics": None,
              "processing": None}  # fmt: skip
    with Database.open(path, backup_on_start=False, user="fixture") as db:
        ana = db.create_patient(
            {"first_name": "Ana", "last_name": "García", "birth_date": "1990-04-17",
             "record_number": "R-0001", "sex": "female", "mass_kg": 61.5}
        ).id  # fmt: skip
        zoe = db.create_patient(
            {"first_name": "Zoë", "last_name": "Ünal", "birth_date": "1984-11-02"}
        ).id
        db.set_setting("clinic_name", "Fixture Clinic")
        # A finished visit: a lunge with recordings, a failed balance trial, a plan edited once.
        done = db.create_session(ana, "Dr Kim", started_at="2026-10-01T09:00:00Z", notes="ok")
        t = db.begin_trial(done, "lunge", "left", None, 1, started_at="2026-10-01T09:01:00Z")
        db.append_recording_chunk(t, "inclinometer", _inclinometer(40, 10.0))
        db.finish_trial(t, "valid", lunge, final_samples={"plate": _plate(60, 10.0)},
                        ended_at="2026-10-01T09:01:30Z")  # fmt: skip
        t = db.begin_trial(done, "balance", "right", "ec_firm", 1,
                           started_at="2026-10-01T09:05:00Z")  # fmt: skip
        db.finish_trial(t, "failed", failed, "the lifted foot touched down",
                        final_samples={"plate": _plate(80, 50.0)},
                        ended_at="2026-10-01T09:05:30Z")  # fmt: skip
        db.save_plan(done, {"schema": 1, "status": "active", "phases": []}, "generator")
        db.save_plan(done, {"schema": 1, "status": "active", "phases": [],
                            "clinician_notes": "edited"}, "Dr Kim")  # fmt: skip
        db.finish_session(done, "complete", ended_at="2026-10-01T09:40:00Z")
        # An interrupted visit: one finished lunge, one trial cut off with a journaled chunk.
        cut = db.create_session(zoe, "Dr Kim", started_at="2026-11-20T14:00:00Z")
        t = db.begin_trial(cut, "lunge", "left", None, 1, started_at="2026-11-20T14:01:00Z")
        db.finish_trial(t, "valid", lunge, ended_at="2026-11-20T14:01:40Z")
        t = db.begin_trial(cut, "lunge", "left", None, 2, started_at="2026-11-20T14:02:00Z")
        db.append_recording_chunk(t, "inclinometer", _inclinometer(30, 70.0))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v1.sqlite3"
        build(path)
        with sqlite3.connect(path) as conn:
            text = "\n".join(conn.iterdump()) + "\n"
        conn.close()
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text)} characters)")


if __name__ == "__main__":
    main()
