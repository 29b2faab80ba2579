"""Weight-bearing lunge test: stable-hold capture, heel-lift detection, typed-distance checks.

Everything here works both offline (a whole recording) and incrementally: a Qt-free
protocol state machine feeds batches of samples to :class:`HoldDetector` and
:class:`HeelLiftDetector` as they arrive and reads their state.

The capture and heel-lift thresholds are **editable clinic defaults [U]** from
``norms.toml`` (``lunge.hold_*``, ``lunge.heel_lift_*``): engineering choices, not evidence.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.norms import Norms, load_norms

PAIN_LOCATIONS = ("none", "anterior", "posterior")


@dataclass(frozen=True)
class HoldSettings:
    """When the shin counts as held still (all [U] editable clinic defaults).

    Attributes
    ----------
    tolerance_deg : float
        Every angle of a hold lies within ± this of the hold's mid-range (so the hold's
        range, max − min, is at most twice this).
    min_hold_s : float
        A hold must last this long to be captured.
    min_angle_deg : float
        Holds with a mean tibial angle below this are the patient standing, not lunging.
    """

    tolerance_deg: float = 1.0
    min_hold_s: float = 2.0
    min_angle_deg: float = 15.0

    @classmethod
    def from_norms(cls, norms: Norms | None = None) -> HoldSettings:
        """Settings from ``norms.toml`` (with the clinic's overrides, if any)."""
        norms = norms or load_norms()
        return cls(
            tolerance_deg=norms.value("lunge.hold_tolerance_deg"),
            min_hold_s=norms.value("lunge.hold_min_s"),
            min_angle_deg=norms.value("lunge.hold_min_angle_deg"),
        )


@dataclass(frozen=True)
class Hold:
    """A stable hold of the tibial angle.

    Attributes
    ----------
    start_s, end_s : float
        Time of its first and last sample (s, the caller's clock).
    angle_deg : float
        Mean tibial angle over the hold (the captured angle).
    sd_deg : float
        Sample SD (ddof = 1) of the angle over the hold: the hold-quality figure.
    n : int
        Samples in the hold.
    """

    start_s: float
    end_s: float
    angle_deg: float
    sd_deg: float
    n: int

    @property
    def duration_s(self) -> float:
        """``end_s − start_s`` (s)."""
        return self.end_s - self.start_s


@dataclass(frozen=True)
class HoldState:
    """What :meth:`HoldDetector.update` reports after each batch.

    Attributes
    ----------
    still_s : float
        How long the angle has currently been still (s); 0 when moving.
    progress : float
        ``still_s / min_hold_s`` clipped to [0, 1] while above the minimum angle (for a
        progress ring), else 0.
    holding : bool
        True while a qualifying hold is in progress (still long enough, above the minimum).
    hold : Hold or None
        The current qualifying hold while ``holding``, else the last one that qualified.
    best : Hold or None
        The qualifying hold with the highest angle so far.
    """

    still_s: float
    progress: float
    holding: bool
    hold: Hold | None
    best: Hold | None

    @property
    def captured(self) -> bool:
        """True once any hold has qualified."""
        return self.best is not None


class HoldDetector:
    """Incremental stable-hold detector for the inclinometer's tibial angle.

    Feed batches with :meth:`update`; NaN angles (no reading) break a hold. A sliding
    window with monotonic queues keeps min and max, so each sample costs O(1).

    Parameters
    ----------
    settings : HoldSettings, optional
        Default: from ``norms.toml``.
    """

    def __init__(self, settings: HoldSettings | None = None) -> None:
        self.settings = settings or HoldSettings.from_norms()
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new trial)."""
        self._t: deque[float] = deque()
        self._a: deque[float] = deque()
        self._shift: float | None = None  # sums are of (angle − shift): no cancellation
        self._sum = 0.0
        self._sum_sq = 0.0
        self._min: deque[tuple[float, float]] = deque()  # (t, angle), increasing angles
        self._max: deque[tuple[float, float]] = deque()  # decreasing angles
        self._hold: Hold | None = None
        self._best: Hold | None = None
        self._holding = False

    def _push(self, t: float, a: float) -> None:
        if self._shift is None:
            self._shift = a
        self._t.append(t)
        self._a.append(a)
        d = a - self._shift
        self._sum += d
        self._sum_sq += d * d
        while self._min and self._min[-1][1] >= a:
            self._min.pop()
        self._min.append((t, a))
        while self._max and self._max[-1][1] <= a:
            self._max.pop()
        self._max.append((t, a))

    def _pop_front(self) -> None:
        t = self._t.popleft()
        d = self._a.popleft() - (self._shift or 0.0)
        self._sum -= d
        self._sum_sq -= d * d
        if self._min and self._min[0][0] <= t:
            self._min.popleft()
        if self._max and self._max[0][0] <= t:
            self._max.popleft()

    def _clear(self) -> None:
        self._t.clear()
        self._a.clear()
        self._min.clear()
        self._max.clear()
        self._sum = self._sum_sq = 0.0
        self._shift = None

    def _mean(self) -> float:
        return (self._shift or 0.0) + self._sum / len(self._a)

    def _window_hold(self) -> Hold:
        n = len(self._a)
        mean_shifted = self._sum / n
        var = max((self._sum_sq - n * mean_shifted**2) / (n - 1), 0.0) if n > 1 else 0.0
        return Hold(
            self._t[0], self._t[-1], (self._shift or 0.0) + mean_shifted, math.sqrt(var), n
        )

    def update(self, t_s: npt.ArrayLike, angle_deg: npt.ArrayLike) -> HoldState:
        """Add a batch of samples and report the state.

        Parameters
        ----------
        t_s : array_like
            Sample times (s), increasing.
        angle_deg : array_like
            Tibial angle from vertical (degrees); NaN = no reading.
        """
        s = self.settings
        band = 2.0 * s.tolerance_deg
        for t, a in zip(
            np.asarray(t_s, dtype=float).ravel(), np.asarray(angle_deg, dtype=float).ravel()
        ):
            t, a = float(t), float(a)
            if not math.isfinite(a):
                self._clear()
                self._holding = False
                continue
            self._push(t, a)
            while self._max[0][1] - self._min[0][1] > band:
                self._pop_front()
                self._holding = False
            still = self._t[-1] - self._t[0]
            self._holding = still >= s.min_hold_s and self._mean() >= s.min_angle_deg
            if self._holding:
                hold = self._window_hold()
                self._hold = hold
                best = self._best
                # The same hold growing replaces itself; another hold must be higher.
                if best is None or hold.start_s == best.start_s or hold.angle_deg > best.angle_deg:
                    self._best = hold
        return self.state

    @property
    def state(self) -> HoldState:
        """The state after the last batch."""
        s = self.settings
        still = (self._t[-1] - self._t[0]) if len(self._t) > 1 else 0.0
        above = bool(self._a) and self._mean() >= s.min_angle_deg
        progress = min(still / s.min_hold_s, 1.0) if above and s.min_hold_s > 0 else 0.0
        return HoldState(
            still_s=still,
            progress=progress,
            holding=self._holding,
            hold=self._hold,
            best=self._best,
        )


def find_hold(
    t_s: npt.ArrayLike, angle_deg: npt.ArrayLike, settings: HoldSettings | None = None
) -> Hold | None:
    """The best stable hold (highest mean angle) of a whole inclinometer recording.

    Offline twin of :class:`HoldDetector`: the same rule, the same result as feeding the
    recording in batches. None when the shin was never held still long enough above the
    minimum angle.
    """
    detector = HoldDetector(settings)
    return detector.update(t_s, angle_deg).best


# ---------------------------------------------------------------- typed distance


class InputError(ValueError):
    """A typed value is not acceptable; the message says what to type instead."""


def parse_distance_cm(text: str | float, norms: Norms | None = None) -> float:
    """Check the typed knee-to-wall distance and return it in cm (0.1 cm resolution).

    Accepts ``"10.4"``, ``"10,4"``, ``"10.4 cm"`` or a number. Limits from ``norms.toml``
    (``lunge.distance_min_cm`` … ``_max_cm``, [U] editable clinic defaults; resolution
    0.1 cm [C]).

    Raises
    ------
    InputError
        With a message that names the problem, e.g. "Distance 34.5 cm is above 30 cm…".
    """
    norms = norms or load_norms()
    low = norms.value("lunge.distance_min_cm")
    high = norms.value("lunge.distance_max_cm")
    resolution = norms.value("lunge.distance_resolution_cm")
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
        shown = f"{value:g}"
    else:
        shown = str(text).strip()
        cleaned = re.sub(r"\s*cm\s*$", "", shown, flags=re.IGNORECASE).replace(",", ".")
        if not cleaned:
            raise InputError("Type the knee-to-wall distance in cm, e.g. 10.5.")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
            raise InputError(f"'{shown}' is not a distance; type it in cm, e.g. 10.5.")
        value = float(cleaned)
    if not math.isfinite(value):
        raise InputError(f"'{shown}' is not a distance; type it in cm, e.g. 10.5.")
    if value < low:
        raise InputError(f"Distance {value:g} cm is below {low:g} cm; check the tape reading.")
    if value > high:
        raise InputError(
            f"Distance {value:g} cm is above {high:g} cm; check the tape reading "
            "(the clinic can change this limit in Settings)."
        )
    steps = value / resolution
    if abs(steps - round(steps)) > 1e-6:
        raise InputError(
            f"Give the distance to {resolution:g} cm, e.g. {round(steps) * resolution:.1f}."
        )
    return round(round(steps) * resolution, 1)


def check_pain(pain_nrs: int | float | None, location: str | None) -> tuple[int | None, str]:
    """Validate pain on the 0–10 numeric rating scale and its location.

    Pain and its location come together (clinical reference §3.6): pain above 0 needs a
    location (front of the ankle or calf/Achilles), and a location needs pain above 0. An
    entry breaking either rule is an input error shown at entry, never a guess.

    Returns ``(nrs, location)`` with location ``"none"`` when no pain was reported.

    Raises
    ------
    InputError
    """
    place = location or "none"
    if place not in PAIN_LOCATIONS:
        raise InputError(f"Pain location must be one of {', '.join(PAIN_LOCATIONS)}.")
    if pain_nrs is None:
        if place != "none":
            raise InputError("Give the pain score (1–10) for the pain location chosen.")
        return None, place
    if isinstance(pain_nrs, bool) or float(pain_nrs) != int(pain_nrs) or not 0 <= pain_nrs <= 10:
        raise InputError(f"Pain must be a whole number from 0 to 10, got {pain_nrs}.")
    if int(pain_nrs) > 0 and place == "none":
        raise InputError("Say where the pain was: front of the ankle or calf/Achilles.")
    if int(pain_nrs) == 0 and place != "none":
        raise InputError(
            "A pain location needs a pain score above 0: give the score, or choose 'No pain'."
        )
    return int(pain_nrs), place
