"""A scripted, seeded simulated patient for ``--demo``, the selftest, tests and benchmarks.

The patient owns a timeline of movement phases (:mod:`drivers.simulation.motions`) on a
clock (:mod:`drivers.simulation.clock`). Calling an action (:meth:`SimulatedPatient.perform_lunge`,
:meth:`~SimulatedPatient.step_on`, …) schedules it a short reaction time from now (or after the
action in progress); simulated devices sample the timeline. Everything random comes from
one seeded generator, drawn when an action is scheduled, so the same seed and the same calls
give the same signals.

In **autopilot** mode the application only says what the protocol expects next
(:meth:`~SimulatedPatient.prompt`), and the patient does it by itself after a human-like delay.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from drivers.simulation.clock import RealTimeClock, SimClock
from drivers.simulation.motions import (
    Body,
    FloatArray,
    Lunge,
    LungeStance,
    Off,
    Phase,
    Pose,
    Posture,
    SingleLeg,
    Still,
    Touchdown,
    Transition,
)
from drivers.simulation.sway import CONDITION_SWAY, SwayReplay, load_recording

SIDES = ("left", "right")
CONDITIONS = tuple(CONDITION_SWAY)
ACTIONS = ("lunge", "practice_lunge", "step_on", "step_off", "touchdown", "place_foot")

_POSE_FIELDS = ("tibia_deg", "roll_deg", "tremor_gain", "fz_n", "cop_x_mm", "cop_y_mm")

DEFAULT_TOUCHDOWN_PROBABILITY = {"eo_firm": 0.0, "eo_foam": 0.05, "ec_firm": 0.15, "ec_foam": 0.3}
"""Autopilot chance of a touchdown per balance trial (demo behaviour, not a clinical rate)."""


@dataclass(frozen=True)
class ScheduledAction:
    """What an action call scheduled, in clock seconds (useful to tests and demos).

    Attributes
    ----------
    action : str
    side : str or None
    t_start, t_end : float
        When the movement starts and when the patient is still again.
    lunge : Lunge or None
        The lunge phase (peak, hold window, heel lift) for lunge actions.
    stance : SingleLeg or None
        The single-leg posture (sway source, scale, offset) for ``step_on``.
    """

    action: str
    side: str | None
    t_start: float
    t_end: float
    lunge: Lunge | None = None
    stance: SingleLeg | None = None


def _check_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    return side


class SimulatedPatient:
    """A simulated person who performs the lunge test and single-leg balance trials.

    Parameters
    ----------
    seed : int
        Seeds every random choice (trial variation, tremor, sway offsets, autopilot timing).
    body_mass_kg : float
        Body mass; the plate reads ``body_mass_kg · g`` in single-leg stance.
    max_dorsiflexion_deg : mapping
        Maximal weight-bearing tibial inclination per side, degrees (heel down).
    sway_scale : mapping
        Extra single-leg sway factor per side on top of the condition's factor (1 = typical).
    rest_tibia_deg : float
        Shin inclination standing upright, degrees.
    clock : SimClock, optional
        :class:`RealTimeClock` (default) or :class:`ManualClock` for deterministic stepping.
    autopilot : bool
        Act on :meth:`prompt` by itself.
    """

    def __init__(
        self,
        seed: int = 0,
        body_mass_kg: float = 70.0,
        max_dorsiflexion_deg: Mapping[str, float] | None = None,
        *,
        sway_scale: Mapping[str, float] | None = None,
        rest_tibia_deg: float = 5.0,
        clock: SimClock | None = None,
        autopilot: bool = False,
    ) -> None:
        if not 20.0 <= body_mass_kg <= 250.0:
            raise ValueError(f"body_mass_kg must be 20–250 kg, not {body_mass_kg}")
        self.seed = seed
        self.body_mass_kg = float(body_mass_kg)
        self.max_dorsiflexion_deg = dict(max_dorsiflexion_deg or {"left": 40.0, "right": 40.0})
        for side in SIDES:
            if not 10.0 <= self.max_dorsiflexion_deg.get(side, math.nan) <= 70.0:
                raise ValueError(f"max_dorsiflexion_deg[{side!r}] must be 10–70°")
        self.sway_scale = {s: float((sway_scale or {}).get(s, 1.0)) for s in SIDES}
        self.clock: SimClock = clock if clock is not None else RealTimeClock()
        self.autopilot = autopilot
        self.touchdown_probability = dict(DEFAULT_TOUCHDOWN_PROBABILITY)
        self.heel_lift_probability = 0.1
        self.min_reaction_s = 0.3
        self._rng = np.random.default_rng(seed)
        self.body = Body(
            body_mass_kg=self.body_mass_kg,
            rest_tibia_deg=float(rest_tibia_deg),
            drift_phase=(float(self._rng.uniform(0, 2 * np.pi)), float(self._rng.uniform(0, 6))),
        )
        # Physiological tremor: three sinusoids in 8–12 Hz, ≈0.2° peak together (assumption).
        self._tremor_f = self._rng.uniform(8.0, 12.0, 3)
        self._tremor_a = self._rng.uniform(0.05, 0.09, 3)
        self._tremor_p = self._rng.uniform(0, 2 * np.pi, 3)
        self._lock = threading.Lock()
        self._starts: list[float] = [-math.inf]
        self._phases: list[Phase] = [Still(-math.inf, Off())]
        self._busy_until = -math.inf
        self._posture: Posture = Off()
        self.history: list[ScheduledAction] = []

    # ------------------------------------------------------------------ sampling

    def pose(self, t: FloatArray) -> Pose:
        """True body signals at clock times ``t`` (seconds), tremor included in the angle.

        Thread-safe; already-sampled times never change because actions are only ever
        scheduled at least :attr:`min_reaction_s` in the future.
        """
        t = np.asarray(t, dtype=np.float64)
        with self._lock:
            starts = list(self._starts)
            phases = list(self._phases)
        idx = np.searchsorted(np.asarray(starts), t, side="right") - 1
        n = len(t)
        if n and idx[0] == idx[-1]:  # the usual case: the whole batch lies in one phase
            out = phases[int(idx[0])].evaluate(self.body, t)
        else:
            out = Pose(*(np.empty(n) for _ in range(6)))
            for i in np.unique(idx):
                mask = idx == i
                part = phases[int(i)].evaluate(self.body, t[mask])
                for name in _POSE_FIELDS:
                    getattr(out, name)[mask] = getattr(part, name)
        tremor = np.zeros(n)
        for f, a, p in zip(self._tremor_f, self._tremor_a, self._tremor_p, strict=True):
            tremor += a * np.sin(2 * np.pi * f * t + p)
        out.tibia_deg = out.tibia_deg + tremor * out.tremor_gain
        out.fz_n = np.maximum(out.fz_n, 0.0)
        return out

    # ------------------------------------------------------------------ timeline

    @property
    def busy_until(self) -> float:
        """Clock time at which the scheduled actions are finished, seconds."""
        return self._busy_until

    @property
    def idle(self) -> bool:
        """True when no scheduled action is still to come or in progress."""
        return self.clock.now() >= self._busy_until

    @property
    def posture(self) -> str:
        """``"off"``, ``"lunge_stance"`` or ``"single_leg"`` once scheduled actions end."""
        return {Off: "off", LungeStance: "lunge_stance", SingleLeg: "single_leg"}[
            type(self._posture)
        ]

    def _start_time(self, delay_s: float | None) -> float:
        delay = self.min_reaction_s if delay_s is None else max(delay_s, self.min_reaction_s)
        return max(self.clock.now() + delay, self._busy_until)

    def _append(self, phases: list[Phase], end: float, posture: Posture) -> None:
        with self._lock:
            for phase in phases:
                i = bisect.bisect_right(self._starts, phase.t0)
                # Anything planned after this point is replaced (it was a steady state).
                del self._starts[i:], self._phases[i:]
                self._starts.append(phase.t0)
                self._phases.append(phase)
            self._busy_until = end
            self._posture = posture

    def _to_lunge_stance(self, side: str, t0: float) -> tuple[list[Phase], float, LungeStance]:
        current = self._posture
        if isinstance(current, LungeStance) and current.side == side:
            return [], t0, current
        stance = LungeStance(side=side, t_ref=t0)
        return [Transition(t0, 0.8, current, stance)], t0 + 1.0, stance

    # ------------------------------------------------------------------ actions

    def place_foot(self, side: str, delay_s: float | None = None) -> ScheduledAction:
        """Put the tested foot on the plate in lunge position (≈ half the body weight)."""
        _check_side(side)
        t0 = self._start_time(delay_s)
        phases, t_ready, stance = self._to_lunge_stance(side, t0)
        phases.append(Still(t_ready, stance))
        self._append(phases, t_ready, stance)
        return self._record(ScheduledAction("place_foot", side, t0, t_ready))

    def perform_lunge(
        self,
        side: str,
        heel_lift: bool = False,
        *,
        delay_s: float | None = None,
        hold_s: float | None = None,
        peak_deg: float | None = None,
    ) -> ScheduledAction:
        """Lunge the knee towards the wall, hold still, and come back upright.

        The peak angle varies a little between trials around the side's maximum
        (normal, SD 0.6°, at most +0.8° above it). A heel lift raises the heel during the
        hold: the COP moves towards the toes, the heel cells unload and the shin tilts a few
        degrees further.
        """
        _check_side(side)
        rng = self._rng
        t0 = self._start_time(delay_s)
        phases, t_lunge, stance = self._to_lunge_stance(side, t0)
        t_lunge += float(rng.uniform(0.2, 0.6))
        target = self.max_dorsiflexion_deg[side]
        peak = (
            peak_deg if peak_deg is not None else min(target + rng.normal(-0.3, 0.6), target + 0.8)
        )
        lunge = Lunge(
            t0=t_lunge,
            peak_deg=float(peak),
            ramp_s=float(rng.uniform(2.0, 3.0)),
            hold_s=float(hold_s if hold_s is not None else rng.uniform(3.5, 5.0)),
            release_s=float(rng.uniform(1.2, 1.8)),
            drift_deg=float(rng.normal(0.0, 0.2)),
            drift_phase=float(rng.uniform(0, 2 * np.pi)),
            stance=stance,
            heel_lift_at_s=float(rng.uniform(0.6, 1.0)) if heel_lift else None,
            heel_extra_deg=float(rng.uniform(3.0, 5.0)),
        )
        rest_until = lunge.end + 0.5
        phases += [lunge, Still(lunge.end, stance)]
        self._append(phases, rest_until, stance)
        return self._record(ScheduledAction("lunge", side, t0, rest_until, lunge=lunge))

    def step_on(
        self, side: str, condition: str = "eo_firm", *, delay_s: float | None = None
    ) -> ScheduledAction:
        """Step onto the plate on one leg and stand still (sway from the recordings)."""
        _check_side(side)
        if condition not in CONDITION_SWAY:
            raise ValueError(
                f"condition must be one of {', '.join(CONDITIONS)}, not {condition!r}"
            )
        t0 = self._start_time(delay_s)
        source = CONDITION_SWAY[condition]
        span = load_recording(source.recording).duration_s
        replay = SwayReplay(
            source, float(self._rng.uniform(0.0, span - 15.0)), self.sway_scale[side]
        )
        stance = SingleLeg(
            side=side,
            condition=condition,
            replay=replay,
            t_ref=t0,
            foot_x_mm=float(self._rng.normal(0.0, 4.0)),
            foot_y_mm=float(self._rng.normal(0.0, 4.0)),
        )
        ramp = float(self._rng.uniform(0.9, 1.3))
        self._append(
            [Transition(t0, ramp, self._posture, stance), Still(t0 + ramp, stance)],
            t0 + ramp,
            stance,
        )
        return self._record(ScheduledAction("step_on", side, t0, t0 + ramp, stance=stance))

    def touchdown(
        self, kind: str = "off_plate", duration_s: float = 0.8, *, delay_s: float | None = None
    ) -> ScheduledAction:
        """Let the lifted foot touch down (``"off_plate"`` or ``"on_plate"``), then lift again.

        Raises
        ------
        RuntimeError
            When the patient is not standing on one leg.
        """
        if kind not in ("off_plate", "on_plate"):
            raise ValueError(f"kind must be 'off_plate' or 'on_plate', not {kind!r}")
        stance = self._posture
        if not isinstance(stance, SingleLeg):
            raise RuntimeError("a touchdown needs the patient standing on one leg on the plate")
        t0 = self._start_time(delay_s)
        td = Touchdown(t0, duration_s, kind, stance)
        end = t0 + duration_s + 0.4
        self._append([td, Still(end, stance)], end, stance)
        return self._record(ScheduledAction("touchdown", stance.side, t0, end, stance=stance))

    def step_off(self, *, delay_s: float | None = None) -> ScheduledAction:
        """Step off the plate (load ramps to zero)."""
        t0 = self._start_time(delay_s)
        current = self._posture
        ramp = float(self._rng.uniform(0.5, 0.8))
        self._append(
            [Transition(t0, ramp, current, Off()), Still(t0 + ramp, Off())], t0 + ramp, Off()
        )
        side = None if isinstance(current, Off) else current.side
        return self._record(ScheduledAction("step_off", side, t0, t0 + ramp))

    def _record(self, action: ScheduledAction) -> ScheduledAction:
        self.history.append(action)
        return action

    # ------------------------------------------------------------------ autopilot

    def prompt(
        self, action: str, side: str | None = None, condition: str | None = None
    ) -> ScheduledAction | None:
        """The protocol asks for the next action; in autopilot the patient obliges.

        Parameters
        ----------
        action : str
            One of ``"lunge"``, ``"practice_lunge"``, ``"step_on"``, ``"step_off"``,
            ``"touchdown"``, ``"place_foot"``.
        side, condition : str, optional
            Needed by ``lunge``/``practice_lunge``/``place_foot`` (side) and ``step_on``
            (side and condition).

        Returns
        -------
        ScheduledAction or None
            What was scheduled, or None when autopilot is off (the caller drives).
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
        if not self.autopilot:
            return None
        delay = float(self._rng.uniform(1.0, 2.0))
        if action in ("lunge", "practice_lunge"):
            lift = bool(self._rng.random() < self.heel_lift_probability)
            return self.perform_lunge(_check_side(side or ""), heel_lift=lift, delay_s=delay)
        if action == "place_foot":
            return self.place_foot(_check_side(side or ""), delay_s=delay)
        if action == "step_on":
            cond = condition or "eo_firm"
            done = self.step_on(_check_side(side or ""), cond, delay_s=delay)
            if self._rng.random() < self.touchdown_probability.get(cond, 0.0):
                kind = "off_plate" if self._rng.random() < 0.7 else "on_plate"
                self.touchdown(
                    kind,
                    delay_s=done.t_end - self.clock.now() + float(self._rng.uniform(3.0, 8.0)),
                )
            return done
        if action == "touchdown":
            return self.touchdown(delay_s=delay)
        return self.step_off(delay_s=delay)
