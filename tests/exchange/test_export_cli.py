"""``clinic-app export`` and ``clinic-app import``: every format, de-identification, an audit
row per export, and user errors as one line, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_app.cli import main
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.storage import Database


def _exports(db: Database, patient_id: int) -> list[dict[str, object]]:
    return [
        dict(e.details or {})
        for e in db.audit_entries("patient", patient_id)
        if e.action == "export"
    ]


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err
    return err


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir", "raw"])
def test_export_each_format_writes_files_and_one_audit_row(
    fmt: str, clinic_db: tuple[Database, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, patient_id = clinic_db
    out = tmp_path / "out"
    code = main(["--db", str(db.path), "export", "--patient", str(patient_id), "--format", fmt,
                 "-o", str(out)])  # fmt: skip
    assert code == 0
    printed = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert printed and all(p.is_file() and out in p.parents for p in printed)
    assert not list(out.rglob("*.part*"))
    audit = _exports(db, patient_id)
    assert audit == [{"format": fmt, "deidentified": False, "files": len(printed)}]
    if fmt == "json":
        document = json.loads(printed[0].read_text(encoding="utf-8"))
        assert document["patients"][0]["first_name"] == "Zoë"
    if fmt == "fhir":
        assert json.loads(printed[0].read_text(encoding="utf-8"))["resourceType"] == "Bundle"
    if fmt == "raw":
        assert {p.suffix for p in printed} == {".csv", ".c3d"}


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir", "raw"])
def test_deidentified_export_has_no_names_and_no_database_id_in_file_names(
    fmt: str, clinic_db: tuple[Database, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, patient_id = clinic_db
    out = tmp_path / "out"
    args = ["--db", str(db.path), "export", "--patient", str(patient_id), "--format", fmt,
            "-o", str(out), "--deidentify"]  # fmt: skip
    assert main(args) == 0
    printed = [Path(line) for line in capsys.readouterr().out.splitlines()]
    pseudonym = Pseudonymizer.for_clinic(db).pseudonym("patient", db.get_patient(patient_id).uid)
    for path in printed:
        relative = str(path.relative_to(out))
        assert f"patient-{pseudonym}-deidentified" in relative
        assert f"patient-{patient_id}" not in relative
        if path.suffix != ".c3d":
            text = path.read_text(encoding="utf-8")
            for secret in ("Zoë", "Núñez", "MRN-0042", "1991-03-14", "Zoë prefers mornings"):
                assert secret not in text
    assert _exports(db, patient_id)[0]["deidentified"] is True


def test_unknown_patient_is_one_line_exit_2_and_nothing_written(
    clinic_db: tuple[Database, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = clinic_db
    out = tmp_path / "out"
    code = main(["--db", str(db.path), "export", "--patient", "999", "--format", "json",
                 "-o", str(out)])  # fmt: skip
    assert code == 2
    _one_line_error(capsys, "999")
    assert not out.exists()
    assert not [e for e in db.audit_entries() if e.action == "export"]


def test_output_that_is_a_file_is_refused(
    clinic_db: tuple[Database, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, patient_id = clinic_db
    target = tmp_path / "a-file.txt"
    target.write_text("keep me", encoding="utf-8")
    code = main(["--db", str(db.path), "export", "--patient", str(patient_id), "--format", "csv",
                 "-o", str(target)])  # fmt: skip
    assert code == 2
    _one_line_error(capsys, "a-file.txt")
    assert target.read_text(encoding="utf-8") == "keep me"


def test_bad_format_is_a_usage_error(
    clinic_db: tuple[Database, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, patient_id = clinic_db
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(db.path), "export", "--patient", str(patient_id), "--format", "xml",
              "-o", str(tmp_path / "out")])  # fmt: skip
    assert exit_info.value.code == 2
    _one_line_error(capsys, "xml")
    assert not (tmp_path / "out").exists()


def test_json_export_imports_into_another_database(
    clinic_db: tuple[Database, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, patient_id = clinic_db
    out = tmp_path / "out"
    main(["--db", str(db.path), "export", "--patient", str(patient_id), "--format", "json",
          "-o", str(out)])  # fmt: skip
    exported = Path(capsys.readouterr().out.strip())
    other_path = tmp_path / "other.sqlite3"
    Database.open(other_path).close()
    assert main(["--db", str(other_path), "import", str(exported)]) == 0
    assert "imported 2 sessions (20 trials" in capsys.readouterr().out
    with Database.open(other_path) as other:
        patient = other.search_patients("Núñez")[0]
        assert len(other.list_sessions(patient.id)) == 2


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"format": "dorsilab-export", "format_version": 1,\n  "patients": [', ["line 2"]),
        ('{"hello": 1}', ["not a DorsiLab export"]),
        (None, ["cannot be read"]),
    ],
)
def test_import_of_a_bad_file_is_one_line_and_imports_nothing(
    content: str | None,
    words: list[str],
    clinic_db: tuple[Database, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, _ = clinic_db
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    before = (db.count_patients(), len(db.audit_entries()))
    assert main(["--db", str(db.path), "import", str(path)]) == 2
    _one_line_error(capsys, "bad.json", *words)
    assert (db.count_patients(), len(db.audit_entries())) == before


def test_deidentified_export_cannot_be_imported(
    clinic_db: tuple[Database, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, patient_id = clinic_db
    out = tmp_path / "out"
    main(["--db", str(db.path), "export", "--patient", str(patient_id), "--format", "json",
          "-o", str(out), "--deidentify"])  # fmt: skip
    exported = Path(capsys.readouterr().out.strip())
    patients = db.count_patients()
    assert main(["--db", str(db.path), "import", str(exported)]) == 2
    _one_line_error(capsys, "de-identified")
    assert db.count_patients() == patients


def test_the_installed_entry_point_exports(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", str(db.path), "export", "--patient",
         str(patient_id), "--format", "fhir", "-o", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", str(db.path), "export", "--patient", "4242",
         "--format", "fhir", "-o", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "none").exists()
