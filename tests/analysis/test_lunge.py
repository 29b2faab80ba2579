"""Lunge: stable-hold capture (offline and incremental) and typed-value checks."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.analysis.lunge import (
    HoldDetector,
    HoldSettings,
    InputError,
    check_pain,
    find_hold,
    parse_distance_cm,
)

SETTINGS = HoldSettings(tolerance_deg=1.0, min_hold_s=2.0, min_angle_deg=15.0)


def lunge_trace(
    hold_deg: float = 41.0,
    hold_s: float = 3.0,
    fs: float = 100.0,
    noise: float = 0.15,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Stand (2 s at ~3°), lunge forward over 2 s, hold, then come back."""
    rng = np.random.default_rng(seed)
    stand = np.full(round(2 * fs), 3.0)
    ramp = np.linspace(3.0, hold_deg, round(2 * fs))
    hold = np.full(round(hold_s * fs), hold_deg)
    back = np.linspace(hold_deg, 3.0, round(1.5 * fs))
    angle = np.concatenate([stand, ramp, hold, back])
    angle = angle + rng.normal(0, noise, angle.size)
    return np.arange(angle.size) / fs, angle


def test_captures_the_hold_angle_and_its_quality() -> None:
    t, angle = lunge_trace(41.0, 3.0)
    hold = find_hold(t, angle, SETTINGS)
    assert hold is not None
    assert hold.angle_deg == pytest.approx(41.0, abs=0.1)
    assert hold.duration_s >= 2.0
    assert 0.05 < hold.sd_deg < 0.3  # the 0.15° noise shows in the quality figure
    assert hold.start_s >= 3.9  # not before the ramp ended (2 s stand + 2 s ramp)


def test_batches_give_the_same_result_as_offline() -> None:
    t, angle = lunge_trace(38.5, 2.5, fs=200.0, seed=3)
    offline = find_hold(t, angle, SETTINGS)
    detector = HoldDetector(SETTINGS)
    states = []
    for start in range(0, t.size, 7):  # ~30 ms batches at 200 Hz, as a 60 Hz UI pulls them
        states.append(detector.update(t[start : start + 7], angle[start : start + 7]))
    assert detector.state.best == offline
    first = next(i for i, s in enumerate(states) if s.captured)
    assert states[first].holding and states[first].progress == 1.0
    assert all(0.0 <= s.progress <= 1.0 for s in states)


def test_no_capture_while_moving_standing_or_too_short() -> None:
    t, angle = lunge_trace(41.0, 1.5)  # held for less than 2 s
    assert find_hold(t, angle, SETTINGS) is None
    t = np.arange(0, 10, 0.01)
    assert find_hold(t, 3.0 + 0.1 * np.sin(t), SETTINGS) is None  # standing upright
    wobble = 40.0 + 1.5 * np.sin(2 * np.pi * 1.0 * t)  # ±1.5°: outside the ±1° tolerance
    assert find_hold(t, wobble, SETTINGS) is None


def test_a_missing_reading_breaks_the_hold() -> None:
    t = np.arange(0, 3, 0.01)
    angle = np.full(t.size, 40.0)
    angle[150] = np.nan
    assert find_hold(t, angle, SETTINGS) is None  # two 1.5 s pieces


def test_best_hold_is_the_highest() -> None:
    t1, a1 = lunge_trace(35.0, 2.5, seed=1)
    t2, a2 = lunge_trace(42.0, 2.5, seed=2)
    t = np.concatenate([t1, t2 + t1[-1] + 0.01])
    hold = find_hold(t, np.concatenate([a1, a2]), SETTINGS)
    assert hold is not None and hold.angle_deg == pytest.approx(42.0, abs=0.1)


def test_settings_come_from_the_norms_file() -> None:
    s = HoldSettings.from_norms()
    assert (s.tolerance_deg, s.min_hold_s, s.min_angle_deg) == (1.0, 2.0, 15.0)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("10.4", 10.4), ("10,4", 10.4), (" 9 cm", 9.0), ("0", 0.0), ("30", 30.0), (12.3, 12.3)],
)
def test_valid_distances(typed: str | float, expected: float) -> None:
    assert parse_distance_cm(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type the knee-to-wall distance"),
        ("abc", "'abc' is not a distance"),
        ("10.45", "to 0.1 cm, e.g. 10.4"),
        ("-1", "below 0 cm"),
        ("34.5", "above 30 cm"),
        ("nan", "is not a distance"),
        (float("inf"), "is not a distance"),
    ],
)
def test_invalid_distances_say_why(typed: str | float, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_distance_cm(typed)


def test_pain_checks() -> None:
    assert check_pain(None, None) == (None, "none")
    assert check_pain(3, "anterior") == (3, "anterior")
    assert check_pain(0, "none") == (0, "none")
    cases = [
        (11, "anterior", "0 to 10"),
        (2.5, "posterior", "whole number"),
        (4, "none", "Say where"),
        (2, "knee", "must be one of"),
        # A location without pain (issue 13 §1): refused, never stored as a finding.
        (0, "anterior", "needs a pain score above 0"),
        (0, "posterior", "needs a pain score above 0"),
        (None, "posterior", "Give the pain score"),
    ]
    for nrs, place, message in cases:
        with pytest.raises(InputError, match=message):
            check_pain(nrs, place)


def test_long_and_quantised_holds_keep_an_accurate_quality_figure() -> None:
    fs = 200.0
    t = np.arange(0, 30, 1 / fs)
    rng = np.random.default_rng(8)
    angle = np.round(44.0 + rng.normal(0, 0.01, t.size), 2)  # 0.01° resolution
    hold = find_hold(t, angle, SETTINGS)
    assert hold is not None and hold.n == t.size
    assert hold.angle_deg == pytest.approx(float(angle.mean()), abs=1e-9)
    assert hold.sd_deg == pytest.approx(float(angle.std(ddof=1)), rel=1e-6)
    still = find_hold(t, np.full(t.size, 37.25), SETTINGS)
    assert still is not None and still.sd_deg == 0.0 and still.angle_deg == 37.25
