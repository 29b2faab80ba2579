"""The real window when the database stops accepting writes mid-trial (issue 12 §1).

Another program takes the database's write lock while a balance trial records; the
visit's journal worker gives up after its busy timeout (5 s, as in the clinic). The trial
must stop, must not count, and a modal alert must say in words that it was not saved and
what to do; after the lock is gone the clinician repeats the trial and the visit ends
"saved" honestly.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from clinic_app.storage import Database
from clinic_app.ui.selftest_support import run_modal
from tests.ui.dialogs import answer
from tests.ui.test_assessment import rig, start  # noqa: F401  (the shared fixture)
from tests.write_lock import write_locked


def _alert() -> QMessageBox | None:
    boxes = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "storageAlert" and w.isVisible()
    ]
    return boxes[0] if boxes else None


def test_database_unwritable_mid_trial_stops_it_and_says_not_saved(
    rig: dict[str, Any],  # noqa: F811
    db: Database,
    qtbot: Any,
) -> None:
    run = start(rig)
    page, visit, window = rig["page"], rig["visit"], rig["window"]
    run.go_to(2, rig["clock"].now())  # balance, left, eyes open
    visit.until(lambda: rig["patient"].idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: run.protocol.phase == "live")
    visit.until(lambda: rig["clock"].now() > run.protocol.t_start + 1.0)
    trial_id = run.trial_id
    assert trial_id is not None

    with write_locked(db.path):
        # The worker waits its busy timeout in real time; the screen keeps running at the
        # pace of the clock (one 50 ms tick per 50 ms), so the trial is still recording.
        deadline = time.monotonic() + 30
        while _alert() is None:
            assert time.monotonic() < deadline, "no alert within 30 s"
            visit.tick()
            qtbot.wait(50)
        box = _alert()
        assert box is not None and box.isModal()
        assert box.windowTitle() == "The recording was not saved"
        assert box.text() == (
            "The trial (Balance L EO) was NOT saved: another program kept the database locked."
        )
        assert "press Space to repeat the trial" in box.informativeText()
        assert not run.protocol.in_trial and run.trial_id is None
        assert run.not_saved == {trial_id} and run.outcomes == []
        assert "Not saved" in page.live.log.text()
        step = page.live.steps.item(2).text()
        assert "Balance L EO" in step
        QTest.keyClick(box, Qt.Key.Key_Space)  # a foot pedal does not dismiss it
        assert box.isVisible() and not run.protocol.in_trial
        assert not page.bridge.timer.isActive()  # no trial starts by itself under it
        box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: _alert() is None)

    # The lock is gone: the clinician repeats the trial and finishes the visit.
    session_id = run.session_id
    visit.until(lambda: rig["patient"].idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: bool(run.outcomes))
    assert run.outcomes[-1][1].status == "valid"
    # The other tests of the visit were not done: the clinician confirms finishing without.
    run_modal(page.live.finish_button.click, answer("Finish visit"), QMessageBox)
    assert window.statusBar().currentMessage() == (
        "Assessment saved (1 trial was not saved, as shown earlier)."
    )
    lost = db.get_trial(trial_id)
    assert lost.status == "incomplete" and lost.invalid_reason.startswith("not saved: ")
    kept = [t for t in db.trials_for_session(session_id) if t.id != trial_id]
    assert [t.status for t in kept] == ["valid"]
    assert db.recording_sample_count(kept[0].id, "plate") > 5000
