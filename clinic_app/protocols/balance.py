"""Single-leg balance, one side and condition: practice, timed trials, failures, repeats.

Procedure (clinical reference §2.1; defaults ``balance.*`` in ``norms.toml``): 3 × 10 s per
condition [C] (20 or 30 s optional), one practice trial and up to 3 extra attempts for failed
trials ([U] clinic defaults). A trial:

1. **waiting** (armed): the patient steps on the plate on one leg. Once the load stays above
   ``balance.touchdown_force_fraction`` of body weight (the same share below which a
   touchdown is called) for :data:`SETTLE_S`, the
2. **countdown** runs (:data:`COUNTDOWN_S`). A :class:`~clinic_app.analysis.balance.StanceMonitor`
   with the trial's own failure rules watches it: a touchdown, a step (or the other foot
   landing on the plate), a foot shift or stepping off sends the trial back to waiting
   with a ``countdown_reset`` prompt saying why in words — not a failed trial, since
   timing has not begun. Then
3. **live**: the timed window. :class:`~clinic_app.analysis.balance.StanceMonitor` watches
   for touchdown, step, foot shift or stepping off; the trial stops at the planned time or at
   the failure. The result is computed by :func:`~clinic_app.analysis.balance.analyse_plate_trial`
   on the recorded window (so a replay gives the same numbers).
4. **rest**: once the patient steps off, the next trial arms by itself (hands-free).

Only the first trial of the step needs Space. **R** restarts the trial in progress, **Esc**
stops it; a lost plate ends it as ``incomplete`` with the reason in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.balance import (
    G,
    StanceMonitor,
    StanceSettings,
    analyse_balance_trial,
)
from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.protocols.events import (
    EventKind,
    LiveStatus,
    ProtocolEvent,
    TrialOutcome,
)
from clinic_app.protocols.status import balance_status

SampleArray = npt.NDArray[np.void]

SETTLE_S = 1.0
"""The patient must stand on one leg this long before the countdown (engineering choice)."""

COUNTDOWN_S = 3.0
"""Countdown before the timed window (engineering choice; a beep marks each second)."""

COUNTDOWN_RESTART_WORDS = {
    "touchdown": "the lifted foot touched the floor",
    "step": "the other foot touched the plate",  # or a hop: a COP jump of a step
    "foot_shift": "the standing foot shifted on the plate",
    "stepped_off": "the patient stepped off the plate",
}
"""Why the countdown restarted, per :data:`~clinic_app.analysis.balance.FAILURE_REASONS`."""

DURATIONS_S = (10.0, 20.0, 30.0)
"""Trial lengths offered: 10 s [C] Knapp 2011, 20 s (BESS) [S], 30 s [C] (clinical §0)."""


class TrialClock:
    """The clock of one timed window: the plate's own (``t_dev_s``) when every sample of
    the first batch has it, else the host's read time (``t_host_s``).

    A batch whose device times do not continue the window (NaN, a restart of the device
    clock) is placed on the device clock through the host clock, so the window's times
    always increase. :meth:`all_times` gives the analysis exactly the times the window was
    timed with: the protocol and the analysis can never disagree on how long a trial
    lasted (they did, when the device clock ran apart from the host's).
    """

    def __init__(self) -> None:
        self.start_s = math.nan
        self._device: bool | None = None
        self._host_offset = 0.0  # device time = host time + offset (for the gaps)
        self._parts: list[npt.NDArray[np.float64]] = []

    def times(self, plate: SampleArray) -> npt.NDArray[np.float64]:
        """Times of ``plate`` on the window's clock (s); the first call starts the window."""
        host = np.asarray(plate["t_host_s"], dtype=np.float64)
        device = np.asarray(plate["t_dev_s"], dtype=np.float64)
        if self._device is None:
            self._device = bool(
                device.size and np.isfinite(device).all() and np.all(np.diff(device) > 0)
            )
            self.start_s = float(device[0] if self._device else host[0])
        if not self._device:
            out = host
        else:
            last = self._parts[-1][-1] if self._parts else -math.inf
            continuous = (
                np.isfinite(device).all() and np.all(np.diff(device) > 0) and device[0] > last
            )
            if continuous:
                self._host_offset = float(device[-1] - host[-1])
                out = device
            else:
                out = host + self._host_offset
        self._parts.append(out)
        return out

    def all_times(self) -> npt.NDArray[np.float64]:
        """Every time handed out since the window started (s)."""
        return np.concatenate(self._parts) if self._parts else np.zeros(0)

    @property
    def elapsed_s(self) -> float:
        """From the window's start to its newest sample (s); 0 before it starts."""
        if not self._parts:
            return 0.0
        return max(float(self._parts[-1][-1]) - self.start_s, 0.0)


@dataclass(frozen=True)
class BalanceSettings:
    """How one side and condition run.

    Attributes
    ----------
    planned_s : float
        Trial length (s), one of :data:`DURATIONS_S`.
    trials : int
        Valid measured trials wanted (``balance.trials_per_condition``).
    practice_trials : int
        ``balance.practice_trials`` (0 to skip).
    max_extra_attempts : int
        Failed measured trials repeated at most this many times (``balance.max_extra_attempts``).
    body_mass_kg : float or None
        From the patient record; None = body weight estimated from the first second.
    stance : StanceSettings
    """

    planned_s: float = 10.0
    trials: int = 3
    practice_trials: int = 1
    max_extra_attempts: int = 3
    body_mass_kg: float | None = None
    stance: StanceSettings = field(default_factory=StanceSettings)

    @classmethod
    def from_norms(
        cls,
        norms: Norms | None = None,
        *,
        planned_s: float | None = None,
        practice: bool = True,
        body_mass_kg: float | None = None,
    ) -> BalanceSettings:
        """Defaults from ``norms.toml``."""
        norms = norms or load_norms()
        return cls(
            planned_s=float(planned_s or norms.value("balance.trial_s")),
            trials=int(norms.value("balance.trials_per_condition")),
            practice_trials=int(norms.value("balance.practice_trials")) if practice else 0,
            max_extra_attempts=int(norms.value("balance.max_extra_attempts")),
            body_mass_kg=body_mass_kg,
            stance=StanceSettings.from_norms(norms),
        )


class BalanceProtocol:
    """Single-leg balance on one side in one condition (no Qt, no clock, no I/O).

    Parameters
    ----------
    side : {"left", "right"}
    condition : {"eo_firm", "ec_firm", "eo_foam", "ec_foam"}
    settings : BalanceSettings, optional
    done_practice, done_valid, done_failed : int
        Trials already stored (a resumed visit).
    """

    protocol = "balance"

    countdown_s = COUNTDOWN_S
    """Countdown length (s), as :func:`~clinic_app.protocols.status.balance_status` shows it."""

    def __init__(
        self,
        side: str,
        condition: str,
        settings: BalanceSettings | None = None,
        *,
        done_practice: int = 0,
        done_valid: int = 0,
        done_failed: int = 0,
    ) -> None:
        self.side = side
        self.condition = condition
        self.settings = settings or BalanceSettings.from_norms()
        self.practice_done = done_practice
        self.valid_done = done_valid
        self.failed_done = done_failed
        self.phase = "ready"
        self.outcomes: list[TrialOutcome] = []
        self.fz_n = math.nan
        self.failure_text = ""
        # Why the countdown of the trial in progress last restarted, in words (for the screen).
        self.countdown_restart = ""
        self._since: float | None = None
        self._t_start: float | None = None
        self._countdown_from: float | None = None
        self._last_t = -math.inf
        self._window: list[SampleArray] = []
        self._clock = TrialClock()
        self._monitor: StanceMonitor | None = None
        self._watch: StanceMonitor | None = None
        self._last_beep = -1
        if self.finished:
            self.phase = "done"

    # ------------------------------------------------------------------ state
    @property
    def practice(self) -> bool:
        """True while the trial in progress (or the next one) is a practice trial."""
        return self.practice_done < self.settings.practice_trials

    @property
    def finished(self) -> bool:
        """Enough valid trials, or the repeat limit for failed trials reached."""
        s = self.settings
        enough = self.valid_done >= s.trials
        limit = self.valid_done + self.failed_done >= s.trials + s.max_extra_attempts
        return enough or limit

    @property
    def recording(self) -> bool:
        """True while the trial's samples belong in its recording (arm → end)."""
        return self.phase in ("waiting", "countdown", "live")

    @property
    def in_trial(self) -> bool:
        """True between arm and the trial's outcome."""
        return self.recording

    @property
    def t_start(self) -> float | None:
        """Start of the timed window of the trial in progress (s), None before it."""
        return self._t_start

    @property
    def last_sample_t(self) -> float:
        """Time of the newest plate sample fed (s)."""
        return self._last_t

    @property
    def elapsed_s(self) -> float:
        """Time into the timed window (s) on the clock the trial is timed and judged with
        (:class:`TrialClock`); 0 before the window starts."""
        return self._clock.elapsed_s

    @property
    def countdown_from(self) -> float | None:
        """When the countdown of the trial in progress began (s), None outside it."""
        return self._countdown_from

    @property
    def body_weight_n(self) -> float | None:
        """Body weight used for arming and touchdown (N), None until known."""
        if self.settings.body_mass_kg:
            return self.settings.body_mass_kg * G
        return self._monitor.body_weight_n if self._monitor else None

    # ------------------------------------------------------------------ commands
    def start_step(self, now_s: float) -> list[ProtocolEvent]:
        """The step is on screen (nothing to ask yet: the patient waits for Space)."""
        return []

    def arm(self, now_s: float) -> list[ProtocolEvent]:
        """Space in ``ready``: arm; the patient is asked to step on."""
        if self.phase not in ("ready", "rest"):
            return []
        self._since = self._t_start = self._countdown_from = None
        self._window = []
        self._clock = TrialClock()
        self._last_beep = -1
        self._monitor = StanceMonitor(self.settings.stance, self.settings.body_mass_kg)
        self._watch = None
        self.failure_text = self.countdown_restart = ""
        self.phase = "waiting"
        words = "practice trial" if self.practice else "trial"
        return [
            ProtocolEvent(
                "armed", now_s, f"balance {words} armed ({self.side}, {self.condition})"
            ),
            ProtocolEvent(
                "prompt",
                now_s,
                "step_on",
                {"action": "step_on", "side": self.side, "condition": self.condition},
            ),
        ]

    def capture(self, now_s: float) -> list[ProtocolEvent]:
        """Space has no capture meaning in balance (the trial times itself)."""
        return []

    def retry(self, now_s: float) -> list[ProtocolEvent]:
        """R: the trial in progress ends ``incomplete`` and the next one is armed."""
        if not self.in_trial:
            return []
        events = self._end("incomplete", None, "repeated by the clinician before it ended", now_s)
        self.phase = "ready"
        return events + self.arm(now_s)

    def abort(self, now_s: float) -> list[ProtocolEvent]:
        """Esc: the trial in progress ends ``incomplete``; back to the instructions."""
        if not self.in_trial:
            return []
        events = self._end("incomplete", None, "stopped by the clinician", now_s)
        if self.phase == "rest":
            self.phase = "ready"
        return events

    def device_lost(self, device: str, text: str, now_s: float) -> list[ProtocolEvent]:
        """The plate stopped delivering: keep the trial as ``incomplete``."""
        if device != "plate" or not self.in_trial:
            return []
        done = self._clock.elapsed_s
        reason = f"the force plate connection was lost after {done:.1f} s ({text})"
        events = self._end("incomplete", None, reason, now_s)
        if self.phase == "rest":
            self.phase = "ready"
        return events

    # ------------------------------------------------------------------ data
    def feed(
        self, inclinometer: SampleArray | None, plate: SampleArray | None, now_s: float
    ) -> list[ProtocolEvent]:
        """Add the new samples (only the plate matters here)."""
        if plate is None or not len(plate):
            return []
        self.fz_n = float(plate["fz_n"][-1])
        self._last_t = float(plate["t_host_s"][-1])
        if self.phase == "rest":
            if self.fz_n < self.settings.stance.min_load_n:
                return self.arm(self._last_t)
            return []
        if self.phase in ("waiting", "countdown"):
            return self._feed_waiting(plate)
        if self.phase == "live":
            return self._feed_live(plate)
        return []

    def _threshold_n(self) -> float:
        bw = self.body_weight_n
        s = self.settings.stance
        return s.touchdown_force_fraction * bw if bw else s.min_load_n

    def _feed_waiting(self, plate: SampleArray) -> list[ProtocolEvent]:
        t, fz = plate["t_host_s"], plate["fz_n"]
        x, y = plate["cop_x_mm"], plate["cop_y_mm"]
        on = fz >= self._threshold_n()
        events: list[ProtocolEvent] = []
        for i in range(len(plate)):
            ti = float(t[i])
            if self.phase == "countdown":
                assert self._watch is not None
                # One sample at a time, so the restart (and so the settle and the timed
                # window after it) falls on the same sample whatever the batch size: a
                # replay of the recording gives the same trial.
                cut = slice(i, i + 1)
                failure = self._watch.update(t[cut], fz[cut], x[cut], y[cut])
                if failure is not None:
                    events.append(self._restart_countdown(failure.reason, failure.text, ti))
                    continue
            elif not on[i]:
                self._since = None
                continue
            if self._since is None:
                self._since = ti
            if self.phase == "waiting" and ti - self._since >= SETTLE_S:
                self.phase = "countdown"
                self._countdown_from = ti
                self._last_beep = -1
                # The trial's own failure rules (norms.toml), fresh for this countdown.
                self._watch = StanceMonitor(self.settings.stance, self.settings.body_mass_kg)
                self._watch.update(t[i : i + 1], fz[i : i + 1], x[i : i + 1], y[i : i + 1])
            if self.phase == "countdown" and self._countdown_from is not None:
                left = COUNTDOWN_S - (ti - self._countdown_from)
                beep = math.ceil(left)
                if beep != self._last_beep and left > 0:
                    self._last_beep = beep
                    events.append(
                        ProtocolEvent("prompt", ti, "beep", {"action": "beep", "count": beep})
                    )
                if left <= 0:
                    self.phase = "live"
                    self._watch = None
                    self._t_start = ti
                    events.append(
                        ProtocolEvent("started", ti, "balance timing started", {"action": "go"})
                    )
                    return events + self._feed_live(plate[i:])
        return events

    def _restart_countdown(self, reason: str, detail: str, t_s: float) -> ProtocolEvent:
        """Back to waiting after a failure rule fired during the countdown (not a trial)."""
        self._since = self._countdown_from = None
        self._watch = None
        self.phase = "waiting"
        self.countdown_restart = COUNTDOWN_RESTART_WORDS.get(reason, detail)
        return ProtocolEvent(
            "prompt",
            t_s,
            f"{self.countdown_restart} — countdown restarts",
            {"action": "countdown_reset", "reason": reason, "detail": detail},
        )

    def _feed_live(self, plate: SampleArray) -> list[ProtocolEvent]:
        assert self._t_start is not None and self._monitor is not None
        # One clock times the window, watches for failures and scores the trial: the
        # plate's own when it has one (as the analysis prefers), else the host's.
        t = self._clock.times(plate)
        end = self._clock.start_s + self.settings.planned_s
        self._window.append(plate)
        inside = t < end
        failure = self._monitor.update(
            t[inside], plate["fz_n"][inside], plate["cop_x_mm"][inside], plate["cop_y_mm"][inside]
        )
        if failure is None and t[-1] < end:
            return []
        samples = np.concatenate(self._window)
        analysis = analyse_balance_trial(
            self._clock.all_times(),
            samples["fz_n"],
            samples["cop_x_mm"],
            samples["cop_y_mm"],
            planned_s=self.settings.planned_s,
            body_mass_kg=self.settings.body_mass_kg,
            settings=self.settings.stance,
        )
        events: list[ProtocolEvent] = []
        if analysis.failure is not None:
            self.failure_text = analysis.failure.text
            events.append(
                ProtocolEvent(
                    "touchdown",
                    self._t_start + analysis.failure.t_s,
                    analysis.failure.text,
                    {"reason": analysis.failure.reason},
                )
            )
        result = analysis.to_result()
        return events + self._end(analysis.status, result, analysis.invalid_reason, float(t[-1]))

    # ------------------------------------------------------------------ internals
    def _end(
        self, status: str, result: dict[str, object] | None, reason: str | None, now_s: float
    ) -> list[ProtocolEvent]:
        if result is None:
            done = self._clock.elapsed_s
            result = {
                "planned_s": self.settings.planned_s,
                "completed_s": round(min(done, self.settings.planned_s), 3),
                "time_to_failure_s": None,
                "failure_reason": None,
                "body_mass_kg": self.settings.body_mass_kg,
                "metrics": None,
                "processing": None,
            }
        practice = self.practice
        outcome = TrialOutcome(
            "balance", self.side, self.condition, practice, status, dict(result), reason
        )
        self.outcomes.append(outcome)
        if practice and status in ("valid", "failed"):
            self.practice_done += 1
        elif not practice and status == "valid":
            self.valid_done += 1
        elif not practice and status == "failed":
            self.failed_done += 1
        self._window = []
        self.phase = "done" if self.finished else "rest"
        kind: EventKind = "completed" if status == "valid" else "invalid"
        text = f"balance {'practice ' if practice else ''}trial {status}"
        events = [
            ProtocolEvent(
                kind, now_s, text + (f": {reason}" if reason else ""), {"outcome": outcome}
            ),
            ProtocolEvent("prompt", now_s, "step_off", {"action": "step_off"}),
        ]
        if self.finished:
            events.append(ProtocolEvent("step_done", now_s, "balance step done"))
        return events

    # ------------------------------------------------------------------ display
    def status(self) -> LiveStatus:
        """What the live screen shows now (see :mod:`clinic_app.protocols.status`)."""
        return balance_status(self)
