"""What each trial did is on screen, and nothing of the last test stays (issue 14 §4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from clinic_app.protocols.status import newtons
from clinic_app.storage import Database
from clinic_app.ui.plots.live_plots import side_colour
from tests.ui.assessment_rig import close_assessment, open_assessment


@pytest.fixture
def rig(make_window: Any, db: Database) -> Iterator[dict[str, Any]]:
    opened = open_assessment(make_window, db, size=(1366, 740))
    yield opened
    close_assessment(opened)


def _one_lunge(rig: dict[str, Any], distance: str) -> None:
    page, visit = rig["page"], rig["visit"]
    run = page.run
    visit.until(lambda: rig["patient"].idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: run.protocol.phase == "live" and run.protocol.heel_checked)
    visit.tick()
    assert page.live.heel.isVisible()
    assert page.live.heel.text().startswith("Heel down · ")  # from the plate, live
    visit.until(lambda: run.protocol.phase == "entry")
    page.live.entry.distance.setText(distance)
    QTest.keyClick(page.live.entry.distance, Qt.Key.Key_Return)


def test_each_trial_is_listed_the_big_number_keeps_the_capture_and_a_side_is_summed_up(
    rig: dict[str, Any],
) -> None:
    page = rig["page"]
    _one_lunge(rig, "9.4")
    captured = page.run.protocol.outcomes[-1].result["angle_deg"]
    rig["visit"].tick()
    assert page.live.big.text() == f"{captured:.1f}°"  # not the live angle again
    assert page.live.caption.text() == "last trial (captured)"
    assert page.live.trials.item(0).text() == f"Trial 1: {captured:.1f}° · 9.4 cm ✓"
    # "trial 2 of 3" never wraps inside itself at 1366 px ("trial 2 of / 3").
    assert "trial\u00a02\u00a0of\u00a03" in page.live.title.text()
    _one_lunge(rig, "9.6")
    _one_lunge(rig, "9.8")
    texts = [page.live.trials.item(i).text() for i in range(page.live.trials.count())]
    assert len(texts) == 4 and texts[-1].startswith("Left: mean ")
    assert texts[-1].endswith("· 9.6 cm (3 valid trials)")


def test_a_new_test_starts_clean_in_its_own_side_colour(rig: dict[str, Any]) -> None:
    page, visit = rig["page"], rig["visit"]
    visit.until(lambda: rig["patient"].idle)
    QTest.keyClick(page, Qt.Key.Key_Space)

    def traced() -> bool:
        x = page.live.angle.curve.getData()[0]
        return x is not None and len(x) > 10

    visit.until(traced)
    page.live.log.setText("a line of the lunge")
    QTest.keyClick(page, Qt.Key.Key_Escape)  # stop the lunge trial
    page._go_to(page.run.index + 3)  # balance, right (a click in the step list)
    assert page.run.step.label == "Balance R EO"
    x, _ = page.live.angle.curve.getData()
    assert x is None or len(x) == 0  # the lunge trace is gone
    assert page.live.log.text() == ""
    assert not page.live.heel.isVisible()
    assert page.live.trials.count() == 0
    assert page.live.stabilogram.curve.opts["pen"].color().name() == side_colour("right").lower()
    current = [i for i in range(page.live.steps.count()) if page.live.steps.item(i).isSelected()]
    assert current == [page.run.index]  # only the test on screen is highlighted
    item = page.live.steps.item(page.run.index)
    width = page.live.steps.fontMetrics().horizontalAdvance(item.text())
    assert page.live.steps.viewport().width() >= width  # "Balance R EO", never "Balanc… EO"


def test_a_load_of_minus_a_fraction_reads_zero() -> None:
    assert newtons(-0.4) == "0 N"
    assert newtons(-0.0) == "0 N"
    assert newtons(612.6) == "613 N"
    assert newtons(float("nan")) == "—"
