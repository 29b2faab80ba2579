"""The lunge protocol on exact synthetic signals: capture, heel lift, manual, retry, practice."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.analysis.lunge import InputError
from clinic_app.protocols.lunge import LungeProtocol, LungeSettings
from tests.protocols.samples import feed_in_batches, inclinometer, lunge_angles, plate

FS_INC, FS_PLATE = 100.0, 1000.0


def settings(practice: int = 0) -> LungeSettings:
    return LungeSettings.from_norms(practice=practice > 0)


def trial_signals(t0: float, peak: float, heel_lift_at: float | None = None, seconds: float = 9.0):
    ti = t0 + np.arange(int(seconds * FS_INC)) / FS_INC
    angle = lunge_angles(ti, t0 + 1.0, peak)
    tp = t0 + np.arange(int(seconds * FS_PLATE)) / FS_PLATE
    cop_y = np.zeros(len(tp))
    if heel_lift_at is not None:
        lift = tp >= t0 + heel_lift_at
        cop_y[lift] = 35.0  # the COP runs to the toes
        angle = angle + 4.0 * (ti >= t0 + heel_lift_at)
    return inclinometer(ti, angle), plate(tp, np.full(len(tp), 350.0), 0.0, cop_y)


def kinds(events) -> list[str]:
    return [e.kind for e in events if e.kind != "prompt"]


def test_stable_hold_is_captured_then_distance_and_pain_finish_a_valid_trial() -> None:
    proto = LungeProtocol("left", settings())
    assert proto.phase == "ready"
    assert kinds(proto.arm(0.0)) == ["armed"]
    inc, pl = trial_signals(0.0, 41.0)
    events = feed_in_batches(proto, inc, pl)
    captured = [e for e in events if e.kind == "captured"]
    assert len(captured) == 1 and captured[0].data["capture"] == "auto"
    # The hold starts on the last degree of the ramp (within the ±1° band): mean ≈ peak.
    assert captured[0].data["angle_deg"] == pytest.approx(41.0, abs=0.1)
    assert captured[0].t_s == pytest.approx(3.0 + 2.0, abs=0.15)  # ramp ends at 3 s, 2 s hold
    assert proto.phase == "entry"
    with pytest.raises(InputError, match="above 30 cm"):
        proto.enter("34.5", 0, "none", 10.0)
    assert proto.phase == "entry"  # a typing error keeps the trial open
    for pain, place in ((4, "none"), (0, "anterior")):  # pain and place come together
        with pytest.raises(InputError, match=r"Say where|needs a pain score"):
            proto.enter("10,4", pain, place, 10.0)
        assert proto.phase == "entry"
    done = proto.enter("10,4", 3, "posterior", 10.0)
    outcome = done[-1].data["outcome"]
    assert outcome.status == "valid" and outcome.invalid_reason is None
    assert outcome.result["distance_cm"] == 10.4
    assert outcome.result["pain_nrs"] == 3 and outcome.result["pain_location"] == "posterior"
    assert outcome.result["heel_lift"] is False and outcome.result["site"] == "tibial_crest_15cm"
    assert set(outcome.result) == {
        "angle_deg",
        "distance_cm",
        "hold_s",
        "hold_sd_deg",
        "capture",
        "heel_lift",
        "pain_nrs",
        "pain_location",
        "site",
    }
    assert proto.valid_done == 1 and proto.phase == "ready"


def test_heel_lift_makes_the_trial_invalid_with_the_reason_and_keeps_its_numbers() -> None:
    proto = LungeProtocol("right", settings())
    proto.arm(0.0)
    inc, pl = trial_signals(0.0, 40.0, heel_lift_at=3.6)
    events = feed_in_batches(proto, inc, pl)
    assert "heel_lifted" in kinds(events)
    assert proto.phase == "entry"
    outcome = proto.enter("9.0", 0, "none", 12.0)[0].data["outcome"]
    assert outcome.status == "invalid"
    assert "heel lifted" in outcome.invalid_reason
    assert outcome.result["heel_lift"] is True
    assert outcome.result["angle_deg"] == pytest.approx(44.0, abs=0.1)  # kept, not averaged
    assert proto.valid_done == 0  # an invalid trial is repeated


def test_manual_capture_takes_the_last_half_second() -> None:
    proto = LungeProtocol("left", settings())
    proto.arm(0.0)
    inc, pl = trial_signals(0.0, 38.0)
    feed_in_batches(proto, inc[inc["t_host_s"] < 3.5], pl[pl["t_host_s"] < 3.5])
    assert proto.phase == "live"  # only 0.5 s of hold: no auto capture yet
    events = proto.capture(3.5)
    assert events[0].kind == "captured" and events[0].data["capture"] == "manual"
    assert events[0].data["angle_deg"] == pytest.approx(38.0, abs=0.1)


def test_retry_ends_the_trial_incomplete_and_arms_a_new_one() -> None:
    proto = LungeProtocol("left", settings())
    proto.arm(0.0)
    events = proto.retry(1.0)
    assert [e.kind for e in events if e.kind != "prompt"] == ["invalid", "armed"]
    assert events[0].data["outcome"].status == "incomplete"
    assert "repeated by the clinician" in events[0].data["outcome"].invalid_reason
    assert proto.phase == "live"


def test_practice_lunges_are_kept_apart_and_need_no_typing() -> None:
    proto = LungeProtocol("left", LungeSettings.from_norms(practice=True))
    assert proto.settings.practice_trials == 2 and proto.practice
    outcomes = []
    for k in range(2):
        proto.arm(k * 20.0)
        inc, pl = trial_signals(k * 20.0, 37.0)
        events = feed_in_batches(proto, inc, pl)
        outcomes += [e.data["outcome"] for e in events if "outcome" in e.data]
    assert [o.practice for o in outcomes] == [True, True]
    assert all(o.result["distance_cm"] is None for o in outcomes)
    assert proto.valid_done == 0 and not proto.practice and proto.phase == "ready"


def test_a_lost_inclinometer_keeps_the_trial_as_incomplete() -> None:
    proto = LungeProtocol("left", settings())
    proto.arm(0.0)
    events = proto.device_lost("inclinometer", "connection lost", 2.0)
    outcome = events[0].data["outcome"]
    assert outcome.status == "incomplete"
    assert "inclinometer connection was lost" in outcome.invalid_reason
    assert proto.phase == "ready"


def test_no_capture_before_the_shin_came_up_after_arming() -> None:
    proto = LungeProtocol("left", settings())
    t = np.arange(0, 4, 0.01)
    proto.arm(0.0)  # still held in the previous lunge: not a new trial's hold
    events = proto.feed(inclinometer(t, np.full(len(t), 40.0)), None, 4.0)
    assert "captured" not in kinds(events) and proto.phase == "live"
