"""``clinic-app analyze``: the published numbers, the JSON contract, one-line errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_app.analysis.sway import JSON_KEYS
from clinic_app.cli import main
from tests.conftest import TEST_DATA

BALANCE = TEST_DATA / "balance"
with (BALANCE / "reference_metrics.tsv").open(encoding="utf-8") as _fh:
    REFERENCE = {r["trial"]: r for r in csv.DictReader(_fh, delimiter="\t")}


@pytest.mark.parametrize("trial", sorted(REFERENCE))
def test_json_prints_the_published_metrics(trial: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(BALANCE / f"{trial}.txt"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data)[: len(JSON_KEYS)] == list(JSON_KEYS)
    ref = REFERENCE[trial]
    assert data["ellipse_area_95_cm2"] == pytest.approx(float(ref["COParea_cm2"]), rel=1e-6)
    assert data["mean_velocity_cm_s"] == pytest.approx(float(ref["COPvelo_cm_s"]), rel=1e-6)
    assert data["mean_power_frequency_hz"] == pytest.approx(float(ref["COPmfreq_hz"]), rel=1e-6)
    assert (data["n"], data["fs_hz"], data["duration_s"]) == (6000, 100.0, 60.0)
    assert data["processing"]["filter"] == "none (as recorded)"
    assert data["source"] == {"file": f"{trial}.txt", "format": "bds"}


def test_table_is_readable_and_shows_the_published_digits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyze", str(BALANCE / "BDS00001.txt")]) == 0
    out = capsys.readouterr().out
    assert "95 % prediction ellipse area (cm²)" in out and "0.944692" in out
    assert "mean velocity (cm/s)" in out and "0.62019" in out
    assert "mean power frequency (Hz)" in out and "0.256576" in out
    assert "filter: none (as recorded)" in out


def test_filter_and_trim_options_are_applied_and_recorded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [
        "analyze",
        str(BALANCE / "BDS00010.txt"),
        "--json",
        "--lowpass",
        "5",
        "--trim",
        "5",
        "5",
    ]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n"] == 5000 and data["processing"]["trim_s"] == [5.0, 5.0]
    assert data["processing"]["filter"] == "butterworth zero-lag 4th order 5 Hz"
    assert data["mean_velocity_cm_s"] < 2.067  # less high-frequency path after a 5 Hz filter


def test_csv_with_fs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = BALANCE.joinpath("BDS00001.txt").read_text(encoding="utf-8").splitlines()[1:]
    path = tmp_path / "cop.csv"
    rows = ["cop_ap[cm],cop_ml[cm]"] + [",".join(line.split("\t")[7:9]) for line in lines]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "--fs", "100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ellipse_area_95_cm2"] == pytest.approx(
        float(REFERENCE["BDS00001"]["COParea_cm2"]), rel=1e-6
    )


def test_bad_file_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("t,cop_x[mm],cop_y[mm]\n0.00,1,2\n0.01,1,oops\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "clinic_app", "analyze", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "clinic-app: error: bad.csv, line 3, column 'cop_y[mm]': 'oops' is not a number"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--fs", "-3"], "--fs must be a positive rate"),
     (["--lowpass", "80"], "half the sampling rate"),
     (["--trim", "30", "30"], "leaves too little")],
)  # fmt: skip
def test_bad_options_are_user_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(BALANCE / "BDS00001.txt"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt: no such file" in capsys.readouterr().err


def test_c3d_force_platform(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from tests.exchange.c3d_fixtures import PlateSpec, write_lab_c3d

    t = np.arange(12000) / 1000.0
    ap = 20 + 6 * np.sin(2 * np.pi * 0.4 * t)  # 1.2 cm peak to peak, along lab X (anterior)
    ml = -10 + 9 * np.cos(2 * np.pi * 0.25 * t)  # 1.8 cm
    path = write_lab_c3d(tmp_path / "stance.c3d", [PlateSpec(np.full(t.size, 700.0), ap, ml)])
    assert main(["analyze", str(path), "--format", "c3d", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["n"], data["fs_hz"], data["source"]["format"]) == (12000, 1000.0, "c3d")
    assert data["range_ap_cm"] == pytest.approx(1.2, rel=1e-3)
    assert data["range_ml_cm"] == pytest.approx(1.8, rel=1e-2)


def test_a_walking_stance_is_refused_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from tests.exchange.c3d_fixtures import PlateSpec, gait_stance, write_lab_c3d

    n = 2000
    spec = PlateSpec(gait_stance(n, 700, 580), np.linspace(-80, 120, n), np.zeros(n))
    path = write_lab_c3d(tmp_path / "gait.c3d", [spec], vertical="Y")
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("clinic-app: error: gait.c3d: not a balance trial: the force plate ")
    assert "0.58 s" in err and "stance phase of walking" in err and len(err.splitlines()) == 1
