"""Heel-lift detection from the plate under the front foot."""

from __future__ import annotations

import re

import numpy as np

from clinic_app.analysis.heel_lift import HeelLiftDetector, HeelLiftSettings, detect_heel_lift

SETTINGS = HeelLiftSettings(cop_forward_mm=20.0, rear_share_min=0.10, min_s=0.10, baseline_s=0.5)
FS = 200.0


def plate(seconds: float = 4.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Heel down: COP 30 mm behind the plate centre, 40 % of the load on the rear cells."""
    rng = np.random.default_rng(seed)
    n = round(seconds * FS)
    fz = 450.0 + rng.normal(0, 3, n)
    return {
        "t": np.arange(n) / FS,
        "fz": fz,
        "ap": -30.0 + np.cumsum(rng.normal(0, 0.05, n)),
        "rear": 0.4 * fz,
    }


def test_heel_down_throughout_is_not_a_lift() -> None:
    p = plate()
    state = detect_heel_lift(p["t"], p["fz"], p["ap"], p["rear"], SETTINGS)
    assert not state.lifted and state.reason is None
    assert state.baseline_ap_mm is not None and abs(state.baseline_ap_mm + 30) < 2


def test_cop_moving_to_the_toes_is_a_lift_with_a_reason() -> None:
    p = plate()
    lift = p["t"] >= 2.5
    p["ap"][lift] += 35.0  # the load goes to the forefoot
    state = detect_heel_lift(p["t"], p["fz"], p["ap"], None, SETTINGS)
    assert state.lifted and abs(state.at_s - 2.5) < 0.01  # type: ignore[operator]
    assert state.reason is not None and "towards the toes" in state.reason
    assert re.search(r"moved 3[3-7] mm", state.reason)


def test_load_leaving_the_heel_cells_is_a_lift() -> None:
    p = plate()
    p["rear"][p["t"] >= 3.0] = 0.03 * p["fz"][p["t"] >= 3.0]
    state = detect_heel_lift(p["t"], p["fz"], p["ap"], p["rear"], SETTINGS)
    assert state.lifted and state.reason is not None and "3 % of the load" in state.reason


def test_a_short_spike_is_not_a_lift() -> None:
    p = plate()
    p["ap"][400:410] += 40.0  # 50 ms, shorter than the 100 ms persistence
    assert not detect_heel_lift(p["t"], p["fz"], p["ap"], p["rear"], SETTINGS).lifted


def test_unloaded_samples_are_ignored() -> None:
    p = plate()
    p["fz"][500:600] = 5.0  # foot off the plate: COP undefined
    p["ap"][500:600] = np.nan
    assert not detect_heel_lift(p["t"], p["fz"], p["ap"], p["rear"], SETTINGS).lifted


def test_batches_give_the_same_result_and_latch() -> None:
    p = plate(seed=4)
    p["ap"][p["t"] >= 1.7] += 25.0
    offline = detect_heel_lift(p["t"], p["fz"], p["ap"], p["rear"], SETTINGS)
    detector = HeelLiftDetector(SETTINGS)
    for i in range(0, p["t"].size, 13):
        s = slice(i, i + 13)
        detector.update(p["t"][s], p["fz"][s], p["ap"][s], p["rear"][s])
    assert detector.state == offline and offline.lifted
    detector.reset()
    assert not detector.state.lifted


def test_protocol_can_set_the_baseline() -> None:
    p = plate()
    detector = HeelLiftDetector(SETTINGS)
    detector.set_baseline(-60.0)  # heel position known from before the lunge
    assert detector.update(p["t"], p["fz"], p["ap"]).lifted  # −30 is 30 mm ahead of −60
