"""Synthetic sample batches for protocol unit tests (exact, so expectations are exact)."""

from __future__ import annotations

import itertools

import numpy as np

from drivers.base import INCLINOMETER_DTYPE, PLATE_DTYPE

G = 9.80665


def inclinometer(t: np.ndarray, angle: np.ndarray) -> np.ndarray:
    out = np.zeros(len(t), dtype=INCLINOMETER_DTYPE)
    out["t_host_s"] = t
    out["t_dev_s"] = t
    out["seq"] = np.arange(len(t))
    out["tibia_deg"] = angle
    out["angle_x_deg"] = angle
    return out


def plate(
    t: np.ndarray, fz: np.ndarray, cop_x: np.ndarray | float = 0.0, cop_y: np.ndarray | float = 0.0
) -> np.ndarray:
    out = np.zeros(len(t), dtype=PLATE_DTYPE)
    out["t_host_s"] = t
    out["t_dev_s"] = t - t[0] if len(t) else t
    out["seq"] = np.arange(len(t))
    out["fz_n"] = fz
    out["cop_x_mm"] = cop_x
    out["cop_y_mm"] = cop_y
    # Heel (rear) cells carry 40 % of the load unless the COP moved to the toes.
    rear = np.where(np.asarray(cop_y) + np.zeros(len(t)) > 20.0, 0.02, 0.4)
    out["bl_n"] = out["br_n"] = fz * rear / 2
    out["tl_n"] = out["tr_n"] = fz * (1 - rear) / 2
    return out


def lunge_angles(
    t: np.ndarray,
    t0: float,
    peak: float,
    ramp_s: float = 2.0,
    hold_s: float = 4.0,
    rest: float = 5.0,
) -> np.ndarray:
    """Rest, ramp to ``peak`` from ``t0`` over ``ramp_s``, hold, come back down."""
    up = np.clip((t - t0) / ramp_s, 0.0, 1.0)
    down = np.clip((t - (t0 + ramp_s + hold_s)) / 1.0, 0.0, 1.0)
    return rest + (peak - rest) * up * (1.0 - down)


def feed_in_batches(proto, inc: np.ndarray | None, pl: np.ndarray | None, step_s: float = 1 / 60):
    """Feed both recordings to ``proto`` in frame-sized batches; return every event."""
    times = [a["t_host_s"] for a in (inc, pl) if a is not None and len(a)]
    start, end = min(t[0] for t in times), max(t[-1] for t in times)
    events = []
    edges = np.arange(start, end + step_s, step_s)
    for lo, hi in itertools.pairwise(edges):
        parts = []
        for a in (inc, pl):
            if a is None:
                parts.append(None)
                continue
            tt = a["t_host_s"]
            parts.append(a[(tt >= lo) & (tt < hi)])
        events += proto.feed(parts[0], parts[1], float(hi))
    return events
