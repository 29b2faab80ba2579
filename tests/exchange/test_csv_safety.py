"""CSV cannot attack a spreadsheet: every text cell that could start a formula is
neutralised (OWASP), in every CSV the app writes, while numbers stay numbers; ``--excel``
writes UTF-8 with a byte-order mark."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from clinic_app.cli import main
from clinic_app.exchange.csv_safety import csv_text, format_cell, neutralise
from clinic_app.storage import Database
from tests.exchange.conftest import add_visit

ATTACKS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "＝1+1",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_formula_start_is_neutralised(attack: str) -> None:
    assert neutralise(attack) == "'" + attack
    assert format_cell(attack) == "'" + attack


@pytest.mark.parametrize("text", ["Núñez", "O'Connor", "A & B < C", "", "3 km", "1990-04-17"])
def test_ordinary_text_is_untouched(text: str) -> None:
    assert neutralise(text) == text


def test_numbers_stay_numbers() -> None:
    assert [format_cell(v) for v in (-3.5, -2, 0, 1e-7, True, None, float("nan"))] == [
        "-3.5", "-2", "0", "1e-07", "1", "", "",
    ]  # fmt: skip


def test_excel_flavour_has_a_bom_and_crlf() -> None:
    text = csv_text(["name"], [["Zoë 中文"]], excel=True)
    assert text == "\ufeffname\r\nZoë 中文\r\n"


def _attacker_database(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "clinic.sqlite3"
    with Database.open(path) as db:
        patient = db.create_patient(
            {
                "first_name": '=HYPERLINK("http://x","y")',
                "last_name": "@SUM(1)",
                "birth_date": "1990-01-01",
                "record_number": "+cmd|' /C calc'!A0",
            }
        )
        session_id = add_visit(db, patient.id, "2026-09-01T09:00:00Z", 36.0, seed=3)
        db.conn.execute("UPDATE sessions SET examiner = ? WHERE id = ?", ("-1+1", session_id))
        db.conn.execute(
            "UPDATE trials SET invalid_reason = ?, result = json_set(result, '$.angle_deg', -3.5)"
            " WHERE session_id = ? AND status = 'failed'",
            ("=cmd()", session_id),
        )
    return path, patient.id


@pytest.mark.parametrize("excel", [False, True])
def test_cli_csv_exports_are_safe_and_numbers_stay_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], excel: bool
) -> None:
    db_path, patient_id = _attacker_database(tmp_path)
    written: list[Path] = []
    for fmt in ("csv", "raw"):
        args = ["--db", str(db_path), "export", "--patient", str(patient_id), "--format", fmt,
                "-o", str(tmp_path / fmt)] + (["--excel"] if excel else [])  # fmt: skip
        assert main(args) == 0
        written += [Path(p) for p in capsys.readouterr().out.split()]
    csvs = [p for p in written if p.suffix == ".csv"]
    assert len(csvs) > 1  # the trials table and the raw recordings
    for path in csvs:
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == excel
        assert (b"\r\n" in data) == excel
        text = data.decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                try:
                    float(cell)
                    continue  # a number (negative ones included) is written as a number
                except ValueError:
                    pass
                assert not cell or cell[0] not in "=+-@\t\r", (path.name, cell)
    trials = next(p for p in csvs if p.name.endswith("-trials.csv"))
    rows = list(csv.DictReader(io.StringIO(trials.read_text(encoding="utf-8-sig"), newline="")))
    assert {r["first_name"] for r in rows} == {'\'=HYPERLINK("http://x","y")'}
    assert {r["last_name"] for r in rows} == {"'@SUM(1)"}
    assert {r["record_number"] for r in rows} == {"'+cmd|' /C calc'!A0"}
    assert {r["examiner"] for r in rows} == {"'-1+1"}
    failed = [r for r in rows if r["status"] == "failed"]
    assert {r["invalid_reason"] for r in failed} == {"'=cmd()"}
    assert {r["angle_deg"] for r in failed} == {"-3.5"}  # a number, not prefixed
