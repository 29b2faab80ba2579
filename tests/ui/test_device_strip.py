"""The device strip shows each active device's state in words, with a matching colour."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clinic_app.ui import theme
from clinic_app.ui.devices.strip import DeviceStatus, DeviceStrip
from drivers.registry import default_registry
from drivers.simulated import ManualClock, create_simulated_devices, demo_patient


@pytest.fixture
def registry_with_simulated_devices() -> Iterator[None]:
    patient = demo_patient(clock=ManualClock())
    inclinometer, plate = create_simulated_devices(patient)
    inclinometer.start()
    plate.start()
    default_registry().add(inclinometer)
    default_registry().add(plate)
    yield
    default_registry().close_all()


def test_empty_registry_says_none_connected(qtbot: Any) -> None:
    strip = DeviceStrip()
    qtbot.addWidget(strip)
    strip.show()
    assert strip.statuses() == []
    assert strip._empty.isVisible()


def test_registry_devices_become_pills(qtbot: Any, registry_with_simulated_devices: None) -> None:
    strip = DeviceStrip()
    qtbot.addWidget(strip)
    strip.refresh()
    assert strip.statuses() == [
        "● Inclinometer · streaming 100 Hz",
        "● Force plate · streaming 1000 Hz",
    ]
    default_registry().close_all()
    strip.refresh()
    assert strip.statuses() == []


def test_lost_device_is_worded_and_red(qtbot: Any) -> None:
    statuses = [DeviceStatus("Force plate", "reconnecting", "lost, reconnecting…")]
    strip = DeviceStrip(source=lambda: statuses)
    qtbot.addWidget(strip)
    assert strip.statuses() == ["● Force plate · lost, reconnecting…"]
    assert theme.DEVICE_LOOKS["reconnecting"].foreground in strip._pills[0].styleSheet()


def test_a_failing_source_never_breaks_the_window(qtbot: Any) -> None:
    def broken() -> list[DeviceStatus]:
        raise RuntimeError("driver bug")

    strip = DeviceStrip(source=broken)
    qtbot.addWidget(strip)
    assert strip.statuses() == ["● Devices · status unavailable"]
