"""Simulated single-leg balance: replayed sway, touchdowns, stepping off, reproducibility."""

from __future__ import annotations

import time

import numpy as np
import pytest

from drivers.base import DeviceState
from drivers.simulated import (
    CONDITION_SWAY,
    ManualClock,
    RealTimeClock,
    SimulatedPatient,
    create_simulated_devices,
)
from drivers.simulation.sway import load_recording
from tests.conftest import TEST_DATA

G = 9.80665
BW = 65.0 * G
SHARED = TEST_DATA / "balance"


def calibrated_rig(seed: int = 11, noise: bool = False):
    clock = ManualClock(start_s=50.0)
    patient = SimulatedPatient(seed, 65.0, clock=clock)
    _, plate = create_simulated_devices(patient)
    if not noise:
        plate.noise_n = 0.0
    # A perfectly calibrated plate, so the reported COP is the patient's true COP.
    plate.tare_n = plate.true_offset_n.copy()
    plate.set_cell_scales(1.0 / plate.true_gain)
    plate.start()
    return clock, patient, plate


def test_packaged_recordings_are_the_published_ones() -> None:
    rec = load_recording("bds00010")
    assert rec.fs_hz == 100.0 and len(rec.ap_mm) == 6000
    text = np.loadtxt(SHARED / "BDS00010.txt", skiprows=1)
    assert np.allclose(rec.ap_mm, text[:, 7] * 10, atol=1e-4)
    assert np.allclose(rec.ml_mm, text[:, 8] * 10, atol=1e-4)
    assert np.allclose(rec.fz_n, text[:, 3], rtol=1e-6)


@pytest.mark.parametrize("condition", ["eo_firm", "ec_foam"])
def test_replayed_sway_equals_the_recording_scaled(condition: str) -> None:
    clock, patient, plate = calibrated_rig()
    action = patient.step_on("left", condition)
    stance = action.stance
    assert stance is not None
    source = CONDITION_SWAY[condition]
    assert stance.replay.scale == source.scale
    rec = load_recording(source.recording)
    # Times at which the replay hits recorded samples j (after the step-on ramp).
    j = np.arange(int(stance.replay.offset_s * 100) + 300, int(stance.replay.offset_s * 100) + 900)
    t = stance.t_ref + j / 100.0 - stance.replay.offset_s
    pose = patient.pose(t)
    expect_ap = stance.foot_y_mm + source.scale * (rec.ap_mm[j] - rec.ap_mm.mean())
    expect_ml = stance.foot_x_mm + source.scale * (rec.ml_mm[j] - rec.ml_mm.mean())
    assert np.allclose(pose.cop_y_mm, expect_ap, atol=1e-6)
    assert np.allclose(pose.cop_x_mm, expect_ml, atol=1e-6)
    assert np.allclose(pose.fz_n, BW * rec.fz_n[j] / rec.fz_n.mean(), rtol=1e-9)
    # The 1 kHz plate output is that signal upsampled: every 10th sample sits on the recording.
    clock.advance(t[-1] - clock.now() + 0.01)
    samples, _, _ = plate.buffer.read_new(0)
    at = np.interp(t, samples["t_host_s"], samples["cop_y_mm"])
    assert np.allclose(at, expect_ap, atol=0.05)
    assert np.all(np.isfinite(samples["cop_x_mm"][samples["fz_n"] > 100]))


def test_single_leg_load_and_sway_size() -> None:
    clock, patient, plate = calibrated_rig(noise=True)
    action = patient.step_on("right", "ec_firm")
    clock.advance(action.t_end - clock.now() + 10.0)
    s, _, _ = plate.buffer.read_new(0)
    quiet = s[s["t_host_s"] > action.t_end]
    assert quiet["fz_n"].mean() == pytest.approx(BW, rel=0.01)
    # Resultant mean velocity at 100 Hz, in the order of published single-leg values.
    cop = np.column_stack((quiet["cop_x_mm"][::10], quiet["cop_y_mm"][::10])) / 10.0
    velocity = np.sum(np.hypot(*np.diff(cop, axis=0).T)) / (len(cop) / 100.0)
    assert 4.0 < velocity < 14.0
    # Single-leg sway is larger than the bipedal recording it came from.
    rec = load_recording("bds00010")
    assert quiet["cop_y_mm"].std() > 2.0 * rec.ap_mm[:1000].std()


def test_step_on_ramps_to_body_weight_and_step_off_unloads() -> None:
    clock, patient, plate = calibrated_rig()
    on = patient.step_on("left", "eo_firm")
    off = patient.step_off(delay_s=5.0)
    clock.advance(off.t_end - clock.now() + 0.5)
    s, _, _ = plate.buffer.read_new(0)
    t = s["t_host_s"]
    before = s[t < on.t_start]
    assert np.all(np.abs(before["fz_n"]) < 1.0) and np.all(np.isnan(before["cop_x_mm"]))
    ramp = s[(t > on.t_start) & (t < on.t_end)]["fz_n"]
    assert np.all(np.diff(ramp[::50]) > 0)
    after = s[t > off.t_end]
    assert np.all(after["fz_n"] < 1.0) and np.all(np.isnan(after["cop_y_mm"]))
    assert patient.posture == "off"


def test_touchdown_off_plate_drops_load_below_90_percent() -> None:
    clock, patient, plate = calibrated_rig()
    on = patient.step_on("left", "eo_firm")
    td = patient.touchdown("off_plate", duration_s=0.8, delay_s=on.t_end - clock.now() + 3.0)
    clock.advance(td.t_end - clock.now() + 1.0)
    s, _, _ = plate.buffer.read_new(0)
    t = s["t_host_s"]
    during = s[(t > td.t_start + 0.1) & (t < td.t_start + 0.8)]["fz_n"]
    assert during.max() < 0.9 * BW
    steady = s[(t > on.t_end) & (t < td.t_start)]["fz_n"]
    assert steady.min() > 0.95 * BW


def test_touchdown_on_plate_keeps_load_and_jumps_cop() -> None:
    clock, patient, plate = calibrated_rig()
    on = patient.step_on("right", "eo_firm")
    td = patient.touchdown("on_plate", delay_s=on.t_end - clock.now() + 2.0)
    clock.advance(td.t_end - clock.now() + 0.5)
    s, _, _ = plate.buffer.read_new(0)
    t = s["t_host_s"]
    i0 = np.searchsorted(t, td.t_start)
    jump = s["cop_x_mm"][i0 + 50] - s["cop_x_mm"][i0 - 5]  # within 50 ms of landing
    # The left foot lands on the patient's left (−x) of a right stance: a > 50 mm COP jump
    # within 50 ms (the "other foot lands on the plate" heuristic, clinical.md §2.1).
    assert jump < -50.0
    assert s["fz_n"][i0 : i0 + 500].min() > 0.95 * BW
    with pytest.raises(RuntimeError, match="one leg"):
        SimulatedPatient(0, clock=ManualClock()).touchdown()


def run_script(seed: int, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    clock = ManualClock()
    patient = SimulatedPatient(seed, 70.0, clock=clock)
    inc, plate = create_simulated_devices(patient)
    inc.start()
    plate.start()
    patient.perform_lunge("left", heel_lift=True)
    patient.step_on("right", "ec_foam", delay_s=12.0)
    total = 0.0
    while total < 20.0:
        clock.advance(step_s)
        total += step_s
    return inc.buffer.read_new(0)[0], plate.buffer.read_new(0)[0]


def test_same_seed_same_signals_whatever_the_step() -> None:
    a_inc, a_plate = run_script(42, 0.5)
    b_inc, b_plate = run_script(42, 1 / 60)
    n = min(len(a_plate), len(b_plate))
    m = min(len(a_inc), len(b_inc))
    assert m > 1900 and n > 19000
    assert np.array_equal(a_inc[:m], b_inc[:m])
    for name in a_plate.dtype.names:
        assert np.array_equal(a_plate[name][:n], b_plate[name][:n], equal_nan=True), name
    c_inc, _ = run_script(43, 0.5)
    assert not np.allclose(a_inc["tibia_deg"][:2000], c_inc["tibia_deg"][:2000])


def test_realtime_thread_delivers_about_the_nominal_rate() -> None:
    patient = SimulatedPatient(3, clock=RealTimeClock())
    inc, plate = create_simulated_devices(patient, inclinometer_rate_hz=200.0)
    t0 = time.monotonic()
    inc.start()
    plate.start()
    try:
        time.sleep(0.6)
        now = time.monotonic()
        got = {"inc": inc.buffer.read_new(0)[0], "plate": plate.buffer.read_new(0)[0]}
    finally:
        inc.close()
        plate.close()
    for name, rate in (("inc", 200.0), ("plate", 1000.0)):
        t = got[name]["t_host_s"]
        # Every sample due up to the newest one is there, one per 1/rate, no gaps…
        assert len(t) == round((t[-1] - t[0]) * rate) + 1
        assert np.allclose(np.diff(t), 1.0 / rate)
        assert np.array_equal(got[name]["seq"], np.arange(len(t)))
        # …stamped on the monotonic clock, and the thread keeps up with real time.
        assert t0 <= t[0] and t[-1] <= now
        assert now - t[-1] < 0.5
    assert inc.state is DeviceState.DISCONNECTED


def test_dropout_is_reported_lost_then_reconnects() -> None:
    clock = ManualClock()
    patient = SimulatedPatient(1, clock=clock)
    _, plate = create_simulated_devices(patient)
    seen: list[DeviceState] = []
    plate.add_state_listener(lambda state, _msg: seen.append(state))
    plate.start()
    clock.advance(1.0)
    plate.simulate_dropout(2.0)
    assert plate.state is DeviceState.LOST
    assert "lost" in plate.last_error
    clock.advance(3.0)
    assert plate.state is DeviceState.STREAMING
    assert seen[-3:] == [DeviceState.LOST, DeviceState.RECONNECTING, DeviceState.STREAMING]
    assert plate.lost_samples == pytest.approx(2000, abs=2)
    assert plate.buffer.total == pytest.approx(4001 - 2000, abs=2)


def test_tare_zeroes_the_unloaded_plate() -> None:
    clock = ManualClock()
    patient = SimulatedPatient(6, clock=clock)
    _, plate = create_simulated_devices(patient)
    plate.start()
    clock.advance(1.0)
    assert abs(plate.buffer.latest(200)["fz_n"].mean()) > 3.0  # untared offsets
    plate.tare()
    clock.advance(0.5)
    assert abs(plate.buffer.latest(200)["fz_n"].mean()) < 0.5
