"""Bench figures of the 'sway' group: sway metrics of a 60 s single-leg trial at 1 kHz.

Figures (milliseconds, median of several runs after one warm-up):

- ``sway_metrics_ms``: :func:`clinic_app.analysis.sway.sway_metrics` on 60 000 samples
  (target ≤ 20 ms);
- ``sway_pipeline_ms``: the same preceded by the 10 Hz zero-lag low-pass and centring
  (:func:`clinic_app.analysis.pipeline.sway_from_cop`), as a live balance trial runs it;
- ``sway_metrics_cpu_ms``: CPU time of this thread per ``sway_metrics`` call (median), which
  other processes competing for the cores inflate far less than wall time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

FS_HZ = 1000.0
DURATION_S = 60.0


def synthetic_trial(
    seed: int = 1, fs_hz: float = FS_HZ, duration_s: float = DURATION_S
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A realistic single-leg COP trace (cm): mean-reverting sway with a few Hz of tremor.

    An Ornstein–Uhlenbeck process per axis (time constant 0.5 s, SD ≈ 0.8 cm AP and 0.6 cm
    ML) plus small 6 Hz components, deterministic for a given ``seed``.
    """
    rng = np.random.default_rng(seed)
    n = round(fs_hz * duration_s)
    dt = 1.0 / fs_hz
    decay = np.exp(-dt / 0.5)
    out = []
    for sd in (0.8, 0.6):
        noise = rng.normal(0.0, sd * np.sqrt(1 - decay**2), n)
        x = lfilter([1.0], [1.0, -decay], noise)  # AR(1): the sampled OU process
        t = np.arange(n) * dt
        x += 0.05 * np.sin(2 * np.pi * 6.0 * t + rng.uniform(0, 2 * np.pi))
        out.append(np.asarray(x, dtype=np.float64))
    return out[0], out[1]


def _median_ms(
    call: Callable[[], object], runs: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    call()
    times = []
    for _ in range(runs):
        start = clock()
        call()
        times.append((clock() - start) * 1000.0)
    return statistics.median(times)


def measure(quick: bool) -> dict[str, float]:
    """Median run times (ms) of the sway metrics on a 60 s, 1 kHz trial."""
    from clinic_app.analysis.pipeline import sway_from_cop
    from clinic_app.analysis.sway import sway_metrics

    ap, ml = synthetic_trial()
    runs = 7 if quick else 21
    return {
        "sway_metrics_ms": _median_ms(lambda: sway_metrics(ap, ml, FS_HZ), runs),
        "sway_metrics_cpu_ms": _median_ms(
            lambda: sway_metrics(ap, ml, FS_HZ), runs, clock=time.thread_time
        ),
        "sway_pipeline_ms": _median_ms(
            lambda: sway_from_cop(ap, ml, fs_hz=FS_HZ, lowpass_hz=10.0), runs
        ),
    }
