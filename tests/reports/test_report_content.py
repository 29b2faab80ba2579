"""What the clinician report and the handout say, read back from the PDFs (issue 13 §5).

The demo patient with four visits (Amélie Durand, measured on simulated devices), scenario
patients stored through the real storage API, and the CLI.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from clinic_app.cli import main
from clinic_app.demo_data import ensure_demo_data
from clinic_app.plan import edit
from clinic_app.reports import build_clinician_report, build_handout
from clinic_app.reports.charts import legend_rows, nice_ticks, trace_chart
from clinic_app.reports.source import load_report_data
from clinic_app.reports.styles import MARGIN
from clinic_app.reports.trend_chart import TrendPoint, trend_chart
from clinic_app.reports.words import ReportError
from clinic_app.storage import Database
from tests.plan.clinic import PATIENT, Lunge, Visit, plan_visit, record_visit, run_clinic

INTERNAL = re.compile(r"§|clinical\.md|clinical reference|\b[a-z]+_[a-z0-9_]+\b")
"""Internal names: file sections, ids like ec_firm, foot_shift or tibial_crest_15cm."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with Database.open(path, backup_on_start=False) as db:
        ensure_demo_data(db, today=date(2026, 11, 24))
        pid = db.record_number_owner("DEMO-001")
    assert pid is not None
    yield path, pid


def _pdfs(path: Path, pid: int, **kw: object) -> tuple[bytes, bytes]:
    with Database.open(path, backup_on_start=False) as db:
        data = load_report_data(db, pid, **kw)  # type: ignore[arg-type]
    report, handout = io.BytesIO(), io.BytesIO()
    build_clinician_report(data, report)
    build_handout(data, handout)
    return report.getvalue(), handout.getvalue()


def _pages(pdf: bytes) -> list[str]:
    return [p.extract_text().replace("\n", " ") for p in PdfReader(io.BytesIO(pdf)).pages]


def test_page_one_shows_change_since_the_first_and_the_last_visit(demo: tuple[Path, int]) -> None:
    """The issue's case: the left side improved 5.8 → 10.6 cm, 32.8 → 40.3° since the first."""
    report, _ = _pdfs(*demo)
    page1 = _pages(report)[0]
    assert "Since last visit" in page1 and "Since first visit" in page1
    assert "Improved" in page1  # real change since the first visit, even if not since the last
    assert "LSI" in page1 and "Lunge pain" in page1
    assert "Runner: running 8 years · 45 km a week" in page1
    assert "dominant (kicking) leg: right" in page1


def test_no_internal_names_in_either_document(demo: tuple[Path, int]) -> None:
    report, handout = _pdfs(*demo)
    for pdf in (report, handout):
        text = " ".join(_pages(pdf))
        assert not INTERNAL.findall(text), INTERNAL.findall(text)[:10]


def test_examiner_signs_and_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ex.sqlite3"
    with Database.open(path, backup_on_start=False, user="test") as db:
        pid = db.create_patient(PATIENT).id
        record_visit(db, pid, Visit(0, {"left": Lunge(9.0, 36.0), "right": Lunge(12, 45)},
                                    examiner=""))  # fmt: skip
        plan_visit(db, pid)
        data = load_report_data(db, pid)
    with pytest.raises(ReportError, match="needs the examiner's name"):
        build_clinician_report(data, io.BytesIO())
    out = tmp_path / "never.pdf"
    assert main(["--db", str(path), "report", "--patient", str(pid), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "examiner" in err and not out.exists()
    with Database.open(path, backup_on_start=False, user="test") as db:
        db.set_setting("examiner_name", "Dr. Ana Ruiz")
        data = load_report_data(db, pid)
    report = io.BytesIO()
    build_clinician_report(data, report)
    last = _pages(report.getvalue())[-1]
    assert "Sign-off" in last and "Dr. Ana Ruiz" in last and "Signature" in last


def test_plan_in_brief_follows_the_clinicians_edits(tmp_path: Path) -> None:
    path = tmp_path / "edit.sqlite3"
    plan = run_clinic(path, [Visit(0, {"left": Lunge(7.0, 33.0), "right": Lunge(12.3, 45.8)})])
    position = [i.exercise_id for i in plan.phases[0].items].index("ankle_rocks")
    edited = edit.add_exercise(edit.remove_item(plan, "mobility", position), "single_leg_squat")
    report, _ = _pdfs(path, 1, plan=edited)
    page1 = _pages(report)[0]
    brief = page1.split("Plan in brief", 1)[1]
    assert "knee-to-wall ankle rocks" not in brief and "single-leg mini squat" in brief


def test_pain_is_a_key_finding_and_balance_says_not_tested(tmp_path: Path) -> None:
    path = tmp_path / "pain.sqlite3"
    run_clinic(path, [Visit(0, {"left": Lunge(12.0, 45.0, 7, "posterior"),
                                "right": Lunge(12.3, 45.8)})])  # fmt: skip
    report, handout = _pdfs(path, 1)
    page1 = _pages(report)[0]
    key = page1.split("Key findings", 1)[1].split("Plan in brief", 1)[0]
    assert "Left lunge pain 7/10" in key
    assert "not tested" in page1
    assert "Reduce load" in page1 and "ontinue normal training" not in page1
    hand = " ".join(_pages(handout))
    assert "did not test your balance" in hand and "balance is good" not in hand
    assert "cut your running back" in hand and "Land the way you normally do" in hand


def test_clinic_thresholds_are_shown_in_the_methods(tmp_path: Path) -> None:
    path = tmp_path / "thr.sqlite3"
    run_clinic(path, [Visit(0, {"left": Lunge(7.0, 33.0), "right": Lunge(12.3, 45.8)})])
    with Database.open(path, backup_on_start=False) as db:
        db.set_setting("thresholds", {"retest.max_weeks": 3})
    report, _ = _pdfs(path, 1)
    text = " ".join(_pages(report))
    assert "Clinic settings in use" in text and "Re-test interval otherwise: 3 weeks" in text


def test_a_hundred_character_name_never_overprints_the_page_number(tmp_path: Path) -> None:
    """Issue 12 §5: the footer's name gives way, never "page N"."""
    path = tmp_path / "long.sqlite3"
    long_name = "Wolfeschlegelsteinhausenbergerdorff-" * 3
    long_name = long_name[:100]
    with Database.open(path, backup_on_start=False, user="test") as db:
        pid = db.create_patient({**PATIENT, "last_name": long_name}).id
        record_visit(db, pid, Visit(0, {"left": Lunge(7.0, 33.0), "right": Lunge(12, 45)}))
        plan_visit(db, pid)
    for pdf in _pdfs(path, pid):
        for page in PdfReader(io.BytesIO(pdf)).pages:
            foot = [r for r in _text_runs(page) if r[2] < MARGIN]
            right = next(r for r in foot if "page" in r[0])
            left = [(t, x) for t, x, _ in foot if "page" not in t]
            assert any(long_name[:20] in t for t, _ in left)  # the name is there, shortened
            left_end = max(x + stringWidth(t, "DorsiSans", 7) for t, x in left)
            assert left_end < right[1], (left_end, right)


def _text_runs(page: object) -> list[tuple[str, float, float]]:
    """(text, x, y) of every text run drawn on a page, in points."""
    runs: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            runs.append((text, tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return runs


def test_chart_axes_contain_their_data_and_legends_do_not_overlap() -> None:
    """Holds at 43.7° with a top tick of 40° was the bug: the last tick reaches the data."""
    for lo, hi in ((0.0, 43.7), (0.0, 40.0), (-3.2, 47.9), (5.0, 5.01)):
        ticks = nice_ticks(lo, hi, 5)
        assert ticks[0] <= lo and ticks[-1] >= hi
    labels = ["trial 1", "trial 2, invalid", "trial 2", "trial 3, incomplete", "trial 3"]
    width = 150.0
    for row in legend_rows(labels, width):
        used = sum(14 + 3 + stringWidth(labels[i], "DorsiSans", 6) + 8 for i in row)
        assert used <= width + 8 or len(row) == 1
    import numpy as np

    from clinic_app.reports.charts import TraceSeries

    t = np.linspace(0, 6, 100)
    series = [TraceSeries(label, t, 43.7 * np.clip(t / 3, 0, 1), 43.7) for label in labels]
    drawing = trace_chart(series, "left", 250, 150)
    assert drawing.height == 150  # drawn without error; the axis range is nice_ticks'


def test_left_and_right_differ_without_colour_in_the_trend_chart() -> None:
    from reportlab.graphics.shapes import Circle, PolyLine, Rect

    pts = [TrendPoint(0, 10.0, False), TrendPoint(4, 12.5, True, 1.9)]
    drawing = trend_chart("Distance", "cm", {"left": pts, "right": pts}, 200, 150)
    shapes = list(drawing.contents[0].getContents())
    lines = [s for s in shapes if isinstance(s, PolyLine)]
    assert {tuple(s.strokeDashArray or ()) for s in lines} == {(), (3.5, 2.0)}
    assert any(isinstance(s, Circle) for s in shapes) and any(
        isinstance(s, Rect) and s.width < 6 for s in shapes
    )


def test_stabilogram_label_equals_the_trial_table(demo: tuple[Path, int]) -> None:
    with Database.open(demo[0], backup_on_start=False) as db:
        data = load_report_data(db, demo[1])
    report = io.BytesIO()
    build_clinician_report(data, report)
    text = " ".join(_pages(report.getvalue()))
    assert data.cop
    for (side, cond), path in data.cop.items():
        label = f"{path.trial_label}: ellipse {path.area_cm2:.1f} cm²"
        assert label in text, label
        summary = data.interp.summary.balance[side][cond]
        trial = next(
            t for t in summary.trials if not t.practice and t.status == "valid" and t.metrics
        )
        assert f"{trial.metrics['ellipse_area_95_cm2']:.1f}" == f"{path.area_cm2:.1f}"


NEGATIVE_ZERO = re.compile(r"(?<![\d.])[-−]0(?:\.0+)?(?![\d.]*[1-9])")
"""A number printed as "-0", "-0.0" or "−0.00": a loss that rounds to nothing."""


def test_a_change_that_rounds_to_zero_never_prints_as_minus_zero(tmp_path: Path) -> None:
    """Issue 14 §4: the report said "L -0.0" for a left side that had not changed."""
    path = tmp_path / "zero.sqlite3"
    run_clinic(
        path,
        [
            Visit(
                0,
                {"left": Lunge(9.0, 38.0), "right": Lunge(9.0, 38.0)},
                {(side, "ec_firm"): ([1.50, 1.50, 1.50], 0) for side in ("left", "right")},
            ),
            Visit(
                4,
                {"left": Lunge(9.0, 38.0), "right": Lunge(9.0, 38.0)},
                {(side, "ec_firm"): ([1.47, 1.47, 1.47], 0) for side in ("left", "right")},
            ),
        ],
    )
    report, handout = _pdfs(path, 1)
    for pdf in (report, handout):
        text = " ".join(_pages(pdf))
        assert not NEGATIVE_ZERO.findall(text), [
            text[max(0, m.start() - 40) : m.end() + 10] for m in NEGATIVE_ZERO.finditer(text)
        ]
    page1 = _pages(report)[0]
    assert "L 0.0 ● No real change" in page1, page1.split("Since first visit", 1)[1][:300]


def _laid_out(monkeypatch: pytest.MonkeyPatch, build: Any, data: Any) -> list[tuple[int, str]]:
    """Every flowable as drawn: (page, its style or class name)."""
    from reportlab.platypus.doctemplate import BaseDocTemplate

    seen: list[tuple[int, str]] = []

    def after(doc: BaseDocTemplate, flowable: Any) -> None:
        style = getattr(getattr(flowable, "style", None), "name", type(flowable).__name__)
        seen.append((doc.page, str(style)))

    monkeypatch.setattr(BaseDocTemplate, "afterFlowable", after)
    build(data, io.BytesIO())
    return seen


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_no_heading_is_left_alone_at_the_foot_of_a_page(
    demo: tuple[Path, int], monkeypatch: pytest.MonkeyPatch, paper: str
) -> None:
    """Issue 14 §7: a heading is always on the page of what it heads."""
    import dataclasses

    path, pid = demo
    with Database.open(path, backup_on_start=False) as db:
        data = dataclasses.replace(load_report_data(db, pid), paper=paper)
    # Notes of growing length move every later heading down the page, so that some land
    # at a page's foot: each must then move to the next page with what follows it.
    notes = ["", *("Check the left heel at the next visit. " * (6 * k) for k in range(1, 5))]
    layouts = [
        (build, dataclasses.replace(data, plan=dataclasses.replace(data.plan, clinician_notes=n)))
        for build in (build_clinician_report, build_handout)
        for n in notes
    ]
    for build, data in layouts:
        drawn = _laid_out(monkeypatch, build, data)
        assert len({page for page, _ in drawn}) >= 3
        assert sum(style in ("h1", "h2") for _, style in drawn) >= 5
        for (page, style), (next_page, _) in pairwise(drawn):
            if style in ("h1", "h2", "title"):
                assert next_page == page, f"{build.__name__}: '{style}' alone on page {page}"
