"""Reader for the balance data set's TSV files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from clinic_app.exchange.recordings import RecordingError, detect_format, read_recording
from tests.conftest import TEST_DATA

BDS = TEST_DATA / "balance" / "BDS00001.txt"


def test_reads_the_published_file() -> None:
    rec = read_recording(BDS)
    assert (rec.format, rec.n, rec.fs_hz, rec.uniform) == ("bds", 6000, 100.0, True)
    assert rec.t_s[0] == 0.0 and rec.t_s[-1] == pytest.approx(59.99)
    assert rec.cop_ap_cm[0] == pytest.approx(-7.988789) and rec.cop_ml_cm[0] == pytest.approx(
        0.998673
    )
    assert rec.fz_n is not None and rec.fz_n.min() > 500
    assert detect_format(BDS) == "bds"


def _broken(tmp_path: Path, line: int, old: str, new: str) -> Path:
    lines = BDS.read_text(encoding="utf-8").splitlines()
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path = tmp_path / "BDS_broken.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_number_names_file_line_and_column(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        101,
        "\t",
        "\tx",
    )
    with pytest.raises(RecordingError) as info:
        read_recording(path)
    message = str(info.value)
    assert message.startswith("BDS_broken.txt, line 101, column 'Fx[N]': ")
    assert "is not a number" in message


def test_missing_value_and_times_going_back(tmp_path: Path) -> None:
    lines = BDS.read_text(encoding="utf-8").splitlines()
    lines[9] = "\t".join(lines[9].split("\t")[:-1])
    path = tmp_path / "short_row.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RecordingError, match=r"line 10: has 8 values, the header has 9 columns"):
        read_recording(path)
    lines = BDS.read_text(encoding="utf-8").splitlines()
    lines[20] = lines[20].replace("0.200", "0.100", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        RecordingError, match=r"line 21, column 'Time\[s\]': time 0.1 does not increase"
    ):
        read_recording(path, "bds")


def test_light_rows_are_kept_and_noted(tmp_path: Path) -> None:
    lines = BDS.read_text(encoding="utf-8").splitlines()
    cells = lines[50].split("\t")
    cells[3] = "3.5"
    lines[50] = "\t".join(cells)
    path = tmp_path / "BDS_light.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rec = read_recording(path)
    assert rec.n == 6000
    assert any("1 row carries less than 20 N (first at line 51)" in n for n in rec.notes)


def test_wrong_header_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "other.txt"
    shutil.copy(BDS, path)
    text = path.read_text(encoding="utf-8").replace("COPx[cm]", "Xcop", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordingError, match="missing column"):
        read_recording(path, "bds")
    with pytest.raises(RecordingError, match="no such file"):
        read_recording(tmp_path / "absent.txt")


def test_nan_cells_are_refused_where_used(tmp_path: Path) -> None:
    lines = BDS.read_text(encoding="utf-8").splitlines()
    cells = lines[2999].split("\t")
    cells[7] = "nan"  # COPx[cm]
    lines[2999] = "\t".join(cells)
    path = tmp_path / "BDS_nan.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RecordingError, match=r"line 3000, column 'COPx\[cm\]': value nan"):
        read_recording(path)
    cells[7], cells[6] = "-7.9", "nan"  # Mz is not used: the file is still analysable
    lines[2999] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert np.isfinite(read_recording(path).cop_ap_cm).all()
