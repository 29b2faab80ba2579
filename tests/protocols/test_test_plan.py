"""The visit's test plan: exact JSON round trip, malformed plans refused in words, and a
resumed visit that keeps the tests and settings chosen at its start."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic_app.protocols.balance import DURATIONS_S
from clinic_app.protocols.journal import SyncJournal
from clinic_app.protocols.plan import CONDITIONS, SIDES, SessionPlan, Step
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import Database
from tests.protocols.conftest import make_rig


def test_a_plan_round_trips_exactly_through_json_text() -> None:
    plan = SessionPlan.build(
        lunge=False, conditions=("ec_firm", "eo_foam"), planned_s=20.0, body_mass_kg=61.5
    )
    data = plan.to_json()
    assert data["schema"] == 1
    assert data["steps"][0] == {"protocol": "balance", "side": "left", "condition": "ec_firm"}
    assert data["balance"]["planned_s"] == 20.0 and data["balance"]["body_mass_kg"] == 61.5
    assert data["balance"]["stance"]["touchdown_force_fraction"] == 0.9  # norms.toml
    assert data["lunge"]["hold"]["min_hold_s"] == plan.lunge.hold.min_hold_s
    text = json.dumps(data)
    assert SessionPlan.from_json(text) == plan
    assert SessionPlan.from_json(json.loads(text)) == plan
    assert SessionPlan.from_json(text).to_json() == data


@settings(max_examples=60, deadline=None)  # no wall-clock limit on a shared machine
@given(
    lunge=st.booleans(),
    conditions=st.sets(st.sampled_from(CONDITIONS)),
    sides=st.permutations(SIDES),
    planned_s=st.sampled_from(DURATIONS_S) | st.floats(0.5, 120.0),
    practice=st.booleans(),
    mass=st.none() | st.floats(10.0, 300.0),
    tolerance=st.floats(0.0, 5.0),
)
def test_any_plan_round_trips_exactly(
    lunge: bool,
    conditions: set[str],
    sides: list[str],
    planned_s: float,
    practice: bool,
    mass: float | None,
    tolerance: float,
) -> None:
    if not lunge and not conditions:
        conditions = {"eo_firm"}
    plan = SessionPlan.build(
        lunge=lunge,
        conditions=conditions,
        sides=sides,
        planned_s=planned_s,
        practice=practice,
        body_mass_kg=mass,
    )
    plan = replace(
        plan, lunge=replace(plan.lunge, hold=replace(plan.lunge.hold, tolerance_deg=tolerance))
    )
    again = SessionPlan.from_json(json.dumps(plan.to_json()))
    assert again == plan
    assert [s.key for s in again.steps] == [s.key for s in plan.steps]


def _plan_json(**changes: Any) -> dict[str, Any]:
    data = SessionPlan.build(conditions=("eo_firm",), body_mass_kg=70.0).to_json()
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = data
        for name in parents:
            node = node[int(name)] if isinstance(node, list) else node[name]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "not valid JSON"),
        ([], "the plan must be a JSON object, not a list"),
        (_plan_json(schema=2), "schema 2 is not one this DorsiLab reads"),
        (_plan_json(steps=[]), "steps must be a non-empty list"),
        (_plan_json(steps__0__side="middle"), r"steps\[0\]\.side must be left or right"),
        (_plan_json(steps__1__condition="eo_firm"), r"steps\[1\] is a lunge"),
        (_plan_json(steps__2__condition="ec_sand"), r"steps\[2\]\.condition must be one of"),
        (_plan_json(steps__3__protocol="hop"), r"steps\[3\]\.protocol must be lunge or balance"),
        (_plan_json(steps__1__side="left"), r"steps\[1\] repeats the test lunge:left"),
        (_plan_json(balance__planned_s="ten"), r"balance\.planned_s must be a number"),
        (_plan_json(balance__planned_s=0), r"balance\.planned_s must be above 0 s"),
        (_plan_json(balance__trials=2.5), r"balance\.trials must be a whole number"),
        (_plan_json(balance__trials=0), r"balance\.trials must be at least 1"),
        (_plan_json(balance__practice_trials=True), r"balance\.practice_trials must be"),
        (_plan_json(balance__body_mass_kg=-3.0), r"balance\.body_mass_kg must be"),
        (_plan_json(balance__stance__min_load_n=None), r"balance\.stance\.min_load_n must be"),
        (_plan_json(balance__stance__step_cop_jump_mm=KeyError), r"balance\.stance has no"),
        (_plan_json(lunge__hold__extra=1), r"lunge\.hold has unknown field\(s\) extra"),
        (_plan_json(lunge__site=15), r"lunge\.site must be text"),
        (_plan_json(balance=KeyError), "the plan has no balance"),
    ],
)
def test_a_malformed_plan_is_refused_naming_what_is_wrong(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SessionPlan.from_json(data)


# ---------------------------------------------------------------------- resumed visit
def test_a_resumed_visit_keeps_the_chosen_steps_and_its_20_s_duration(db: Database) -> None:
    chosen = SessionPlan.build(
        lunge=False, conditions=("eo_firm", "ec_foam"), planned_s=20.0, practice=False,
        body_mass_kg=70.0,
    )  # fmt: skip
    rig = make_rig(db, chosen)
    run, drive, clock = rig.run, rig.drive, rig.clock
    run.begin(clock.now())
    drive.until(lambda: rig.patient.idle, 60)
    run.space(clock.now())
    drive.until(lambda: run.outcomes != [], 60)  # one trial of the first step, valid
    (first,) = db.trials_for_session(run.session_id)
    assert first.status == "valid" and first.result["planned_s"] == 20.0
    drive.until(lambda: run.protocol.phase == "live", 60)  # the next trial, cut off
    drive.wait(2.0)

    # What the setup screen would now say: other tests, 10 s. The stored plan wins.
    screen = SessionPlan.build(lunge=True, conditions=("ec_firm",), planned_s=10.0)
    again = AssessmentRun.resume(
        db, run.session_id, screen, SyncJournal(db), prompt=rig.patient.prompt
    )
    assert again.plan == chosen
    assert [s.key for s in again.plan.steps] == [
        "balance:left:eo_firm", "balance:right:eo_firm",
        "balance:left:ec_foam", "balance:right:ec_foam",
    ]  # fmt: skip
    assert again.step == Step("balance", "left", "eo_firm")
    assert again.protocol.settings.planned_s == 20.0 and again.protocol.valid_done == 1
    assert [p.valid for p in again.progress()] == [1, 0, 0, 0]
    assert AssessmentRun.stored_plan(db, run.session_id) == chosen

    # The next trial of the resumed visit is timed for 20 s again.
    rig.drive.run = again
    again.begin(clock.now())
    drive.until(lambda: rig.patient.idle, 60)
    again.space(clock.now())
    drive.until(lambda: again.outcomes != [], 60)
    trials = db.trials_for_session(run.session_id)
    assert [t.status for t in trials] == ["valid", "incomplete", "valid"]
    assert trials[-1].result["planned_s"] == 20.0 and trials[-1].result["completed_s"] == 20.0


def test_a_malformed_stored_plan_stops_the_resume_in_words(db: Database) -> None:
    pid = db.create_patient({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}).id
    data = _plan_json(balance__planned_s="ten")
    session_id = db.create_session(pid, "X", test_plan=data)
    fallback = SessionPlan.build(conditions=("eo_firm",))
    with pytest.raises(ValueError, match=r"balance\.planned_s must be a number"):
        AssessmentRun.resume(db, session_id, fallback, SyncJournal(db))
