"""Words of the results page: short status words and the "What it means" lines."""

from __future__ import annotations

from collections.abc import Sequence

from clinic_app.analysis.session import SessionInterpretation
from clinic_app.analysis.verdicts import Verdict
from clinic_app.numbers import signed
from clinic_app.plan import Finding
from clinic_app.protocols.events import CONDITION_SHORT

SEVERITY = {"red": 0, "amber": 1, "green": 2, "grey": 3}
"""Order of "What it means": concerns first, so they are on screen without scrolling."""

STATUS_WORDS = {
    "no_real_change": "within MDC",
    "no_mdc": "no MDC",
    "not_flagged": "not flagged",
    "beyond": "worse than reference",
    "not_held": "not held",
    "not_judged": "not judged",
    "some_failed": "repeated",
}
"""Short words of a verdict status in the table (the full sentence is in the tooltip)."""

MEASURE_WORDS = {
    "lunge_distance_cm": "knee-to-wall",
    "lunge_angle_deg": "tibial angle",
    "balance_mean_velocity_cm_s": "balance velocity",
}


def meaning_lines(
    interp: SessionInterpretation, pain_notes: Sequence[Finding]
) -> list[tuple[str, str]]:
    """(traffic-light level, sentence) of every judgement, concerns first.

    Pain findings come with the verdicts; balance that was not tested is said; measures
    unchanged since the last visit (within their MDC) share one line, so the list fits.
    """
    lines: list[tuple[str, str]] = [(f.level, f.text) for f in pain_notes]
    if not interp.balance_tested:
        lines.append(("grey", "Single-leg balance was not tested at this visit."))
    verdicts: list[Verdict] = [a.verdict for a in interp.asymmetry]
    verdicts += list(interp.reference) + list(interp.balance)
    steady = [c for c in interp.changes if c.verdict.status == "no_real_change"]
    verdicts += [c.verdict for c in interp.changes if c not in steady]
    lines += [(v.level, v.text) for v in verdicts]  # each text names its basis
    if steady:  # one line, not one per measure: the tooltips give each MDC
        changes = ", ".join(
            f"{c.side} {MEASURE_WORDS.get(c.measure, c.measure)}"
            + (f" ({CONDITION_SHORT.get(c.condition, '')})" if c.condition else "")
            + f" {signed(c.delta)}"
            for c in steady
            if c.delta is not None
        )
        lines.append(
            ("grey", f"Within the MDC since the last visit, not a real change: {changes}.")
        )
    lines.sort(key=lambda line: SEVERITY.get(line[0], len(SEVERITY)))  # stable
    return lines


__all__ = ["MEASURE_WORDS", "SEVERITY", "STATUS_WORDS", "meaning_lines"]
