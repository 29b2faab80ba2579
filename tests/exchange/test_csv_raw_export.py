"""Trials CSV and raw recordings (CSV per trial and device, C3D per plate trial) read back
with the csv module, numpy, ezc3d and DorsiLab's own recording readers."""

from __future__ import annotations

import csv
from pathlib import Path

import ezc3d
import numpy as np
import pytest

from clinic_app.exchange.collect import collect_patient
from clinic_app.exchange.csv_format import write_trials_csv
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.exchange.raw import write_raw_recordings
from clinic_app.exchange.recordings import read_recording
from clinic_app.storage import Database

SALT = b"0123456789abcdef-test-salt"


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_trials_csv_has_one_row_per_trial_with_its_results(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    path = tmp_path / "trials.csv"
    assert write_trials_csv(path, [collect_patient(db, patient_id, recordings=False)]) == 20
    header, rows = _read_csv(path)
    assert len(rows) == 20
    assert {"patient_id", "last_name", "angle_deg", "metric_mean_velocity_cm_s"} <= set(header)
    assert all(r["last_name"] == "Núñez 中文" and r["first_name"] == "Zoë" for r in rows)
    lunge = [r for r in rows if r["protocol"] == "lunge"]
    assert len(lunge) == 12 and all(
        r["condition"] == "" and r["metric_fs_hz"] == "" for r in lunge
    )
    first = next(r for r in lunge if r["side"] == "left" and r["attempt"] == "1")
    stored = {t.id: t for h in db.patient_history(patient_id) for t in h.trials}
    trial = stored[int(first["trial_id"])]
    assert trial.result is not None
    assert float(first["angle_deg"]) == trial.result["angle_deg"]
    assert first["heel_lift"] == "0" and first["pain_location"] == "posterior"
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 4
    assert all(
        r["failure_reason"] == "touchdown" and r["metric_mean_velocity_cm_s"] == "" for r in failed
    )
    valid_balance = [r for r in rows if r["protocol"] == "balance" and r["status"] == "valid"]
    assert all(float(r["metric_mean_velocity_cm_s"]) == 3.15 for r in valid_balance)
    assert not list(tmp_path.glob("*.part"))


def test_deidentified_trials_csv_drops_names_and_replaces_ids(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    pseudo = Pseudonymizer(SALT)
    path = tmp_path / "trials.csv"
    write_trials_csv(path, [collect_patient(db, patient_id, recordings=False)], pseudo)
    text = path.read_text(encoding="utf-8")
    for secret in ("Zoë", "Núñez", "MRN-0042", "1991-03-14"):
        assert secret not in text
    header, rows = _read_csv(path)
    assert not {"first_name", "last_name", "record_number"} & set(header)
    assert {r["patient_id"] for r in rows} == {
        pseudo.pseudonym("patient", db.get_patient(patient_id).uid)
    }
    assert not {"patient_uid", "session_uid", "trial_uid"} & set(header)
    assert all(r["trial_id"].startswith("t-") and r["session_id"].startswith("s-") for r in rows)


def test_raw_csv_per_trial_and_device_reads_back_exactly(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    bundle = collect_patient(db, patient_id)
    written = write_raw_recordings(tmp_path / "raw", bundle)
    csvs = [p for p in written if p.suffix == ".csv"]
    c3ds = [p for p in written if p.suffix == ".c3d"]
    recordings = [
        (item, device, samples)
        for s in bundle.sessions
        for item in s.trials
        for device, samples in item.recordings.items()
    ]
    assert len(csvs) == len(recordings) == 2 * (6 + 2)  # failed trials have no recording
    assert len(c3ds) == sum(device == "plate" for _, device, _ in recordings) == 4
    for item, device, samples in recordings:
        session_dir = tmp_path / "raw" / f"session-{item.trial.session_id}"
        parts = [f"trial-{item.trial.id}", item.trial.protocol, item.trial.side]
        path = session_dir / (
            "-".join([*parts, *filter(None, [item.trial.condition]), device]) + ".csv"
        )
        assert path in csvs
        header, rows = _read_csv(path)
        assert header == list(samples.dtype.names)
        assert len(rows) == len(samples)
        for name in samples.dtype.names:
            back = np.array([float(r[name]) if r[name] else np.nan for r in rows])
            assert np.allclose(back, samples[name], atol=1e-6, equal_nan=True), name


def test_c3d_reads_back_with_ezc3d_and_the_recording_reader(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    bundle = collect_patient(db, patient_id)
    written = write_raw_recordings(tmp_path / "raw", bundle)
    c3d_path = next(p for p in written if p.suffix == ".c3d")
    trial_id = int(c3d_path.name.split("-")[1])
    samples = db.load_recording(trial_id, "plate")
    c3d = ezc3d.c3d(str(c3d_path))
    analog = c3d["parameters"]["ANALOG"]
    labels = [label.strip() for label in analog["LABELS"]["value"]]
    assert labels == ["Fx", "Fy", "Fz", "Mx", "My", "Mz", "COPx", "COPy", "TR", "BR", "TL", "BL"]
    assert analog["RATE"]["value"][0] == pytest.approx(1000.0)
    data = c3d["data"]["analogs"][0]
    assert data.shape == (12, len(samples))
    fz = data[labels.index("Fz")]
    assert np.allclose(fz, samples["fz_n"], atol=1e-3)
    loaded = np.isfinite(samples["cop_x_mm"])
    cop_x, cop_y = data[labels.index("COPx")], data[labels.index("COPy")]
    assert np.allclose(cop_x[loaded], samples["cop_x_mm"][loaded], atol=1e-3)
    # Moments of a plate with its origin on the surface: COPx = −My/Fz, COPy = Mx/Fz.
    my, mx = data[labels.index("My")], data[labels.index("Mx")]
    assert np.allclose(-my[loaded] / fz[loaded], cop_x[loaded], atol=1e-3)
    assert np.allclose(mx[loaded] / fz[loaded], cop_y[loaded], atol=1e-3)
    # DorsiLab reads its own export back for analysis (COP in cm).
    recording = read_recording(c3d_path)
    assert recording.fs_hz == pytest.approx(1000.0)
    tail = slice(-100, None)
    assert np.allclose(recording.cop_ml_cm[tail], samples["cop_x_mm"][tail] / 10.0, atol=1e-4)
    assert np.allclose(recording.cop_ap_cm[tail], samples["cop_y_mm"][tail] / 10.0, atol=1e-4)


def test_deidentified_raw_export_names_folders_by_pseudonym(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    pseudo = Pseudonymizer(SALT)
    bundle = collect_patient(db, patient_id)
    written = write_raw_recordings(tmp_path / "raw", bundle, pseudo)
    session_ids = {s.session.uid for s in bundle.sessions}
    trial_ids = {t.trial.id for s in bundle.sessions for t in s.trials}
    for path in written:
        session_part, name = path.parent.name, path.name
        assert session_part in {f"session-{pseudo.pseudonym('session', i)}" for i in session_ids}
        assert name.split("-")[1] == "t" and name.startswith("trial-t-")
        assert not any(f"trial-{i}-" in name for i in trial_ids)
