"""Clinical scenarios, one row each, through the real storage + analysis + plan stack.

Each row states the plan a careful sports physiotherapist expects, in clinical terms: which
exercises are in and out, their dose level, what the handout says about running, the flags.
The plan is generated as the app does (``reports.context``), continuing the previous visit's
saved plan, from trials stored in a real SQLite file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clinic_app.plan import CLINICIAN_CAUSE, Dose, Plan, edit, load_library
from clinic_app.plan.text import patient_summary, plan_summary
from clinic_app.storage import Database
from tests.plan.clinic import PATIENT, Lunge, Visit, day, plan_visit, record_visit, run_clinic
from tests.plan.test_engine import every_item_has_a_cause

NORMAL = {"left": Lunge(12.2, 45.5), "right": Lunge(12.4, 46.0)}
GOOD_BALANCE = {
    ("left", "eo_firm"): ([3.0, 3.1, 2.9], 0), ("right", "eo_firm"): ([3.1, 3.0, 3.2], 0),
    ("left", "ec_firm"): ([7.0, 7.2, 6.9], 0), ("right", "ec_firm"): ([7.3, 7.1, 7.0], 0),
}  # fmt: skip
END_RANGE = {"calf_stretch_bent", "lunge_self_mob_belt", "ankle_rocks", "running_ankle_rocks"}
DRILLS = {"toe_taps", "line_steps", "running_ankle_rocks", "midfoot_strides"}
MOBILITY = {"calf_stretch_straight", "calf_stretch_bent", "lunge_self_mob_belt", "ankle_rocks"}


@dataclass(frozen=True)
class Expect:
    """The expected plan of the last visit, in clinical terms."""

    current: set[str] = field(default_factory=set)
    out: set[str] = field(default_factory=set)
    levels: dict[str, int] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)
    not_kinds: set[str] = field(default_factory=set)
    running_says: tuple[str, ...] = ()
    running_never: tuple[str, ...] = ()
    patient_says: tuple[str, ...] = ()
    patient_never: tuple[str, ...] = ()
    later: set[str] = field(default_factory=set)
    reduce_load: bool = False
    retest_weeks: float | None = None
    referrals: tuple[str, ...] = ()
    status: str = "active"


def lunge(side: str, d: float, a: float, pain: int = 0, where: str = "none") -> dict:
    other = "right" if side == "left" else "left"
    return {side: Lunge(d, a, pain, where), other: NORMAL[other]}


SCENARIOS = [
    pytest.param(
        [Visit(0, NORMAL, GOOD_BALANCE)],
        Expect(current=DRILLS | {"calf_self_massage"},
               out=MOBILITY | {"hsr_calf_raises", "running_step_rate", "calf_isometric_hold"},
               kinds={"range_within_reference"}, not_kinds={"lunge_pain", "balance_deficit"},
               running_says=("Keep running as usual", "running drills"),
               patient_says=("within the usual range on both legs",), retest_weeks=4),
        id="normal",
    ),
    pytest.param(
        [Visit(0, {"left": Lunge(6.0, 30.0), "right": Lunge(6.5, 31.0)})],
        Expect(current=MOBILITY | {"hsr_calf_raises"}, out=DRILLS | {"running_step_rate"},
               levels={"hsr_calf_raises": 1, "calf_stretch_bent": 1}, later={"running"},
               kinds={"dorsiflexion_below_reference", "balance_not_tested"},
               not_kinds={"range_within_reference"},
               running_says=("Keep running as usual", "drills come later"),
               patient_says=("did not test your balance",),
               patient_never=("balance is good", "within the usual range")),
        id="severe-bilateral-restriction",
    ),
    pytest.param(
        [Visit(0, {"left": Lunge(10.4, 40.0), "right": Lunge(13.0, 47.0)}, GOOD_BALANCE)],
        Expect(current=MOBILITY | {"hsr_calf_raises"}, out=DRILLS,
               kinds={"dorsiflexion_asymmetry"}, not_kinds={"dorsiflexion_below_reference"},
               later={"running"}),
        id="asymmetry-only",
    ),
    pytest.param(
        [Visit(0, NORMAL, {**GOOD_BALANCE, ("left", "ec_firm"): ([14.0, 13.6, 14.3], 0)})],
        Expect(current={"balance_firm_eo", "single_leg_squat"},
               out=MOBILITY | DRILLS | {"hsr_calf_raises"}, kinds={"balance_deficit"},
               not_kinds={"range_within_reference"}, later={"running"},
               patient_never=("balance is good",)),
        id="balance-deficit-only",
    ),
    pytest.param(
        [Visit(0, NORMAL, {("left", "ec_firm"): ([14.0, 14.4, 13.8], 0),
                           ("right", "ec_firm"): ([14.2, 13.9, 14.5], 0)})],
        Expect(current={"balance_firm_eo", "single_leg_squat"}, out=DRILLS,
               kinds={"balance_deficit"}, not_kinds={"range_within_reference"},
               patient_says=("sway more than is usual",),
               patient_never=("balance is good", "within the usual range")),
        id="balance-poor-on-both-legs",
    ),
    pytest.param(
        [Visit(0, NORMAL, {("left", "ec_firm"): ([7.0], 5), ("right", "ec_firm"): ([7.2, 7.1,
                                                                                    7.4], 0)})],
        Expect(current={"balance_firm_eo"}, kinds={"balance_deficit"},
               patient_says=("could not hold your balance",)),
        id="balance-condition-not-held",
    ),
    pytest.param(
        [Visit(0, NORMAL)],
        Expect(current=DRILLS, kinds={"range_within_reference", "balance_not_tested"},
               patient_says=("did not test your balance",),
               patient_never=("balance is good", "within the usual range")),
        id="balance-not-tested",
    ),
    pytest.param(
        [Visit(0, lunge("left", 12.0, 45.0, 4, "anterior"), GOOD_BALANCE)],
        Expect(current={"hsr_calf_raises", "running_step_rate"}, out=END_RANGE | MOBILITY,
               kinds={"anterior_pain", "lunge_pain"}, not_kinds={"range_within_reference"},
               referrals=("impingement",), retest_weeks=2,
               running_says=("within the pain rule", "more steps a minute")),
        id="anterior-pain-4",
    ),
    pytest.param(
        [Visit(0, lunge("left", 8.0, 34.0, 7, "anterior"), GOOD_BALANCE)],
        Expect(current={"calf_isometric_hold", "running_step_rate"},
               out=END_RANGE | MOBILITY | DRILLS | {"hsr_calf_raises"}, later={"mobility"},
               kinds={"anterior_pain", "lunge_pain"}, reduce_load=True, retest_weeks=2,
               referrals=("impingement", "reduce-load"),
               running_says=("cut your running back",)),
        id="anterior-pain-7",
    ),
    pytest.param(
        [Visit(0, lunge("left", 12.0, 45.0, 4, "posterior"), GOOD_BALANCE)],
        Expect(current={"hsr_calf_raises", "running_step_rate"},
               out={"eccentric_heel_drops", "midfoot_strides"} | DRILLS | MOBILITY,
               levels={"hsr_calf_raises": 1}, kinds={"lunge_pain"},
               not_kinds={"range_within_reference"}, retest_weeks=2,
               running_says=("within the pain rule", "Land the way you normally do"),
               running_never=("forefoot strike", "midfoot")),
        id="posterior-pain-4",
    ),
    pytest.param(
        [Visit(0, lunge("left", 12.0, 45.0, 7, "posterior"), GOOD_BALANCE)],
        Expect(current={"calf_isometric_hold", "running_step_rate"},
               out={"eccentric_heel_drops", "hsr_calf_raises"} | DRILLS | MOBILITY,
               kinds={"lunge_pain"}, reduce_load=True, retest_weeks=2,
               referrals=("reduce-load",),
               running_says=("cut your running back", "Land the way you normally do"),
               patient_never=("bend well",)),
        id="posterior-pain-7",
    ),
    pytest.param(
        [Visit(0, {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]}, GOOD_BALANCE),
         Visit(6, {"left": Lunge(7.3, 33.8), "right": NORMAL["right"]}, GOOD_BALANCE)],
        Expect(current=MOBILITY | {"hsr_calf_raises"} | DRILLS,
               levels={"calf_stretch_straight": 1, "ankle_rocks": 1, "hsr_calf_raises": 4},
               kinds={"plateau", "plan_continued"}, retest_weeks=2),
        id="no-change-after-six-weeks",
    ),
    pytest.param(
        [Visit(0, {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]}, GOOD_BALANCE),
         Visit(4, {"left": Lunge(9.5, 39.0), "right": NORMAL["right"]}, GOOD_BALANCE)],
        Expect(current=MOBILITY | {"hsr_calf_raises"},
               levels={"calf_stretch_straight": 2, "lunge_self_mob_belt": 2, "ankle_rocks": 2,
                       "hsr_calf_raises": 3},
               kinds={"plan_continued"}, not_kinds={"plateau"}),
        id="real-improvement",
    ),
    pytest.param(
        [Visit(0, {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]}, GOOD_BALANCE),
         Visit(4, {"left": Lunge(9.5, 39.0), "right": NORMAL["right"]}, GOOD_BALANCE),
         Visit(8, {"left": Lunge(11.4, 42.0), "right": NORMAL["right"]}, GOOD_BALANCE)],
        Expect(current={"hsr_calf_raises"} | DRILLS, out=MOBILITY,
               levels={"hsr_calf_raises": 5},
               kinds={"plan_continued", "range_within_reference"}),
        id="third-visit-continuing-a-plan",
    ),
    pytest.param(
        [Visit(0, {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]}, GOOD_BALANCE)],
        Expect(status="stopped", kinds={"red_flag"},
               out=MOBILITY | DRILLS | {"hsr_calf_raises", "calf_self_massage"},
               running_says=("Do not run",)),
        id="red-flag",
    ),
]  # fmt: skip


def _current_ids(plan: Plan) -> set[str]:
    return {i.exercise_id for p in plan.phases if p.status == "current" for i in p.items}


@pytest.mark.parametrize(("visits", "expect"), SCENARIOS)
def test_scenario_gives_the_plan_a_physiotherapist_expects(
    tmp_path: Path, visits: list[Visit], expect: Expect, request: pytest.FixtureRequest
) -> None:
    flags = ("achilles_rupture",) if "red-flag" in request.node.name else ()
    plan = run_clinic(tmp_path / "clinic.sqlite3", visits, red_flags=flags)
    assert plan.status == expect.status
    current = _current_ids(plan)
    assert expect.current <= current, (expect.current - current, current)
    assert not (expect.out & {i.exercise_id for i in plan.items}), expect.out & current
    levels = {i.exercise_id: i.level for i in plan.items}
    for exercise_id, level in expect.levels.items():
        assert levels.get(exercise_id) == level, (exercise_id, levels, plan.items)
    kinds = {f.kind for f in plan.findings}
    assert expect.kinds <= kinds, expect.kinds - kinds
    assert not (expect.not_kinds & kinds), expect.not_kinds & kinds
    assert {p.id for p in plan.phases if p.status == "later"} >= expect.later
    assert plan.reduce_load == expect.reduce_load
    for words in expect.running_says:
        assert words in plan.running_advice, (words, plan.running_advice)
    for words in expect.running_never:
        assert words not in plan.running_advice, (words, plan.running_advice)
    hand = patient_summary(plan)
    for words in expect.patient_says:
        assert words in hand, (words, hand)
    for words in expect.patient_never:
        assert words not in hand, (words, hand)
    if expect.retest_weeks is not None:
        assert plan.retest_weeks == expect.retest_weeks
    notes = " ".join(n.text for n in plan.referral_notes)
    for words in expect.referrals:
        assert words in notes, (words, notes)
    # Never "continue normal training" after pain above the acceptable level.
    if plan.reduce_load or any(f.kind == "lunge_pain" for f in plan.findings):
        assert "ontinue normal training" not in plan.summary
    every_item_has_a_cause(plan)


def test_a_more_irritable_tendon_gets_less_volume_never_more(tmp_path: Path) -> None:
    """Posterior pain: 7/10 gets less loading than 4/10, and never Alfredson's 180 a day."""
    volumes = {}
    for nrs in (2, 4, 7):
        plan = run_clinic(
            tmp_path / f"t{nrs}.sqlite3", [Visit(0, lunge("left", 12.0, 45.0, nrs, "posterior"))]
        )
        strength = [i for p in plan.phases if p.id == "strength" for i in p.items]
        assert strength, nrs
        assert all(i.exercise_id != "eccentric_heel_drops" for i in strength)
        volumes[nrs] = sum(
            (i.dose.repetitions_per_day() or 0) * (i.dose.days_per_week or 7) for i in strength
        )
    assert volumes[7] < volumes[4] <= volumes[2]


def test_alfredson_dose_is_the_full_protocol() -> None:
    """3 × 15 knee straight and 3 × 15 knee bent, twice daily: 180 lowerings a day."""
    dose = load_library().exercise("eccentric_heel_drops").level(1).dose
    assert dose.repetitions_per_day() == 180
    assert "3 × 15 knee straight + 3 × 15 knee bent" in dose.describe()
    assert "twice a day" in dose.describe()


def test_heavy_slow_resistance_includes_the_seated_bent_knee_raise() -> None:
    hsr = load_library().exercise("hsr_calf_raises")
    for level in hsr.levels:
        assert "seated, knee bent" in level.dose.versions
    assert [lv.from_week for lv in hsr.levels] == [1, 2, 4, 6, 9]


def test_third_visit_carries_the_programme_start_and_the_clinicians_additions(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.sqlite3"
    with Database.open(path, backup_on_start=False, user="test") as db:
        pid = db.create_patient(PATIENT).id
        record_visit(db, pid, Visit(0, {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]}))
        first = plan_visit(db, pid)
        hsr = next(i for i in first.items if i.exercise_id == "hsr_calf_raises")
        assert hsr.started_on == day(0).isoformat() and hsr.level == 1
        sid = record_visit(db, pid, Visit(4, {"left": Lunge(9.5, 39.0), "right": NORMAL["right"]}))
        second = plan_visit(db, pid, save=False)
        edited = edit.add_exercise(second, "resisted_dorsiflexion_band")
        db.save_plan(sid, edited.to_dict(), "Dr. Ana Ruiz")
        record_visit(db, pid, Visit(8, {"left": Lunge(11.4, 42.0), "right": NORMAL["right"]}))
        third = plan_visit(db, pid)
    hsr = next(i for i in third.items if i.exercise_id == "hsr_calf_raises")
    assert hsr.started_on == day(0).isoformat() and hsr.level == 5
    assert "week 9" in hsr.progression
    band = next(i for i in third.items if i.exercise_id == "resisted_dorsiflexion_band")
    assert band.because == (CLINICIAN_CAUSE,)
    assert any("Mobility" in t and "finished" in t for t in third.transitions)
    assert third.continues is not None


def test_summary_follows_the_clinicians_edits(tmp_path: Path) -> None:
    tight = Visit(0, {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]})
    plan = run_clinic(tmp_path / "e.sqlite3", [tight])
    assert "knee-to-wall ankle rocks" in plan.summary
    position = [i.exercise_id for i in plan.phases[0].items].index("ankle_rocks")
    edited = edit.remove_item(plan, "mobility", position)
    edited = edit.add_exercise(edited, "single_leg_squat")
    assert "knee-to-wall ankle rocks" not in edited.summary
    assert "single-leg mini squat" in edited.summary
    assert edited.summary == plan_summary(edited, load_library())


def test_the_clinicians_dose_and_note_survive_a_retest(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    tight = {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]}
    with Database.open(path, backup_on_start=False, user="test") as db:
        pid = db.create_patient(PATIENT).id
        sid = record_visit(db, pid, Visit(0, tight))
        plan = plan_visit(db, pid, save=False)
        position = [i.exercise_id for i in plan.phases[0].items].index("ankle_rocks")
        plan = edit.set_dose(plan, "mobility", position, Dose(sets=2, reps=12, days_per_week=5))
        plan = edit.set_notes(plan, "mobility", position, "Use the kitchen wall.")
        db.save_plan(sid, plan.to_dict(), "Dr. Ana Ruiz")
        record_visit(db, pid, Visit(4, {"left": Lunge(9.5, 39.0), "right": NORMAL["right"]}))
        again = plan_visit(db, pid)
    rocks = next(i for i in again.items if i.exercise_id == "ankle_rocks")
    assert rocks.dose == Dose(sets=2, reps=12, days_per_week=5)
    assert rocks.notes == "Use the kitchen wall." and "clinician's own dose" in rocks.progression


def test_no_forefoot_drill_for_a_runner_with_calf_or_achilles_pain(tmp_path: Path) -> None:
    """Plateau with posterior pain: drills start, but none lands on the forefoot (§3.8)."""
    sore = {"left": Lunge(7.0, 33.0, 2, "posterior"), "right": NORMAL["right"]}
    plan = run_clinic(tmp_path / "f.sqlite3", [Visit(0, sore), Visit(6, sore)])
    ids = {i.exercise_id for i in plan.items}
    assert "line_steps" in ids and "running_step_rate" in ids
    assert not ids & {"midfoot_strides", "toe_taps"}
    library = load_library()
    for item in plan.items:
        exercise = library.exercise(item.exercise_id)
        text = " ".join((*exercise.instructions, *exercise.cues)).lower()
        assert "midfoot" not in text and "middle of the foot" not in text, item.exercise_id


def test_a_flare_at_a_retest_reduces_load_and_the_programme_restarts_low(tmp_path: Path) -> None:
    """Pain above 5/10 at a re-test: heavy loading is not carried over (said in words), calf
    holds instead; once pain settles the loading programme starts again at its first level."""
    tight = {"left": Lunge(7.0, 33.0), "right": NORMAL["right"]}
    flare = {"left": Lunge(7.2, 33.5, 7, "posterior"), "right": NORMAL["right"]}
    settled = {"left": Lunge(7.4, 34.0, 2, "posterior"), "right": NORMAL["right"]}
    path = tmp_path / "flare.sqlite3"
    second = run_clinic(path, [Visit(0, tight), Visit(4, flare)])
    ids = {i.exercise_id for i in second.items}
    assert "hsr_calf_raises" not in ids and "calf_isometric_hold" in ids
    assert any("Heavy slow calf raises: not carried over" in t for t in second.transitions)
    assert {p.id: p.status for p in second.phases}["mobility"] == "later"
    with Database.open(path, backup_on_start=False, user="test") as db:
        record_visit(db, 1, Visit(6, settled))
        third = plan_visit(db, 1)
    hsr = next(i for i in third.items if i.exercise_id == "hsr_calf_raises")
    assert hsr.level == 1 and hsr.started_on == day(6).isoformat()
    assert "calf_isometric_hold" not in {i.exercise_id for i in third.items}
    assert not third.reduce_load
