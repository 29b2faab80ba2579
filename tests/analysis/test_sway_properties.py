"""Properties of the sway metrics: invariances, consistency, and clear errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clinic_app.analysis.preprocess import SignalError
from clinic_app.analysis.sway import sway_metrics

RESULTANT = (
    "path_length_cm",
    "mean_velocity_cm_s",
    "mean_distance_cm",
    "rms_distance_cm",
    "range_cm",
    "ellipse_area_95_cm2",
    "confidence_circle_area_95_cm2",
    "sway_area_cm2_s",
    "mean_frequency_hz",
    "total_power_cm2",
)

finite = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def cop_traces(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(16, 400))
    steps = arrays(np.float64, (2, n), elements=st.floats(-0.5, 0.5, width=64))
    walk = np.cumsum(draw(steps), axis=1)
    walk[:, 0] += 1e-3  # never a perfectly still trace
    walk[1, -1] += 2e-3
    return walk[0], walk[1]


def _not_a_line(trace: tuple[np.ndarray, np.ndarray]) -> bool:
    """The ellipse area of a nearly collinear trace is ill-conditioned (its small eigenvalue
    is lost in rounding); real sway is never a line, so invariance tests leave such out."""
    eigenvalues = np.linalg.eigvalsh(np.cov(np.vstack(trace)))
    return bool(eigenvalues[0] > 1e-6 * eigenvalues[1])


sway_traces = cop_traces().filter(_not_a_line)


@settings(max_examples=60, deadline=None)
@given(sway_traces, finite, finite)
def test_translation_changes_nothing(
    trace: tuple[np.ndarray, np.ndarray], dx: float, dy: float
) -> None:
    ap, ml = trace
    a = sway_metrics(ap, ml, 100.0).to_json()
    b = sway_metrics(ap + dx, ml + dy, 100.0).to_json()
    for key, value in a.items():
        assert b[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


@settings(max_examples=60, deadline=None)
@given(sway_traces, st.floats(0.0, 2 * math.pi))
def test_rotation_keeps_resultant_measures(
    trace: tuple[np.ndarray, np.ndarray], angle: float
) -> None:
    ap, ml = trace
    c, s = math.cos(angle), math.sin(angle)
    a = sway_metrics(ap, ml, 100.0).to_json()
    b = sway_metrics(c * ap - s * ml, s * ap + c * ml, 100.0).to_json()
    for key in RESULTANT:
        assert b[key] == pytest.approx(a[key], rel=1e-6, abs=1e-9), key


@settings(max_examples=60, deadline=None)
@given(cop_traces())
def test_valid_input_gives_finite_metrics(trace: tuple[np.ndarray, np.ndarray]) -> None:
    m = sway_metrics(*trace, 100.0).to_json()
    assert all(math.isfinite(v) for v in m.values()), m
    assert m["ellipse_area_95_cm2"] >= 0 and m["path_length_cm"] > 0


def _smooth_sway(fs: float, seconds: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(round(fs * seconds)) / fs
    ap = 0.8 * np.sin(2 * np.pi * 0.3 * t) + 0.3 * np.sin(2 * np.pi * 0.9 * t + 1)
    ml = 0.5 * np.sin(2 * np.pi * 0.2 * t + 0.5) + 0.2 * np.sin(2 * np.pi * 1.3 * t)
    return ap, ml


def test_sampling_rate_does_not_change_a_smooth_trace() -> None:
    slow = sway_metrics(*_smooth_sway(100.0), 100.0)
    fast = sway_metrics(*_smooth_sway(1000.0), 1000.0)
    for key in ("mean_velocity_cm_s", "ellipse_area_95_cm2", "rms_distance_cm", "range_cm"):
        assert getattr(fast, key) == pytest.approx(getattr(slow, key), rel=2e-3), key
    assert fast.mean_power_frequency_hz == pytest.approx(slow.mean_power_frequency_hz, rel=0.02)


def test_pure_tone_has_its_frequency() -> None:
    t = np.arange(6000) / 100.0
    ap = np.sin(2 * np.pi * 0.5 * t)
    m = sway_metrics(ap, 0.01 * np.cos(2 * np.pi * 0.5 * t), 100.0)
    assert m.mean_power_frequency_hz == pytest.approx(0.5, abs=0.02)
    assert m.median_power_frequency_hz == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_is_a_clear_error(bad: float) -> None:
    ap = np.linspace(0, 1, 100)
    ap[42] = bad
    with pytest.raises(SignalError, match="sample 43 of 100"):
        sway_metrics(ap, np.zeros(100) + np.linspace(0, 1, 100), 100.0)


def test_too_short_and_still_traces_are_clear_errors() -> None:
    with pytest.raises(SignalError, match="too short"):
        sway_metrics(np.arange(10.0), np.arange(10.0), 100.0)
    with pytest.raises(SignalError, match="did not move"):
        sway_metrics(np.full(500, 3.0), np.full(500, -1.0), 100.0)
    with pytest.raises(SignalError, match="equal length"):
        sway_metrics(np.arange(100.0), np.arange(99.0), 100.0)
    with pytest.raises(SignalError, match="sampling rate"):
        sway_metrics(np.arange(100.0), np.arange(100.0), 0.0)
