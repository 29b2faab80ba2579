"""One line per step of the visit for the live step list: honest about failed trials.

"✓ Lunge L  3/3" only when every wanted trial is valid. A step that ended short (balance
stops after its repeat limit of failed trials) is "✗ Balance L EC  1/3" over "2 not valid", not
ticked as done; trials that did not count are said in words on every line. The step's
label ("Balance L EO") names the test and the side; no protocol id or state name shows.
"""

from __future__ import annotations

from clinic_app.protocols.runner import StepProgress

MARKS = {"current": "●", "done": "✓", "short": "✗", "todo": " "}
"""The mark before a step: current, done with every trial valid, ended short, to do."""


def step_state(p: StepProgress) -> str:
    """``"current"``, ``"done"``, ``"short"`` (ended without enough valid trials) or ``"todo"``."""
    if p.state == "done" and p.valid < p.wanted:
        return "short"
    return p.state if p.state in MARKS else "todo"


def step_line(p: StepProgress) -> str:
    """The step list's line for ``p``: mark, label, valid of wanted, and what failed."""
    # On a line of its own: the list is narrow and its names are never elided.
    not_counted = f"\n    {p.not_valid} not valid" if p.not_valid else ""
    return f"{MARKS[step_state(p)]} {p.step.label}  {p.valid}/{p.wanted}{not_counted}"
