"""The assessment screens at a laptop's 1366×768: the patient list folds away, the results
table fits without scrolling, and the demo offers the knee-to-wall distance it "reads"."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLabel, QWidget

from clinic_app.analysis.norms import load_norms
from clinic_app.demo.history import SCRIPTS, _seed_patient
from clinic_app.demo.tape import DemoTapeReader, tape_for
from clinic_app.storage import Database
from clinic_app.storage.demo_seed import seed_demo_patients
from clinic_app.ui.assessment.script import ScriptedVisit, simulated_patient
from clinic_app.ui.main_window import window_settings
from clinic_app.ui.page_stack import PageFrame
from drivers.registry import default_registry
from drivers.simulated import ManualClock, SimulatedPatient
from tests.ui.conftest import PATIENT

LAPTOP = (1366, 768 - 40)  # a 1366×768 screen less a taskbar


def _inside(widget: QWidget, ancestor: QWidget) -> bool:
    """The whole of ``widget`` lies within ``ancestor``'s rectangle."""
    top_left = widget.mapTo(ancestor, QPoint(0, 0))
    rect = widget.rect().translated(top_left)
    return ancestor.rect().contains(rect)


# ------------------------------------------------------------------ the patient list
def test_the_patient_list_folds_during_an_assessment_and_comes_back(
    qtbot: Any, make_window: Any, db: Database
) -> None:
    patient = db.create_patient(PATIENT)
    window = make_window()
    window.resize(*LAPTOP)  # the toolbar has room for the patient's name
    with qtbot.waitActive(window):
        window.activateWindow()
    window.select_patient(patient.id)
    assert window.patient_list.isVisible() and window.list_action.isChecked()
    assert not window.patient_chip.isVisible()

    assert window.show_page("assessment")
    assert window.patient_list.isHidden() and not window.list_action.isChecked()
    qtbot.waitUntil(window.patient_chip.isVisible)  # the toolbar lays out on the next pass
    assert window.patient_chip.text() == f"Ana García · age {patient.age_years()}"

    window.list_action.trigger()  # Ctrl+B: the list on demand, on the same page
    assert window.patient_list.isVisible() and window.current_page_key() == "assessment"
    qtbot.waitUntil(lambda: not window.patient_chip.isVisible())
    window.list_action.trigger()
    assert window.patient_list.isHidden()

    window.actions_.find_patient.trigger()  # Ctrl+F needs the list: it unfolds
    assert window.patient_list.isVisible()
    assert window.focusWidget() is window.patient_list.search

    window.set_patient_list_visible(False)
    assert window.show_page("patient")  # leaving the assessment brings the list back
    assert window.patient_list.isVisible() and window.list_action.isChecked()


def test_a_folded_list_keeps_its_width_for_the_next_start(make_window: Any, db: Database) -> None:
    patient = db.create_patient(PATIENT)
    window = make_window()
    window.resize(*LAPTOP)
    window.splitter.setSizes([300, 1000])
    unfolded = window.splitter.saveState()
    window.select_patient(patient.id)
    assert window.show_page("assessment")
    assert window.patient_list.isHidden()
    window.save_state()  # as when the window closes on the assessment page
    assert window_settings().value("window/splitter") == unfolded


# ------------------------------------------------------------------ results at 1366×768
@pytest.fixture
def visited(db: Database) -> int:
    """The showcase demo patient with their last two scripted visits (lunge both sides,
    balance eyes open and closed both sides), measured on the simulated devices."""
    seed_demo_patients(db)
    script = dataclasses.replace(SCRIPTS[0], visits=SCRIPTS[0].visits[-2:])
    patient_id = db.record_number_owner(script.record_number)
    assert patient_id is not None
    patient = db.get_patient(patient_id)
    _seed_patient(db, patient, script, date(2026, 11, 24), load_norms())
    return patient_id


def test_results_of_a_full_visit_fit_a_laptop_screen_without_scrolling(
    make_window: Any, db: Database, visited: int
) -> None:
    window = make_window()
    window.resize(*LAPTOP)
    window.select_patient(visited)
    latest = db.patient_history(visited)[-1].session.id
    assert window.open_session(latest)
    QApplication.processEvents()
    assert window.size().toTuple() == LAPTOP  # no page forces the window wider or taller
    assert window.patient_list.isHidden()
    page = window.page("results")
    rows = {label.text() for label in page.table.findChildren(QLabel)}
    assert any("Balance EC" in t for t in rows) and any("Knee-to-wall" in t for t in rows)
    assert any("L 9." in t or "L 1" in t for t in rows)  # the last visit's values are shown

    # The table is in no scroll area and is shown whole, at its full height.
    # (every page sits in the main window's PageFrame, which must not scroll either).
    parent = page.table.parentWidget()
    while parent is not None:
        if isinstance(parent, PageFrame):
            assert not parent.verticalScrollBar().isVisible()
            assert not parent.horizontalScrollBar().isVisible()
        else:
            assert not isinstance(parent, QAbstractScrollArea)
        parent = parent.parentWidget()
    assert page.table.height() >= page.table.sizeHint().height()
    assert _inside(page.table, page)
    # Every cell shows all of its text: nothing squeezed or wrapped past its box.
    for label in page.table.findChildren(QLabel):
        assert label.width() >= label.minimumSizeHint().width(), label.text()
        assert label.height() >= label.sizeHint().height(), label.text()
    # The header is one line with the patient's name and age.
    heading = page.heading
    one_line = heading.fontMetrics().lineSpacing() * 1.5
    assert heading.heightForWidth(heading.width()) < one_line, heading.text()
    assert "Amélie Durand, " in heading.text()
    # "What it means" is on screen below the table, concerns first, and scrolls.
    assert page.meaning_title.isVisible() and _inside(page.meaning_title, page)
    scroll = page.meaning_scroll
    assert _inside(scroll, page) and scroll.viewport().height() > 100
    first = page.meaning_grid.itemAtPosition(0, 1).widget()
    assert first.isVisible() and first.y() < scroll.viewport().height()
    words = [
        page.meaning_grid.itemAtPosition(row, 0).widget().text().rpartition("<b>")[2][:-4]
        for row in range(page.meaning_grid.rowCount())
        if page.meaning_grid.itemAtPosition(row, 0) is not None
    ]
    order = ["Concern", "Flag", "OK", "Info"]
    assert len(words) > 5 and words == sorted(words, key=order.index)

    window.list_action.trigger()  # the list on demand still fits beside the results
    QApplication.processEvents()
    assert window.patient_list.isVisible() and window.size().toTuple() == LAPTOP


def test_results_at_full_hd_show_the_whole_meaning_list(
    make_window: Any, db: Database, visited: int
) -> None:
    window = make_window()
    window.resize(1920, 1040)
    window.select_patient(visited)
    assert window.open_session(db.patient_history(visited)[-1].session.id)
    QApplication.processEvents()
    page = window.page("results")
    assert page.table.height() >= page.table.sizeHint().height()
    scroll = page.meaning_scroll
    assert scroll.verticalScrollBar().maximum() == 0  # everything fits, with room


# ------------------------------------------------------------------ demo tape reading
@contextmanager
def _no_trial_left(page: Any) -> Iterator[None]:
    """Esc at the end, pass or fail: pytest-qt closes the window before fixtures finish,
    and closing with a trial running would ask the clinician (a modal box)."""
    try:
        yield
    finally:
        if page.run is not None:
            page.key_abort()


@pytest.fixture(params=[True, False], ids=["demo", "not-demo"])
def lunge_entry(
    request: pytest.FixtureRequest, make_window: Any, db: Database
) -> Iterator[dict[str, Any]]:
    """A live lunge up to the distance entry, in demo mode or not (same simulated rig)."""
    record = db.create_patient({**PATIENT, "height_cm": "168"})
    clock = ManualClock(start_s=100.0)
    patient = simulated_patient(clock, 61.5)
    window = make_window(demo=request.param)
    window.resize(*LAPTOP)
    window.demo_patient = patient
    window.select_patient(record.id)
    assert window.show_page("assessment")
    page: Any = window.page("assessment")
    page.beep = False
    page.setup.practice.setChecked(False)
    QTest.mouseClick(page.setup.start_button, Qt.MouseButton.LeftButton)
    assert page.run is not None
    page.bridge.stop()  # the test ticks the bridge on the manual clock
    visit = ScriptedVisit(page, patient, clock)
    visit.until(lambda: patient.idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: page.run.protocol.phase == "entry")
    yield {"window": window, "page": page, "patient": patient, "record": record, "db": db}
    # (pytest-qt closes the window before this runs: each test leaves no trial running,
    # or closing would ask the clinician.)
    default_registry().close_all()
    default_registry().clear()


def test_the_demo_offers_its_tape_reading_and_enter_accepts_it(
    lunge_entry: dict[str, Any],
) -> None:
    with _no_trial_left(lunge_entry["page"]):
        page, form = lunge_entry["page"], lunge_entry["page"].live.entry
        demo = lunge_entry["window"].ctx.demo
        if not demo:
            assert form.distance.text() == "" and not form.offered.isVisible()
            assert not form.is_offered()
            return
        # The same reading a fresh reader takes of the same lunge (same seed, same geometry).
        expected = DemoTapeReader.for_record(
            lunge_entry["patient"], lunge_entry["record"]
        ).reading_cm("left")
        assert expected is not None
        assert form.distance.text() == f"{expected:.1f}"
        assert form.distance.selectedText() == form.distance.text()  # Enter or type over it
        assert form.offered.isVisible() and "DEMO" in form.offered.text()
        assert form.distance.hasFocus()
        run = page.run
        QTest.keyClick(form.distance, Qt.Key.Key_Return)
        assert run.protocol.phase != "entry"
        assert page.journal.flush(10)
        (trial,) = lunge_entry["db"].trials_for_session(run.session_id)
        assert trial.result["distance_cm"] == expected


def test_typing_replaces_the_demo_reading_and_unmarks_it(lunge_entry: dict[str, Any]) -> None:
    with _no_trial_left(lunge_entry["page"]):
        form = lunge_entry["page"].live.entry
        QTest.keyClicks(form.distance, "12.3")
        assert form.distance.text() == "12.3"
        assert not form.offered.isVisible() and not form.is_offered()


def test_the_live_lunge_fits_a_laptop_screen_even_with_the_list(
    lunge_entry: dict[str, Any],
) -> None:
    with _no_trial_left(lunge_entry["page"]):
        window, live = lunge_entry["window"], lunge_entry["page"].live
        QApplication.processEvents()
        assert live.entry.isVisible() and window.size().toTuple() == LAPTOP
        assert live.steps.width() == live.steps.maximumWidth()  # step names not elided
        text = live.instruction  # the patient's instruction is shown whole
        assert text.heightForWidth(text.width()) <= text.height()
        plot = live.angle.widget
        assert plot.height() > max(live.entry.height(), window.height() // 4)  # plot gets most
        window.list_action.trigger()
        QApplication.processEvents()
        assert window.patient_list.isVisible() and window.size().toTuple() == LAPTOP


def test_the_tape_reading_follows_the_patient_geometry(db: Database) -> None:
    record = db.create_patient({**PATIENT, "height_cm": "180"})
    patient = SimulatedPatient(4, 61.5, {"left": 35.0, "right": 43.0}, clock=ManualClock())
    reader = DemoTapeReader.for_record(patient, record)
    assert reader.reading_cm("left") is None  # no lunge yet
    action = patient.perform_lunge("left")
    assert action.lunge is not None
    first = reader.reading_cm("left")
    assert first is not None and reader.reading_cm("left") == first  # read once
    tape = tape_for(record)
    assert tape.shank_cm == pytest.approx(0.246 * 180)
    exact = tape.shank_cm * math.sin(math.radians(action.lunge.peak_deg)) - tape.toe_cm
    assert abs(first - exact) < 5 * 0.4  # tape noise SD 0.4 cm (Konor 2012)
    assert round(first * 10) == pytest.approx(first * 10)  # 0.1 cm steps
    assert reader.reading_cm("right") is None
