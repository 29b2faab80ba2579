"""What the handout tells a runner about running now (clinical reference §3.8, §3.6).

- Running continues within the pain-monitoring model rather than stopping by default
  (Silbernagel 2007 [S]); above the acceptable level it is cut back, and a red flag stops it.
- With ankle or calf symptoms the cue is a 5–10 % higher step rate at the same speed
  (Heiderscheit 2011 [C]).
- A runner with calf or Achilles pain is never cued to land on the mid/forefoot (Almonroeder
  2013 [C]): they are told to keep their usual landing.

The words live in ``exercises.toml`` (``[advice.*]``), the numbers in ``norms.toml``.
"""

from __future__ import annotations

from clinic_app.analysis.norms import Norms
from clinic_app.analysis.verdicts import short_citation
from clinic_app.plan.library import Library, ReferralText
from clinic_app.plan.pain import PainState


def _basis(texts: list[ReferralText]) -> str:
    seen: dict[str, None] = {}
    for t in texts:
        if t.evidence == "U":
            seen["clinic default for the order of the running drills"] = None
        else:
            seen[f"{short_citation(t.source)} [{t.evidence}]"] = None
    return "; ".join(seen)


def running_advice(
    pain: PainState,
    library: Library,
    norms: Norms,
    *,
    stopped: bool,
    drills_now: bool,
) -> tuple[str, str]:
    """The patient's running advice and its basis for the clinician.

    Parameters
    ----------
    pain : PainState
        Lunge pain per side.
    stopped : bool
        A red flag stopped the plan.
    drills_now : bool
        The running drills are part of the plan now (otherwise they come later).

    Returns
    -------
    advice, basis : str
    """
    values = {
        "safe": f"{pain.safe:g}",
        "acceptable": f"{pain.acceptable:g}",
        "low": norms.value("running.step_rate_increase_min_percent"),
        "high": norms.value("running.step_rate_increase_max_percent"),
    }
    used: list[ReferralText] = []

    def say(advice_id: str) -> str:
        text = library.advice_text(advice_id)
        used.append(text)
        return text.text.format(**values)

    if stopped:
        return say("running_red_flag"), _basis(used)
    if pain.high_sides:
        parts = [say("running_too_much_pain")]
    elif pain.any:
        parts = [say("running_within_rule")]
    else:
        parts = [say("running_no_pain")]
    if pain.any:
        parts.append(say("step_rate"))
    if pain.posterior_sides:
        parts.append(say("keep_landing"))
    if not pain.high_sides:
        parts.append(say("running_drills_now" if drills_now else "running_drills_later"))
    return " ".join(parts), _basis(used)


__all__ = ["running_advice"]
