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

from clinic_app.analysis.balance_judgement import balance_tested, balance_verdicts
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
    balance : tuple of Verdict
        Single-leg balance per side: eyes-closed velocity against the reference, failed
        trials (:mod:`clinic_app.analysis.balance_judgement`).
    first : SessionSummary or None
        The first (baseline) visit, when it is not the current one.
    changes_since_first : tuple of Change
        Against the first visit (empty without one), each judged against its own MDC.
    """

    summary: SessionSummary
    previous: SessionSummary | None
    asymmetry: tuple[Asymmetry, ...]
    reference: tuple[Verdict, ...]
    changes: tuple[Change, ...]
    balance: tuple[Verdict, ...] = ()
    first: SessionSummary | None = None
    changes_since_first: tuple[Change, ...] = ()

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Every verdict: reference, balance, asymmetry, then change since the last visit."""
        return (
            self.reference
            + self.balance
            + tuple(a.verdict for a in self.asymmetry)
            + tuple(c.verdict for c in self.changes)
        )

    @property
    def balance_tested(self) -> bool:
        """True when single-leg balance was tested at this visit."""
        return balance_tested(self.summary)


def interpret_session(
    summary: SessionSummary,
    previous: SessionSummary | None = None,
    *,
    first: SessionSummary | None = None,
    involved_side: str | None = None,
    dominant_side: str | None = None,
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
    first : SessionSummary, optional
        The patient's first (baseline) visit, for the change since the first visit. Ignored
        when it is the current visit.
    involved_side : {"left", "right", None}
        From the patient record; makes the LSI involved / uninvolved.
    dominant_side : {"left", "right", None}
        The kicking leg (patient record), for the context of a left–right difference.
    same_examiner : bool, optional
        Override the comparison of the sessions' ``examiner`` fields (the change since the
        last visit only).
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
    since_first: tuple[Change, ...] = ()
    if first is not None and first is not summary:
        since_first = compare_sessions(summary, first, local_mdc=local_mdc, norms=norms)
    else:
        first = None
    dominant = dominant_side if dominant_side in SIDES else None
    return SessionInterpretation(
        summary=summary,
        previous=previous,
        asymmetry=limb_asymmetry(
            summary, involved_side=involved, dominant_side=dominant, norms=norms
        ),
        reference=reference_context(summary, norms),
        changes=changes,
        balance=balance_verdicts(summary, norms),
        first=first,
        changes_since_first=since_first,
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
