"""The live step list is honest about failed trials and names tests in words (issue 14)."""

from __future__ import annotations

import re

from clinic_app.protocols.plan import Step
from clinic_app.protocols.runner import StepProgress
from clinic_app.ui.assessment.step_words import step_line, step_state

EC_LEFT = Step("balance", "left", "ec_firm")


def test_a_step_that_ended_short_is_not_ticked_as_done() -> None:
    short = StepProgress(EC_LEFT, "done", valid=1, wanted=3, not_valid=2)
    assert step_state(short) == "short"
    assert step_line(short) == "✗ Balance L EC  1/3\n    2 not valid"
    assert "✓" not in step_line(short)


def test_done_current_and_to_do_lines() -> None:
    lunge = Step("lunge", "right")
    assert step_line(StepProgress(lunge, "done", 3, 3, 0)) == "✓ Lunge R  3/3"
    assert step_line(StepProgress(lunge, "done", 3, 3, 1)) == "✓ Lunge R  3/3\n    1 not valid"
    assert step_line(StepProgress(EC_LEFT, "current", 0, 3, 0)) == "● Balance L EC  0/3"
    assert step_line(StepProgress(EC_LEFT, "todo", 0, 3, 0)).startswith("  Balance L EC")


def test_no_internal_names_reach_the_list() -> None:
    for step in (Step("lunge", "left"), EC_LEFT, Step("balance", "right", "eo_foam")):
        line = step_line(StepProgress(step, "current", 0, 3, 0))
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\bbalance\b|\blunge\b|:", line), line
        assert re.search(r"\b[LR]\b", line)  # the side, as a letter beside the test
