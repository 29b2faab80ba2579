"""Bench figure ``report_ms``: clinician report + patient handout of a full session with history.

The fixture database is built in a temporary folder through the storage API: one patient,
four visits over twelve weeks, each with practice + 3 lunge trials per side (200 Hz
inclinometer recordings) and 3 single-leg balance trials per side in two conditions (100 Hz
plate recordings cut from the real quiet-standing COP packaged in ``drivers/data``, Santos &
Duarte 2016, CC BY 4.0; scaled up for single-leg sway, a fixture assumption). Sway metrics are
computed by :mod:`clinic_app.analysis.sway`, so the stored numbers match the recordings.
"""

from __future__ import annotations

import io
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

import drivers
from clinic_app.analysis.sway import sway_metrics
from clinic_app.storage import Database
from drivers.base import INCLINOMETER_DTYPE, PLATE_DTYPE

SWAY_SCALE = {"eo_firm": 2.5, "ec_firm": 4.0}
"""Fixture assumption: single-leg sway as a multiple of the bipedal recordings."""


def _inclinometer(angle: float, rng: np.random.Generator, fs: float = 200.0) -> np.ndarray:
    t = np.arange(0.0, 6.0, 1.0 / fs)
    ramp = np.clip(t / 3.0, 0.0, 1.0)
    samples = np.zeros(t.size, dtype=INCLINOMETER_DTYPE)
    samples["t_host_s"] = 1000.0 + t
    samples["seq"] = np.arange(t.size)
    samples["t_dev_s"] = np.nan
    samples["tibia_deg"] = angle * (3 * ramp**2 - 2 * ramp**3) + rng.normal(0, 0.15, t.size)
    samples["angle_x_deg"] = samples["tibia_deg"]
    samples["angle_y_deg"] = rng.normal(0, 0.3, t.size)
    samples["angle_z_deg"] = np.nan
    return samples


def _plate(cop: np.ndarray, start: int, scale: float, n: int = 1000) -> np.ndarray:
    seg = cop[:, start : start + n] * scale
    samples = np.zeros(n, dtype=PLATE_DTYPE)
    samples["t_host_s"] = 2000.0 + np.arange(n) / 100.0
    samples["seq"] = np.arange(n)
    samples["t_dev_s"] = np.nan
    samples["fz_n"] = 690.0
    samples["cop_x_mm"] = (seg[0] - seg[0].mean()) * 10.0
    samples["cop_y_mm"] = (seg[1] - seg[1].mean()) * 10.0
    return samples


def _stamp(day: datetime) -> str:
    return day.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_fixture_db(
    path: Path, *, visits: int = 4, name: tuple[str, str] = ("Zoë", "Núñez 王")
) -> tuple[int, list[int]]:
    """Create a database at ``path`` with one patient and ``visits`` complete sessions.

    Returns
    -------
    patient_id, session_ids
    """
    rng = np.random.default_rng(7)
    data = np.load(Path(drivers.__file__).parent / "data" / "bds00001_cop.npz")
    cop = np.vstack([data["cop_x_cm"], data["cop_y_cm"]]).astype(np.float64)
    first = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    sessions: list[int] = []
    with Database.open(path, backup_on_start=False, user="bench") as db:
        db.set_setting("clinic_name", "Clínica del Río · 河畔诊所")
        db.set_setting("clinic_address", "Calle Añil 3, 28001 Madrid")
        patient = db.create_patient(
            {
                "first_name": name[0],
                "last_name": name[1],
                "birth_date": "1991-05-02",
                "sex": "female",
                "involved_side": "left",
                "dominant_leg": "right",
                "mass_kg": 61.0,
                "height_cm": 168.0,
                "weekly_km": 35.0,
                "record_number": "MRN-0042",
            }
        )
        for visit in range(visits):
            day = first + timedelta(weeks=4 * visit)
            sid = db.create_session(patient.id, "Dr. Ünal", started_at=_stamp(day))
            # The left side improves for four visits, then holds (a long history stays
            # plausible: 50 visits must not grow a 50 cm lunge).
            left_d, left_a = min(7.0 + 0.9 * visit, 10.6), min(33.0 + 1.8 * visit, 40.2)
            for side, dist, angle in (("left", left_d, left_a), ("right", 11.6, 44.0)):
                for attempt, practice in ((1, True), (1, False), (2, False), (3, False)):
                    a = angle + rng.normal(0, 0.6) - (2.0 if practice else 0.0)
                    d = round(dist + rng.normal(0, 0.2), 1)
                    pain = 3 if side == "left" and visit == 0 else 0
                    tid = db.begin_trial(
                        sid, "lunge", side, None, attempt, practice, started_at=_stamp(day)
                    )
                    db.finish_trial(
                        tid,
                        "valid",
                        {
                            "angle_deg": round(a, 1),
                            "distance_cm": d,
                            "hold_s": 2.0,
                            "hold_sd_deg": 0.2,
                            "capture": "auto",
                            "heel_lift": False,
                            "pain_nrs": pain,
                            "pain_location": "posterior" if pain else "none",
                            "site": "tibial_crest_15cm",
                        },
                        final_samples={"inclinometer": _inclinometer(a, rng)},
                        ended_at=_stamp(day),
                    )
            for cond, scale in SWAY_SCALE.items():
                for side in ("left", "right"):
                    worse = max(1.5 - 0.12 * visit, 1.14) if side == "left" else 1.0
                    for attempt in (1, 2, 3):
                        plate = _plate(cop, int(rng.integers(0, 4900)), scale * worse)
                        metrics = sway_metrics(
                            plate["cop_y_mm"] / 10, plate["cop_x_mm"] / 10, 100.0
                        ).to_json()
                        tid = db.begin_trial(
                            sid, "balance", side, cond, attempt, started_at=_stamp(day)
                        )
                        db.finish_trial(
                            tid,
                            "valid",
                            {
                                "planned_s": 10.0,
                                "completed_s": 10.0,
                                "time_to_failure_s": None,
                                "failure_reason": None,
                                "body_mass_kg": 61.0,
                                "metrics": metrics,
                                "processing": {
                                    "filter": "butterworth zero-lag 4th order 10 Hz",
                                    "fs_hz": 100.0,
                                    "trim_s": [0, 0],
                                },
                            },
                            final_samples={"plate": plate},
                            ended_at=_stamp(day),
                        )
            db.finish_session(sid, ended_at=_stamp(day + timedelta(hours=1)))
            sessions.append(sid)
    return patient.id, sessions


def _times(db_path: Path, patient_id: int, runs: int) -> list[float]:
    """Milliseconds to gather the data and build both PDFs, per run (warm after the first)."""
    from clinic_app.reports import build_clinician_report, build_handout
    from clinic_app.reports.source import load_report_data

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with Database.open(db_path, backup_on_start=False) as db:
            data = load_report_data(db, patient_id)
        build_clinician_report(data, io.BytesIO())
        build_handout(data, io.BytesIO())
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def measure(quick: bool) -> dict[str, float]:
    """Median time to gather the data and build both PDFs (warm process), in ms.

    ``report_ms`` is the four-visit patient; ``report_50_visits_ms`` (full runs only) the same
    patient with fifty visits, so a report's growth with the history shows (issue 18 §2).
    """
    with tempfile.TemporaryDirectory(prefix="dorsilab-bench-report-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        patient_id, _ = build_fixture_db(db_path)
        times = _times(db_path, patient_id, 3 if quick else 7)
        figures = {"report_ms": statistics.median(times[1:]), "report_first_ms": times[0]}
        if not quick:
            long_path = Path(tmp) / "bench-50.sqlite3"
            long_id, _ = build_fixture_db(long_path, visits=50)
            figures["report_50_visits_ms"] = statistics.median(_times(long_path, long_id, 7)[1:])
    return figures
