"""The main window pauses the devices outside the screens that need their data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drivers.base import DeviceState
from drivers.registry import default_registry
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices


@pytest.fixture
def devices() -> Iterator[tuple[Any, Any]]:
    clock = ManualClock(start_s=50.0)
    patient = SimulatedPatient(5, 70.0, {"left": 38.0, "right": 40.0}, clock=clock)
    inc, plate = create_simulated_devices(patient)
    registry = default_registry()
    for device in (inc, plate):
        device.start()
        registry.add(device)
    yield inc, plate
    registry.remove(inc)
    registry.remove(plate)
    inc.close()
    plate.close()


def test_pages_decide_whether_devices_stream(
    make_window: Callable[..., Any], devices: tuple[Any, Any]
) -> None:
    inc, plate = devices
    window = make_window()
    assert window.current_page_key() == "patient"
    assert inc.paused and plate.paused
    assert inc.state is DeviceState.CONNECTED
    window.device_strip.refresh()
    assert all("ready (paused while not measuring)" in s for s in window.device_strip.statuses())
    assert window.show_page("devices")
    assert not inc.paused and inc.state is DeviceState.STREAMING
    assert window.show_page("patient")
    assert inc.paused and plate.paused
    window.close()
    assert not inc.paused  # the window no longer decides
