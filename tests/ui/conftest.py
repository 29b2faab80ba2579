"""Fixtures of the main-window tests: a real database file and the real main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from clinic_app.commands import AppContext
from clinic_app.storage import Database

PATIENT = {
    "first_name": "Ana",
    "last_name": "García",
    "birth_date": "1990-04-17",
    "record_number": "R-0001",
    "sex": "female",
    "mass_kg": "61.5",
}


@pytest.fixture
def db_path(dorsilab_home: Path) -> Path:
    return dorsilab_home / "data" / "clinic.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path)
    yield database
    database.close()


@pytest.fixture
def make_window(qtbot: Any, db: Database, db_path: Path) -> Iterator[Callable[..., Any]]:
    """Build a real MainWindow over ``db`` (``demo=True`` for the demo look).

    The windows close before the database does, as in the application.
    """
    from clinic_app.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(demo: bool = False) -> MainWindow:
        window = MainWindow(AppContext(db_path=db_path, demo=demo), db)
        # The small offscreen screen would start it maximised (first run on a laptop);
        # tests set the size they mean with resize().
        window.setWindowState(Qt.WindowState.WindowNoState)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
