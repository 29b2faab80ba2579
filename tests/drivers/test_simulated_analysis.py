"""The simulated devices against the real analysis code (the contract the demo relies on):
a heel-down lunge gives a hold and no heel lift, a lifted heel is caught, a quiet single-leg
trial is valid and a touchdown fails it with the right reason."""

from __future__ import annotations

import pytest

from clinic_app.analysis.balance import analyse_balance_trial
from clinic_app.analysis.heel_lift import detect_heel_lift
from clinic_app.analysis.lunge import find_hold
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices


def rig(seed: int):
    clock = ManualClock()
    patient = SimulatedPatient(seed, 70.0, {"left": 38.0, "right": 44.0}, clock=clock)
    inc, plate = create_simulated_devices(patient)
    inc.zero()
    plate.preset_calibration()
    inc.start()
    plate.start()
    return clock, patient, inc, plate


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("heel_lift", [False, True])
def test_lunge_hold_and_heel_lift_through_the_analysis(seed: int, heel_lift: bool) -> None:
    clock, patient, inc, plate = rig(seed)
    action = patient.perform_lunge("left", heel_lift=heel_lift)
    lunge = action.lunge
    assert lunge is not None
    clock.advance(action.t_end - clock.now())
    angles = inc.buffer.read_new(0)[0]
    load = plate.buffer.read_new(0)[0]
    hold = find_hold(angles["t_host_s"], angles["tibia_deg"])
    assert hold is not None
    assert lunge.hold_start - 1.0 <= hold.start_s and hold.end_s <= lunge.hold_end + 0.5
    lift = detect_heel_lift(
        load["t_host_s"], load["fz_n"], load["cop_y_mm"], load["bl_n"] + load["br_n"]
    )
    assert lift.lifted is heel_lift
    if heel_lift:
        assert lunge.heel_lift_at_s is not None
        assert lift.at_s == pytest.approx(lunge.hold_start + lunge.heel_lift_at_s, abs=0.4)
        assert hold.angle_deg > lunge.peak_deg + 2.0  # the inflated angle the flag protects
    else:
        assert hold.angle_deg == pytest.approx(lunge.peak_deg, abs=0.5)


@pytest.mark.parametrize("condition", ["eo_firm", "ec_firm", "ec_foam"])
@pytest.mark.parametrize(
    ("touchdown", "reason"), [(None, None), ("off_plate", "touchdown"), ("on_plate", "step")]
)
def test_single_leg_trials_through_the_analysis(
    condition: str, touchdown: str | None, reason: str | None
) -> None:
    clock, patient, _, plate = rig(3)
    on = patient.step_on("left", condition)
    if touchdown is not None:
        patient.touchdown(touchdown, delay_s=on.t_end - clock.now() + 4.0)
    clock.advance(on.t_end - clock.now() + 10.5)
    s = plate.buffer.read_new(0)[0]
    s = s[s["t_host_s"] > on.t_end + 0.3]
    result = analyse_balance_trial(
        s["t_host_s"],
        s["fz_n"],
        s["cop_x_mm"],
        s["cop_y_mm"],
        planned_s=10.0,
        body_mass_kg=70.0,
    )
    if reason is None:
        assert result.status == "valid"
        assert result.metrics is not None
        assert 0.5 < result.metrics.mean_velocity_cm_s < 10.0
    else:
        assert result.status == "failed"
        assert result.failure is not None
        if reason == "step":
            # The simulated foot lands with a > 50 mm COP jump within 50 ms (the "step"
            # rule), but the monitor latches the 20 mm "foot_shift" rule on the way up.
            assert result.failure.reason in ("step", "foot_shift")
        else:
            assert result.failure.reason == reason
        assert result.time_to_failure_s == pytest.approx(3.7, abs=0.15)
