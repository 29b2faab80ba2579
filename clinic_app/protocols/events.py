"""What every protocol state machine emits and shows: events, trial outcomes, live status.

Conventions
-----------
- Times are seconds on the samples' host clock (``t_host_s`` of ``drivers.base`` dtypes;
  :func:`time.monotonic` for real devices, the simulated clock for simulated ones). The
  caller passes ``now_s`` on the same clock with every call, so a protocol never reads a
  clock itself and a replay gives the same events.
- A protocol never writes to storage: the runner (:mod:`clinic_app.protocols.runner`)
  turns ``armed`` into ``Database.begin_trial`` and an outcome into ``finish_trial``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal[
    "prompt",  # the patient is asked to do something (``data["action"]``)
    "armed",  # a trial begins: its recording starts now
    "started",  # the measured part begins (balance: the timed window)
    "captured",  # lunge angle captured (auto or manual)
    "heel_lifted",  # lunge: the heel left the plate (the trial will be invalid)
    "touchdown",  # balance: a failure (touchdown, step, foot shift, stepped off)
    "completed",  # a trial ended valid
    "invalid",  # a trial ended invalid / failed / incomplete
    "step_done",  # every trial of the step is done
    "not_saved",  # a write to the database failed: ``data["trial_ids"]`` were not stored
]


@dataclass(frozen=True)
class ProtocolEvent:
    """Something that happened, for the screen, the log, the storage runner and tests.

    Attributes
    ----------
    kind : EventKind
    t_s : float
        When it happened (s, the samples' clock).
    text : str
        One line in words for the clinician (no patient data).
    data : dict
        Kind-specific details: ``action``/``side``/``condition`` for prompts, ``angle_deg``
        for captures, ``outcome`` (:class:`TrialOutcome`) for completed/invalid.
    """

    kind: EventKind
    t_s: float
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialOutcome:
    """The end of one trial, ready for ``Database.finish_trial``.

    Attributes
    ----------
    protocol : {"lunge", "balance"}
    side : {"left", "right"}
    condition : str or None
    practice : bool
    status : {"valid", "invalid", "failed", "incomplete"}
    result : dict
        The trial ``result`` JSON of ``docs/data-model.md``.
    invalid_reason : str or None
        Why, in words, for any status but ``valid``.
    """

    protocol: str
    side: str
    condition: str | None
    practice: bool
    status: str
    result: dict[str, Any]
    invalid_reason: str | None = None


@dataclass(frozen=True)
class LiveStatus:
    """What the live screen shows, recomputed after every batch.

    Attributes
    ----------
    phase : str
        ``ready`` (instructions, waiting for Space), ``waiting`` (armed, waiting for the
        patient), ``countdown``, ``live``, ``entry`` (lunge: type distance and pain),
        ``rest`` (balance: step off before the next trial) or ``done``.
    title : str
        E.g. ``"Lunge · left · trial 2 of 3"``.
    big_text, big_caption : str
        The one big number (``"41.3°"``, ``"7.2 s"``) and what it is.
    instruction : str
        Patient-facing words, large on the right.
    hint : str
        Clinician-facing line (what the keys do now).
    progress : float
        0–1 (hold progress, countdown, trial time).
    band : tuple of float or None
        Lunge: the angle band the shin must stay within to be captured (deg).
    """

    phase: str
    title: str
    big_text: str
    big_caption: str
    instruction: str
    hint: str
    progress: float = 0.0
    band: tuple[float, float] | None = None


SIDE_WORDS = {"left": "left", "right": "right"}
CONDITION_WORDS = {
    "eo_firm": "eyes open, firm floor",
    "ec_firm": "eyes closed, firm floor",
    "eo_foam": "eyes open, on foam",
    "ec_foam": "eyes closed, on foam",
}
CONDITION_SHORT = {"eo_firm": "EO", "ec_firm": "EC", "eo_foam": "EO foam", "ec_foam": "EC foam"}
