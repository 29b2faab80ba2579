"""A balance trial is timed and judged on one clock.

The bug: a 30 s practice trial was saved as "incomplete: recording stopped after 15.4 s
of 30 s" while the plate never stopped. The protocol ended the timed window on the host's
clock (the time the samples were read), but the analysis measured the same samples on
the plate's own clock (``t_dev_s``). A plate whose clock runs apart from the host's (a
device stamping frames by sequence number at a rate it does not keep, the line-protocol
emulator on a loaded machine) then gave 15.4 s of device time in 30 s of host time, and
the analysis called the trial cut short. Now the window is timed with the clock the
analysis uses, and the analysis is given exactly the times the protocol used.
"""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.protocols.balance import BalanceProtocol
from tests.protocols.samples import G, feed_in_batches, plate
from tests.protocols.test_balance_protocol import MASS, settings

DEVICE_RATE = 0.513
"""Device seconds per host second: 15.4 s of device time in 30 s of host time."""


def standing(duration_s: float, device_rate: float) -> np.ndarray:
    t = np.arange(0.0, duration_s, 0.001)
    on = t >= 0.5
    fz = np.where(on, MASS * G, 0.0)
    x = np.where(on, 4.0 * np.sin(2 * np.pi * 0.4 * t), np.nan)
    y = np.where(on, 6.0 * np.sin(2 * np.pi * 0.25 * t + 1.0), np.nan)
    samples = plate(t, fz, x, y)
    samples["t_dev_s"] = 1000.0 + device_rate * t  # the plate's own clock
    return samples


@pytest.mark.parametrize("device_rate", [DEVICE_RATE, 1.0, 1.7])
def test_a_practice_trial_on_a_plate_with_its_own_clock_is_whole(device_rate: float) -> None:
    proto = BalanceProtocol("left", "eo_firm", settings(planned_s=30.0, practice_trials=1))
    proto.arm(0.0)
    assert proto.practice
    events = feed_in_batches(proto, None, standing(80.0, device_rate))
    outcome = next(e.data["outcome"] for e in events if "outcome" in e.data)
    assert outcome.practice
    assert outcome.invalid_reason is None, outcome.invalid_reason
    assert outcome.status == "valid"
    assert outcome.result["completed_s"] == 30.0
    assert outcome.result["metrics"]["duration_s"] == pytest.approx(30.0, abs=0.01)


def test_the_time_left_on_screen_counts_on_the_trial_clock() -> None:
    proto = BalanceProtocol("left", "eo_firm", settings(planned_s=30.0))
    proto.arm(0.0)
    samples = standing(30.0, 0.5)
    feed_in_batches(proto, None, samples)
    assert proto.phase == "live"
    # 30 s of host time since the start, but 15 s less the settle and countdown on the
    # plate's clock: the screen says how much of the *trial* is left.
    status = proto.status()
    left = float(status.big_text.removesuffix(" s"))
    assert left == pytest.approx(30.0 - 0.5 * (30.0 - 0.5 - 1.0 - 3.0), abs=0.2)
