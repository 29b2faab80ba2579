"""Resampling by window averaging, zero-lag low-pass, trimming, and the Processing record."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.analysis.preprocess import (
    SignalError,
    is_uniform,
    lowpass,
    preprocess,
    resample_window_average,
)
from clinic_app.analysis.sway import sway_metrics


def _jittered_times(rate: float, seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dt = rng.uniform(0.3, 1.7, round(rate * seconds)) / rate  # 30–170 % of the mean interval
    return np.concatenate([[0.0], np.cumsum(dt)])


def test_constant_and_ramp_signals_survive_resampling() -> None:
    t = _jittered_times(60, 10, 1)
    _, flat = resample_window_average(t, np.full(t.size, 4.2), 100.0)
    np.testing.assert_allclose(flat, 4.2, rtol=1e-12)
    grid, both = resample_window_average(t, np.column_stack([t, 2 * t]), 50.0)
    assert both.shape == (grid.size, 2)
    assert np.all(np.diff(grid) == pytest.approx(0.02))


def test_window_averaging_does_not_inflate_velocity_like_interpolation() -> None:
    """A noisy, irregular ~100 Hz stream (Wii-board-like) brought to 25 Hz (SWARII's case)."""
    t = _jittered_times(100.0, 30, 2)
    rng = np.random.default_rng(3)

    def sway(tt: np.ndarray) -> np.ndarray:
        return 1.0 * np.sin(2 * np.pi * 0.4 * tt)

    measured = sway(t) + rng.normal(0, 0.08, t.size)
    grid = np.arange(0, t[-1], 0.04)
    tiny = 1e-9 * np.arange(grid.size)  # a second axis that barely moves
    truth = sway_metrics(sway(grid), tiny, 25.0).mean_velocity_cm_s
    _, averaged = resample_window_average(t, measured, 25.0)
    v_avg = sway_metrics(averaged, 1e-9 * np.arange(averaged.size), 25.0).mean_velocity_cm_s
    v_int = sway_metrics(np.interp(grid, t, measured), tiny, 25.0).mean_velocity_cm_s
    assert v_int > truth * 1.2  # interpolation carries the noise into the path
    assert abs(v_avg - truth) < 0.5 * abs(v_int - truth)


def test_resampling_rejects_bad_times() -> None:
    with pytest.raises(SignalError, match="increase"):
        resample_window_average([0.0, 0.1, 0.1, 0.2], [1, 2, 3, 4], 10.0)
    with pytest.raises(SignalError, match="missing or infinite"):
        resample_window_average([0.0, 0.1, 0.2], [1.0, np.nan, 3.0], 10.0)


def test_lowpass_is_zero_lag_and_attenuates() -> None:
    fs = 1000.0
    t = np.arange(0, 5, 1 / fs)
    slow = np.sin(2 * np.pi * 1.0 * t)
    fast = np.sin(2 * np.pi * 80.0 * t)
    out = lowpass(slow + fast, fs, 10.0, 4)
    middle = slice(1000, 4000)
    np.testing.assert_allclose(out[middle], slow[middle], atol=2e-3)  # no phase lag
    assert np.std(lowpass(fast, fs, 10.0)[middle]) < 1e-3


def test_lowpass_rejects_impossible_settings() -> None:
    x = np.zeros(1000)
    with pytest.raises(SignalError, match="half the sampling rate"):
        lowpass(x, 100.0, 60.0)
    with pytest.raises(SignalError, match="even"):
        lowpass(x, 100.0, 10.0, 3)
    with pytest.raises(SignalError, match="too short"):
        lowpass(np.zeros(5), 100.0, 10.0)


def test_preprocess_records_every_choice() -> None:
    rng = np.random.default_rng(4)
    ap, ml = np.cumsum(rng.normal(size=(2, 3000)), axis=1)
    a, m, processing = preprocess(ap, ml, fs_hz=100.0, lowpass_hz=10.0, trim_s=(2.0, 3.0))
    assert a.size == 3000 - 200 - 300
    assert abs(a.mean()) < 1e-9 and abs(m.mean()) < 1e-9
    assert processing.filter_text == "butterworth zero-lag 4th order 10 Hz"
    record = processing.to_dict()
    assert record["fs_hz"] == 100.0 and record["trim_s"] == [2.0, 3.0]
    assert record["filter"] == processing.filter_text and record["resampled"] is False
    _, _, raw = preprocess(ap, ml, fs_hz=100.0, lowpass_hz=None)
    assert raw.filter_text == "none (as recorded)"


def test_preprocess_resamples_non_uniform_streams() -> None:
    t = _jittered_times(60, 20, 5)
    values = np.sin(t)
    out, _, processing = preprocess(values, np.cos(t), t_s=t, resample_hz=100.0, lowpass_hz=None)
    assert processing.resampled and processing.fs_hz == 100.0
    assert out.size == pytest.approx(t[-1] * 100, abs=1)
    assert processing.source_fs_hz == pytest.approx(60, rel=0.05)
    assert not is_uniform(t) and is_uniform(np.arange(100) / 100.0)


def test_preprocess_refuses_too_much_trimming() -> None:
    with pytest.raises(SignalError, match="leaves too little"):
        preprocess(
            np.arange(100.0), np.arange(100.0), fs_hz=100.0, lowpass_hz=None, trim_s=(0.5, 0.5)
        )
