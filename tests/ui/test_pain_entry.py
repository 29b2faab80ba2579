"""The lunge entry form shows the domain's pain rule: pain and its location come together."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from clinic_app.storage import Database
from tests.ui.test_assessment import rig, start  # noqa: F401  (the assessment rig fixture)


def test_pain_without_a_place_or_a_place_without_pain_is_refused_at_entry(
    rig: dict[str, Any],  # noqa: F811
    db: Database,
) -> None:
    run = start(rig)
    page, visit = rig["page"], rig["visit"]
    visit.until(lambda: rig["patient"].idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: run.protocol.phase == "entry")
    form = page.live.entry
    form.distance.setText("10.0")
    form.pain.setValue(0)
    form.place.setCurrentIndex(form.place.findData("anterior"))
    QTest.keyClick(form.distance, Qt.Key.Key_Return)
    assert "needs a pain score above 0" in form.error.text()
    assert run.protocol.phase == "entry"  # nothing stored: the trial waits for a fix
    form.pain.setValue(4)
    form.place.setCurrentIndex(form.place.findData("none"))
    QTest.keyClick(form.distance, Qt.Key.Key_Return)
    assert "Say where the pain was" in form.error.text() and run.protocol.phase == "entry"
    form.place.setCurrentIndex(form.place.findData("posterior"))
    QTest.keyClick(form.distance, Qt.Key.Key_Return)
    assert run.protocol.phase != "entry" and form.error.text() == ""
    assert page.journal.flush(10)
    stored = [t for t in db.trials_for_session(run.session_id) if t.status == "valid"]
    assert [(t.result["pain_nrs"], t.result["pain_location"]) for t in stored] == [
        (4, "posterior")
    ]
