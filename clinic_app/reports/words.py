"""Words the documents print: trial numbers as on screen, pain, statuses, history.

No internal name (a condition id, a failure code, a file section) reaches a page: every
value is turned into words here or in :mod:`clinic_app.analysis.verdicts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from clinic_app.errors import UserError
from clinic_app.reports.data import PatientInfo, ReportData

STATUS_WORDS = {
    "within": "Within",
    "above": "Above",
    "below": "Below",
    "restricted": "Restricted",
    "flagged": "Flagged",
    "marked": "Marked",
    "not_flagged": "Within",
    "improved": "Improved",
    "worsened": "Worse",
    "no_real_change": "No real change",
    "no_mdc": "No MDC",
    "not_comparable": "Not comparable",
    "insufficient_data": "No data",
    "beyond": "Worse than reference",
    "not_held": "Not held",
    "some_failed": "Repeated",
    "not_judged": "Not judged",
}
"""The word beside each verdict's traffic light."""

PAIN_PLACES = {"anterior": "front of ankle", "posterior": "calf/Achilles", "none": ""}
TRIAL_STATUS = {"valid": "", "invalid": "invalid", "failed": "failed", "incomplete": "incomplete"}
SIDE_WORDS = {"left": "left", "right": "right", "none": "none", "unknown": "not recorded"}


class ReportError(UserError):
    """A document cannot be produced as asked (the message says what to do)."""


class NumberedTrial(Protocol):
    """What :func:`trial_labels` reads of a trial (lunge or balance)."""

    @property
    def practice(self) -> bool: ...
    @property
    def status(self) -> str: ...


def trial_labels(trials: Sequence[NumberedTrial]) -> list[str]:
    """Labels of trials as the live screen numbers them.

    The screen counts *valid* measured trials ("trial 2 of 3"); an attempt that was invalid,
    failed or stopped was an attempt at the trial it did not complete, so it carries that
    number with its status ("trial 2, failed"). Practice trials are "practice 1", "practice 2".
    Trials are taken in the order given (practice first, then by attempt).
    """
    labels: list[str] = []
    valid = practice = 0
    for t in trials:
        if t.practice:
            practice += 1
            labels.append(f"practice {practice}")
            continue
        number = valid + 1
        status = TRIAL_STATUS.get(t.status, t.status)
        labels.append(f"trial {number}" + (f", {status}" if status else ""))
        if t.status == "valid":
            valid += 1
    return labels


def pain_words(nrs: int | None, place: str | None) -> str:
    """``"4/10 calf/Achilles"``, ``"0/10"`` or ``"–"`` when not asked."""
    if nrs is None:
        return "–"
    where = PAIN_PLACES.get(place or "none", (place or "").replace("_", " "))
    return f"{nrs}/10" + (f" {where}" if where and nrs > 0 else "")


def history_words(patient: PatientInfo) -> str:
    """Relevant history in one line: running background, weekly load, sides."""
    parts = []
    if patient.years_running is not None:
        parts.append(f"running {patient.years_running:g} years")
    if patient.weekly_km is not None:
        parts.append(f"{patient.weekly_km:g} km a week")
    if not parts:
        parts.append("running background not recorded")
    parts.append(f"involved side: {SIDE_WORDS.get(patient.involved_side, patient.involved_side)}")
    dominant = SIDE_WORDS.get(patient.dominant_leg, patient.dominant_leg)
    parts.append(f"dominant (kicking) leg: {dominant}")
    return "Runner: " + " · ".join(parts)


def require_examiner(data: ReportData) -> str:
    """The examiner who signs the report (:class:`ReportError` when there is none)."""
    examiner = data.visit.examiner.strip()
    if not examiner:
        raise ReportError(
            f"the report of session {data.visit.session_id} needs the examiner's name: the "
            "visit has none and Settings has no default examiner; enter it in Settings → "
            "Examiner, then produce the report again"
        )
    return examiner


__all__ = [
    "PAIN_PLACES",
    "STATUS_WORDS",
    "ReportError",
    "history_words",
    "pain_words",
    "require_examiner",
    "trial_labels",
]
