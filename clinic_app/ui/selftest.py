"""``clinic-app selftest``: drive the real window through a clinician's workflow, check the disk.

The selftest is a list of named steps run in order against the real main window (offscreen
when there is no display). Each step types and clicks through real widgets with
:mod:`PySide6.QtTest`, then the window is closed, the database reopened **from the file**
and checked. Without ``--db`` everything happens in a fresh temporary folder (database,
settings, logs), never in the clinic's data.

Adding steps (later helpers: assessment, results, PDFs)
-------------------------------------------------------
Write a function ``(state: SelftestState) -> str`` that raises :class:`SelftestFailure`
(or ``AssertionError``) with a message in words when something is wrong and returns a
short summary of what it checked, and append it::

    GUI_STEPS.append(Step("Run the lunge test on simulated devices", run_lunge))
    VERIFY_STEPS.append(Step("Trials and recordings on disk", verify_trials))

:data:`GUI_STEPS` run while the window is open (``state.window``, ``state.db``);
:data:`VERIFY_STEPS` run after it closed, with ``state.db`` freshly reopened from the file.
Share values between steps through ``state.values`` (``"patient_id"`` is set by the
patient step). Use :func:`run_modal` to drive a dialog that ``exec()``-s.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog

from clinic_app.commands import AppContext
from clinic_app.storage import Database
from clinic_app.ui import crash
from clinic_app.ui.app import create_application, create_main_window, open_database
from clinic_app.ui.assessment.selftest import step_assessment, verify_assessment
from clinic_app.ui.patients.form import PatientFormDialog
from clinic_app.ui.patients.patient_list import DEBOUNCE_MS
from clinic_app.ui.selftest_support import (
    SelftestFailure,
    SelftestState,
    Step,
    run_modal,
    type_into,
)

log = logging.getLogger(__name__)

SELFTEST_PATIENT = {
    "first_name": "Selftest",
    "last_name": "Quokka-Runner",
    "birth_date": "1988-06-15",
    "height_cm": "176",
    "mass_kg": "68,5",
    "weekly_km": "32",
    "years_running": "7",
}
"""A fictional patient typed into the form (the decimal comma is deliberate)."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelftestFailure(message)


# ---------------------------------------------------------------- GUI steps
def step_boot(state: SelftestState) -> str:
    db = open_database(state.ctx, interactive=False)
    _check(db is not None, f"the database {state.ctx.db_path} could not be opened")
    state.db = db
    window = create_main_window(state.ctx, db)
    window.show()
    QTest.qWaitForWindowExposed(window, 5000)
    state.window = window
    _check(window.windowTitle().startswith("DorsiLab"), "the window title lacks DorsiLab")
    return f"main window up ({window.width()}×{window.height()}), database {state.ctx.db_path}"


def step_create_patient(state: SelftestState) -> str:
    window = state.window
    assert window is not None
    # Unique per run, so that a selftest against an explicit --db can run again.
    typed = dict(SELFTEST_PATIENT, record_number=f"SELFTEST-{time.time_ns() // 1000:x}")
    state.values["typed"] = typed

    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, PatientFormDialog)
        _check(not dialog.save_button.isEnabled(), "Save was enabled on an empty form")
        type_into(dialog.fields["birth_date"].editor, "2999-01-01")
        shown = dialog.visible_error("birth_date")
        _check("future" in shown, f"no future-date message under the birth date (saw {shown!r})")
        for name, text in typed.items():
            type_into(dialog.fields[name].editor, text)
        _check(not dialog.errors(), f"the form still reports problems: {dialog.errors()}")
        _check(dialog.save_button.isEnabled(), "Save stayed disabled on a valid form")
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    run_modal(window.actions_.create_patient, fill, PatientFormDialog)
    patient_id = window.current_patient_id
    _check(patient_id is not None, "no patient was selected after saving the form")
    state.values["patient_id"] = patient_id
    shown = window.patient_page.name_label.text()
    _check("Quokka-Runner" in shown, f"the patient page shows {shown!r}")
    return f"typed into the patient form, saved patient id {patient_id}, patient page shown"


def step_search(state: SelftestState) -> str:
    window = state.window
    assert window is not None
    patient_list = window.patient_list
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    type_into(patient_list.search, "quokka")
    QTest.qWait(DEBOUNCE_MS * 3)
    ids = patient_list.ids()
    _check(state.values["patient_id"] in ids, f"searching 'quokka' listed ids {ids}")
    type_into(patient_list.search, "zzz-nobody")
    QTest.qWait(DEBOUNCE_MS * 3)
    _check(patient_list.ids() == [], "a search for a missing name still listed patients")
    type_into(patient_list.search, state.values["typed"]["record_number"])
    QTest.qWait(DEBOUNCE_MS * 3)
    _check(patient_list.ids() == [state.values["patient_id"]], "record-number search failed")
    return "search as you type finds the patient by name and record number, and no one else"


def step_close(state: SelftestState) -> str:
    window = state.window
    assert window is not None
    window.close()
    state.app.processEvents()
    state.db.close()
    state.window = None
    state.db = None
    return "window closed, database closed"


# ---------------------------------------------------------------- verify steps
def verify_patient_row(state: SelftestState) -> str:
    patient = state.db.get_patient(state.values["patient_id"])
    _check(patient.last_name == SELFTEST_PATIENT["last_name"], "last name differs on disk")
    _check(patient.birth_date.isoformat() == SELFTEST_PATIENT["birth_date"], "birth date differs")
    _check(patient.mass_kg == 68.5, f"body mass on disk is {patient.mass_kg}, expected 68.5")
    typed = state.values["typed"]
    _check(patient.record_number == typed["record_number"], "record number differs")
    return "the patient row reads back with the typed values (68,5 kg stored as 68.5)"


def verify_audit(state: SelftestState) -> str:
    entries = state.db.audit_entries("patient", state.values["patient_id"])
    actions = [e.action for e in entries]
    _check("create" in actions, f"no 'create' audit entry for the patient (found {actions})")
    return f"audit log holds the creation ({len(entries)} audit rows for the patient)"


def verify_file_mode(state: SelftestState) -> str:
    if os.name != "posix":
        return "skipped: file modes are a POSIX check"
    mode = state.ctx.db_path.stat().st_mode & 0o777
    _check(mode == 0o600, f"the database file has mode {mode:o}, expected 600")
    return "database file is readable by its owner only (0600)"


GUI_STEPS: list[Step] = [
    Step("Boot the main window", step_boot),
    Step("Create a patient through the form", step_create_patient),
    Step("Search for the patient", step_search),
]
"""Steps with the window open. Append yours (assessment, report…) here."""

VERIFY_STEPS: list[Step] = [
    Step("Patient row on disk", verify_patient_row),
    Step("Audit entry on disk", verify_audit),
    Step("Database file permissions", verify_file_mode),
]
"""Steps after the window closed, against the database reopened from its file."""


# ---------------------------------------------------------------- assessment (its own module)
GUI_STEPS.append(Step("Run a whole assessment on simulated devices", step_assessment))
VERIFY_STEPS.append(Step("Assessment trials, recordings and results on disk", verify_assessment))


def _run_steps(steps: list[Step], state: SelftestState, failures: list[str]) -> bool:
    for step in steps:
        start = time.perf_counter()
        try:
            summary = step.run(state)
        except Exception as exc:
            elapsed = (time.perf_counter() - start) * 1000
            state.out.write(f"[FAIL] {step.name} ({elapsed:.0f} ms): {exc}\n")
            log.error("selftest step failed: %s\n%s", step.name, traceback.format_exc())
            failures.append(step.name)
            return False
        elapsed = (time.perf_counter() - start) * 1000
        state.out.write(f"[ ok ] {step.name} ({elapsed:.0f} ms): {summary}\n")
        state.out.flush()
    return True


def run_selftest(ctx: AppContext, explicit_db: bool, out: TextIO | None = None) -> int:
    """Run every step; print a line per step; 0 when all pass, 1 otherwise.

    Parameters
    ----------
    ctx : AppContext
        From the command line. Its database is used only when ``explicit_db``.
    explicit_db : bool
        ``--db`` was given: test against that file instead of a temporary one.
    out : text stream, optional
        Where to print (standard output by default).
    """
    out = out or sys.stdout
    tmp = None if explicit_db else Path(tempfile.mkdtemp(prefix="dorsilab-selftest-"))
    saved_home = os.environ.get("DORSILAB_HOME")
    if tmp is not None:
        os.environ["DORSILAB_HOME"] = str(tmp / "home")
        ctx = AppContext(db_path=tmp / "selftest.sqlite3", demo=ctx.demo)
    out.write(f"DorsiLab selftest on {ctx.db_path}\n")
    app = create_application()
    errors_before = len(crash.reported())
    state = SelftestState(ctx=ctx, app=app, out=out)
    failures: list[str] = []
    try:
        if _run_steps(GUI_STEPS, state, failures):
            _run_steps([Step("Close the window", step_close)], state, failures)
        else:
            if state.window is not None:
                state.window.close()
            if state.db is not None:
                state.db.close()
        if not failures:
            state.db = Database.open(ctx.db_path)
            try:
                _run_steps(VERIFY_STEPS, state, failures)
            finally:
                state.db.close()
        unexpected = crash.reported()[errors_before:]
        if unexpected:
            first = unexpected[0].splitlines()[0]
            out.write(f"[FAIL] No unexpected errors: {len(unexpected)} raised, first {first}\n")
            failures.append("No unexpected errors")
    finally:
        crash.uninstall()
        if tmp is not None:
            if saved_home is None:
                os.environ.pop("DORSILAB_HOME", None)
            else:
                os.environ["DORSILAB_HOME"] = saved_home
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        out.write(f"selftest FAILED: {', '.join(failures)}\n")
        return 1
    out.write("selftest passed\n")
    return 0
