"""Single-leg balance judged per side and condition: the reference, and failed trials.

Only what was measured is judged (issue 13 §3):

- Eyes closed on a firm floor is compared with the published single-leg eyes-closed velocity
  (8.4–9.1 cm/s, J Sports Sci Med 2018 [C], population not confirmed) or the clinic's own
  reference where set. Above the upper value by more than the eyes-closed MDC (11.6 cm/s,
  derived [D]) it is ``beyond`` the reference: amber, never red. Eyes open and foam have no
  runner reference and are not judged against one.
- Failed trials count: a condition with ``balance.repeated_failure_trials`` (2, an editable
  clinic default) failed trials, or with no valid trial at all, is ``not_held`` — a finding
  in words. A single failed trial that was repeated is ``some_failed`` (grey, information).
"""

from __future__ import annotations

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.summary import CONDITIONS, BalanceConditionSummary, SessionSummary
from clinic_app.analysis.verdicts import (
    Verdict,
    basis_words,
    condition_words,
    failure_words,
    fmt,
    short_citation,
)

VELOCITY = "mean_velocity_cm_s"
JUDGED_CONDITION = "ec_firm"
"""The one condition with a published single-leg reference (eyes closed, firm floor)."""


def not_held(summary: BalanceConditionSummary, norms: Norms) -> bool:
    """True when the condition failed repeatedly on this side, or no trial was valid."""
    limit = norms.value("balance.repeated_failure_trials")
    return summary.n_failed >= limit or (summary.n_failed > 0 and summary.n_valid == 0)


def _reasons(summary: BalanceConditionSummary) -> str:
    reasons = list(dict.fromkeys(failure_words(r) for r in summary.failure_reasons))
    return "; ".join(reasons) or "failed"


def failure_verdict(
    side: str, condition: str, summary: BalanceConditionSummary, norms: Norms
) -> Verdict | None:
    """The verdict on the failed trials of one side and condition (None when none failed)."""
    if summary.n_failed == 0:
        return None
    measured = summary.n_valid + summary.n_failed
    label = f"{side.capitalize()} single-leg balance ({condition_words(condition)})"
    counts = f"{summary.n_failed} of {measured} trials failed ({_reasons(summary)})"
    entry = norms["balance.repeated_failure_trials"]
    if not_held(summary, norms):
        valid = (
            "no valid trial"
            if summary.n_valid == 0
            else f"only {summary.n_valid} valid trial{'s' if summary.n_valid != 1 else ''}"
        )
        return Verdict(
            "balance", "balance_failures", side, condition, "not_held", "amber",
            f"{label}: {counts}, {valid}. Not held: repeated failure is a finding in itself "
            f"({float(entry.value):g} or more failures, {basis_words(entry)}).",
            float(summary.n_failed), float(entry.value), "count", entry.evidence,
            entry.source, entry.local,
        )  # fmt: skip
    return Verdict(
        "balance", "balance_failures", side, condition, "some_failed", "grey",
        f"{label}: {counts}; repeated, {summary.n_valid} valid trials counted.",
        float(summary.n_failed), float(entry.value), "count", entry.evidence, entry.source,
        entry.local,
    )  # fmt: skip


def reference_verdict(side: str, summary: BalanceConditionSummary, norms: Norms) -> Verdict | None:
    """Eyes-closed firm velocity of one side against the reference (None when not judged)."""
    value = summary.metrics_mean.get(VELOCITY)
    if value is None or summary.n_valid == 0:
        return None
    low = norms["reference.balance_ec_velocity_low_cm_s"]
    high = norms["reference.balance_ec_velocity_high_cm_s"]
    flag = norms["reference.balance_ec_velocity_flag_cm_s"]
    local = low.local or high.local or flag.local
    if local:
        band = "the clinic's own reference"
    else:
        band = f"{short_citation(high.source)} [{high.evidence}], population not confirmed"
    span = f"{float(low.value):.1f}–{float(high.value):.1f} cm/s, {band}"
    label = (
        f"{side.capitalize()} mean COP velocity ({condition_words(JUDGED_CONDITION)}) "
        f"{fmt(value, 'cm/s')}"
    )
    if value - float(flag.value) > 1e-9:
        return Verdict(
            "balance", "balance_mean_velocity_cm_s", side, JUDGED_CONDITION, "beyond", "amber",
            f"{label}: worse than the single-leg reference ({span}) by more than the "
            f"eyes-closed MDC, above {fmt(float(flag.value), 'cm/s')} ({basis_words(flag)}).",
            value, float(flag.value), "cm/s", flag.evidence, flag.source, flag.local,
        )  # fmt: skip
    words = (
        "within or better than the single-leg reference"
        if value <= float(high.value)
        else "slightly above the single-leg reference, within its MDC"
    )
    return Verdict(
        "balance", "balance_mean_velocity_cm_s", side, JUDGED_CONDITION, "within", "green",
        f"{label}: {words} ({span}).",
        value, float(high.value), "cm/s", high.evidence, high.source, local,
    )  # fmt: skip


def balance_verdicts(summary: SessionSummary, norms: Norms | None = None) -> tuple[Verdict, ...]:
    """Per side: the eyes-closed firm velocity against the reference, and failed trials."""
    norms = norms or load_norms()
    out: list[Verdict] = []
    for side in ("left", "right"):
        for condition in CONDITIONS:
            cond = summary.balance.get(side, {}).get(condition)
            if cond is None:
                continue
            failures = failure_verdict(side, condition, cond, norms)
            if condition == JUDGED_CONDITION and not not_held(cond, norms):
                ref = reference_verdict(side, cond, norms)
                if ref is not None:
                    out.append(ref)
            if failures is not None:
                out.append(failures)
    return tuple(out)


def balance_tested(summary: SessionSummary) -> bool:
    """True when any single-leg balance trial was recorded in the session."""
    return any(summary.balance.get(side) for side in ("left", "right"))


__all__ = [
    "JUDGED_CONDITION",
    "balance_tested",
    "balance_verdicts",
    "failure_verdict",
    "not_held",
    "reference_verdict",
]
