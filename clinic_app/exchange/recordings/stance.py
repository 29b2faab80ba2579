"""Is a force-plate recording a balance trial? Find its stance or say, about the file, why not.

A single-leg balance trial (``reference/clinical.md`` §2.1: 3 × 10 s, Knapp et al. 2011) is
a steady load on one plate for at least the protocol's trial length. Files from other labs
may be anything: a walking trial whose plates each carry a 0.6 s stance, a sit-to-stand, a
trial with a touchdown. The rules, from ``norms.toml`` as the live protocol uses them:

- the stance lasts at least ``balance.trial_s`` (1 % short is forgiven: a sample or two
  lost at the gate);
- its load holds: it stays at or above ``balance.touchdown_force_fraction`` of its typical
  (median) value; a drop lasting ``balance.touchdown_min_s`` or more is a touchdown or a
  step, shorter ones are noise;
- it is single-leg where the file can tell: no other plate of the file carries
  ``balance.min_load_n`` or more for that long during the stance.

Steady stretches shorter than :data:`SETTLE_S` at the start or the end are the patient
stepping on or off and settling; the stance is the steady load between them, and the notes
say which seconds of the file it is. A drop of load between two longer steady stretches is a
touchdown, and the trial is refused rather than cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.cop import DEFAULT_MIN_LOAD_N
from clinic_app.analysis.norms import Norms
from clinic_app.exchange.recordings.base import ForceRecording, RecordingError

SETTLE_S = 1.0
"""Steady stretches shorter than this (s) at either end are stepping on or off [U,
engineering default]."""
SHORT_TOLERANCE = 0.01
"""A stance this fraction shorter than the minimum still counts (gate losses at the ends)."""


@dataclass(frozen=True)
class BalanceRules:
    """What makes a recording a balance trial (defaults: the bundled ``norms.toml``).

    Attributes
    ----------
    min_duration_s : float
        ``balance.trial_s`` (s).
    hold_fraction : float
        ``balance.touchdown_force_fraction`` (fraction of the typical load).
    dip_min_s : float
        ``balance.touchdown_min_s`` (s).
    min_load_n : float
        ``balance.min_load_n`` (N).
    """

    min_duration_s: float = 10.0
    hold_fraction: float = 0.90
    dip_min_s: float = 0.05
    min_load_n: float = DEFAULT_MIN_LOAD_N

    @classmethod
    def from_norms(cls, norms: Norms) -> BalanceRules:
        """The clinic's rules."""
        return cls(
            min_duration_s=norms.value("balance.trial_s"),
            hold_fraction=norms.value("balance.touchdown_force_fraction"),
            dip_min_s=norms.value("balance.touchdown_min_s"),
            min_load_n=norms.value("balance.min_load_n"),
        )


def runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open ``(start, stop)`` index ranges where ``mask`` is True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def close_gaps(mask: npt.NDArray[np.bool_], shorter_than: int) -> npt.NDArray[np.bool_]:
    """``mask`` with False stretches shorter than ``shorter_than`` samples between Trues
    set True."""
    closed = mask.copy()
    for start, stop in runs(~mask):
        if start > 0 and stop < mask.size and stop - start < shorter_than:
            closed[start:stop] = True
    return closed


def balance_trial(recording: ForceRecording, rules: BalanceRules) -> ForceRecording:
    """The recording's stance as a balance trial, or a :class:`RecordingError` saying why
    the file is not one.

    Parameters
    ----------
    recording : ForceRecording
        As a reader returns it (for C3D, the plate and loaded span it chose).
    rules : BalanceRules

    Raises
    ------
    RecordingError
    """
    name, fs, n = recording.source, recording.fs_hz, recording.n
    minimum = rules.min_duration_s * (1.0 - SHORT_TOLERANCE)
    if recording.fz_n is None:
        if n / fs < minimum:
            raise RecordingError(
                name,
                f"not a balance trial: the recording lasts {n / fs:.2f} s, and a balance "
                f"trial needs at least {rules.min_duration_s:g} s of single-leg stance",
            )
        return recording
    load = np.asarray(recording.fz_n, dtype=np.float64)
    typical = float(np.median(load))
    dip = max(1, math.ceil(rules.dip_min_s * fs))
    holding = close_gaps(load >= rules.hold_fraction * typical, dip)
    stretches = runs(holding)
    steady = [r for r in stretches if (r[1] - r[0]) / fs >= SETTLE_S]
    steady = steady or [max(stretches, key=lambda r: r[1] - r[0])]
    start, stop = max(steady, key=lambda r: r[1] - r[0])
    where = recording.plate or "the plate"
    if (stop - start) / fs < minimum:
        raise RecordingError(name, _not_long_enough(recording, rules, typical, stop - start))
    if len(steady) > 1:
        raise RecordingError(name, _touchdown(recording, steady, typical))
    t0 = recording.start_s
    for other, other_load in recording.other_loads_n:
        during = other_load[start:stop] >= rules.min_load_n
        if any(b - a >= dip for a, b in runs(during)):
            raise RecordingError(
                name,
                f"not a single-leg balance trial: while {where} carries the stance "
                f"({t0 + start / fs:.2f}–{t0 + stop / fs:.2f} s of the recording), {other} "
                f"also carries up to {float(np.max(other_load[start:stop])):.0f} N, so both "
                "feet were on the plates",
            )
    if start == 0 and stop == n:
        return recording
    span = slice(start, stop)
    note = (
        f"the stance is {t0 + start / fs:.2f}–{t0 + stop / fs:.2f} s of the recording on "
        f"{where} (a steady {typical:.0f} N); before and after it the load builds up and "
        "falls away as the patient steps on and off"
    )
    return replace(
        recording,
        t_s=np.ascontiguousarray(recording.t_s[span] - recording.t_s[start]),
        cop_ap_cm=np.ascontiguousarray(recording.cop_ap_cm[span]),
        cop_ml_cm=np.ascontiguousarray(recording.cop_ml_cm[span]),
        fz_n=np.ascontiguousarray(load[span]),
        start_s=t0 + start / fs,
        notes=(*recording.notes, note),
        other_loads_n=tuple(
            (o, np.ascontiguousarray(v[span])) for o, v in recording.other_loads_n
        ),
    )


def _not_long_enough(
    recording: ForceRecording, rules: BalanceRules, typical: float, longest: int
) -> str:
    fs, n, t0 = recording.fs_hz, recording.n, recording.start_s
    load = np.asarray(recording.fz_n)
    where = recording.plate or "the plate"
    need = f"a balance trial needs at least {rules.min_duration_s:g} s of steady single-leg load"
    span = f"{t0:.2f}–{t0 + n / fs:.2f} s of the recording"
    if n / fs < rules.min_duration_s * (1.0 - SHORT_TOLERANCE):
        walking = ", as in a step or the stance phase of walking" if n / fs < 2.0 else ""
        if recording.other_loads_n:
            return (
                f"not a balance trial: the longest load in the file lasts {_seconds(n / fs)} s "
                f"({where}, {span}, peaking at {float(load.max()):.0f} N){walking}; {need}"
            )
        return (
            f"not a balance trial: {where} carries a load for only {_seconds(n / fs)} s ({span}, "
            f"peaking at {float(load.max()):.0f} N){walking}; {need}"
        )
    low, high = (float(v) for v in np.percentile(load, [5, 95]))
    return (
        f"not a balance trial: {where} carries a load for {n / fs:.1f} s ({span}), but it "
        f"does not hold steady: 90 % of the time it lies between {low:.0f} and {high:.0f} N, "
        f"around a typical {typical:.0f} N, and its longest steady stretch (no more than "
        f"{100 * (1 - rules.hold_fraction):.0f} % below that) lasts {longest / fs:.1f} s; {need}"
    )


def _seconds(duration: float) -> str:
    return f"{duration:.2f}" if duration >= 0.1 else f"{duration:.3f}"


def _touchdown(recording: ForceRecording, steady: list[tuple[int, int]], typical: float) -> str:
    fs, t0 = recording.fs_hz, recording.start_s
    load = np.asarray(recording.fz_n)
    gap_start, gap_stop = steady[0][1], steady[1][0]
    lowest = float(load[gap_start:gap_stop].min())
    where = recording.plate or "the plate"
    return (
        f"not a valid balance trial: at {t0 + gap_start / fs:.2f} s of the recording the load "
        f"on {where} falls to {lowest:.0f} N ({100 * lowest / typical:.0f} % of its steady "
        f"{typical:.0f} N) for {(gap_stop - gap_start) / fs:.2f} s: the lifted foot touched "
        "down or the patient stepped"
    )


__all__ = ["SETTLE_S", "BalanceRules", "balance_trial", "close_gaps", "runs"]
