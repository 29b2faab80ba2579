"""Session summary and interpretation: the one API reports, plans and history screens call.

Typical use::

    from clinic_app.analysis.session import summarize_session, interpret_session

    summary = summarize_session(trial_rows, session_id=7, examiner="AB", site="tibial_crest_15cm")
    previous = summarize_session(previous_rows, session_id=5, examiner="CD")
    result = interpret_session(summary, previous, involved_side="left")
    for verdict in result.verdicts:
        print(verdict.level, verdict.text)

Every threshold comes from ``resources/norms.toml`` with its evidence tag and source; see
:mod:`clinic_app.analysis.verdicts` for the verdict vocabulary (status, traffic-light level).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clinic_app.analysis.change import (
    Change,
    LocalMDC,
    compare_sessions,
    local_mdc_from_icc,
    local_mdc_from_pairs,
    mdc95_from_sem,
    sem_from_icc,
)
from clinic_app.analysis.interpret import (
    Asymmetry,
    limb_asymmetry,
    reference_context,
    romberg_quotients,
)
from clinic_app.analysis.norms import NormEntry, Norms, load_norms
from clinic_app.analysis.summary import (
    CONDITIONS,
    SIDES,
    BalanceConditionSummary,
    BalanceTrial,
    LungeSideSummary,
    LungeTrial,
    SessionSummary,
    TrialDataError,
    TrialRecord,
    summarize_session,
)
from clinic_app.analysis.verdicts import Level, Status, Verdict


@dataclass(frozen=True)
class SessionInterpretation:
    """A session summary with everything it means.

    Attributes
    ----------
    summary : SessionSummary
    previous : SessionSummary or None
    asymmetry : tuple of Asymmetry
        Left–right comparisons (lunge distance, angle; balance velocity per condition).
    reference : tuple of Verdict
        Each side's lunge means against the healthy-adult reference and cut-offs.
    changes : tuple of Change
        Against the previous session (empty without one), judged against the MDC.
    """

    summary: SessionSummary
    previous: SessionSummary | None
    asymmetry: tuple[Asymmetry, ...]
    reference: tuple[Verdict, ...]
    changes: tuple[Change, ...]

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Every verdict: reference, then asymmetry, then change."""
        return (
            self.reference
            + tuple(a.verdict for a in self.asymmetry)
            + tuple(c.verdict for c in self.changes)
        )


def interpret_session(
    summary: SessionSummary,
    previous: SessionSummary | None = None,
    *,
    involved_side: str | None = None,
    same_examiner: bool | None = None,
    local_mdc: Mapping[str, LocalMDC] | None = None,
    norms: Norms | None = None,
) -> SessionInterpretation:
    """Asymmetry, normative context and change vs the previous session, as verdicts.

    Parameters
    ----------
    summary : SessionSummary
        From :func:`summarize_session`.
    previous : SessionSummary, optional
        The previous session of the same patient, for change against the MDC.
    involved_side : {"left", "right", None}
        From the patient record; makes the LSI involved / uninvolved.
    same_examiner : bool, optional
        Override the comparison of the sessions' ``examiner`` fields.
    local_mdc : mapping of measure to LocalMDC, optional
        The clinic's own MDCs (from :func:`local_mdc_from_pairs`), overriding the literature.
    norms : Norms, optional
        Thresholds; default the bundled ``norms.toml`` (use ``with_overrides`` for clinic
        settings).
    """
    norms = norms or load_norms()
    involved = involved_side if involved_side in SIDES else None
    changes: tuple[Change, ...] = ()
    if previous is not None:
        changes = compare_sessions(
            summary, previous, same_examiner=same_examiner, local_mdc=local_mdc, norms=norms
        )
    return SessionInterpretation(
        summary=summary,
        previous=previous,
        asymmetry=limb_asymmetry(summary, involved_side=involved, norms=norms),
        reference=reference_context(summary, norms),
        changes=changes,
    )


__all__ = [
    "CONDITIONS",
    "SIDES",
    "Asymmetry",
    "BalanceConditionSummary",
    "BalanceTrial",
    "Change",
    "Level",
    "LocalMDC",
    "LungeSideSummary",
    "LungeTrial",
    "NormEntry",
    "Norms",
    "SessionInterpretation",
    "SessionSummary",
    "Status",
    "TrialDataError",
    "TrialRecord",
    "Verdict",
    "compare_sessions",
    "interpret_session",
    "limb_asymmetry",
    "load_norms",
    "local_mdc_from_icc",
    "local_mdc_from_pairs",
    "mdc95_from_sem",
    "reference_context",
    "romberg_quotients",
    "sem_from_icc",
    "summarize_session",
]
