"""Simulated lunge test: ramp, hold with tremor, release; the plate under the front foot."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.base import DeviceState
from drivers.simulated import (
    ManualClock,
    SimulatedForcePlate,
    SimulatedInclinometer,
    SimulatedPatient,
    create_simulated_devices,
)

G = 9.80665


def rig(
    seed: int = 5, **kwargs: object
) -> tuple[ManualClock, SimulatedPatient, SimulatedInclinometer, SimulatedForcePlate]:
    clock = ManualClock(start_s=1000.0)
    patient = SimulatedPatient(
        seed,
        70.0,
        {"left": 38.0, "right": 44.0},
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )
    inc, plate = create_simulated_devices(patient)
    inc.start()
    plate.start()
    return clock, patient, inc, plate


def window(samples: np.ndarray, t0: float, t1: float) -> np.ndarray:
    t = samples["t_host_s"]
    return samples[(t >= t0) & (t < t1)]


def find_hold(samples: np.ndarray, fs: float, min_deg: float = 15.0) -> tuple[float, float]:
    """First and last time of 1 s windows that are still (SD < 0.35°) above ``min_deg``."""
    a = samples["tibia_deg"]
    n = int(fs)
    still = []
    for i in range(0, len(a) - n, n // 10):
        w = a[i : i + n]
        if w.std() < 0.35 and w.mean() > min_deg:
            still.append(i)
    assert still, "no hold found"
    t = samples["t_host_s"]
    return float(t[still[0]]), float(t[still[-1] + n - 1])


def test_devices_follow_the_device_protocol() -> None:
    clock, _, inc, plate = rig()
    for dev, rate in ((inc, 100.0), (plate, 1000.0)):
        assert dev.info.protocol == "simulated"
        assert dev.info.nominal_rate_hz == rate
        assert dev.state is DeviceState.STREAMING
        assert dev.last_error == ""
        assert dev.lost_samples == 0
    clock.advance(1.0)
    s, _, _ = inc.buffer.read_new(0)
    assert len(s) == 101  # samples at 0, 10, …, 1000 ms inclusive
    assert np.allclose(np.diff(s["t_host_s"]), 0.01)
    assert list(s["seq"][:3]) == [0, 1, 2]
    inc.close()
    plate.close()
    assert inc.state is DeviceState.DISCONNECTED


def test_lunge_hold_is_found_where_it_was_scheduled() -> None:
    clock, patient, inc, _ = rig()
    clock.advance(1.0)
    action = patient.perform_lunge("left")
    lunge = action.lunge
    assert lunge is not None
    clock.advance(action.t_end - clock.now() + 1.0)
    samples, _, _ = inc.buffer.read_new(0)
    start, end = find_hold(samples, 100.0)
    # A 1 s window reaches a little into the slow end of the ramp and start of the release.
    assert lunge.hold_start - 0.6 <= start and end <= lunge.hold_end + 0.6
    assert end - start > lunge.hold_s - 1.0
    held = window(samples, lunge.hold_start, lunge.hold_end)["tibia_deg"]
    assert held.mean() == pytest.approx(lunge.peak_deg + inc.bias_deg, abs=0.6)
    # Ramp of 2–3 s from about 5° at rest.
    assert 2.0 <= lunge.ramp_s <= 3.0
    rest = window(samples, clock.now() - 0.8, clock.now())["tibia_deg"]
    assert abs(rest.mean() - (5.0 + inc.bias_deg)) < 1.0


def test_hold_has_physiological_tremor() -> None:
    clock, patient, inc, _ = rig(seed=9)
    action = patient.perform_lunge("right", hold_s=5.0)
    assert action.lunge is not None
    clock.advance(action.t_end - clock.now())
    samples, _, _ = inc.buffer.read_new(0)
    held = window(samples, action.lunge.hold_start + 0.5, action.lunge.hold_end - 0.5)
    a = held["tibia_deg"] - np.polyval(
        np.polyfit(held["t_host_s"], held["tibia_deg"], 2), held["t_host_s"]
    )
    spectrum = np.abs(np.fft.rfft(a * np.hanning(len(a))))
    freqs = np.fft.rfftfreq(len(a), 0.01)
    peak = freqs[np.argmax(spectrum[freqs > 2.0]) + np.count_nonzero(freqs <= 2.0)]
    assert 8.0 <= peak <= 12.0
    amplitude = np.sqrt(2) * a.std()
    assert 0.08 <= amplitude <= 0.3


def test_repeated_lunges_vary_a_little_around_the_maximum() -> None:
    clock, patient, _, _ = rig(seed=2)
    peaks = []
    for _ in range(5):
        action = patient.perform_lunge("right")
        assert action.lunge is not None
        peaks.append(action.lunge.peak_deg)
        clock.advance(action.t_end - clock.now())
    assert len(set(peaks)) == 5
    assert all(42.0 <= p <= 44.8 for p in peaks)
    assert np.std(peaks) < 1.5


def test_front_foot_takes_more_weight_during_the_lunge() -> None:
    clock, patient, _, plate = rig()
    plate.tare_n = plate.true_offset_n.copy()
    plate.set_cell_scales(1.0 / plate.true_gain)
    action = patient.perform_lunge("left")
    assert action.lunge is not None
    clock.advance(action.t_end - clock.now())
    samples, _, _ = plate.buffer.read_new(0)
    bw = 70.0 * G
    standing = window(samples, action.lunge.t0 - 0.3, action.lunge.t0)["fz_n"].mean()
    lunging = window(samples, action.lunge.hold_start, action.lunge.hold_end)["fz_n"].mean()
    assert standing / bw == pytest.approx(0.5, abs=0.03)
    assert lunging / bw == pytest.approx(0.68, abs=0.03)


def test_heel_lift_moves_cop_forward_and_unloads_the_heel_cells() -> None:
    clock, patient, _, plate = rig(seed=4)
    flat = patient.perform_lunge("left", hold_s=4.0)
    clock.advance(flat.t_end - clock.now())
    lifted = patient.perform_lunge("left", heel_lift=True, hold_s=4.0)
    clock.advance(lifted.t_end - clock.now())
    assert flat.lunge is not None and lifted.lunge is not None
    samples, _, _ = plate.buffer.read_new(0)

    def late_hold(lunge):  # the last second of the hold, after any heel lift
        return window(samples, lunge.hold_end - 1.0, lunge.hold_end)

    def early_hold(lunge):
        return window(samples, lunge.hold_start, lunge.hold_start + 0.4)

    f, h = late_hold(flat.lunge), late_hold(lifted.lunge)
    assert h["cop_y_mm"].mean() - f["cop_y_mm"].mean() > 50.0
    heel = lambda s: (s["bl_n"] + s["br_n"]).mean() / s["fz_n"].mean()  # noqa: E731
    assert heel(h) < heel(f) - 0.1
    # Before the heel rises the two lunges look alike.
    assert (
        abs(
            early_hold(lifted.lunge)["cop_y_mm"].mean() - early_hold(flat.lunge)["cop_y_mm"].mean()
        )
        < 10.0
    )
    # and the shin tilts further once the heel is up (the compensation the test must catch).
    incl = patient.pose(np.array([lifted.lunge.hold_end - 0.5]))
    assert incl.tibia_deg[0] > lifted.lunge.peak_deg + 2.0


def test_zero_removes_the_inclinometer_bias() -> None:
    clock, _, inc, _ = rig(seed=8)
    clock.advance(1.0)
    before = inc.buffer.latest(50)["tibia_deg"].mean()
    removed = inc.zero(0.5)
    assert removed == pytest.approx(inc.bias_deg, abs=0.02)
    clock.advance(1.0)
    after = inc.buffer.latest(50)["tibia_deg"].mean()
    assert abs(before - after - inc.bias_deg) < 0.1
    assert abs(after - 5.0) < 0.8


def test_autopilot_lunges_a_moment_after_the_prompt() -> None:
    clock, patient, _, _ = rig(autopilot=True)
    now = clock.now()
    action = patient.prompt("lunge", side="right")
    assert action is not None and action.lunge is not None
    assert now + 1.0 <= action.t_start <= now + 2.0
    manual = SimulatedPatient(1, clock=ManualClock())
    assert manual.prompt("lunge", side="right") is None
    with pytest.raises(ValueError, match="unknown action"):
        patient.prompt("dance")


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="body_mass_kg"):
        SimulatedPatient(0, 5.0)
    with pytest.raises(ValueError, match="max_dorsiflexion_deg"):
        SimulatedPatient(0, 70.0, {"left": 90.0, "right": 40.0})
    with pytest.raises(ValueError, match="side"):
        SimulatedPatient(0, clock=ManualClock()).perform_lunge("middle")
