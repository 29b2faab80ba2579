"""DorsiLab's C3D exports carry a type-2 force plate that other readers see: ezc3d (and its
force-platform filter), the ``c3d`` package, and DorsiLab's own reader."""

from __future__ import annotations

import warnings
from pathlib import Path

import c3d as c3d_package
import ezc3d
import numpy as np
import pytest

from clinic_app.exchange.c3d_writer import CHANNELS, write_plate_c3d
from clinic_app.exchange.recordings import read_balance_trial
from drivers.base import PLATE_DTYPE

N = 12000


def _samples(n: int = N, force: bool = True) -> np.ndarray:
    rng = np.random.default_rng(4)
    t = np.arange(n) / 1000.0
    samples = np.zeros(n, dtype=PLATE_DTYPE)
    samples["t_host_s"] = 300.0 + t
    samples["t_dev_s"] = t
    samples["seq"] = np.arange(n)
    samples["fz_n"] = 702.0 + rng.normal(0, 1.5, n) if force else np.nan
    samples["cop_x_mm"] = 14 + 5 * np.sin(2 * np.pi * 0.3 * t)  # right of the centre
    samples["cop_y_mm"] = -22 + 9 * np.cos(2 * np.pi * 0.2 * t)  # behind it
    for cell in ("tr_n", "br_n", "tl_n", "bl_n"):
        samples[cell] = samples["fz_n"] / 4 if force else np.nan
    return samples


@pytest.fixture()
def exported(tmp_path: Path) -> tuple[Path, np.ndarray]:
    samples = _samples()
    path = tmp_path / "trial-7-balance-left-ec_firm-plate.c3d"
    write_plate_c3d(path, samples)
    return path, samples


def test_ezc3d_sees_one_type2_plate_and_its_cop_agrees(exported: tuple[Path, np.ndarray]) -> None:
    path, samples = exported
    c3d = ezc3d.c3d(str(path), extract_forceplat_data=True)
    params = c3d["parameters"]
    assert params["POINT"]["UNITS"]["value"] == ["mm"]
    fp = params["FORCE_PLATFORM"]
    assert fp["USED"]["value"][0] == 1 and np.ravel(fp["TYPE"]["value"]).tolist() == [2]
    assert list(fp["ZERO"]["value"]) == [0, 0]  # already tared: no tool must re-zero it
    assert np.ravel(fp["CHANNEL"]["value"]).tolist() == [1, 2, 3, 4, 5, 6]
    (plate,) = c3d["data"]["platform"]
    assert plate["unit_position"] == "mm" and plate["unit_moment"] == "Nmm"
    cop = plate["center_of_pressure"]
    # Laboratory frame: X anterior (DorsiLab's y), Y left (−x), Z up; surface at Z = 0.
    np.testing.assert_allclose(cop[0], samples["cop_y_mm"], atol=1e-4)
    np.testing.assert_allclose(cop[1], -samples["cop_x_mm"], atol=1e-4)
    np.testing.assert_allclose(cop[2], 0.0, atol=1e-9)
    np.testing.assert_allclose(plate["force"][2], samples["fz_n"], rtol=1e-6)


def test_the_c3d_package_reads_the_plate_parameters_and_channels(
    exported: tuple[Path, np.ndarray],
) -> None:
    path, samples = exported
    with path.open("rb") as handle, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No point data found in file")  # plates only
        # ezc3d pads a data section that already ends on a 512-byte block with one more
        # block of zeros; the c3d package notes the spare block and reads every frame.
        warnings.filterwarnings("ignore", "incomplete reading of data blocks. 512 bytes")
        reader = c3d_package.Reader(handle)
        assert reader.get("FORCE_PLATFORM:USED").int16_value == 1
        assert reader.get("FORCE_PLATFORM:TYPE").int16_array.ravel().tolist() == [2]
        corners = reader.get("FORCE_PLATFORM:CORNERS").float_array.reshape(4, 3)
        channels = reader.get("FORCE_PLATFORM:CHANNEL").int16_array.ravel()
        assert reader.get("MANUFACTURER:COMPANY").string_value.strip() == "DorsiLab"
        labels = [label.strip() for label in reader.analog_labels]
        analog = np.hstack([frame[2] for frame in reader.read_frames()])
    assert labels == list(CHANNELS) and reader.analog_rate == pytest.approx(1000.0)
    assert analog.shape == (12, N)
    fz, mx, my = (analog[channels[i] - 1] for i in (2, 3, 4))
    # The plate frame from the corners, as the C3D standard defines it.
    x_axis = (corners[0] - corners[1]) / np.linalg.norm(corners[0] - corners[1])
    y_axis = (corners[0] - corners[3]) / np.linalg.norm(corners[0] - corners[3])
    centre = corners.mean(axis=0)
    cop_lab = centre[:, None] + np.outer(x_axis, -my / fz) + np.outer(y_axis, mx / fz)
    ezc3d_cop = ezc3d.c3d(str(path), extract_forceplat_data=True)["data"]["platform"][0]
    np.testing.assert_allclose(cop_lab, ezc3d_cop["center_of_pressure"], atol=1e-4)
    np.testing.assert_allclose(-my / fz, samples["cop_x_mm"], atol=1e-4)


def test_dorsilab_reads_its_export_back_as_it_was(exported: tuple[Path, np.ndarray]) -> None:
    path, samples = exported
    rec = read_balance_trial(path)
    assert (rec.n, rec.fs_hz, rec.plate) == (N, pytest.approx(1000.0), "the force plate")
    np.testing.assert_allclose(rec.cop_ap_cm * 10, samples["cop_y_mm"], atol=1e-4)
    np.testing.assert_allclose(rec.cop_ml_cm * 10, samples["cop_x_mm"], atol=1e-4)
    assert "vertical: lab +Z" in rec.notes[0]


def test_a_recording_without_force_is_written_without_a_plate(tmp_path: Path) -> None:
    samples = _samples(force=False)
    path = tmp_path / "imported-no-force.c3d"
    write_plate_c3d(path, samples)
    c3d = ezc3d.c3d(str(path))
    assert c3d["parameters"]["FORCE_PLATFORM"]["USED"]["value"][0] == 0
    rec = read_balance_trial(path)
    assert rec.fz_n is None and rec.n == N
    np.testing.assert_allclose(rec.cop_ml_cm * 10, samples["cop_x_mm"], atol=1e-4)
    assert "no vertical load recorded" in rec.notes[-1]
