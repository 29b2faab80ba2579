"""Generic CSV recordings: columns by header name, units declared or inferred, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clinic_app.exchange.recordings import RecordingError, read_recording
from clinic_app.exchange.recordings.csv_table import split_unit


def _sway(n: int = 500, fs: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(n) / fs
    return t, 1.5 * np.sin(2 * np.pi * 0.3 * t), 0.8 * np.cos(2 * np.pi * 0.2 * t)  # cm


def _write(path: Path, header: str, rows: np.ndarray, sep: str = ",", fmt: str = "%.6f") -> Path:
    lines = [header] + [sep.join(fmt % v for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "unit"),
    [("cop_x[mm]", ("copx", "mm")), ("COP ML (cm)", ("copml", "cm")), ("cop_y_mm", ("copy", "mm")),
     ("Time", ("time", None)), ("t_s", ("t", "s")), ("fz_n", ("fz", "n"))],
)  # fmt: skip
def test_header_units(name: str, unit: tuple[str, str | None]) -> None:
    assert split_unit(name) == unit


def test_devices_stream_csv_is_read_in_the_plate_frame(tmp_path: Path) -> None:
    t, ap, ml = _sway()
    rows = np.column_stack(
        [t, np.full(t.size, 686.0), 10 * ml, 10 * ap, *(np.full((4, t.size), 171.5))]
    )
    path = _write(tmp_path / "stream.csv", "t_s,fz_n,cop_x_mm,cop_y_mm,tr_n,br_n,tl_n,bl_n", rows)
    rec = read_recording(path)
    assert rec.format == "csv" and rec.fs_hz == 100.0 and rec.uniform
    np.testing.assert_allclose(rec.cop_ap_cm, ap, atol=1e-6)  # cop_y → AP, mm → cm
    np.testing.assert_allclose(rec.cop_ml_cm, ml, atol=1e-6)
    assert rec.fz_n is not None and not any("inferred" in n for n in rec.notes)


def test_semicolons_decimal_commas_and_ms(tmp_path: Path) -> None:
    t, ap, ml = _sway()
    path = tmp_path / "export.csv"
    lines = ["Time [ms];COP AP [cm];COP ML [cm]"]
    lines += [f"{1000 * a:.1f};{b:.5f};{c:.5f}".replace(".", ",") for a, b, c in zip(t, ap, ml)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rec = read_recording(path, "csv")
    assert rec.fs_hz == 100.0 and rec.t_s[-1] == pytest.approx(4.99)
    np.testing.assert_allclose(rec.cop_ap_cm, ap, atol=1e-5)


def test_units_inferred_and_said_so(tmp_path: Path) -> None:
    t, ap, ml = _sway()
    path = _write(tmp_path / "bare.csv", "time,x,y", np.column_stack([t, 10 * ml, 10 * ap]))
    rec = read_recording(path)
    np.testing.assert_allclose(rec.cop_ap_cm, ap, atol=1e-6)
    assert any("inferred as mm" in n for n in rec.notes)


def test_no_time_column_needs_fs(tmp_path: Path) -> None:
    _, ap, ml = _sway()
    path = _write(tmp_path / "cop.csv", "cop_ap[cm],cop_ml[cm]", np.column_stack([ap, ml]))
    with pytest.raises(RecordingError, match="no time column; give the sampling rate with --fs"):
        read_recording(path)
    rec = read_recording(path, fs_hz=50.0)
    assert rec.fs_hz == 50.0 and rec.t_s[1] == pytest.approx(0.02)


def test_given_rate_must_agree_with_the_time_column(tmp_path: Path) -> None:
    t, ap, ml = _sway()
    path = _write(tmp_path / "c.csv", "t[s],cop_ap[cm],cop_ml[cm]", np.column_stack([t, ap, ml]))
    with pytest.raises(RecordingError, match="disagrees with the time column"):
        read_recording(path, fs_hz=200.0)


def test_irregular_time_is_flagged_for_resampling(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.005, 0.03, 400))
    path = _write(tmp_path / "wbb.csv", "t,cop_x[mm],cop_y[mm]",
                  np.column_stack([t, 5 * np.sin(t), 8 * np.cos(t)]))  # fmt: skip
    assert not read_recording(path).uniform


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        ("t,cop_x[mm],cop_y[mm]", "0.02,1.0,abc", r"line 3, column 'cop_y\[mm\]': 'abc' is not"),
        ("t,cop_x[mm],cop_y[mm]", "0.02,1.0", r"line 3: has 2 values"),
        ("t,cop_x[in],cop_y[in]", "0.02,1.0,2.0", r"unknown length unit 'in'"),
        ("t,left,right", "0.02,1.0,2.0", r"no centre-of-pressure columns found"),
    ],
)
def test_bad_files_name_line_and_column(
    tmp_path: Path, header: str, row: str, message: str
) -> None:
    ok = ",".join(["0.01", "1.0", "2.0", "600"][: header.count(",") + 1])
    path = tmp_path / "bad.csv"
    path.write_text(f"{header}\n{ok}\n{row}\n", encoding="utf-8")
    with pytest.raises(RecordingError, match=message):
        read_recording(path)


def test_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(RecordingError, match="empty"):
        read_recording(empty)
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"t,x\n\xff\xfe\x00\x01")
    with pytest.raises(RecordingError, match="line 2: is not a text file"):
        read_recording(binary)


def test_stepping_on_and_off_rows_are_left_out_with_a_note(tmp_path: Path) -> None:
    t, ap, ml = _sway()
    fz = np.full(t.size, 686.0)
    fz[:30], fz[-20:] = 3.0, 0.0  # stepping on, stepping off
    cop_x, cop_y = 10 * ml, 10 * ap
    cop_x[:30] = np.nan  # the plate reports no COP below its gate
    rows = np.column_stack([t, fz, cop_x, cop_y])
    path = _write(tmp_path / "export.csv", "t_s,fz_n,cop_x_mm,cop_y_mm", rows)
    rec = read_recording(path)
    assert rec.n == t.size - 50 and rec.t_s[0] == 0.0
    np.testing.assert_allclose(rec.cop_ap_cm, ap[30:-20], atol=1e-6)
    assert any("left out 30 unloaded rows at the start and 20 at the end" in n for n in rec.notes)


def test_unloaded_or_missing_rows_in_the_middle_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text("t,cop_x[mm],cop_y[mm],fz[N]\n0.00,1,2,600\n0.01,1,2,5\n0.02,1,2,600\n")
    with pytest.raises(RecordingError, match=r"line 3, column 'fz\[N\]': vertical force 5 N"):
        read_recording(path)
    path.write_text("t,cop_x[mm],cop_y[mm]\n0.00,1,2\n0.01,nan,2\n0.02,1,2\n")
    with pytest.raises(RecordingError, match=r"line 3, column 'cop_x\[mm\]': centre of pressure"):
        read_recording(path)
    path.write_text("t,cop_x[mm],cop_y[mm],fz[N]\n0.00,1,2,3\n0.01,1,2,4\n")
    with pytest.raises(RecordingError, match="no row has a defined centre of pressure"):
        read_recording(path)
    path.write_text("t,cop_x[mm],cop_y[mm]\n0.00,1,2\nnan,1,2\n0.02,1,2\n")
    with pytest.raises(RecordingError, match=r"line 3, column 't': value nan is missing"):
        read_recording(path)


def test_dorsilab_raw_export_with_empty_cells(tmp_path: Path) -> None:
    """The raw export writes every PLATE_DTYPE field; NaN is an empty cell."""
    t, ap, ml = _sway(300)
    lines = ["t_host_s,seq,t_dev_s,fz_n,cop_x_mm,cop_y_mm,tr_n,br_n,tl_n,bl_n"]
    for i in range(t.size):
        cop = ("", "") if i < 5 else (f"{10 * ml[i]:.4f}", f"{10 * ap[i]:.4f}")
        fz = "8" if i < 5 else "690"
        lines.append(f"{100 + t[i]:.6f},{i},,{fz},{cop[0]},{cop[1]},1,1,1,1")
    path = tmp_path / "trial-7-balance-left-ec_firm-plate.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rec = read_recording(path)
    assert rec.n == 295 and rec.fs_hz == 100.0  # host clock, since t_dev_s is empty
    np.testing.assert_allclose(rec.cop_ml_cm, ml[5:], atol=1e-4)
    assert any("left out 5 unloaded rows" in n for n in rec.notes)


def test_device_clock_is_preferred_when_complete(tmp_path: Path) -> None:
    t, ap, ml = _sway(200)
    host = 50 + t + np.random.default_rng(1).uniform(0, 0.004, t.size)  # read jitter
    rows = np.column_stack([host, t, 10 * ml, 10 * ap])
    path = _write(tmp_path / "clocks.csv", "t_host_s,t_dev_s,cop_x_mm,cop_y_mm", rows)
    rec = read_recording(path)
    np.testing.assert_allclose(rec.t_s, t, atol=1e-6)
    assert rec.uniform
