"""The PDFs read back: names, headings, plan exercises, embedded fonts, non-ASCII text, CLI."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinic_app.bench.report import build_fixture_db
from clinic_app.cli import main
from clinic_app.plan import load_library
from clinic_app.reports import build_clinician_report, build_handout
from clinic_app.reports.clinician import SECTION_HEADINGS as REPORT_HEADINGS
from clinic_app.reports.handout import SECTION_HEADINGS as HANDOUT_HEADINGS
from clinic_app.reports.source import load_report_data
from clinic_app.storage import Database

FIRST, LAST = "Zoë", "Núñez 王小明"


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    path = tmp_path_factory.mktemp("db") / "reports.sqlite3"
    patient_id, _ = build_fixture_db(path, visits=2, name=(FIRST, LAST))
    yield path, patient_id


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _fonts_embedded(pdf: bytes) -> list[str]:
    """Names of fonts that lack an embedded font file (empty when all are embedded)."""
    missing = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descs = [font]
            if "/DescendantFonts" in font:
                descs = [d.get_object() for d in font["/DescendantFonts"]]
            for d in descs:
                fd = d.get("/FontDescriptor")
                fd = fd.get_object() if fd is not None else {}
                if not any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.append(str(font.get("/BaseFont")))
    return missing


def _build(path: Path, patient_id: int, paper: str = "A4") -> tuple[bytes, bytes, object]:
    with Database.open(path, backup_on_start=False) as db:
        data = load_report_data(db, patient_id, paper=paper)
    report, handout = io.BytesIO(), io.BytesIO()
    build_clinician_report(data, report)
    build_handout(data, handout)
    return report.getvalue(), handout.getvalue(), data


def test_clinician_report_reads_back(fixture_db: tuple[Path, int]) -> None:
    report, _, data = _build(*fixture_db)
    text = _text(report)
    assert FIRST in text and "Núñez" in text and "王小明" in text
    assert "Clínica del Río" in text and "河畔诊所" in text
    for heading in (*REPORT_HEADINGS, "Trends"):
        assert heading in text, heading
    lib = load_library()
    for item in data.plan.items:  # type: ignore[attr-defined]
        assert lib.exercise(item.exercise_id).name.split(" (")[0] in text.replace("\n", " ")
    assert "DorsiLab 0." in text and "MDC" in text
    assert _fonts_embedded(report) == []


def test_handout_reads_back_with_every_exercise(fixture_db: tuple[Path, int]) -> None:
    _, handout, data = _build(*fixture_db)
    text = _text(handout).replace("\n", " ")
    assert f"{FIRST} {LAST}" in text
    for heading in HANDOUT_HEADINGS:
        assert heading in text, heading
    lib = load_library()
    items = data.plan.items  # type: ignore[attr-defined]
    assert items
    for item in items:
        assert lib.exercise(item.exercise_id).name in text
    from datetime import date

    from clinic_app.reports.handout import long_date

    retest = date.fromisoformat(data.plan.retest_date)  # type: ignore[attr-defined]
    assert long_date(retest) in text
    assert _fonts_embedded(handout) == []


def test_letter_paper_and_a4(fixture_db: tuple[Path, int]) -> None:
    report, _, _ = _build(*fixture_db, paper="Letter")
    box = PdfReader(io.BytesIO(report)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    report, _, _ = _build(*fixture_db, paper="A4")
    box = PdfReader(io.BytesIO(report)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_first_visit_has_no_trends(tmp_path: Path) -> None:
    path = tmp_path / "one.sqlite3"
    patient_id, _ = build_fixture_db(path, visits=1, name=("José", "Muñoz"))
    report, handout, _ = _build(path, patient_id)
    text = _text(report)
    assert "José Muñoz" in text and "Trends" not in text and "first visit" in text
    assert "José Muñoz" in _text(handout)


def test_cli_writes_report_and_handout(
    fixture_db: tuple[Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path, patient_id = fixture_db
    out = tmp_path / "r.pdf"
    assert main(["--db", str(path), "report", "--patient", str(patient_id), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    monkeypatch.chdir(tmp_path)
    assert main(["--db", str(path), "report", "--patient", str(patient_id), "--handout"]) == 0
    written = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert written.parent == tmp_path and written.name.endswith("-handout.pdf")
    assert "Your ankle plan" in _text(written.read_bytes())
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("extra", [["--patient", "999"], ["--patient", "1", "--session", "999"]])
def test_unknown_ids_exit_2_and_write_nothing(
    fixture_db: tuple[Path, int], tmp_path: Path, extra: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path, _ = fixture_db
    out = tmp_path / "never.pdf"
    assert main(["--db", str(path), "report", *extra, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "999" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_stopped_plan_documents_say_whom_to_see(tmp_path: Path) -> None:
    from clinic_app.reports.source import generate_plan, session_context

    path = tmp_path / "flag.sqlite3"
    patient_id, sessions = build_fixture_db(path, visits=1)
    with Database.open(path, backup_on_start=False) as db:
        ctx = session_context(db, patient_id)
        plan = generate_plan(ctx, red_flags=["achilles_rupture"], red_flags_checked=True)
        db.save_plan(sessions[-1], plan.to_dict(), "Dr. Ünal")
    report, handout, data = _build(path, patient_id)
    assert data.plan.status == "stopped"  # type: ignore[attr-defined]
    text = _text(report).replace("\n", " ")
    assert "Exercise plan stopped" in text and "Same-day medical referral" in text
    hand = _text(handout).replace("\n", " ")
    # Plain language for the patient: what to do, no clinician terms, no exercises to stop.
    assert "What to do now" in hand and "Go to the emergency department today" in hand
    assert "Same-day medical referral" not in hand and "Wells" not in hand
    assert "Stop the exercises" not in hand and "stop the exercises" not in hand
    assert "Do not run until a doctor has checked your ankle" in hand
    assert "Your exercises" not in hand and "Your weekly log" not in hand
    assert _fonts_embedded(handout) == []


def test_clinic_logo_appears_in_the_header(tmp_path: Path) -> None:
    from clinic_app.paths import resource

    path = tmp_path / "logo.sqlite3"
    patient_id, _ = build_fixture_db(path, visits=1)
    with Database.open(path, backup_on_start=False) as db:
        db.set_setting("logo_path", str(resource("icons", "dorsilab-128.png")))
    report, handout, _ = _build(path, patient_id)
    for pdf in (report, handout):
        page = PdfReader(io.BytesIO(pdf)).pages[0]
        xobjects = page["/Resources"].get_object().get("/XObject", {})
        images = [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
        assert images, "the clinic logo is missing from the header"


def test_damaged_saved_plan_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.sqlite3"
    patient_id, sessions = build_fixture_db(path, visits=1)
    with Database.open(path, backup_on_start=False) as db:
        db.save_plan(sessions[-1], {"schema": 99}, "someone")
    out = tmp_path / "never.pdf"
    code = main(["--db", str(path), "report", "--patient", str(patient_id), "-o", str(out)])
    assert code == 2 and not out.exists()
    assert "saved plan (version 1)" in capsys.readouterr().err
