"""The history page on the real demo history: timeline, trend charts with MDC bands and
real-change stars, the site-change note, and any two visits compared (mouse and keys)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from clinic_app.demo_data import ensure_demo_data
from clinic_app.storage import Database
from clinic_app.ui import theme
from clinic_app.ui.history.model import LUNGE_MEASURES, PatientHistory
from clinic_app.ui.history.page import HistoryPage
from tests.exchange.conftest import add_visit


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database.open(tmp_path_factory.mktemp("hist") / "demo.sqlite3", backup_on_start=False)
    ensure_demo_data(db, today=date(2026, 11, 24))
    yield db
    db.close()


@pytest.fixture
def page(qtbot: Any, demo_db: Database) -> HistoryPage:
    widget = HistoryPage(SimpleNamespace(db=demo_db))
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    return widget


def _pid(db: Database, number: str) -> int:
    pid = db.record_number_owner(number)
    assert pid is not None
    return pid


def _table(page: HistoryPage) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(group, measure, side) → (verdict text, verdict colour) of the comparison table."""
    out = {}
    group = ""
    for r in range(page.compare.table.rowCount()):
        if page.compare.table.columnSpan(r, 0) > 1:
            group = page.compare.table.item(r, 0).text()
            continue
        verdict = page.compare.table.item(r, 6)
        key = (group, page.compare.table.item(r, 0).text(), page.compare.table.item(r, 1).text())
        out[key] = (verdict.text(), verdict.foreground().color().name())
    return out


def _stars(chart: Any) -> int:
    return sum(
        len(item.data)
        for item in chart.plot.getPlotItem().items
        if isinstance(item, pg.ScatterPlotItem) and item.opts["symbol"] == "star"
    )


def test_timeline_and_lunge_trends_of_the_four_visit_patient(
    page: HistoryPage, demo_db: Database
) -> None:
    page.show_patient(_pid(demo_db, "DEMO-001"))
    assert page.inner.currentIndex() == 1
    assert "4 visits" in page.subtitle.text() and "over 12 weeks" in page.subtitle.text()
    assert page.timeline.count() == 4
    assert "Tom Okafor" in page.timeline.item(2).text()
    history = PatientHistory.from_database(demo_db, _pid(demo_db, "DEMO-001"))
    for chart, measure in zip(page.lunge_charts, LUNGE_MEASURES, strict=True):
        assert chart.band_count == 2  # baseline ± MDC, both sides
        left, right = history.series(measure, "left"), history.series(measure, "right")
        expected = sum(p.real for p in left.points) + sum(p.real for p in right.points)
        assert sum(p.real for p in left.points) >= 1 and not any(p.real for p in right.points)
        assert chart.star_count == expected == _stars(chart)
    notes = page.lunge_notes.text()
    assert "MDC 4.7°" in notes and "Powden" in notes
    assert "Tom Okafor" in notes and "between-examiner MDC" in notes


def test_balance_tab_bands_only_where_an_mdc_exists(page: HistoryPage, demo_db: Database) -> None:
    page.show_patient(_pid(demo_db, "DEMO-001"))
    conditions = [page.condition.itemData(i) for i in range(page.condition.count())]
    assert conditions == ["eo_firm", "ec_firm"]
    assert page.condition.currentData() == "ec_firm"
    velocity, area = page.balance_charts
    assert velocity.band_count == 2 and area.band_count == 0
    assert velocity.star_count >= 1 and area.star_count == 0
    assert "no published MDC" in page.balance_notes.text()
    page.condition.setCurrentIndex(conditions.index("eo_firm"))
    assert page.balance_charts[0].band_count == 0  # eyes-open velocity has no MDC
    assert "eyes open" in page.balance_charts[0].title.text()


def test_comparison_table_judges_b_against_a_and_swaps_with_a_key(
    qtbot: Any, page: HistoryPage, demo_db: Database
) -> None:
    page.show_patient(_pid(demo_db, "DEMO-001"))
    assert (page.compare.combo_a.currentIndex(), page.compare.combo_b.currentIndex()) == (0, 3)
    rows = _table(page)
    assert rows[("Lunge test", "Tibial angle", "Left")] == (
        "Real improvement",
        QColor(theme.GOOD).name(),
    )
    assert rows[("Lunge test", "Tibial angle", "Right")][0] == "Within the MDC: no real change"
    # Only the verdict cell wears the verdict colour; the measure name stays plain ink.
    measure_cell = page.compare.table.item(1, 0)  # left tibial angle: a real improvement
    assert measure_cell.text() == "Tibial angle"
    assert page.compare.table.item(1, 6).text() == "Real improvement"
    assert measure_cell.foreground().color().name() != QColor(theme.GOOD).name()
    assert rows[("Balance · eyes open, firm", "Mean COP velocity", "Left")][0] == (
        "No MDC: for information"
    )
    page.tabs.setCurrentIndex(2)
    page.compare.table.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert (page.compare.combo_a.currentIndex(), page.compare.combo_b.currentIndex()) == (3, 0)
    swapped = _table(page)
    assert swapped[("Lunge test", "Tibial angle", "Left")] == (
        "Real worsening",
        QColor(theme.BAD).name(),
    )
    page.compare.table.setCurrentCell(1, 0)
    assert (
        "more than the MDC" in page.compare.detail.text()
        and "Powden" in page.compare.detail.text()
    )


def test_picking_two_visits_on_the_timeline_compares_them(
    page: HistoryPage, demo_db: Database
) -> None:
    page.show_patient(_pid(demo_db, "DEMO-001"))
    page.tabs.setCurrentIndex(0)
    page.timeline.item(2).setSelected(True)
    page.timeline.item(1).setSelected(True)
    assert page.tabs.currentIndex() == 2
    assert (page.compare.combo_a.currentIndex(), page.compare.combo_b.currentIndex()) == (1, 2)
    # Visit 3 was by another examiner: the larger published MDC (4.7°) applies, so a change
    # between examiners is never easier to call real (clinical reference §3.7).
    angle = next(
        r for r in page.compare.row_items if not isinstance(r, str) and r.label == "Tibial angle"
    )
    assert angle.mdc == "4.7°"


def test_angles_from_another_inclinometer_site_are_never_compared(
    page: HistoryPage, demo_db: Database
) -> None:
    page.show_patient(_pid(demo_db, "DEMO-004"))
    rows = _table(page)
    assert rows[("Lunge test", "Tibial angle", "Left")][0] == "Not compared: other site"
    assert rows[("Lunge test", "Tibial angle", "Right")][0] == "Not compared: other site"
    assert "tibial tuberosity" in page.lunge_notes.text()
    assert "never compared" in page.lunge_notes.text()
    assert page.lunge_charts[0].star_count == 0
    # The baseline band stops before the tuberosity visit (week 5); distance has no site.
    angle_band_ends = [
        max(item.xData)
        for item in page.lunge_charts[0].plot.getPlotItem().items
        if isinstance(item, pg.PlotDataItem)
        and item.xData is not None
        and len(item.xData) == 2
        and item.opts["symbol"] is None
    ]
    assert angle_band_ends and max(angle_band_ends) < 5.0
    assert page.lunge_charts[1].band_count == 2
    assert page.condition.count() == 0
    assert "No balance trials" in page.balance_charts[0].empty.text()


def test_no_patient_and_no_visits(page: HistoryPage, demo_db: Database) -> None:
    page.show_patient(None)
    assert page.inner.currentWidget() is page.message
    assert "Select a patient" in page.message.text()
    page.show_patient(_pid(demo_db, "DEMO-015"))
    assert page.inner.currentWidget() is page.message
    assert "no measured visit yet" in page.message.text()
    assert page.can_leave()


def test_ctrl_h_opens_the_page_in_the_real_window(
    qtbot: Any, make_window: Any, db: Database, tmp_path: Path
) -> None:
    patient = db.create_patient(
        {"first_name": "Ana", "last_name": "García", "birth_date": "1990-04-17",
         "involved_side": "left"}
    )  # fmt: skip
    add_visit(db, patient.id, "2026-09-01T09:00:00Z", 36.0, seed=1)
    add_visit(db, patient.id, "2026-10-13T09:00:00Z", 41.0, seed=2)
    window = make_window()
    with qtbot.waitActive(window):
        window.activateWindow()
    window.select_patient(patient.id)
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    page = window.page("history")
    assert isinstance(page, HistoryPage)
    assert window.current_page_key() == "history"
    assert page.timeline.count() == 2 and "over 6 weeks" in page.subtitle.text()
