"""The main window: create → list → search → edit → delete → restore, keys, pages, state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QWidget

from clinic_app.storage import Database
from clinic_app.ui import main_window
from clinic_app.ui.pages import PageSpec
from clinic_app.ui.patients.form import PatientFormDialog
from clinic_app.ui.patients.patient_list import DEBOUNCE_MS
from clinic_app.ui.selftest_support import run_modal, type_into
from tests.ui.conftest import PATIENT


def _click_button(dialog: QDialog, text: str) -> None:
    button = next(b for b in dialog.findChildren(QPushButton) if b.text() == text)
    button.click()


def _search(qtbot: Any, window: Any, text: str) -> list[int]:
    type_into(window.patient_list.search, text)
    qtbot.wait(DEBOUNCE_MS * 3)
    return list(window.patient_list.ids())


def test_full_patient_lifecycle(qtbot: Any, make_window: Callable[..., Any], db: Database) -> None:
    db.create_patient(
        {**PATIENT, "first_name": "Ben", "last_name": "Okafor", "record_number": "R-2"}
    )
    window = make_window()
    assert len(window.patient_list.ids()) == 1

    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, PatientFormDialog)
        for name in ("first_name", "last_name", "birth_date", "record_number", "mass_kg"):
            type_into(dialog.fields[name].editor, PATIENT[name])
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    new_id = run_modal(window.actions_.new_patient.trigger, fill, PatientFormDialog)
    assert new_id is None  # trigger() returns nothing; the window knows the patient
    patient_id = window.current_patient_id
    assert patient_id is not None
    assert patient_id in window.patient_list.ids()
    assert window.patient_page.name_label.text() == "Ana García"

    # Search as you type, by name (accents optional) and by record number.
    assert _search(qtbot, window, "garc") == [patient_id]
    assert _search(qtbot, window, "R-2") != [patient_id]
    assert _search(qtbot, window, "nobody-here") == []
    assert "No patient matches" in window.patient_list.empty.text()
    assert sorted(_search(qtbot, window, "")) == sorted([patient_id, patient_id - 1])
    window.select_patient(patient_id)

    # Edit through Ctrl+E.
    def edit(dialog: QDialog) -> None:
        assert isinstance(dialog, PatientFormDialog)
        type_into(dialog.fields["mass_kg"].editor, "64")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    run_modal(window.actions_.edit_patient.trigger, edit, PatientFormDialog)
    assert db.get_patient(patient_id).mass_kg == 64.0
    assert window.patient_page.facts["mass"].text() == "64 kg"

    # Delete asks first, naming the patient; Cancel keeps them.
    seen: list[str] = []

    def cancel(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        _click_button(box, "Cancel")

    run_modal(window.actions_.delete_patient.trigger, cancel, QMessageBox)
    assert seen == ["Delete Ana García?"]
    assert not db.get_patient(patient_id).is_deleted

    run_modal(
        window.actions_.delete_patient.trigger,
        lambda box: _click_button(box, "Delete patient"),
        QMessageBox,
    )
    assert db.get_patient(patient_id).is_deleted
    assert patient_id not in window.patient_list.ids()

    # Ctrl+Shift+R opens the deleted view, a second press restores the selection.
    window.actions_.restore_patient.trigger()
    assert window.patient_list.deleted_view
    assert window.patient_list.ids() == [patient_id]
    window.patient_list.select_patient(patient_id)
    run_modal(
        window.actions_.restore_patient.trigger,
        lambda box: box.button(QMessageBox.StandardButton.Yes).click(),
        QMessageBox,
    )
    assert not db.get_patient(patient_id).is_deleted
    assert not window.patient_list.deleted_view
    assert patient_id in window.patient_list.ids()
    assert window.current_patient_id == patient_id
    actions = [e.action for e in db.audit_entries("patient", patient_id)]
    assert {"create", "update", "delete", "restore"} <= set(actions)


def test_ctrl_f_focuses_search(qtbot: Any, make_window: Callable[..., Any]) -> None:
    window = make_window()
    with qtbot.waitActive(window):
        window.activateWindow()
    type_into(window.patient_list.search, "abc")
    window.patient_list.list.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.focusWidget() is window.patient_list.search
    assert window.patient_list.search.selectedText() == "abc"


def test_shortcuts_are_named_in_tooltips(make_window: Callable[..., Any]) -> None:
    window = make_window()
    assert window.actions_.new_patient.shortcut().toString() == "Ctrl+N"
    assert window.actions_.edit_patient.shortcut().toString() == "Ctrl+E"
    assert window.actions_.about.shortcut().toString() == "F1"
    assert window.actions_.restore_patient.shortcut().toString() == "Ctrl+Shift+R"
    assert "Ctrl+N" in window.actions_.new_patient.toolTip()


def test_missing_page_is_coming_later(
    qtbot: Any, make_window: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = PageSpec("future", "Gait lab", "clinic_app.ui.no_such_page_yet:GaitPage")
    monkeypatch.setattr(main_window, "PAGES", [*main_window.PAGES, spec])
    window = make_window()
    texts: list[str] = []

    def read(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        texts.append(box.text())
        box.accept()

    assert run_modal(lambda: window.show_page("future"), read, QMessageBox) is False
    assert texts == ["Gait lab is coming in a later version of DorsiLab."]


class _ProbePage(QWidget):
    """A page for the registry test: records what the host told it."""

    def __init__(self, host: Any) -> None:
        super().__init__()
        self.host = host
        self.patients: list[int | None] = []

    def show_patient(self, patient_id: int | None) -> None:
        self.patients.append(patient_id)


def test_registered_page_is_built_once_and_told_the_patient(
    make_window: Callable[..., Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = db.create_patient(PATIENT)
    spec = PageSpec("probe", "Probe", f"{__name__}:_ProbePage", "Ctrl+Shift+P", True)
    monkeypatch.setattr(main_window, "PAGES", [*main_window.PAGES, spec])
    window = make_window()
    assert window.findChild(QWidget, "page_probe") is None
    window.select_patient(patient.id)
    assert window.show_page("probe")
    page = window.page("probe")
    assert isinstance(page, _ProbePage)
    assert window.stack.currentWidget() is page
    assert page.patients == [patient.id]
    window.select_patient(None)
    assert page.patients == [patient.id, None]
    window.show_page("patient")
    window.select_patient(patient.id)
    assert window.show_page("probe")
    assert window.page("probe") is page


def test_window_state_is_remembered(make_window: Callable[..., Any], dorsilab_home: Any) -> None:
    window = make_window()
    window.resize(window.minimumSizeHint().width(), 560)
    window.splitter.setSizes([280, 600])
    size, sizes = window.size(), window.splitter.sizes()
    window.close()
    assert (dorsilab_home / "config" / main_window.SETTINGS_FILE).exists()
    again = make_window()
    # The offscreen screen is 800×600: Qt keeps restored windows on screen, so compare
    # the height, which fits, and accept the width clamped to the minimum.
    assert again.height() == size.height()
    assert again.width() in (size.width(), again.minimumSizeHint().width())
    assert again.splitter.sizes() == sizes


def test_demo_mode_says_demo(make_window: Callable[..., Any]) -> None:
    window = make_window(demo=True)
    assert "DEMO" in window.windowTitle()
    assert window.demo_banner.isVisible()
    assert "fictional" in window.demo_banner.text()
    plain = make_window(demo=False)
    assert "DEMO" not in plain.windowTitle()


def test_unfinished_visit_is_offered_at_start(
    qtbot: Any, make_window: Callable[..., Any], db: Database
) -> None:
    patient = db.create_patient(PATIENT)
    db.create_session(patient.id, "Dr Kim", started_at="2026-11-20T09:00:00Z")
    window = make_window()
    bar = window.recovery_bar
    assert bar.isVisible()
    assert "Ana García" in bar.message.text()
    assert "20 Nov 2026" in bar.message.text()
    bar.open_button.click()
    assert not bar.isVisible()
    assert window.current_patient_id == patient.id
    assert "unfinished" in window.patient_page.sessions.item(0).text()


def test_no_recovery_bar_without_unfinished_visits(make_window: Callable[..., Any]) -> None:
    assert not make_window().recovery_bar.isVisible()


def test_a_refused_page_leaves_the_current_one_checked(
    make_window: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = PageSpec("future", "Gait lab", "clinic_app.ui.no_such_page_yet:GaitPage")
    monkeypatch.setattr(main_window, "PAGES", [*main_window.PAGES, spec])
    window = make_window()
    action = window._page_actions["future"]
    run_modal(action.trigger, lambda box: box.accept(), QMessageBox)
    assert not action.isChecked()
    assert window._page_actions["patient"].isChecked()
    assert window.current_page_key() == "patient"


def test_double_clicked_visit_opens_its_results(
    make_window: Callable[..., Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [s for s in main_window.PAGES if s.key != "results"]
    results = PageSpec("results", "Results", f"{__name__}:_ProbePage", toolbar=False)
    monkeypatch.setattr(main_window, "PAGES", [*pages, results])
    patient = db.create_patient(PATIENT)
    session_id = db.create_session(patient.id, "Dr Kim")
    window = make_window()
    window.select_patient(patient.id)
    item = window.patient_page.sessions.item(0)
    window.patient_page.sessions.itemActivated.emit(item)
    assert window.current_session_id == session_id
    assert window.current_page_key() == "results"
    page = window.page("results")
    assert isinstance(page, _ProbePage)
    assert page.host.current_session_id == session_id
