"""The window on the assessment page for a new patient, simulated devices on a manual clock.

Shared by the assessment, visit-safety, trial-display and sound tests, which differ only in
which tests are ticked, whether the visit is already begun, and the window size.
"""

from __future__ import annotations

from typing import Any

from clinic_app.storage import Database
from clinic_app.ui.assessment.script import ScriptedVisit, simulated_patient
from drivers.registry import default_registry
from drivers.simulated import ManualClock
from tests.ui.conftest import PATIENT


def open_assessment(
    make_window: Any,
    db: Database,
    *,
    lunge: bool = True,
    begin: bool = True,
    beep: bool = False,
    size: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Open the assessment page with eyes-open firm balance ticked and no practice trial.

    Parameters
    ----------
    lunge : bool
        Keep the lunge test ticked.
    begin : bool
        Begin the visit (``start_new``) with the live bridge stopped, so the test drives the
        samples itself.
    beep : bool
        Sound cues on.
    size : (width, height), optional
        Window size in pixels.

    Returns
    -------
    dict
        ``window``, ``page``, ``patient`` (the simulated patient), ``clock``, ``patient_id``
        and ``visit`` (a :class:`ScriptedVisit`).
    """
    patient_id = db.create_patient(PATIENT).id
    clock = ManualClock(start_s=100.0)
    simulated = simulated_patient(clock, 61.5)
    window = make_window(demo=True)
    if size is not None:
        window.resize(*size)
    window.demo_patient = simulated
    window.select_patient(patient_id)
    assert window.show_page("assessment")
    page = window.page("assessment")
    page.beep = beep
    page.setup.practice.setChecked(False)
    page.setup.lunge.setChecked(lunge)
    for condition, box in page.setup.conditions.items():
        box.setChecked(condition == "eo_firm")
    if begin:
        page.start_new()
        page.bridge.stop()
    return {
        "window": window,
        "page": page,
        "patient": simulated,
        "clock": clock,
        "patient_id": patient_id,
        "visit": ScriptedVisit(page, simulated, clock),
    }


def close_assessment(rig: dict[str, Any]) -> None:
    """Stop any run and release the simulated devices."""
    rig["page"]._stop_run()
    default_registry().close_all()
    default_registry().clear()
