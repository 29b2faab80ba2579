"""Recordings from another plate become balance trials: read by the recording readers,
scored by the real pipeline with the clinic's processing, stored as PLATE_DTYPE samples,
all or nothing."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from clinic_app.analysis.norms import load_norms
from clinic_app.analysis.pipeline import sway_from_cop
from clinic_app.analysis.session import interpret_session, summarize_session
from clinic_app.commands import AppContext, importrecording
from clinic_app.errors import UserError
from clinic_app.exchange.collect import collect_patient
from clinic_app.exchange.import_recording import RecordingImportError, import_recording
from clinic_app.exchange.raw import write_raw_recordings
from clinic_app.exchange.recordings import read_recording
from clinic_app.storage import Database
from drivers.base import PLATE_DTYPE
from tests.conftest import TEST_DATA

BDS = TEST_DATA / "balance" / "BDS00001.txt"
BDS10 = TEST_DATA / "balance" / "BDS00010.txt"


def _counts(db: Database) -> tuple[int, int, int]:
    sessions = [s for p in db.search_patients("", limit=None) for s in db.list_sessions(p.id)]
    trials = sum(len(db.trials_for_session(s.id)) for s in sessions)
    return len(sessions), trials, len(db.audit_entries())


def _clinic_metrics(path: Path):
    norms = load_norms()
    rec = read_recording(path)
    return sway_from_cop(
        rec.cop_ap_cm, rec.cop_ml_cm, fs_hz=rec.fs_hz, t_s=rec.t_s, uniform=rec.uniform,
        lowpass_hz=norms.value("balance.lowpass_hz"),
        filter_order=int(norms.value("balance.lowpass_order")),
    )  # fmt: skip


def test_balance_data_set_file_becomes_a_trial_of_a_new_visit(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    visits_before = len(db.list_sessions(patient_id))
    done = import_recording(
        db, patient_id, BDS, side="left", condition="eo_firm", examiner="Dr. Léa Moreau"
    )
    assert done.created_session and done.attempt == 1
    session = db.get_session(done.session_id)
    assert session.status == "complete" and session.examiner == "Dr. Léa Moreau"
    assert len(db.list_sessions(patient_id)) == visits_before + 1
    trial = db.get_trial(done.trial_id)
    assert (trial.protocol, trial.side, trial.condition, trial.status) == (
        "balance", "left", "eo_firm", "valid",
    )  # fmt: skip
    assert trial.result is not None
    assert trial.result["source"]["file"] == "BDS00001.txt"
    assert trial.result["body_mass_kg"] == 61.5
    # The same pipeline and clinic processing as a live trial.
    expected = _clinic_metrics(BDS)
    assert trial.result["metrics"]["mean_velocity_cm_s"] == pytest.approx(
        expected.mean_velocity_cm_s
    )
    assert "10 Hz" in trial.result["processing"]["filter"]
    # Real data, sanity: the published velocity of this trial (reference_metrics.tsv,
    # unfiltered 0.620 cm/s) is only a little above the 10 Hz filtered one.
    assert 0.55 < expected.mean_velocity_cm_s <= 0.621
    samples = db.load_recording(done.trial_id, "plate")
    rec = read_recording(BDS)
    assert samples.dtype == PLATE_DTYPE and len(samples) == rec.n
    assert np.allclose(samples["cop_x_mm"], rec.cop_ml_cm * 10.0)
    assert np.allclose(samples["cop_y_mm"], rec.cop_ap_cm * 10.0)
    assert np.allclose(samples["t_dev_s"], rec.t_s) and np.isnan(samples["tr_n"]).all()
    audit = db.audit_entries("trial", done.trial_id)
    assert audit[0].action == "import" and audit[0].details["file"] == "BDS00001.txt"


def test_added_to_the_visit_in_progress_it_counts_in_the_summary_and_the_change(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    first = db.patient_history(patient_id)[0]
    session_id = db.create_session(patient_id, "Dr Ana Ruiz", started_at="2026-11-20T09:00:00Z")
    a = import_recording(
        db, patient_id, BDS, side="left", condition="eo_firm", session_id=session_id
    )
    b = import_recording(
        db, patient_id, BDS10, side="left", condition="eo_firm", session_id=session_id
    )
    assert not a.created_session and (a.attempt, b.attempt) == (1, 2)
    assert db.get_session(session_id).status == "in_progress"
    assert db.get_trial(a.trial_id).started_at == "2026-11-20T09:00:00Z"
    visit = db.patient_history(patient_id)[-1]
    summary = summarize_session([dataclasses.asdict(t) for t in visit.trials])
    cond = summary.balance["left"]["eo_firm"]
    mean = (a.metrics.mean_velocity_cm_s + b.metrics.mean_velocity_cm_s) / 2
    assert cond.metrics_mean["mean_velocity_cm_s"] == pytest.approx(mean)
    before = summarize_session([dataclasses.asdict(t) for t in first.trials])
    change = next(
        c
        for c in interpret_session(summary, before).changes
        if (c.side, c.condition) == ("left", "eo_firm")
    )
    assert change.delta == pytest.approx(mean - 3.15)  # conftest's visit 1: 3.15 cm/s
    assert change.verdict.status == "no_mdc"  # eyes open: no published MDC


def test_a_finished_visit_is_closed_to_imports(clinic_db: tuple[Database, int]) -> None:
    db, patient_id = clinic_db
    finished = db.list_sessions(patient_id)[0]
    before = _counts(db)
    with pytest.raises(RecordingImportError, match="is complete"):
        import_recording(
            db, patient_id, BDS, side="left", condition="eo_firm", session_id=finished.id
        )
    assert _counts(db) == before


def _long_plate_trial(db: Database, patient_id: int, seconds: float = 12.0) -> int:
    """A visit with one balance trial long enough to be one (the fixture's are 2 s)."""
    from tests.exchange.conftest import _plate

    session_id = db.create_session(patient_id, "Dr Ana Ruiz", started_at="2026-11-02T09:00:00Z")
    trial_id = db.begin_trial(session_id, "balance", "right", "eo_foam", 1)
    db.finish_trial(
        trial_id, "valid", {"planned_s": seconds, "completed_s": seconds},
        final_samples={"plate": _plate(int(seconds * 1000), seed=9)},
    )  # fmt: skip
    db.finish_session(session_id, "complete")
    return trial_id


def test_dorsilab_c3d_and_csv_exports_import_back_to_the_same_metrics(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    trial_id = _long_plate_trial(db, patient_id)
    written = write_raw_recordings(tmp_path, collect_patient(db, patient_id))
    c3d = next(
        p for p in written if p.name.startswith(f"trial-{trial_id}-") and p.suffix == ".c3d"
    )
    csv = c3d.with_suffix(".csv")
    session_id = db.create_session(patient_id, "X")
    a = import_recording(
        db, patient_id, c3d, side="right", condition="eo_foam", session_id=session_id
    )
    b = import_recording(
        db, patient_id, csv, side="right", condition="eo_foam", session_id=session_id
    )
    assert b.attempt == 2
    assert a.metrics.mean_velocity_cm_s == pytest.approx(_clinic_metrics(c3d).mean_velocity_cm_s)
    assert b.metrics.mean_velocity_cm_s == pytest.approx(_clinic_metrics(csv).mean_velocity_cm_s)
    # The fixture's first 3 samples have no COP (NaN) under full load: the CSV leaves them
    # empty and the reader drops them; the C3D carries 0 there. Otherwise the same data.
    assert (a.metrics.n, b.metrics.n) == (12000, 11997)
    assert a.metrics.mean_velocity_cm_s == pytest.approx(b.metrics.mean_velocity_cm_s, rel=0.02)
    assert a.metrics.ellipse_area_95_cm2 == pytest.approx(b.metrics.ellipse_area_95_cm2, rel=0.02)
    assert any("vertical: lab +Z" in note for note in a.notes)


def test_short_or_walking_recordings_are_not_imported(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    """The fixture's 2 s plate trials, exported, are too short to be balance trials."""
    db, patient_id = clinic_db
    written = write_raw_recordings(tmp_path, collect_patient(db, patient_id))
    c3d = next(p for p in written if p.suffix == ".c3d")
    before = _counts(db)
    with pytest.raises(
        RecordingImportError,
        match=r"not a balance trial: the force plate carries a load for only 2.00 s .* a balance "
        r"trial needs at least 10 s of steady single-leg load",
    ):
        import_recording(db, patient_id, c3d, side="left", condition="eo_firm")
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"side": "middle"}, "side must be left or right"),
        ({"condition": "eyes_shut"}, "condition must be one of"),
        ({"patient_id": 999}, "no patient with id 999"),
        ({"session_id": 424242}, "no visit with id 424242"),
        ({"path": Path("/nonexistent/trial.c3d")}, "trial.c3d: no such file"),
    ],
)
def test_bad_requests_write_nothing(
    change: dict[str, object], message: str, clinic_db: tuple[Database, int]
) -> None:
    db, patient_id = clinic_db
    args: dict[str, object] = {"patient_id": patient_id, "path": BDS, "side": "left",
                               "condition": "eo_firm"}  # fmt: skip
    args.update(change)
    before = _counts(db)
    with pytest.raises(RecordingImportError, match=message):
        import_recording(db, **args)  # type: ignore[arg-type]
    assert _counts(db) == before


def test_visit_of_another_patient_is_refused(clinic_db: tuple[Database, int]) -> None:
    db, patient_id = clinic_db
    other = db.create_patient({"first_name": "Ola", "last_name": "Nordmann",
                               "birth_date": "1980-01-01"})  # fmt: skip
    session_id = db.list_sessions(patient_id)[0].id
    before = _counts(db)
    with pytest.raises(RecordingImportError, match="belongs to another patient"):
        import_recording(
            db, other.id, BDS, side="left", condition="eo_firm", session_id=session_id
        )
    assert _counts(db) == before


def test_too_slow_or_broken_recordings_write_nothing(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    slow = tmp_path / "slow.csv"
    t = np.arange(200) / 20.0  # 20 Hz: below the 50 Hz hard floor
    slow.write_text(
        "time,cop_x_mm,cop_y_mm\n"
        + "".join(f"{ti:.3f},{np.sin(ti):.3f},{np.cos(ti):.3f}\n" for ti in t),
        encoding="utf-8",
    )
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "time,cop_x_mm,cop_y_mm\n0.00,1,2\n0.01,1,oops\n0.02,1,2\n", encoding="utf-8"
    )
    before = _counts(db)
    with pytest.raises(RecordingImportError, match="20 Hz, below the 50 Hz"):
        import_recording(db, patient_id, slow, side="left", condition="eo_firm")
    with pytest.raises(RecordingImportError, match=r"broken.csv, line 3"):
        import_recording(db, patient_id, broken, side="left", condition="eo_firm")
    assert _counts(db) == before


def _command(argv: list[str], db_path: Path) -> int:
    """The ``import-recording`` sub-command as the CLI runs it (registered by the lead)."""
    parser = argparse.ArgumentParser()
    importrecording.register(parser.add_subparsers())
    args = parser.parse_args(["import-recording", *argv])
    try:
        return int(args.func(args, AppContext(db_path=db_path, demo=False)))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def test_import_recording_command(
    clinic_db: tuple[Database, int], capsys: pytest.CaptureFixture[str]
) -> None:
    db, patient_id = clinic_db
    argv = [str(BDS), "--patient", str(patient_id), "--side", "right", "--condition", "ec_foam"]
    assert _command([*argv, "--examiner", "Dr. Léa Moreau"], db.path) == 0
    out = capsys.readouterr().out
    assert "in new visit" in out and "cm/s" in out
    before = _counts(db)
    assert _command([argv[0], "--patient", "777", *argv[3:]], db.path) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "777" in err
    assert _command([str(BDS.with_name("missing.txt")), *argv[1:]], db.path) == 2
    assert "missing.txt: no such file" in capsys.readouterr().err
    assert _counts(db) == before
