"""Building blocks of the simulated patient's movement: postures and timed phases.

A patient's timeline is a sequence of phases, each valid from its start time until the next
phase starts (the last one lasts until something new is scheduled). A phase turns an array of
times into a :class:`Pose`: the true tibial inclination of the instrumented leg and the true
vertical load and centre of pressure on the plate. Sensor effects (noise, cell gains, tare
offsets) are added later by the simulated devices.

Conventions: seconds on the clock's monotonic scale, degrees, newtons, millimetres in the plate
frame of :mod:`drivers.base` (+x patient's right, +y towards the toes). The instrumented foot
stands on the plate centre with its long axis along y.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from drivers.simulation.sway import BIPEDAL_SWAY, SwayReplay

FloatArray = npt.NDArray[np.float64]

G = 9.80665
"""Standard gravity, m/s²."""


@dataclass
class Pose:
    """True body signals at a set of times (all arrays of the same length).

    Attributes
    ----------
    tibia_deg : ndarray
        Tibial inclination from vertical of the instrumented leg, degrees (without tremor).
    roll_deg : ndarray
        Frontal-plane tilt of the shin (knee tracking), degrees.
    tremor_gain : ndarray
        Multiplier of the physiological tremor (1 during a held lunge, smaller otherwise).
    fz_n, cop_x_mm, cop_y_mm : ndarray
        Vertical load on the plate and its centre of pressure.
    """

    tibia_deg: FloatArray
    roll_deg: FloatArray
    tremor_gain: FloatArray
    fz_n: FloatArray
    cop_x_mm: FloatArray
    cop_y_mm: FloatArray


def min_jerk(tau: FloatArray) -> FloatArray:
    """Minimum-jerk profile 10τ³ − 15τ⁴ + 6τ⁵ of ``tau`` clipped to [0, 1]."""
    x = np.clip(tau, 0.0, 1.0)
    out: FloatArray = x * x * x * (10.0 + x * (-15.0 + 6.0 * x))
    return out


@dataclass(frozen=True)
class Body:
    """Patient constants the phases need.

    Attributes
    ----------
    body_mass_kg : float
    rest_tibia_deg : float
        Shin inclination standing at rest, degrees.
    drift_phase : tuple of float
        Random phases (rad) of the slow postural drift of the shin angle.
    """

    body_mass_kg: float
    rest_tibia_deg: float
    drift_phase: tuple[float, float]

    @property
    def weight_n(self) -> float:
        """Body weight in newtons."""
        return self.body_mass_kg * G

    def rest_angle(self, t: FloatArray) -> FloatArray:
        """Standing shin angle with slow drift (±≈0.5°), degrees."""
        p1, p2 = self.drift_phase
        out: FloatArray = (
            self.rest_tibia_deg
            + 0.35 * np.sin(2 * np.pi * 0.07 * t + p1)
            + 0.2 * np.sin(2 * np.pi * 0.19 * t + p2)
        )
        return out


# ----------------------------------------------------------------------------- postures


@dataclass(frozen=True)
class Off:
    """Nobody on the plate."""

    def plate(self, body: Body, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Load (N) and COP (mm) on the plate: zero."""
        z = np.zeros_like(t)
        return z, z.copy(), z.copy()


@dataclass(frozen=True)
class LungeStance:
    """Tested foot on the plate, the other foot behind it on the floor.

    Attributes
    ----------
    side : str
    share : float
        Fraction of body weight on the plate foot standing upright (simulation assumption).
    t_ref : float
        Time origin of the bipedal sway replay, seconds.
    """

    side: str
    share: float = 0.5
    t_ref: float = 0.0
    foot_y_mm: float = -10.0
    replay: SwayReplay = field(default_factory=lambda: SwayReplay(BIPEDAL_SWAY, 5.0))

    def plate(self, body: Body, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Load (N) and COP (mm) of the front foot standing upright."""
        ap, ml, fz_rel = self.replay.evaluate(t - self.t_ref)
        fz = body.weight_n * self.share * fz_rel
        # Only one foot is on the plate: its COP moves less than the whole-body COP.
        return fz, 0.5 * ml, self.foot_y_mm + 0.5 * ap


@dataclass(frozen=True)
class SingleLeg:
    """Standing on one leg on the plate, swaying as the replayed recording.

    Attributes
    ----------
    side, condition : str
    replay : SwayReplay
    t_ref : float
        Time at which the replay started (the step-on), seconds.
    """

    side: str
    condition: str
    replay: SwayReplay
    t_ref: float
    foot_x_mm: float = 0.0
    foot_y_mm: float = 0.0

    def plate(self, body: Body, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Load (N) and COP (mm) in single-leg stance."""
        ap, ml, fz_rel = self.replay.evaluate(t - self.t_ref)
        return body.weight_n * fz_rel, self.foot_x_mm + ml, self.foot_y_mm + ap


Posture = Off | LungeStance | SingleLeg


# ----------------------------------------------------------------------------- phases


@dataclass(frozen=True)
class Still:
    """Holding a posture, standing upright."""

    t0: float
    posture: Posture

    def evaluate(self, body: Body, t: FloatArray) -> Pose:
        """Pose at times ``t``."""
        fz, cx, cy = self.posture.plate(body, t)
        angle = body.rest_angle(t)
        return Pose(angle, np.full_like(t, 1.0), np.full_like(t, 0.3), fz, cx, cy)


@dataclass(frozen=True)
class Transition:
    """Moving the load from one posture to another (step on, step off, place the foot)."""

    t0: float
    duration_s: float
    start: Posture
    end: Posture

    def evaluate(self, body: Body, t: FloatArray) -> Pose:
        """Pose at times ``t``: force-weighted blend of the two postures."""
        w = min_jerk((t - self.t0) / self.duration_s)
        fa, xa, ya = self.start.plate(body, t)
        fb, xb, yb = self.end.plate(body, t)
        fz = (1.0 - w) * fa + w * fb
        wa, wb = (1.0 - w) * fa, w * fb
        total = np.where(wa + wb > 0, wa + wb, 1.0)
        cx = (wa * xa + wb * xb) / total
        cy = (wa * ya + wb * yb) / total
        angle = body.rest_angle(t)
        return Pose(angle, np.full_like(t, 1.0), np.full_like(t, 0.3), fz, cx, cy)


@dataclass(frozen=True)
class Lunge:
    """One weight-bearing lunge: ramp, hold with drift and tremor, release.

    Attributes
    ----------
    t0 : float
        Start of the ramp, seconds.
    peak_deg : float
        Tibial angle reached at the end of the ramp, degrees.
    ramp_s, hold_s, release_s : float
    drift_deg : float
        Linear drift over the hold, degrees.
    heel_lift_at_s : float or None
        Time after the hold starts at which the heel lifts (None: the heel stays down).
    heel_extra_deg : float
        Extra tibial inclination once the heel is up, degrees.
    cop_forward_mm, heel_cop_forward_mm : float
        How far the COP moves towards the toes at full lunge with the heel down (12 mm) and,
        in addition, once the heel is up (70 mm). Simulation assumptions: small enough that a
        heel-down lunge stays under a 20 mm "COP moved forward" heel-lift rule, large enough
        that a lifted heel is unmistakable.
    stance : LungeStance
    """

    t0: float
    peak_deg: float
    ramp_s: float
    hold_s: float
    release_s: float
    drift_deg: float
    drift_phase: float
    stance: LungeStance
    heel_lift_at_s: float | None = None
    heel_extra_deg: float = 4.0
    lunge_share: float = 0.68
    cop_forward_mm: float = 12.0
    heel_cop_forward_mm: float = 70.0

    @property
    def hold_start(self) -> float:
        """Time the ramp ends and the hold begins, seconds."""
        return self.t0 + self.ramp_s

    @property
    def hold_end(self) -> float:
        """Time the release begins, seconds."""
        return self.hold_start + self.hold_s

    @property
    def end(self) -> float:
        """Time the shin is back upright, seconds."""
        return self.hold_end + self.release_s

    def _heel(self, t: FloatArray) -> FloatArray:
        """0 → 1 as the heel lifts, back to 0 during the release."""
        if self.heel_lift_at_s is None:
            return np.zeros_like(t)
        up = min_jerk((t - (self.hold_start + self.heel_lift_at_s)) / 0.5)
        down = 1.0 - min_jerk((t - self.hold_end) / self.release_s)
        out: FloatArray = up * down
        return out

    def _held(self, t: FloatArray) -> FloatArray:
        """Angle during the hold: peak + linear drift + a slow 0.3 Hz wobble, degrees."""
        since = t - self.hold_start
        out: FloatArray = (
            self.peak_deg
            + self.drift_deg * np.clip(since / self.hold_s, 0.0, 1.0)
            + 0.15 * np.sin(2 * np.pi * 0.3 * since + self.drift_phase)
            - 0.15 * np.sin(self.drift_phase)
        )
        return out

    def evaluate(self, body: Body, t: FloatArray) -> Pose:
        """Pose at times ``t``."""
        rest = body.rest_angle(t)
        up = min_jerk((t - self.t0) / self.ramp_s)
        angle = np.where(t < self.hold_start, rest + (self.peak_deg - rest) * up, self._held(t))
        end_val = float(self._held(np.array([self.hold_end]))[0])
        down = min_jerk((t - self.hold_end) / self.release_s)
        angle = np.where(t >= self.hold_end, end_val + (rest - end_val) * down, angle)
        heel = self._heel(t)
        angle = angle + self.heel_extra_deg * heel
        progress = np.clip((angle - rest) / max(self.peak_deg - body.rest_tibia_deg, 1.0), 0, 1)
        holding = (t >= self.hold_start) & (t < self.hold_end)
        tremor = np.where(holding, 1.0, 0.3)
        fz, cx, cy = self.stance.plate(body, t)
        share_gain = 1.0 + (self.lunge_share / self.stance.share - 1.0) * progress
        fz = fz * share_gain
        cy = cy + self.cop_forward_mm * progress + self.heel_cop_forward_mm * heel
        roll = 1.0 + 2.0 * progress
        return Pose(angle, roll, tremor, fz, cx, cy)


@dataclass(frozen=True)
class Touchdown:
    """The lifted foot touches down during single-leg stance, then lifts again.

    Attributes
    ----------
    kind : str
        ``"off_plate"``: the other foot touches the floor beside the plate and takes part of
        the weight (Fz drops). ``"on_plate"``: it lands on the plate (Fz stays near body
        weight with a short impact, and the COP jumps towards the other foot).
    load_share : float
        Fraction of body weight taken by the other foot while it is down.
    """

    t0: float
    duration_s: float
    kind: str
    stance: SingleLeg
    load_share: float = 0.35
    other_foot_dx_mm: float = 160.0

    def evaluate(self, body: Body, t: FloatArray) -> Pose:
        """Pose at times ``t``."""
        fz, cx, cy = self.stance.plate(body, t)
        # Load transfer to the landing foot within 50 ms (a foot strike, not a slow lean).
        down = min_jerk((t - self.t0) / 0.05) * (
            1.0 - min_jerk((t - (self.t0 + self.duration_s)) / 0.3)
        )
        share = self.load_share * down
        # The lifted foot is on the side opposite the stance foot.
        toward = 1.0 if self.stance.side == "left" else -1.0
        if self.kind == "off_plate":
            fz = fz * (1.0 - share)
        else:
            impact = 0.08 * np.exp(-np.clip(t - self.t0, 0, None) / 0.05) * (t >= self.t0)
            fz = fz * (1.0 + impact)
            cx = cx + share * toward * self.other_foot_dx_mm
        angle = body.rest_angle(t)
        return Pose(angle, np.full_like(t, 1.0), np.full_like(t, 0.3), fz, cx, cy)


Phase = Still | Transition | Lunge | Touchdown
