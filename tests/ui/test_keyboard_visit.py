"""A whole demo visit with the keyboard alone, keys going wherever the focus is.

A clinician beside the patient (or a foot pedal typing Space) never reaches for the
mouse: Ctrl+T opens the assessment, Space starts it, arms and moves on, the knee-to-wall
distance is typed (or the demo's reading accepted with Enter or Space), Tab and Enter in
the pain box save, R repeats. Each key goes to the widget that has the focus, as a real
keyboard's does: "R" with the cursor in the distance field once typed an "r" ("'r' is not
a distance") and the message stayed on the next trial.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from clinic_app.storage import Database
from clinic_app.ui.assessment.script import ScriptedVisit, simulated_patient
from drivers.registry import default_registry
from drivers.simulated import ManualClock
from tests.ui.conftest import PATIENT


def key(window: QWidget, which: Qt.Key, modifier: Any = Qt.KeyboardModifier.NoModifier) -> None:
    """One key press on whatever has the keyboard focus (the window if nothing does)."""
    QTest.keyClick(QApplication.focusWidget() or window, which, modifier)


def typed(window: QWidget, text: str) -> None:
    for char in text:
        QTest.keyClicks(QApplication.focusWidget() or window, char)


@pytest.fixture
def visit(qtbot: Any, make_window: Any, db: Database) -> Iterator[dict[str, Any]]:
    patient_id = db.create_patient(PATIENT).id
    clock = ManualClock(start_s=100.0)
    simulated = simulated_patient(clock, 61.5)
    window = make_window(demo=True)
    window.resize(1366, 740)
    window.demo_patient = simulated
    with qtbot.waitActive(window):
        window.activateWindow()
    window.select_patient(patient_id)
    yield {"window": window, "patient": simulated, "clock": clock, "patient_id": patient_id}
    page = window.page("assessment")
    if page is not None:
        page._stop_run()  # nothing left running: closing would ask the clinician
    default_registry().close_all()
    default_registry().clear()


def test_a_complete_demo_visit_with_the_keyboard_alone(
    qtbot: Any, visit: dict[str, Any], db: Database
) -> None:
    window = visit["window"]
    key(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page_key() == "assessment"
    page = window.page("assessment")
    page.beep = False
    page.setup.practice.setChecked(False)  # (the setup's choices are the clinic's defaults)
    for condition, box in page.setup.conditions.items():
        box.setChecked(condition == "eo_firm")
    key(window, Qt.Key.Key_Space)
    assert page.run is not None, "Space on the setup screen starts the visit"
    page.bridge.stop()  # the test ticks the bridge on the manual clock
    session_id = page.run.session_id
    script = ScriptedVisit(page, visit["patient"], visit["clock"])
    entries = 0
    repeated = False
    while page.run is not None:
        proto = page.run.protocol
        if proto.phase in ("ready", "done"):
            script.until(lambda: visit["patient"].idle, 60)
            key(window, Qt.Key.Key_Space)
        elif proto.phase == "entry":
            form = page.live.entry
            assert QApplication.focusWidget() is form.distance
            if not repeated:
                # A mistyped distance, then R with the cursor still in the field.
                form.distance.selectAll()
                typed(window, "900")
                key(window, Qt.Key.Key_Return)
                assert form.error.text(), "a distance of 900 cm is refused in words"
                key(window, Qt.Key.Key_R)
                assert page.run.protocol.phase == "live", "R repeated the trial"
                assert "r" not in form.distance.text().lower()
                assert form.error.text() == "", "the message did not carry over"
                repeated = True
                continue
            entries += 1
            if entries == 1:  # type the distance, Tab to the pain box, 2, where, Enter
                form.distance.selectAll()
                typed(window, "9,4")
                key(window, Qt.Key.Key_Tab)
                assert QApplication.focusWidget() in (form.pain, form.pain.findChild(QWidget))
                typed(window, "2")
                key(window, Qt.Key.Key_Return)  # Enter in the pain box saves, or says why not
                assert "where the pain was" in form.error.text()
                assert QApplication.focusWidget() is form.place  # the cursor where it's wrong
                typed(window, "F")  # "Front of the ankle"
                key(window, Qt.Key.Key_Return)
            elif entries % 3 == 1:  # pain 0 typed in the pain box, Enter there
                key(window, Qt.Key.Key_Tab)
                typed(window, "0")
                key(window, Qt.Key.Key_Return)
            elif entries % 3 == 2:
                key(window, Qt.Key.Key_Return)  # the demo's tape reading, as offered
            else:
                key(window, Qt.Key.Key_Space)  # the foot pedal accepts it too
            assert page.run is None or page.run.protocol.phase != "entry", (
                entries,
                form.values(),
                form.error.text(),
                QApplication.focusWidget(),
            )
        else:
            before = len(proto.outcomes)
            script.until(lambda p=proto, n=before: script._moved_on(p, n))
    assert window.current_page_key() == "results"
    assert db.get_session(session_id).status == "complete"
    trials = db.trials_for_session(session_id)
    lunges = [t for t in trials if t.protocol == "lunge" and t.status == "valid"]
    assert len(lunges) == 6 and entries == 6
    assert any(
        t.result["distance_cm"] == 9.4
        and t.result["pain_nrs"] == 2
        and t.result["pain_location"] == "anterior"
        for t in lunges
    )
    assert [t.invalid_reason for t in trials if t.status == "incomplete"] == [
        "repeated by the clinician before it was finished"
    ]
    assert {t.side for t in trials if t.protocol == "balance" and t.status == "valid"} == {
        "left",
        "right",
    }
