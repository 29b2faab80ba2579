"""Weight-bearing lunge test, one side: practice, measured trials, capture, heel check, entry.

Procedure (clinical reference §1.1–1.2): 1–2 practice lunges, then 3 measured trials; the
side's result is the mean of 3 valid trials (the max and each trial are stored too). Each
trial: **arm** (Space) → live tibial angle → **capture** automatically on a stable hold
(:class:`~clinic_app.analysis.lunge.HoldDetector`) or manually (Space) → the plate under the
front foot checks the heel (:class:`~clinic_app.analysis.heel_lift.HeelLiftDetector`; a lift
makes the trial invalid, numbers kept) → knee-to-wall distance and pain typed (measured
trials only). **R** repeats the trial in progress, **Esc** stops it; a lost device ends it
as ``incomplete`` with the reason in words.

The hold and heel-lift rules live in :mod:`clinic_app.analysis`; this module only sequences
them. Thresholds are ``norms.toml`` values (hold and heel rules are [U] clinic defaults).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.heel_lift import HeelLiftDetector, HeelLiftSettings, HeelLiftState
from clinic_app.analysis.lunge import (
    HoldDetector,
    HoldSettings,
    HoldState,
    check_pain,
    parse_distance_cm,
)
from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.protocols.events import EventKind, LiveStatus, ProtocolEvent, TrialOutcome
from clinic_app.protocols.status import lunge_status

SampleArray = npt.NDArray[np.void]

FOOT_SETTLE_S = 0.5
"""The plate load must have been on for this long before the heel baseline is taken, so a
foot still being placed is not mistaken for the heel-down position (engineering choice)."""

MANUAL_WINDOW_S = 0.5
"""A manual capture takes the mean angle over this last stretch (engineering choice)."""


@dataclass(frozen=True)
class LungeSettings:
    """How one side's lunge test runs.

    Attributes
    ----------
    practice_trials : int
        Practice lunges before measuring (``lunge.practice_trials``; 0 to skip).
    measured_trials : int
        Valid measured trials needed (``lunge.measured_trials``, 3 [C]).
    site : str
        Inclinometer site stored with every angle (default ``tibial_crest_15cm``).
    hold, heel : settings of the analysis detectors.
    """

    practice_trials: int = 2
    measured_trials: int = 3
    site: str = "tibial_crest_15cm"
    hold: HoldSettings = field(default_factory=HoldSettings)
    heel: HeelLiftSettings = field(default_factory=HeelLiftSettings)

    @classmethod
    def from_norms(cls, norms: Norms | None = None, *, practice: bool = True) -> LungeSettings:
        """Defaults from ``norms.toml``; ``practice=False`` skips the practice lunges."""
        norms = norms or load_norms()
        return cls(
            practice_trials=int(norms.value("lunge.practice_trials")) if practice else 0,
            measured_trials=int(norms.value("lunge.measured_trials")),
            site=norms.text("lunge.default_site"),
            hold=HoldSettings.from_norms(norms),
            heel=HeelLiftSettings.from_norms(norms),
        )


@dataclass
class _Capture:
    angle_deg: float
    hold_s: float
    hold_sd_deg: float
    how: str  # "auto" | "manual"
    t_s: float


class LungeProtocol:
    """The lunge test on one side, fed with sample batches (no Qt, no clock, no I/O).

    Parameters
    ----------
    side : {"left", "right"}
    settings : LungeSettings, optional
    done_practice, done_valid : int
        Trials already stored for this side (a resumed visit).
    """

    protocol = "lunge"
    condition: str | None = None

    def __init__(
        self,
        side: str,
        settings: LungeSettings | None = None,
        *,
        done_practice: int = 0,
        done_valid: int = 0,
    ) -> None:
        self.side = side
        self.settings = settings or LungeSettings.from_norms()
        self.practice_done = done_practice
        self.valid_done = done_valid
        self.phase = "ready"
        self.outcomes: list[TrialOutcome] = []
        self.angle_deg = math.nan
        # Share of the load on the rear (heel) cells, newest settled sample (for the
        # live heel indicator); NaN until the foot is on the plate.
        self.heel_load_fraction = math.nan
        self.last_message = ""
        self._hold = HoldDetector(self.settings.hold)
        self._heel = HeelLiftDetector(self.settings.heel)
        self._recent: deque[tuple[float, float]] = deque()
        self._capture: _Capture | None = None
        self._heel_event_sent = False
        self._load_since: float | None = None
        self._plate_seen = False
        self._upright_seen = False
        if self.finished:
            self.phase = "done"

    # ------------------------------------------------------------------ state
    @property
    def practice(self) -> bool:
        """True while the trial in progress (or the next one) is a practice lunge."""
        return self.practice_done < self.settings.practice_trials

    @property
    def finished(self) -> bool:
        """Every measured trial of this side is valid."""
        return self.valid_done >= self.settings.measured_trials

    @property
    def recording(self) -> bool:
        """True while the trial's samples belong in its recording (arm → capture)."""
        return self.phase == "live"

    @property
    def in_trial(self) -> bool:
        """True between arm and the trial's outcome."""
        return self.phase in ("live", "entry")

    @property
    def hold_state(self) -> HoldState:
        """The hold detector's state (still time, progress, current hold)."""
        return self._hold.state

    @property
    def heel_state(self) -> HeelLiftState:
        """The heel-lift detector's state."""
        return self._heel.state

    @property
    def recent_angles(self) -> list[tuple[float, float]]:
        """The last second of (time s, angle deg) samples of the trial in progress."""
        return list(self._recent)

    @property
    def capture_info(self) -> _Capture | None:
        """The captured angle of the trial in progress (None before the capture)."""
        return self._capture

    @property
    def heel_checked(self) -> bool:
        """True once loaded plate samples reached the heel check in this trial."""
        return self._plate_seen

    # ------------------------------------------------------------------ commands
    def start_step(self, now_s: float) -> list[ProtocolEvent]:
        """The step is on screen: ask the patient to place the foot on the plate."""
        return [self._prompt("place_foot", now_s)]

    def arm(self, now_s: float) -> list[ProtocolEvent]:
        """Space in ``ready``: a new trial starts recording; the patient is asked to lunge."""
        if self.phase != "ready":
            return []
        self._reset_trial()
        self.phase = "live"
        kind = "practice lunge" if self.practice else "lunge"
        return [
            ProtocolEvent("armed", now_s, f"{kind} armed ({self.side})"),
            self._prompt("practice_lunge" if self.practice else "lunge", now_s),
        ]

    def capture(self, now_s: float) -> list[ProtocolEvent]:
        """Space in ``live``: capture the mean of the last half second (manual capture)."""
        if self.phase != "live":
            return []
        end = self._recent[-1][0] if self._recent else now_s
        window = [a for t, a in self._recent if t >= end - MANUAL_WINDOW_S]
        if not window:
            self.last_message = "No inclinometer reading yet: nothing to capture."
            return []
        arr = np.asarray(window)
        sd = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
        still = self._hold.state.still_s
        return self._captured(_Capture(float(arr.mean()), still, sd, "manual", end))

    def enter(
        self, distance: str | float, pain_nrs: int | None, pain_location: str | None, now_s: float
    ) -> list[ProtocolEvent]:
        """Distance (cm) and pain typed in ``entry``; ends the trial.

        Raises
        ------
        clinic_app.analysis.lunge.InputError
            With a message naming what to type instead; the trial stays in ``entry``.
        """
        if self.phase != "entry" or self._capture is None:
            return []
        distance_cm = parse_distance_cm(distance)
        nrs, place = check_pain(pain_nrs, pain_location)
        return self._finish(self._result(distance_cm, nrs, place), now_s)

    def retry(self, now_s: float) -> list[ProtocolEvent]:
        """R: the trial in progress ends ``incomplete`` and a fresh one is armed."""
        if not self.in_trial:
            return []
        events = self._end_incomplete("repeated by the clinician before it was finished", now_s)
        return events + self.arm(now_s)

    def abort(self, now_s: float) -> list[ProtocolEvent]:
        """Esc: the trial in progress ends ``incomplete``; back to the instructions."""
        if not self.in_trial:
            return []
        return self._end_incomplete("stopped by the clinician", now_s)

    def device_lost(self, device: str, text: str, now_s: float) -> list[ProtocolEvent]:
        """A device this trial needs stopped delivering: keep the trial as incomplete."""
        if self.phase != "live" or (device == "plate" and not self._plate_seen):
            return []
        reason = f"the {device} connection was lost during the trial ({text})"
        return self._end_incomplete(reason, now_s)

    # ------------------------------------------------------------------ data
    def feed(
        self, inclinometer: SampleArray | None, plate: SampleArray | None, now_s: float
    ) -> list[ProtocolEvent]:
        """Add the new samples of both devices (either may be None or empty)."""
        events: list[ProtocolEvent] = []
        if inclinometer is not None and len(inclinometer):
            t = inclinometer["t_host_s"]
            a = inclinometer["tibia_deg"]
            finite = np.isfinite(a)
            if finite.any():
                self.angle_deg = float(a[finite][-1])
                if self.phase == "live" and np.any(a[finite] < self.settings.hold.min_angle_deg):
                    self._upright_seen = True
            if self.phase == "live":
                for ti, ai in zip(t[-200:].tolist(), a[-200:].tolist(), strict=True):
                    self._recent.append((ti, ai))
                while self._recent and self._recent[0][0] < t[-1] - 2 * MANUAL_WINDOW_S:
                    self._recent.popleft()
        if self.phase == "live" and plate is not None and len(plate):
            events += self._feed_heel(plate)
        if self.phase == "live" and inclinometer is not None and len(inclinometer):
            state = self._hold.update(inclinometer["t_host_s"], inclinometer["tibia_deg"])
            if state.holding and state.hold is not None and self._upright_seen:
                h = state.hold
                events += self._captured(
                    _Capture(h.angle_deg, h.duration_s, h.sd_deg, "auto", h.end_s)
                )
        return events

    def _feed_heel(self, plate: SampleArray) -> list[ProtocolEvent]:
        s = self.settings.heel
        t = plate["t_host_s"]
        fz = plate["fz_n"]
        loaded = fz >= s.min_load_n
        keep = np.zeros(len(plate), dtype=bool)
        for i in range(len(plate)):  # the foot must be settled before the baseline
            if not loaded[i]:
                self._load_since = None
                continue
            if self._load_since is None:
                self._load_since = float(t[i])
            keep[i] = t[i] - self._load_since >= FOOT_SETTLE_S
        if not keep.any():
            return []
        self._plate_seen = True
        p = plate[keep]
        last = p[-1]
        self.heel_load_fraction = (
            float((last["bl_n"] + last["br_n"]) / last["fz_n"]) if last["fz_n"] > 0 else math.nan
        )
        state = self._heel.update(p["t_host_s"], p["fz_n"], p["cop_y_mm"], p["bl_n"] + p["br_n"])
        if state.lifted and not self._heel_event_sent:
            self._heel_event_sent = True
            return [ProtocolEvent("heel_lifted", float(state.at_s or t[-1]), state.reason or "")]
        return []

    # ------------------------------------------------------------------ internals
    def _prompt(self, action: str, now_s: float) -> ProtocolEvent:
        return ProtocolEvent("prompt", now_s, action, {"action": action, "side": self.side})

    def _reset_trial(self) -> None:
        self._hold.reset()
        self._heel.reset()
        self._recent.clear()
        self._capture = None
        self._heel_event_sent = False
        self._load_since = None
        self._plate_seen = False
        self._upright_seen = False
        self.heel_load_fraction = math.nan
        self.last_message = ""

    def _captured(self, capture: _Capture) -> list[ProtocolEvent]:
        self._capture = capture
        event = ProtocolEvent(
            "captured",
            capture.t_s,
            f"{capture.how} capture {capture.angle_deg:.1f}°",
            {"angle_deg": capture.angle_deg, "capture": capture.how},
        )
        if self.practice:  # practice lunges end at the capture: nothing to type
            return [event, *self._finish(self._result(None, None, "none"), capture.t_s)]
        self.phase = "entry"
        return [event]

    def _result(
        self, distance_cm: float | None, pain_nrs: int | None, pain_location: str
    ) -> dict[str, Any]:
        c = self._capture
        return {
            "angle_deg": None if c is None else round(c.angle_deg, 2),
            "distance_cm": distance_cm,
            "hold_s": None if c is None else round(c.hold_s, 2),
            "hold_sd_deg": None if c is None else round(c.hold_sd_deg, 3),
            "capture": None if c is None else c.how,
            "heel_lift": self._heel.state.lifted,
            "pain_nrs": pain_nrs,
            "pain_location": pain_location,
            "site": self.settings.site,
        }

    def _finish(self, result: dict[str, Any], now_s: float) -> list[ProtocolEvent]:
        lifted = self._heel.state
        status = "invalid" if lifted.lifted else "valid"
        reason = lifted.reason if lifted.lifted else None
        return self._outcome(status, result, reason, now_s)

    def _end_incomplete(self, reason: str, now_s: float) -> list[ProtocolEvent]:
        result = self._result(None, None, "none")
        return self._outcome("incomplete", result, reason, now_s)

    def _outcome(
        self, status: str, result: dict[str, Any], reason: str | None, now_s: float
    ) -> list[ProtocolEvent]:
        practice = self.practice
        outcome = TrialOutcome("lunge", self.side, None, practice, status, result, reason)
        self.outcomes.append(outcome)
        if practice and status != "incomplete":
            self.practice_done += 1
        elif status == "valid":
            self.valid_done += 1
        self.phase = "done" if self.finished else "ready"
        words = "practice lunge" if practice else "trial"
        kind: EventKind = "completed" if status == "valid" else "invalid"
        events = [
            ProtocolEvent(
                kind,
                now_s,
                f"{words} {status}" + (f": {reason}" if reason else ""),
                {"outcome": outcome},
            )
        ]
        if self.finished:
            events.append(ProtocolEvent("step_done", now_s, f"lunge {self.side} done"))
        return events

    # ------------------------------------------------------------------ display
    def status(self) -> LiveStatus:
        """What the live screen shows now (see :mod:`clinic_app.protocols.status`)."""
        return lunge_status(self)
