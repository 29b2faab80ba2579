"""Selftest steps of the assessment (listed in :mod:`clinic_app.ui.selftest`).

The real window runs a whole visit — lunge on both sides, single-leg balance on both sides
with eyes open and eyes closed on a firm floor — on simulated devices stepped by a manual
clock (about four simulated minutes in well under a minute), stores it, shows the results
page, and the verify step reads it back from the file and prints the numbers.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from clinic_app.analysis.summary import summarize_session
from clinic_app.ui.assessment.script import ScriptedVisit, simulated_patient
from clinic_app.ui.selftest_support import SelftestFailure, SelftestState
from drivers.registry import default_registry
from drivers.simulated import ManualClock

if TYPE_CHECKING:
    from clinic_app.ui.assessment.page import AssessmentPage
    from clinic_app.ui.assessment.results import ResultsPage

CONDITIONS = ("eo_firm", "ec_firm")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SelftestFailure(message)


def step_assessment(state: SelftestState) -> str:
    """Drive the assessment page through a complete visit."""
    window = state.window
    assert window is not None
    patient_id = state.values["patient_id"]
    clock = ManualClock(start_s=100.0)
    mass = state.db.get_patient(patient_id).mass_kg or 70.0
    registry = default_registry()
    patient = simulated_patient(clock, float(mass), registry)
    window.demo_patient = patient
    try:
        window.select_patient(patient_id)
        _check(window.show_page("assessment"), "the assessment page did not open")
        page = cast("AssessmentPage", window.page("assessment"))
        page.beep = False
        setup = page.setup
        setup.practice.setChecked(False)
        setup.lunge.setChecked(True)
        for condition, box in setup.conditions.items():
            box.setChecked(condition in CONDITIONS)
        QTest.mouseClick(setup.start_button, Qt.MouseButton.LeftButton)
        _check(page.run is not None, f"the visit did not start: {setup.message.text()!r}")
        page.bridge.stop()  # the script ticks the bridge on the manual clock
        visit = ScriptedVisit(page, patient, clock)
        session_id = visit.play()
    finally:
        for role in ("inclinometer", "force_plate"):
            device = registry.remove(role)
            if device is not None:
                device.close()
        window.demo_patient = None
    _check(window.current_page_key() == "results", "the results page was not shown")
    results = cast("ResultsPage", window.page("results"))
    interpretation = results.interpretation
    _check(interpretation is not None, "the results page shows no interpretation")
    assert interpretation is not None
    state.values["assessment_session_id"] = session_id
    verdicts = len(interpretation.verdicts)
    return (
        f"visit {session_id}: {visit.ticks} frames over {clock.now() - 100:.0f} simulated s, "
        f"results page with {verdicts} verdicts"
    )


def verify_assessment(state: SelftestState) -> str:
    """The visit on disk: complete, every trial finished with its recordings; the numbers."""
    db = state.db
    session_id = state.values["assessment_session_id"]
    session = db.get_session(session_id)
    _check(session.status == "complete", f"visit {session_id} is {session.status}")
    trials = db.trials_for_session(session_id)
    for t in trials:
        _check(t.ended_at is not None, f"trial {t.id} was never finished")
        for device in ("inclinometer", "plate"):
            _check(db.recording_sample_count(t.id, device) > 0, f"trial {t.id} has no {device}")
    rows = [dataclasses.asdict(t) for t in trials if t.result is not None]
    summary = summarize_session(rows, session_id=session_id, site=session.inclinometer_site)
    parts = []
    for side in ("left", "right"):
        lunge = summary.lunge.get(side)
        _check(lunge is not None and lunge.n_valid == 3, f"{side} lunge lacks 3 valid trials")
        assert lunge is not None
        angle, distance = lunge.angle_mean_deg or 0.0, lunge.distance_mean_cm or 0.0
        parts.append(f"lunge {side[0].upper()} {angle:.1f}° / {distance:.1f} cm")
    for condition in CONDITIONS:
        for side in ("left", "right"):
            b = summary.balance.get(side, {}).get(condition)
            _check(b is not None, f"no balance trials {side} {condition}")
            assert b is not None
            v = b.metrics_mean.get("mean_velocity_cm_s")
            shown = "no valid trial" if v is None else f"{v:.2f} cm/s"
            parts.append(f"balance {side[0].upper()} {condition} {shown} ({b.n_failed} failed)")
    return f"{len(trials)} trials with recordings; " + "; ".join(parts)
