"""The balance protocol on synthetic plate signals: arm, countdown, time, failures, repeats."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from clinic_app.protocols.balance import COUNTDOWN_S, SETTLE_S, BalanceProtocol, BalanceSettings
from tests.protocols.samples import G, feed_in_batches, plate

MASS = 70.0
FS = 1000.0


def standing(t0: float, seconds: float, *, drop_at: float | None = None, off_s: float = 0.5):
    """Plate empty for ``off_s``, then one-leg stance with gentle sway (load drop optional)."""
    t = t0 + np.arange(int((off_s + seconds) * FS)) / FS
    on = t >= t0 + off_s
    fz = np.where(on, MASS * G * 1.0, 0.0)
    if drop_at is not None:
        fz[t >= t0 + off_s + drop_at] = 0.6 * MASS * G  # the other foot touches the floor
    x = np.where(on, 4.0 * np.sin(2 * np.pi * 0.4 * t) + 1.5 * np.sin(2 * np.pi * 1.3 * t), np.nan)
    y = np.where(on, 6.0 * np.sin(2 * np.pi * 0.25 * t + 1.0), np.nan)
    return plate(t, fz, x, y)


def settings(**changes: object) -> BalanceSettings:
    base = BalanceSettings.from_norms(practice=False, body_mass_kg=MASS)
    return replace(base, **changes)  # type: ignore[arg-type]


def outcomes(events):
    return [e.data["outcome"] for e in events if "outcome" in e.data]


def test_a_steady_trial_starts_after_settle_and_countdown_and_is_valid_with_metrics() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    assert proto.phase == "waiting"
    events = feed_in_batches(proto, None, standing(0.0, 16.0))
    started = next(e for e in events if e.kind == "started")
    assert started.t_s == pytest.approx(0.5 + SETTLE_S + COUNTDOWN_S, abs=0.01)
    beeps = [e.data["count"] for e in events if e.data.get("action") == "beep"]
    assert beeps == [3, 2, 1]
    (outcome,) = outcomes(events)
    assert outcome.status == "valid" and outcome.invalid_reason is None
    assert outcome.result["completed_s"] == 10.0 and outcome.result["planned_s"] == 10.0
    assert outcome.result["metrics"]["mean_velocity_cm_s"] > 0
    assert outcome.result["body_mass_kg"] == MASS
    assert proto.phase == "rest" and proto.valid_done == 1


def test_touchdown_fails_the_trial_with_time_to_failure_and_reason() -> None:
    proto = BalanceProtocol("right", "ec_firm", settings())
    proto.arm(0.0)
    t_live = 0.5 + SETTLE_S + COUNTDOWN_S
    events = feed_in_batches(
        proto, None, standing(0.0, 16.0, drop_at=SETTLE_S + COUNTDOWN_S + 3.0)
    )
    assert any(e.kind == "touchdown" for e in events)
    (outcome,) = outcomes(events)
    assert outcome.status == "failed"
    assert outcome.result["failure_reason"] == "touchdown"
    assert outcome.result["time_to_failure_s"] == pytest.approx(3.0, abs=0.01)
    assert outcome.result["metrics"] is None
    assert "touched down" in outcome.invalid_reason
    assert proto.failed_done == 1
    assert next(e for e in events if e.kind == "touchdown").t_s == pytest.approx(
        t_live + 3.0, abs=0.01
    )


def test_failed_trials_are_repeated_up_to_the_limit() -> None:
    proto = BalanceProtocol("left", "ec_foam", settings(trials=3, max_extra_attempts=2))
    proto.arm(0.0)
    t0, results = 0.0, []
    while proto.phase != "done":
        results += outcomes(feed_in_batches(proto, None, standing(t0, 7.0, drop_at=5.0)))
        t0 += 7.5
    assert [o.status for o in results] == ["failed"] * 5  # 3 wanted + 2 extra attempts
    assert proto.finished and proto.valid_done == 0


def test_the_next_trial_arms_itself_when_the_patient_steps_off() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    events = feed_in_batches(proto, None, standing(0.0, 15.5))
    assert proto.phase == "rest"
    events = feed_in_batches(proto, None, standing(20.0, 2.0))
    assert [e.kind for e in events if e.kind == "armed"] == ["armed"]
    assert proto.phase in ("waiting", "countdown")


def test_practice_trial_is_kept_apart() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings(practice_trials=1))
    assert proto.practice
    proto.arm(0.0)
    (first,) = outcomes(feed_in_batches(proto, None, standing(0.0, 15.5)))
    assert first.practice and first.status == "valid"
    assert proto.valid_done == 0 and not proto.practice


def test_stepping_down_during_the_countdown_restarts_the_wait() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    feed_in_batches(proto, None, standing(0.0, SETTLE_S + 1.0))
    assert proto.phase == "countdown"
    feed_in_batches(proto, None, standing(3.0, 0.0, off_s=0.2))
    assert proto.phase == "waiting"


def test_a_lost_plate_keeps_the_trial_incomplete_with_the_time_so_far() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    feed_in_batches(proto, None, standing(0.0, SETTLE_S + COUNTDOWN_S + 4.0))
    assert proto.phase == "live"
    (outcome,) = outcomes(proto.device_lost("plate", "connection lost", 9.0))
    assert outcome.status == "incomplete"
    assert "lost after 4.0 s" in outcome.invalid_reason
    assert proto.phase == "ready" and proto.valid_done == 0


# ---------------------------------------------------------------------- during the countdown
ON_S = 0.5  # standing() puts the foot on the plate after this
COUNTDOWN_AT = ON_S + SETTLE_S  # the countdown of a steady patient begins here


def with_event(kind: str, at: float, *, lasting: float = 0.5, seconds: float = 20.0):
    """A steady one-leg stance with one event from ``at`` (s) for ``lasting`` (s).

    ``other_foot``: the lifted foot lands on the plate beside the stance foot (all the load
    stays on the plate, the COP moves 80 mm towards it), then lifts again; ``floor``: it
    touches the floor beside the plate (load down to 60 %); ``shift``: the stance foot
    slides 30 mm; ``blip``: the load dips to 60 % for 20 ms only.
    """
    samples = standing(0.0, seconds)
    t = samples["t_host_s"]
    window = (t >= at) & (t < at + lasting)
    if kind == "other_foot":
        samples["cop_x_mm"][window] += 80.0
    elif kind == "floor":
        samples["fz_n"][window] = 0.6 * MASS * G
    elif kind == "shift":
        samples["cop_x_mm"][t >= at] += 30.0
    elif kind == "blip":
        samples["fz_n"][(t >= at) & (t < at + 0.02)] = 0.6 * MASS * G
    return samples


def resets(events):
    return [e for e in events if e.data.get("action") == "countdown_reset"]


@pytest.mark.parametrize(
    ("kind", "reason", "words"),
    [
        ("other_foot", "step", "the other foot touched the plate"),
        ("floor", "touchdown", "the lifted foot touched the floor"),
        ("shift", "foot_shift", "the standing foot shifted on the plate"),
    ],
)
def test_a_failure_rule_during_the_countdown_restarts_it_with_the_reason_in_words(
    kind: str, reason: str, words: str
) -> None:
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    at = COUNTDOWN_AT + 1.0
    events = feed_in_batches(proto, None, with_event(kind, at))
    (reset,) = resets(events)
    assert reset.data["reason"] == reason
    assert reset.text == f"{words} — countdown restarts"
    assert reset.t_s == pytest.approx(at, abs=0.2)  # noticed at once, not at the window
    # Not a trial: no failure, no new trial; the same trial waits, settles and counts again.
    assert not any(e.kind in ("touchdown", "armed") for e in events)
    (outcome,) = outcomes(events)
    assert outcome.status == "valid" and proto.failed_done == 0 and proto.valid_done == 1
    started = next(e for e in events if e.kind == "started")
    assert started.t_s >= reset.t_s + SETTLE_S + COUNTDOWN_S - 0.01


def test_the_screen_says_why_the_countdown_restarted_until_the_trial_is_timed() -> None:
    proto = BalanceProtocol("right", "ec_firm", settings())
    proto.arm(0.0)
    samples = with_event("other_foot", COUNTDOWN_AT + 1.0)
    t = samples["t_host_s"]
    feed_in_batches(proto, None, samples[t < COUNTDOWN_AT + 1.2])
    assert proto.phase == "waiting"
    hint = proto.status().hint
    assert hint.startswith("Countdown restarted: the other foot touched the plate")
    feed_in_batches(proto, None, samples[(t >= COUNTDOWN_AT + 1.2) & (t < COUNTDOWN_AT + 3.5)])
    assert proto.phase == "countdown"
    assert "Countdown restarted: the other foot" in proto.status().hint
    proto.retry(COUNTDOWN_AT + 4.0)  # a new trial starts with a clean screen
    assert "restarted" not in proto.status().hint


def test_a_load_dip_shorter_than_the_touchdown_rule_does_not_restart_the_countdown() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    events = feed_in_batches(proto, None, with_event("blip", COUNTDOWN_AT + 1.0))
    assert resets(events) == []
    started = next(e for e in events if e.kind == "started")
    assert started.t_s == pytest.approx(COUNTDOWN_AT + COUNTDOWN_S, abs=0.01)


def test_without_a_body_mass_a_step_in_the_countdown_still_restarts_it() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings(body_mass_kg=None))
    proto.arm(0.0)
    events = feed_in_batches(proto, None, with_event("other_foot", COUNTDOWN_AT + 0.5))
    (reset,) = resets(events)
    assert reset.data["reason"] == "step"
    (outcome,) = outcomes(events)
    assert outcome.status == "valid"


def test_stepping_off_during_the_countdown_says_so() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings())
    proto.arm(0.0)
    events = feed_in_batches(proto, None, standing(0.0, SETTLE_S + 1.0))
    events += feed_in_batches(proto, None, standing(3.0, 0.0, off_s=0.2))
    (reset,) = resets(events)
    assert reset.text == "the patient stepped off the plate — countdown restarts"
    assert proto.phase == "waiting"


@pytest.mark.parametrize("kind", ["other_foot", "shift"])
def test_a_countdown_restart_is_the_same_whatever_the_batch_size(kind: str) -> None:
    """A replay of the recording (other batch sizes) restarts and times the trial alike."""
    samples = with_event(kind, COUNTDOWN_AT + 1.3)
    runs = []
    for step_s in (1 / 60, 0.1, 0.007):
        proto = BalanceProtocol("left", "eo_firm", settings())
        proto.arm(0.0)
        events = feed_in_batches(proto, None, samples, step_s=step_s)
        (reset,) = resets(events)
        (outcome,) = outcomes(events)
        started = next(e for e in events if e.kind == "started")
        runs.append((reset.t_s, reset.text, started.t_s, outcome.status, outcome.result))
    assert runs[0] == runs[1] == runs[2]
