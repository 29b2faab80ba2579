"""Wii Balance Board over evdev, driven by a fake event source (no evdev, no board needed)."""

from __future__ import annotations

import importlib.util
import threading
import time

import numpy as np
import pytest

from drivers.base import DeviceError, DeviceState
from drivers.calibration import STANDARD_GRAVITY, WII_BALANCE_BOARD
from drivers.wiiboard import (
    ABS_HAT0X,
    ABS_HAT0Y,
    ABS_HAT1X,
    ABS_HAT1Y,
    BOARD_NAME,
    BTN_A,
    EV_ABS,
    EV_KEY,
    EV_SYN,
    SYN_DROPPED,
    SYN_REPORT,
    WiiBalanceBoard,
    WiiBoardDecoder,
)
from tests.drivers.helpers import wait_for

HAS_EVDEV = importlib.util.find_spec("evdev") is not None


def report(t: float, tr: int | None, br: int | None, tl: int | None, bl: int | None):
    """Events of one report; None = axis unchanged (evdev leaves it out)."""
    events = [
        (EV_ABS, code, value, t)
        for code, value in ((ABS_HAT0X, tr), (ABS_HAT0Y, br), (ABS_HAT1X, tl), (ABS_HAT1Y, bl))
        if value is not None
    ]
    return [*events, (EV_SYN, SYN_REPORT, 0, t)]


class FakeSource:
    """Stands in for /dev/input/eventN: hands out queued events, then can 'unplug'."""

    def __init__(self, batches=(), name: str = BOARD_NAME) -> None:
        self.name = name
        self.path = "/dev/input/event99"
        self.uniq = "00:19:1d:aa:bb:cc"
        self.batches = list(batches)
        self.gone = False
        self.closed = False
        self.lock = threading.Lock()

    def read(self, timeout_s: float):
        with self.lock:
            if self.gone:
                raise OSError(19, "No such device")
            if self.batches:
                return self.batches.pop(0)
        time.sleep(min(timeout_s, 0.01))
        return []

    def close(self) -> None:
        self.closed = True


def test_kernel_axes_map_to_the_right_corners() -> None:
    decoder = WiiBoardDecoder()
    t, cells = decoder.feed(report(10.0, 100, 200, 300, 400))
    assert list(cells[0]) == [100, 200, 300, 400]  # TR, BR, TL, BL
    assert t[0] == 0.0


def test_unchanged_axes_keep_their_last_value() -> None:
    decoder = WiiBoardDecoder()
    events = report(1.0, 1000, 1000, 1000, 1000) + report(1.02, 1500, None, None, None)
    t, cells = decoder.feed(events)
    assert np.allclose(t, [0.0, 0.02])
    assert list(cells[1]) == [1500, 1000, 1000, 1000]


def test_no_sample_until_every_cell_has_reported() -> None:
    decoder = WiiBoardDecoder()
    _, cells = decoder.feed(report(0.0, 10, None, 30, None))
    assert len(cells) == 0
    _, cells = decoder.feed(report(0.01, None, 20, None, 40))
    assert list(cells[0]) == [10, 20, 30, 40]


def test_syn_dropped_discards_until_the_next_report_and_counts() -> None:
    decoder = WiiBoardDecoder()
    events = [
        *report(0.0, 1, 2, 3, 4),
        (EV_ABS, ABS_HAT0X, 999, 0.01),
        (EV_SYN, SYN_DROPPED, 0, 0.01),
        *report(0.02, 5, 6, 7, 8),  # ends the dropped run, discarded
        *report(0.03, 9, 10, 11, 12),
    ]
    _, cells = decoder.feed(events)
    assert [list(c) for c in cells] == [[1, 2, 3, 4], [9, 10, 11, 12]]
    assert decoder.dropped == 1


def test_button_presses_are_counted() -> None:
    decoder = WiiBoardDecoder()
    decoder.feed([(EV_KEY, BTN_A, 1, 0.0), (EV_KEY, BTN_A, 0, 0.1), (EV_SYN, SYN_REPORT, 0, 0.1)])
    assert decoder.button_presses == 1


def test_forces_and_cop_with_the_433_by_238_spacing() -> None:
    board = WiiBalanceBoard(lambda: FakeSource())
    board.open()
    # 70 kg: 25 kg on the right cells, 10 kg on the left; front cells carry 60 %.
    samples = board.process(report(5.0, 1500, 1000, 2700, 1800), t_host_s=123.0)
    s = samples[0]
    assert s["fz_n"] == pytest.approx(70.0 * STANDARD_GRAVITY)
    assert s["tr_n"] == pytest.approx(15.0 * STANDARD_GRAVITY)
    right, left = 25.0, 45.0
    assert s["cop_x_mm"] == pytest.approx(433.0 / 2 * (right - left) / 70.0)
    front, back = 42.0, 28.0
    assert s["cop_y_mm"] == pytest.approx(238.0 / 2 * (front - back) / 70.0)
    assert s["t_host_s"] == 123.0 and s["seq"] == -1
    assert board.calibration.geometry == WII_BALANCE_BOARD
    assert board.info.serial_number == "00:19:1d:aa:bb:cc"
    assert board.info.protocol == "wiiboard"


def test_unloaded_board_has_no_cop_and_tare_zeroes_it() -> None:
    board = WiiBalanceBoard(lambda: FakeSource())
    board.open()
    s = board.process(report(0.0, 30, 40, 20, 50), t_host_s=1.0)
    assert np.isnan(s["cop_x_mm"][0]) and s["fz_n"][0] < 20.0
    board.tare()
    s = board.process(report(0.1, 30, 40, 20, 50), t_host_s=1.1)
    assert s["fz_n"][0] == pytest.approx(0.0)


def test_non_uniform_reports_keep_their_own_host_times() -> None:
    batches = [
        report(0.0, 100, 100, 100, 100),
        report(0.013, 110, None, None, None),
        report(0.041, 120, None, None, None),
    ]
    board = WiiBalanceBoard(lambda: FakeSource(batches))
    board.start()
    try:
        wait_for(lambda: board.buffer.total >= 3, 5.0)
    finally:
        board.close()
    samples = board.buffer.latest(10)
    assert len(samples) == 3
    assert np.allclose(samples["t_dev_s"], [0.0, 0.013, 0.041])
    assert np.all(np.diff(samples["t_host_s"]) >= 0)
    assert board.state is DeviceState.DISCONNECTED


def test_unplug_is_reported_and_the_board_comes_back() -> None:
    first = FakeSource([report(0.0, 1000, 1000, 1000, 1000)])
    second = FakeSource([report(0.0, 2000, 2000, 2000, 2000)])
    sources = [first, second]
    board = WiiBalanceBoard(lambda: sources.pop(0) if sources else second)
    states: list[DeviceState] = []
    board.add_state_listener(lambda s, _m: states.append(s))
    board.start()
    try:
        deadline = time.monotonic() + 10.0
        while board.buffer.total < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        with first.lock:
            first.gone = True
        while board.buffer.total < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        board.close()
    assert DeviceState.LOST in states and DeviceState.RECONNECTING in states
    assert states.index(DeviceState.LOST) < states.index(DeviceState.RECONNECTING)
    assert "reconnect" in board.last_error
    assert board.buffer.latest(1)["fz_n"][0] == pytest.approx(80 * STANDARD_GRAVITY)
    assert first.closed


def test_a_device_that_is_not_a_board_is_refused() -> None:
    board = WiiBalanceBoard(lambda: FakeSource(name="Nintendo Wii Remote"))
    with pytest.raises(DeviceError, match="not a Wii Balance Board"):
        board.open()
    assert board.state is DeviceState.ERROR


@pytest.mark.skipif(HAS_EVDEV, reason="checks the message shown when evdev is missing")
def test_without_evdev_the_message_says_how_to_install_it() -> None:
    from drivers.wiiboard_evdev import EvdevSource

    with pytest.raises(DeviceError, match=r"dorsilab\[wii\]"):
        EvdevSource("/dev/input/event0")


@pytest.mark.skipif(not HAS_EVDEV, reason="REQUIRES evdev (pip install dorsilab[wii])")
def test_event_codes_match_the_kernel_headers() -> None:
    from evdev import ecodes

    assert (ecodes.ABS_HAT0X, ecodes.ABS_HAT0Y, ecodes.ABS_HAT1X, ecodes.ABS_HAT1Y) == (
        ABS_HAT0X,
        ABS_HAT0Y,
        ABS_HAT1X,
        ABS_HAT1Y,
    )
    assert (ecodes.SYN_REPORT, ecodes.SYN_DROPPED, ecodes.BTN_A) == (
        SYN_REPORT,
        SYN_DROPPED,
        BTN_A,
    )


@pytest.mark.skipif(HAS_EVDEV, reason="checks the behaviour when evdev is missing")
def test_without_evdev_no_board_is_found_and_open_says_so() -> None:
    from drivers.wiiboard_evdev import find_balance_boards

    assert find_balance_boards() == []
    board = WiiBalanceBoard()
    with pytest.raises(DeviceError, match="No Wii Balance Board found"):
        board.open()
    assert board.state is DeviceState.ERROR
    assert "Bluetooth" in board.last_error


@pytest.mark.hardware
@pytest.mark.skipif(not HAS_EVDEV, reason="REQUIRES evdev and a paired Wii Balance Board")
def test_a_real_board_streams_when_one_is_paired() -> None:
    from drivers.wiiboard_evdev import find_balance_boards

    if not find_balance_boards():
        pytest.skip("REQUIRES a Wii Balance Board paired over Bluetooth")
    board = WiiBalanceBoard()
    board.start()
    try:
        wait_for(lambda: board.buffer.total >= 20, 5.0)
    finally:
        board.close()
    assert board.buffer.total >= 20, "the board sent fewer than 20 reports in 5 s"
