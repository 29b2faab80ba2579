"""Balance trials: failure detection on replayed real recordings, time to failure, results."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.analysis.balance import (
    StanceMonitor,
    StanceSettings,
    analyse_balance_trial,
)
from clinic_app.analysis.preprocess import SignalError
from clinic_app.analysis.sway import JSON_KEYS
from clinic_app.exchange.recordings import read_recording
from tests.conftest import TEST_DATA

SETTINGS = StanceSettings()


def replay(name: str = "BDS00010", seconds: float = 10.0) -> dict[str, np.ndarray]:
    """The first seconds of a real recording as plate samples (mm, N)."""
    rec = read_recording(TEST_DATA / "balance" / f"{name}.txt")
    n = round(seconds * rec.fs_hz)
    assert rec.fz_n is not None
    return {
        "t": rec.t_s[:n].copy(),
        "fz": rec.fz_n[:n].copy(),
        "ml": 10 * rec.cop_ml_cm[:n],
        "ap": 10 * rec.cop_ap_cm[:n],
    }


def run(p: dict[str, np.ndarray], planned: float = 10.0, mass: float | None = None):  # type: ignore[no-untyped-def]
    return analyse_balance_trial(
        p["t"], p["fz"], p["ml"], p["ap"], planned_s=planned, body_mass_kg=mass, settings=SETTINGS
    )


@pytest.mark.parametrize("name", ["BDS00001", "BDS00010"])
def test_quiet_standing_is_a_valid_trial_with_metrics(name: str) -> None:
    result = run(replay(name))
    assert result.status == "valid" and result.failure is None
    assert result.metrics is not None and result.metrics.n == 1000
    data = result.to_result()
    assert set(data) == {
        "planned_s", "completed_s", "time_to_failure_s", "failure_reason", "body_mass_kg",
        "metrics", "processing",
    }  # fmt: skip
    assert list(data["metrics"])[: len(JSON_KEYS)] == list(JSON_KEYS)
    assert data["processing"]["filter"] == "butterworth zero-lag 4th order 10 Hz"
    assert data["completed_s"] == 10.0 and data["time_to_failure_s"] is None


def test_touchdown_beside_the_plate() -> None:
    p = replay()
    p["fz"][p["t"] >= 6.0] *= 0.7  # the lifted foot takes 30 % of the weight
    result = run(p)
    assert result.status == "failed" and result.failure is not None
    assert result.failure.reason == "touchdown"
    assert result.time_to_failure_s == pytest.approx(6.0, abs=0.011)
    assert "70 % of body weight" in result.failure.text
    assert result.to_result()["metrics"] is None
    assert result.invalid_reason == result.failure.text


def test_known_body_mass_is_used() -> None:
    p = replay()
    # 536 N measured; a stated 70 kg (686 N) makes every sample look like a touchdown.
    result = run(p, mass=70.0)
    assert result.failure is not None and result.failure.reason == "touchdown"
    assert result.time_to_failure_s == pytest.approx(0.0, abs=0.011)


@pytest.mark.parametrize(("jump_mm", "reason"), [(60.0, "step"), (25.0, "foot_shift")])
def test_cop_jumps(jump_mm: float, reason: str) -> None:
    p = replay()
    after = p["t"] >= 4.0
    p["ml"][after] += jump_mm
    result = run(p)
    assert result.failure is not None and result.failure.reason == reason
    assert result.time_to_failure_s == pytest.approx(3.99, abs=0.06)


def test_stepping_off() -> None:
    p = replay()
    off = p["t"] >= 7.5
    p["fz"][off] = 2.0
    p["ml"][off] = p["ap"][off] = np.nan
    result = run(p)
    assert result.failure is not None and result.failure.reason == "stepped_off"
    assert result.time_to_failure_s == pytest.approx(7.5, abs=0.011)


def test_short_recording_is_incomplete() -> None:
    result = run(replay(seconds=6.0))
    assert result.status == "incomplete" and result.metrics is None
    assert result.invalid_reason is not None and "6.0 s of 10 s" in result.invalid_reason


def test_failures_after_the_planned_time_do_not_count() -> None:
    p = replay(seconds=12.0)
    p["fz"][p["t"] >= 11.0] *= 0.5
    assert run(p, planned=10.0).status == "valid"


def test_monitor_in_batches_matches_offline_and_latches() -> None:
    p = replay()
    p["ap"][p["t"] >= 5.0] += 30.0
    offline = run(p).failure
    monitor = StanceMonitor(SETTINGS)
    found = None
    for i in range(0, p["t"].size, 17):
        s = slice(i, i + 17)
        found = monitor.update(p["t"][s], p["fz"][s], p["ml"][s], p["ap"][s]) or found
    assert found == offline and monitor.failure == offline
    assert monitor.body_weight_n == pytest.approx(float(np.median(p["fz"][:101])), rel=1e-3)


def test_settings_come_from_the_norms_file() -> None:
    s = StanceSettings.from_norms()
    assert s.touchdown_force_fraction == 0.9 and s.step_cop_jump_mm == 50.0


def test_bad_times_are_a_clear_error() -> None:
    with pytest.raises(SignalError, match="increasing"):
        analyse_balance_trial([0.0, 0.0], [500, 500], [0, 0], [0, 0], planned_s=10)


def test_plate_samples_from_the_driver_dtype() -> None:
    from clinic_app.analysis.balance import analyse_plate_trial, sample_times
    from drivers.base import PLATE_DTYPE

    p = replay()
    samples = np.zeros(p["t"].size, dtype=PLATE_DTYPE)
    samples["t_host_s"] = 5000.0 + p["t"] + 0.002 * np.random.default_rng(0).random(p["t"].size)
    samples["t_dev_s"] = p["t"]
    samples["fz_n"], samples["cop_x_mm"], samples["cop_y_mm"] = p["fz"], p["ml"], p["ap"]
    np.testing.assert_array_equal(sample_times(samples), p["t"])
    result = analyse_plate_trial(samples, planned_s=10.0)
    assert result.status == "valid" and result.metrics is not None
    samples["t_dev_s"] = np.nan  # a protocol without a device clock: host times
    assert sample_times(samples)[0] == pytest.approx(5000.0, abs=0.01)


def test_the_planned_window_is_half_open() -> None:
    p = replay(seconds=12.0)
    result = run(p, planned=10.0)
    assert result.metrics is not None and result.metrics.n == 1000
    assert result.metrics.duration_s == 10.0
