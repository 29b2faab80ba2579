"""Trend sparklines on the patient page: shown from the second measured visit on."""

from __future__ import annotations

from typing import Any

from clinic_app.storage import Database
from clinic_app.ui.history.sparklines import TrendSparklines
from tests.exchange.conftest import add_visit


def test_patient_page_shows_trends_once_there_is_a_re_test(make_window: Any, db: Database) -> None:
    patient = db.create_patient(
        {"first_name": "Ana", "last_name": "García", "birth_date": "1990-04-17"}
    )
    window = make_window()
    window.select_patient(patient.id)
    window.show_page("patient")
    page = window.page("patient")
    trends = page.findChild(TrendSparklines)
    assert trends is not None and trends.isHidden()  # no visit yet
    add_visit(db, patient.id, "2026-09-01T09:00:00Z", 36.0, seed=1)
    page.refresh()
    assert trends.isHidden()  # one visit: nothing to trend
    add_visit(db, patient.id, "2026-10-13T09:00:00Z", 41.0, seed=2)
    page.refresh()
    assert not trends.isHidden()
    # Eyes-closed balance failed at both visits: no velocity line, only the lunge measures.
    assert trends.shown == ["Knee-to-wall distance", "Tibial angle"]
    texts = [w.text() for w in trends.findChildren(type(page.name_label))]
    # conftest: angle means 32.6° → 37.6° left, 36.6° → 41.6° right (+5.0° > 4.7° MDC, same
    # examiner); distances 9.7 → 9.7 cm on both sides (no change).
    assert "L 32.6 → 37.6° (real change)\nR 36.6 → 41.6° (real change)" in texts
    assert "L 9.7 → 9.7 cm\nR 9.7 → 9.7 cm" in texts
