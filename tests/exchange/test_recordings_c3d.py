"""C3D files from other laboratories: plates found from FORCE_PLATFORM, the vertical from the
plate's normal, AP/ML from the laboratory's X-anterior convention, checked against the
centre of pressure each file was made from and against ezc3d's own force-platform filter."""

from __future__ import annotations

from pathlib import Path

import ezc3d
import numpy as np
import pytest

from clinic_app.exchange.recordings import (
    RecordingError,
    detect_format,
    read_balance_trial,
    read_recording,
)
from clinic_app.exchange.recordings.bds import read_bds
from tests.conftest import TEST_DATA
from tests.exchange.c3d_fixtures import PlateSpec, gait_stance, stance, write_lab_c3d

N = 12000  # 12 s at 1 kHz: longer than the 10 s protocol


def ezc3d_cop_mm(path: Path, plate: int) -> np.ndarray:
    """ezc3d's own centre of pressure (laboratory, the file's length unit)."""
    c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
    return np.asarray(c3d["data"]["platform"][plate]["center_of_pressure"])


def test_vicon_lab_z_up_two_plates(tmp_path: Path) -> None:
    on = stance(N)
    on.centre_mm = (300.0, -250.0)
    off = PlateSpec(np.full(N, 1.5), np.zeros(N), np.zeros(N), centre_mm=(-300.0, 250.0))
    path = write_lab_c3d(tmp_path / "vicon.c3d", [off, on], vertical="Z")
    assert detect_format(path) == "c3d"
    rec = read_recording(path)
    assert (rec.format, rec.fs_hz, rec.n, rec.plate) == ("c3d", 1000.0, N, "plate 2 of 2")
    np.testing.assert_allclose(rec.cop_ap_cm, on.ap_mm / 10, atol=1e-5)
    np.testing.assert_allclose(rec.cop_ml_cm, on.ml_mm / 10, atol=1e-5)
    assert rec.fz_n is not None
    np.testing.assert_allclose(rec.fz_n, on.load_n, rtol=1e-6)
    assert "vertical: lab +Z" in rec.notes[0] and "medio-lateral (+right): lab −Y" in rec.notes[0]
    assert [name for name, _ in rec.other_loads_n] == ["plate 1"]


def test_bts_lab_y_up_reads_the_vertical_load(tmp_path: Path) -> None:
    """Y vertical (BTS): the 412.6 N on the plate is its load, not lab Z's 17 N of shear."""
    spec = stance(N, load_n=412.6)
    spec.shear_n = (17.0, 6.0)
    path = write_lab_c3d(tmp_path / "bts.c3d", [spec], vertical="Y")
    rec = read_balance_trial(path)
    assert rec.fz_n is not None and np.median(rec.fz_n) == pytest.approx(412.6, abs=5)
    np.testing.assert_allclose(rec.fz_n, spec.load_n, rtol=1e-6)
    np.testing.assert_allclose(rec.cop_ap_cm, spec.ap_mm / 10, atol=1e-5)
    np.testing.assert_allclose(rec.cop_ml_cm, spec.ml_mm / 10, atol=1e-5)
    assert "vertical: lab +Y" in rec.notes[0] and "(+right): lab +Z" in rec.notes[0]


def test_kistler_style_no_markers_and_empty_point_units(tmp_path: Path) -> None:
    """Type-3 plates, no markers, POINT:UNITS empty (Kistler.c3d crashed with IndexError)."""
    left, right = stance(N, seed=5), stance(N, load_n=0.0, seed=6)
    for spec, centre in ((left, (0.0, -260.0)), (right, (0.0, 260.0))):
        spec.type, spec.centre_mm, spec.size_mm = 3, centre, (600.0, 500.0)
    right.load_n = np.full(N, 0.8)
    path = write_lab_c3d(
        tmp_path / "kistler.c3d", [left, right], vertical="Y", markers=False, point_units=""
    )
    assert not ezc3d.c3d(str(path))["parameters"]["POINT"]["UNITS"]["value"]
    rec = read_recording(path)
    assert rec.plate == "plate 1 of 2"
    np.testing.assert_allclose(rec.cop_ap_cm, left.ap_mm / 10, atol=1e-5)
    np.testing.assert_allclose(rec.cop_ml_cm, left.ml_mm / 10, atol=1e-5)
    assert any("POINT:UNITS is empty: lengths read as mm" in note for note in rec.notes)
    # ezc3d's filter, on the same file, finds the same COP in the laboratory.
    from clinic_app.exchange.recordings.c3d_platforms import platform_data, read_platforms

    c3d = ezc3d.c3d(str(path))
    plates, _, to_mm = read_platforms("k", c3d["parameters"], 16)
    ours = platform_data(plates[0], c3d["data"]["analogs"][0], ["N"] * 16, to_mm, 20.0)
    np.testing.assert_allclose(ours.cop_lab_mm, ezc3d_cop_mm(path, 0), atol=1e-6)


@pytest.mark.parametrize(("units", "scale"), [("mm", 1.0), ("m", 1e-3)])
def test_moments_in_newton_metres_and_lengths_in_metres(
    tmp_path: Path, units: str, scale: float
) -> None:
    spec = stance(N)
    spec.moment_unit = "Nm"
    path = write_lab_c3d(tmp_path / "nm.c3d", [spec], point_units=units, length_scale=scale)
    rec = read_recording(path)
    np.testing.assert_allclose(rec.cop_ap_cm, spec.ap_mm / 10, atol=1e-4)
    np.testing.assert_allclose(rec.cop_ml_cm, spec.ml_mm / 10, atol=1e-4)
    if units == "mm":  # ezc3d takes the moments as N·mm: its COP is a thousand times short
        lab = ezc3d_cop_mm(path, 0)
        assert np.ptp(lab[0]) < np.ptp(spec.ap_mm) / 100


def test_ezc3d_filter_agrees_on_type2_and_type3(tmp_path: Path) -> None:
    from clinic_app.exchange.recordings.c3d_platforms import platform_data, read_platforms

    specs = [stance(N, seed=1), stance(N, seed=2)]
    specs[1].type, specs[1].centre_mm = 3, (0.0, 600.0)
    path = write_lab_c3d(tmp_path / "both.c3d", specs, vertical="Z")
    c3d = ezc3d.c3d(str(path))
    analogs = c3d["data"]["analogs"][0]
    plates, notes, to_mm = read_platforms("both", c3d["parameters"], analogs.shape[0])
    assert [p.type for p in plates] == [2, 3] and not notes
    for i, plate in enumerate(plates):
        ours = platform_data(plate, analogs, ["N"] * 3 + ["Nmm"] * 11, to_mm, 20.0)
        np.testing.assert_allclose(ours.cop_lab_mm, ezc3d_cop_mm(path, i), atol=1e-6)


def test_type1_and_type4_plates_against_the_truth_and_ezc3d(tmp_path: Path) -> None:
    from clinic_app.exchange.recordings.c3d_platforms import platform_data, read_platforms

    rng = np.random.default_rng(11)
    cal = np.diag([500.0, 500.0, 1000.0, 4e4, 4e4, 2e4]) + rng.normal(0, 5.0, (6, 6))
    specs = [stance(N, seed=7), stance(N, seed=8)]
    specs[0].type, specs[0].centre_mm = 1, (0.0, -300.0)
    specs[1].type, specs[1].calibration, specs[1].centre_mm = 4, cal, (0.0, 300.0)
    specs[1].load_n = np.full(N, 5.0)  # type 4 plate empty: the stance is on the type 1
    path = write_lab_c3d(tmp_path / "t14.c3d", specs, vertical="Y")
    rec = read_recording(path)
    assert rec.plate == "plate 1 of 2"
    np.testing.assert_allclose(rec.cop_ap_cm, specs[0].ap_mm / 10, atol=1e-5)
    np.testing.assert_allclose(rec.cop_ml_cm, specs[0].ml_mm / 10, atol=1e-5)
    c3d = ezc3d.c3d(str(path))
    plates, _, to_mm = read_platforms("t14", c3d["parameters"], 12)
    units = ["N"] * 3 + ["mm"] * 2 + ["Nmm"] + ["V"] * 6
    ours = platform_data(plates[0], c3d["data"]["analogs"][0], units, to_mm, 20.0)
    np.testing.assert_allclose(ours.cop_lab_mm, ezc3d_cop_mm(path, 0), atol=1e-6)
    specs[1].load_n = specs[0].load_n.copy()
    path = write_lab_c3d(tmp_path / "t4.c3d", [specs[1]], vertical="Y")
    rec = read_recording(path)
    np.testing.assert_allclose(rec.cop_ap_cm, specs[1].ap_mm / 10, atol=1e-4)
    np.testing.assert_allclose(rec.cop_ml_cm, specs[1].ml_mm / 10, atol=1e-4)
    c3d = ezc3d.c3d(str(path))
    plates, _, to_mm = read_platforms("t4", c3d["parameters"], 6)
    ours = platform_data(plates[0], c3d["data"]["analogs"][0], ["V"] * 6, to_mm, 20.0)
    np.testing.assert_allclose(ours.cop_lab_mm, ezc3d_cop_mm(path, 0), atol=1e-6)


def test_walking_stances_are_refused_in_words(tmp_path: Path) -> None:
    """Three plates each carrying one 0.58 s stance of walking (BTS.c3d, Qualisys.c3d)."""
    n = 3000
    specs = []
    for i, start in enumerate((400, 950, 1500)):
        load = gait_stance(n, start, 580)
        specs.append(PlateSpec(load, np.linspace(-80, 120, n), np.full(n, 40.0 * (-1) ** i)))
        specs[-1].centre_mm = (600.0 * i, 0.0)
    path = write_lab_c3d(tmp_path / "walk.c3d", specs, vertical="Y")
    with pytest.raises(RecordingError) as caught:
        read_balance_trial(path)
    message = str(caught.value)
    assert message.startswith("walk.c3d: not a balance trial: the longest load in the file lasts")
    assert "as in a step or the stance phase of walking" in message
    assert "a balance trial needs at least 10 s of steady single-leg load" in message
    assert "trim" not in message and "frame" not in message


def test_balance_data_set_trial_as_a_y_up_type2_plate_keeps_its_ap_ml(tmp_path: Path) -> None:
    """BDS00001 through C3D (Y up, X anterior) gives the AP/ML ranges of its TSV."""
    tsv = read_bds(TEST_DATA / "balance" / "BDS00001.txt")
    assert tsv.fz_n is not None
    spec = PlateSpec(tsv.fz_n, tsv.cop_ap_cm * 10.0, tsv.cop_ml_cm * 10.0, centre_mm=(900, 300))
    path = write_lab_c3d(tmp_path / "BDS00001.c3d", [spec], vertical="Y", rate_hz=100.0)
    via_c3d = read_balance_trial(path)
    via_tsv = read_balance_trial(TEST_DATA / "balance" / "BDS00001.txt")
    assert via_c3d.n == via_tsv.n == 6000 and via_c3d.fs_hz == 100.0
    for axis in ("cop_ap_cm", "cop_ml_cm"):
        a, b = getattr(via_c3d, axis), getattr(via_tsv, axis)
        assert np.ptp(a) == pytest.approx(np.ptp(b), abs=1e-5)
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_plates_dorsilab_cannot_read_are_left_out_in_words(tmp_path: Path) -> None:
    good = stance(N)
    other = PlateSpec(np.zeros(N), np.zeros(N), np.zeros(N), centre_mm=(700.0, 0.0))
    path = write_lab_c3d(tmp_path / "mixed.c3d", [other, good])
    c3d = ezc3d.c3d(str(path))
    c3d["parameters"]["FORCE_PLATFORM"]["TYPE"]["value"] = np.array([[6, 2]])
    c3d.write(str(path))
    rec = read_recording(path)
    assert rec.plate == "plate 2 of 2"
    assert "plate 1 is type 6 (12 channels), which DorsiLab does not read" in rec.notes
    corners = c3d["parameters"]["FORCE_PLATFORM"]["CORNERS"]["value"]
    corners[:, :, 1] = np.array([[1e10, 3e-38, 0, 5], [0, 2e24, 1, 0], [7, 0, 0, 0]])
    c3d["parameters"]["FORCE_PLATFORM"]["CORNERS"]["value"] = corners
    c3d.write(str(path))
    with pytest.raises(RecordingError, match=r"none that DorsiLab can read: plate 1 is type 6"):
        read_recording(path)
    with pytest.raises(RecordingError, match=r"plate 2: its corners .* do not outline a plate"):
        read_recording(path)


def test_no_load_on_any_plate(tmp_path: Path) -> None:
    quiet = PlateSpec(np.full(N, 6.6), np.zeros(N), np.zeros(N))
    path = write_lab_c3d(tmp_path / "empty.c3d", [quiet])
    with pytest.raises(
        RecordingError,
        match=r"empty\.c3d: no force plate carries a load: the largest vertical force on its "
        r"force plate is 6\.6 N, below the 20 N",
    ):
        read_recording(path)


def test_not_a_c3d_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.c3d"
    path.write_bytes(b"\x02\x50" + b"\x00" * 100)
    with pytest.raises(RecordingError, match=r"fake\.c3d: is not a readable C3D file"):
        read_recording(path)


def write_analog_c3d(
    path: Path, fz: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray, cop: bool
) -> Path:
    """Analog channels only, no FORCE_PLATFORM group (DorsiLab's earlier raw export)."""
    zeros = np.zeros_like(fz)
    channels = {"Fx": zeros, "Fy": zeros, "Fz": fz, "Mx": y_mm * fz, "My": -x_mm * fz, "Mz": zeros}
    units = ["N", "N", "N", "Nmm", "Nmm", "Nmm"]
    if cop:
        channels |= {"COPx": x_mm, "COPy": y_mm}
        units += ["mm", "mm"]
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [1000.0]
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [1000.0]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(channels)
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(units)
    c3d["data"]["points"] = np.zeros((4, 0, fz.size))
    c3d["data"]["analogs"] = np.vstack(list(channels.values()))[np.newaxis]
    c3d.write(str(path))
    return path


@pytest.mark.parametrize("cop", [True, False])
def test_analog_only_files_and_stepping_on(tmp_path: Path, cop: bool) -> None:
    t = np.arange(N + 100) / 1000.0
    x, y = 12 + 4 * np.sin(2 * np.pi * t), -7 + 3 * np.cos(2 * np.pi * 0.5 * t)
    fz = np.full(t.size, 650.0)
    fz[:100] = 4.0  # stepping on
    x[:100] = y[:100] = 0.0
    rec = read_balance_trial(write_analog_c3d(tmp_path / "raw.c3d", fz, x, y, cop))
    assert rec.n == N and rec.fs_hz == 1000.0 and rec.start_s == pytest.approx(0.1)
    np.testing.assert_allclose(rec.cop_ml_cm, x[100:] / 10, atol=1e-6)
    np.testing.assert_allclose(rec.cop_ap_cm, y[100:] / 10, atol=1e-6)
    fz[6000:7500] = 3.0  # off the plate for 1.5 s in the middle: two stances
    with pytest.raises(
        RecordingError,
        match=r"the load falls below 20 N from 6\.00 s to 7\.50 s of the recording \(the "
        r"patient stepped off, or the plate lost its signal\)",
    ):
        read_recording(write_analog_c3d(tmp_path / "gap.c3d", fz, x, y, cop))
