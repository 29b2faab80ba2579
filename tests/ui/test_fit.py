"""Every page and dialog fits a 1366×768 laptop (minus a taskbar) and a 1920×1080 screen.

Offscreen here (fast, every run); :mod:`tests.ui.test_fit_x11` repeats the walk under a
real X server with a window manager, where the window's frame and placement are real.
Opening "Plan and handout" used to grow the window to 1669×968 for good, a new-patient
form with four errors grew past 768 px, and wrapped instructions were cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QScrollArea

from clinic_app.commands import AppContext
from clinic_app.demo_data import ensure_demo_data
from clinic_app.storage import Database
from clinic_app.ui.patients.form import PatientFormDialog
from clinic_app.ui.selftest_support import type_into
from tests.ui.layout_probe import layout_problems

SIZES = [(1366, 740), (1920, 1050)]
"""Screens less a 28-px taskbar (the window may use all of it)."""

PAGES_THAT_MAY_SCROLL: set[str] = set()
"""None: the Devices page used to scroll at 1366×740; its cards now hide empty lines."""


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fit") / "demo.sqlite3"
    db = Database.open(path, backup_on_start=False)
    ensure_demo_data(db, today=date(2026, 11, 24))
    db.close()
    return path


@pytest.fixture
def demo_window(qtbot: Any, demo_path: Path) -> Iterator[Callable[[int, int], Any]]:
    from clinic_app.ui.main_window import MainWindow

    db = Database.open(demo_path, backup_on_start=False)
    windows: list[MainWindow] = []

    def make(width: int, height: int) -> MainWindow:
        window = MainWindow(AppContext(db_path=demo_path, demo=True), db)
        qtbot.addWidget(window)
        window.setWindowState(Qt.WindowState.WindowNoState)  # the offscreen screen is small
        window.resize(width, height)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
    db.close()


def _page_scrolls(window: Any) -> bool:
    frame = window.stack.findChildren(QScrollArea)
    return any(
        f.isVisible()
        and getattr(f, "page", None) is window.stack.currentWidget()
        and (f.verticalScrollBar().isVisible() or f.horizontalScrollBar().isVisible())
        for f in frame
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_page_fits_and_the_window_never_grows(
    qtbot: Any, demo_window: Callable[[int, int], Any], width: int, height: int
) -> None:
    window = demo_window(width, height)
    db = window.db
    patient_id = db.record_number_owner("DEMO-001")
    window.select_patient(patient_id)
    visited = []
    for key in ("patient", "plan", "history", "report", "devices", "assessment", "patient"):
        assert window.show_page(key), key
        qtbot.wait(30)
        visited.append(key)
        assert (window.width(), window.height()) == (width, height), (
            f"{key} grew the window to {window.width()}×{window.height()}"
        )
        assert window.minimumSizeHint().width() <= width, key
        assert window.minimumSizeHint().height() <= height, key
        if key not in PAGES_THAT_MAY_SCROLL:
            assert layout_problems(window) == [], key
            assert not _page_scrolls(window), f"{key} scrolls at {width}×{height}"
    complete = [s for s in db.list_sessions(patient_id) if s.status == "complete"]
    assert window.open_session(complete[-1].id)
    qtbot.wait(30)
    assert (window.width(), window.height()) == (width, height)
    # Labels too: no verdict's second line is cut. The page lays its wrapped verdicts out
    # in a few passes (heights follow widths), so this waits for the settled layout.
    qtbot.waitUntil(lambda: layout_problems(window) == [], timeout=3000)
    assert not _page_scrolls(window)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_live_screens_fit_with_whole_instructions(
    qtbot: Any, demo_window: Callable[[int, int], Any], width: int, height: int
) -> None:
    window = demo_window(width, height)
    window.select_patient(window.db.record_number_owner("DEMO-001"))
    assert window.show_page("assessment")
    page = window.page("assessment")
    page.beep = False
    page.start_new()
    try:
        for index in range(len(page.run.plan.steps)):
            page._go_to(index)
            qtbot.wait(30)
            assert layout_problems(window) == [], page.run.step.label
            assert not _page_scrolls(window)
            shown = page.live.instruction
            assert shown.heightForWidth(shown.width()) <= shown.height(), page.run.step.label
            assert (window.width(), window.height()) == (width, height)
    finally:
        page._stop_run()


def test_the_patient_form_keeps_its_size_and_fields_still_as_errors_appear(
    qtbot: Any, db: Database
) -> None:
    dialog = PatientFormDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    size = dialog.size()
    where = {n: f.editor.mapTo(dialog, QPoint(0, 0)) for n, f in dialog.fields.items()}
    for field, text in (
        ("first_name", " "),
        ("birth_date", "2031-05-02"),
        ("height_cm", "300"),
        ("mass_kg", "7000"),
        ("years_running", "x"),
        ("record_number", "a\tb"),
    ):
        type_into(dialog.fields[field].editor, text)
    dialog.save()
    qtbot.wait(30)
    shown = [n for n in dialog.fields if dialog.visible_error(n)]
    assert len(shown) >= 5, shown
    assert dialog.size() == size
    assert {n: f.editor.mapTo(dialog, QPoint(0, 0)) for n, f in dialog.fields.items()} == where
    assert dialog.height() <= 740 - 30  # inside a 1366×768 screen, title bar and taskbar
    assert layout_problems(dialog) == []
