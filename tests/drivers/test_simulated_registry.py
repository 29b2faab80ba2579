"""The shared device registry, filled with simulated devices (as ``--demo`` does)."""

from __future__ import annotations

import threading

from drivers.base import DeviceState
from drivers.registry import DeviceRegistry, active_devices, default_registry
from drivers.simulated import (
    ManualClock,
    SimulatedPatient,
    create_simulated_devices,
    demo_patient,
    start_demo_devices,
)


def devices(seed: int = 1):
    return create_simulated_devices(SimulatedPatient(seed, clock=ManualClock()))


def test_add_replace_remove_and_listeners() -> None:
    registry = DeviceRegistry()
    heard: list[tuple[str, object]] = []
    registry.add_listener(lambda role, dev: heard.append((role, dev)))
    inc, plate = devices()
    assert registry.add(inc) is None
    assert registry.add(plate) is None
    assert registry.inclinometer is inc and registry.plate is plate
    assert registry.devices() == [("Inclinometer", inc), ("Force plate", plate)]
    inc2, _ = devices(2)
    assert registry.add(inc2) is inc  # replaced, returned, not closed
    assert registry.remove(inc) is None  # no longer registered
    assert registry.remove("force_plate") is plate
    assert registry.get("force_plate") is None
    assert heard == [
        ("inclinometer", inc),
        ("force_plate", plate),
        ("inclinometer", inc2),
        ("force_plate", None),
    ]


def test_a_broken_listener_does_not_stop_the_others() -> None:
    registry = DeviceRegistry()
    heard = []

    def broken(role: str, dev: object) -> None:
        raise RuntimeError("boom")

    registry.add_listener(broken)
    registry.add_listener(lambda role, dev: heard.append(role))
    registry.add(devices()[0])
    assert heard == ["inclinometer"]


def test_close_all_closes_and_empties() -> None:
    registry = DeviceRegistry()
    inc, plate = devices()
    for dev in (inc, plate):
        dev.start()
        registry.add(dev)
    registry.close_all()
    assert registry.devices() == []
    assert inc.state is DeviceState.DISCONNECTED and plate.state is DeviceState.DISCONNECTED


def test_registry_is_thread_safe_enough_for_concurrent_adds() -> None:
    registry = DeviceRegistry()
    pairs = [devices(i) for i in range(20)]
    threads = [threading.Thread(target=registry.add, args=(p[1],)) for p in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert registry.plate in [p[1] for p in pairs]


def test_demo_devices_stream_into_the_default_registry() -> None:
    registry = default_registry()
    clock = ManualClock()
    patient, inc, plate = start_demo_devices(registry, demo_patient(clock=clock))
    try:
        assert [label for label, _ in active_devices()] == ["Inclinometer", "Force plate"]
        assert patient.autopilot
        action = patient.prompt("lunge", side="left")
        assert action is not None and action.lunge is not None
        assert action.lunge.peak_deg < 36.5  # the demo's restricted left ankle
        clock.advance(action.t_end - clock.now())
        assert inc.buffer.total > 100 and plate.buffer.total > 1000
        # Demo devices start zeroed, tared and calibrated: the plate reads the true load.
        recent = plate.buffer.latest(500)
        error = recent["fz_n"] - patient.pose(recent["t_host_s"]).fz_n
        assert abs(error.mean()) < 0.2 and error.std() < 1.2  # sensor noise only
    finally:
        registry.close_all()
    assert active_devices() == []


def test_unknown_role_is_simply_absent() -> None:
    assert DeviceRegistry().remove("treadmill") is None
    assert DeviceRegistry().get("treadmill") is None
