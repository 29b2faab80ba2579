"""The plan library: every exercise complete, illustrated and honest about its evidence."""

from __future__ import annotations

import pytest
from svglib.svglib import svg2rlg

from clinic_app.plan.library import (
    EVIDENCE_TAGS,
    PHASES,
    LibraryError,
    load_library,
    parse_library,
)


def test_library_has_the_required_exercises() -> None:
    lib = load_library()
    for required in (
        "calf_stretch_straight", "calf_stretch_bent", "lunge_self_mob_belt", "ankle_rocks",
        "calf_self_massage", "eccentric_heel_drops", "hsr_calf_raises", "tibialis_raises",
        "balance_firm_eo", "balance_firm_ec", "balance_foam_eo", "balance_head_turns",
        "hop_to_stabilise", "toe_taps", "line_steps", "running_ankle_rocks", "midfoot_strides",
    ):  # fmt: skip
        assert required in lib.exercises
    assert [e.ladder for e in lib.ladder()] == list(range(1, len(lib.ladder()) + 1))
    assert lib.exercise("tibialis_raises").optional
    assert lib.exercise("tibialis_raises").evidence == "U"


@pytest.mark.parametrize("exercise_id", sorted(load_library().exercises))
def test_every_exercise_is_complete_and_illustrated(exercise_id: str) -> None:
    ex = load_library().exercise(exercise_id)
    assert ex.phase in PHASES
    assert ex.instructions and ex.cues and ex.feel and ex.progress_when and ex.regress_when
    assert ex.evidence in EVIDENCE_TAGS and ex.source
    for level in ex.levels:
        assert level.evidence in EVIDENCE_TAGS and level.source
        assert level.dose.describe()
        if level.is_clinic_default:
            assert "default" in level.source.lower()
    drawing = svg2rlg(str(ex.illustration_path()))
    assert drawing is not None and drawing.width > 0 and len(drawing.contents) > 0


def test_bad_library_names_the_entry_and_field() -> None:
    text = '[[exercise]]\nid = "x"\nname = "X"\nphase = "flying"\n'
    with pytest.raises(LibraryError, match=r"exercise #1 \(x\).*phase"):
        parse_library(text)
    with pytest.raises(LibraryError, match="no exercise 'nope'"):
        load_library().exercise("nope")
