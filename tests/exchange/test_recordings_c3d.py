"""C3D force platforms via ezc3d, with a small C3D written by ezc3d itself."""

from __future__ import annotations

from pathlib import Path

import ezc3d
import numpy as np
import pytest

from clinic_app.exchange.recordings import RecordingError, detect_format, read_recording

ANALOG_HZ = 1000.0


def _int_parameter(c3d: ezc3d.c3d, group: str, name: str, values: np.ndarray) -> None:
    c3d.add_parameter(group, name, np.asarray(values, dtype=float))
    c3d["parameters"][group][name]["type"] = ezc3d.ezc3d.INT  # platform code needs INT


def write_plate_c3d(
    path: Path, x_mm: np.ndarray, y_mm: np.ndarray, load_n: float = 700.0, origin_z: float = -40.0
) -> Path:
    """A type-2 (AMTI-style) force platform whose analog channels put ``load`` at (x, y)."""
    n = x_mm.size
    frames = n // 10
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [ANALOG_HZ / 10]
    c3d["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = ["marker"]
    points = np.zeros((4, 1, frames))
    points[3] = 1.0
    c3d["data"]["points"] = points
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [ANALOG_HZ]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = ["Fx", "Fy", "Fz", "Mx", "My", "Mz"]
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = ["N", "N", "N", "Nmm", "Nmm", "Nmm"]
    analogs = np.zeros((1, 6, n))
    analogs[0, 2] = load_n
    analogs[0, 3] = load_n * y_mm  # Mx = W·y  (action force, z down)
    analogs[0, 4] = -load_n * x_mm  # My = −W·x
    c3d["data"]["analogs"] = analogs
    _int_parameter(c3d, "FORCE_PLATFORM", "USED", np.array([1]))
    _int_parameter(c3d, "FORCE_PLATFORM", "TYPE", np.array([2]))
    _int_parameter(c3d, "FORCE_PLATFORM", "ZERO", np.array([1, 0]))
    corners = np.array([[200, -200, -200, 200], [300, 300, -300, -300], [0, 0, 0, 0]], float)
    c3d.add_parameter("FORCE_PLATFORM", "CORNERS", corners.reshape(3, 4, 1))
    c3d.add_parameter("FORCE_PLATFORM", "ORIGIN", np.array([0.0, 0.0, origin_z]).reshape(3, 1))
    _int_parameter(c3d, "FORCE_PLATFORM", "CHANNEL", np.arange(1, 7).reshape(6, 1))
    c3d.write(str(path))
    return path


def test_reads_the_platform_cop(tmp_path: Path) -> None:
    t = np.arange(2000) / ANALOG_HZ
    x = 30.0 + 5 * np.sin(2 * np.pi * 0.5 * t)
    y = -50.0 + 8 * np.cos(2 * np.pi * 0.3 * t)
    path = write_plate_c3d(tmp_path / "trial.c3d", x, y)
    assert detect_format(path) == "c3d"
    rec = read_recording(path)
    assert (rec.format, rec.fs_hz, rec.n) == ("c3d", ANALOG_HZ, 2000)
    np.testing.assert_allclose(rec.cop_ml_cm, x / 10, atol=1e-6)
    np.testing.assert_allclose(rec.cop_ap_cm, y / 10, atol=1e-6)
    assert rec.fz_n is not None and rec.fz_n[0] == pytest.approx(700.0)


def test_unloaded_platform_is_refused(tmp_path: Path) -> None:
    path = write_plate_c3d(tmp_path / "empty.c3d", np.zeros(500), np.zeros(500), load_n=5.0)
    with pytest.raises(RecordingError, match=r"empty\.c3d: no analog frames with at least 20 N"):
        read_recording(path)


def test_not_a_c3d_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.c3d"
    path.write_bytes(b"\x02\x50" + b"\x00" * 100)
    with pytest.raises(RecordingError, match=r"fake\.c3d: is not a readable C3D file"):
        read_recording(path)


def write_analog_c3d(
    path: Path, fz: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray, cop: bool
) -> Path:
    """Analog channels only, no FORCE_PLATFORM group (the layout of DorsiLab's raw export)."""
    zeros = np.zeros_like(fz)
    channels = {"Fx": zeros, "Fy": zeros, "Fz": fz, "Mx": y_mm * fz, "My": -x_mm * fz, "Mz": zeros}
    units = ["N", "N", "N", "Nmm", "Nmm", "Nmm"]
    if cop:
        channels |= {"COPx": x_mm, "COPy": y_mm}
        units += ["mm", "mm"]
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [ANALOG_HZ]
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [ANALOG_HZ]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(channels)
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(units)
    c3d["data"]["points"] = np.zeros((4, 0, fz.size))
    c3d["data"]["analogs"] = np.vstack(list(channels.values()))[np.newaxis]
    c3d.write(str(path))
    return path


@pytest.mark.parametrize("cop", [True, False])
def test_analog_only_files_and_stepping_on(tmp_path: Path, cop: bool) -> None:
    t = np.arange(1500) / ANALOG_HZ
    x, y = 12 + 4 * np.sin(2 * np.pi * t), -7 + 3 * np.cos(2 * np.pi * 0.5 * t)
    fz = np.full(t.size, 650.0)
    fz[:100] = 4.0  # stepping on
    x[:100] = y[:100] = 0.0
    rec = read_recording(write_analog_c3d(tmp_path / "raw.c3d", fz, x, y, cop))
    assert rec.n == 1400 and rec.fs_hz == ANALOG_HZ
    np.testing.assert_allclose(rec.cop_ml_cm, x[100:] / 10, atol=1e-6)
    np.testing.assert_allclose(rec.cop_ap_cm, y[100:] / 10, atol=1e-6)
    assert any("left out 100 unloaded frame(s) at the start" in n for n in rec.notes)
    fz[700:720] = 3.0  # an unloaded gap in the middle is an error
    with pytest.raises(RecordingError, match="at analog frame 701, below the 20 N minimum"):
        read_recording(write_analog_c3d(tmp_path / "gap.c3d", fz, x, y, cop))
