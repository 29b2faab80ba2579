"""Bench figures of the 'idle' group: what connected devices cost while no screen needs them.

Issue 16 §3: streaming readers took a quarter of a core on the patient list. The same two
real devices as the acquisition group - a 1 kHz line-protocol plate and a 200 Hz WitMotion
inclinometer, emulated on ptys in a child process - are connected through a managed
:class:`~drivers.registry.DeviceRegistry`, as the main window does, and measured for 10 s
each (3 s with ``quick``):

idle_streaming_cpu_percent
    This process's CPU / wall time × 100 with both devices streaming and nobody reading
    them (what every screen cost before pausing).
idle_cpu_percent
    The same with no screen needing data, so the registry paused both (target ≤ 3 % of one
    core). The plate is stopped with ``S`` and asked ``?`` once a second; the inclinometer,
    which cannot be told to stop without writing its settings, is read and discarded four
    times a second without decoding.
idle_resume_p95_ms, idle_resume_max_ms
    From a screen saying it needs data (``set_needed``) to the first new sample of *both*
    devices in their buffers, over 20 pause/resume cycles (target: one 60 Hz frame,
    16.7 ms).
idle_loss_detect_wit_s, idle_loss_detect_plate_s
    While paused, each emulator falls silent: seconds until the device reports the loss.
idle_demo_streaming_cpu_percent, idle_demo_cpu_percent
    The ``--demo`` simulated devices (100 Hz inclinometer, 1 kHz plate), streaming and paused.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from drivers.base import Device, DeviceState
from drivers.codecs import witmotion_wire as wire
from drivers.lineplate import LinePlateDevice
from drivers.registry import DeviceRegistry
from drivers.witmotion import WitMotionDevice

PLATE_RATE_HZ = 1000
WIT_RATE_HZ = 200
RESUME_CYCLES = 20


def measure(quick: bool) -> dict[str, float]:
    """Idle CPU, resume latency and loss detection while paused (module docstring)."""
    seconds = 3.0 if quick else 10.0
    figures = _demo(seconds)
    if hasattr(os, "openpty") and not getattr(sys, "frozen", False):
        with tempfile.TemporaryDirectory(prefix="dorsilab-idle-") as tmp:
            figures.update(_serial(Path(tmp), seconds))
    return figures


def _cpu_percent(seconds: float) -> float:
    wall, cpu = time.monotonic(), time.process_time()
    time.sleep(seconds)
    return round(100.0 * (time.process_time() - cpu) / (time.monotonic() - wall), 2)


def _emulate(folder: str, conn: Connection) -> None:
    """Child process: both emulators; obeys 'mute-wit', 'mute-plate', 'stop'."""
    from drivers.emulators.lineplate import LinePlateEmulator
    from drivers.emulators.witmotion import WitEmulator

    plate = LinePlateEmulator(link=Path(folder) / "ttyPLATE", rate_hz=PLATE_RATE_HZ)
    wit = WitEmulator(
        link=Path(folder) / "ttyWIT", rate_hz=WIT_RATE_HZ, content=(wire.ACC, wire.ANGLE)
    )
    with plate, wit:
        conn.send("ready")
        while True:
            command = conn.recv()
            if command == "mute-wit":
                wit.faults.mute = True
            elif command == "mute-plate":
                plate.faults.mute = True
                plate.faults.ignore_commands = True
            else:
                break
            conn.send("ok")


def _serial(folder: Path, seconds: float) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    conn, child_conn = context.Pipe()
    child = context.Process(target=_emulate, args=(str(folder), child_conn), daemon=True)
    child.start()
    try:
        if not conn.poll(60) or conn.recv() != "ready":
            raise RuntimeError("the emulator process did not start")
        plate = LinePlateDevice(str(folder / "ttyPLATE"), capacity_s=30)
        wit = WitMotionDevice(str(folder / "ttyWIT"), capacity_s=30)
        registry = DeviceRegistry()
        try:
            for device in (plate, wit):
                device.open()
                device.start()
                registry.add(device)
            time.sleep(1.0)
            figures = {"idle_streaming_cpu_percent": _cpu_percent(seconds)}
            registry.manage("bench")  # no screen needs data: both pause
            time.sleep(0.5)
            figures["idle_cpu_percent"] = _cpu_percent(seconds)
            figures.update(_resume_latency(registry, [plate, wit]))
            figures["idle_loss_detect_wit_s"] = _loss_after(conn, "mute-wit", wit)
            figures["idle_loss_detect_plate_s"] = _loss_after(conn, "mute-plate", plate)
        finally:
            plate.close()
            wit.close()
        conn.send("stop")
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
    return figures


def _resume_latency(registry: DeviceRegistry, devices: list[Device]) -> dict[str, float]:
    """Milliseconds from ``set_needed`` to a new sample of every device, per cycle."""
    latencies = []
    for _ in range(RESUME_CYCLES):
        totals = [d.buffer.total for d in devices]
        started = time.monotonic()
        registry.set_needed("bench", True)
        deadline = started + 2.0
        while time.monotonic() < deadline:
            if all(d.buffer.total > t for d, t in zip(devices, totals, strict=True)):
                latencies.append((time.monotonic() - started) * 1000.0)
                break
            time.sleep(0.0002)
        time.sleep(0.2)
        registry.set_needed("bench", False)
        time.sleep(0.3)
    if not latencies:
        return {"idle_resume_p95_ms": float("nan"), "idle_resume_max_ms": float("nan")}
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    return {
        "idle_resume_p95_ms": round(p95, 2),
        "idle_resume_max_ms": round(max(latencies), 2),
        "idle_resume_median_ms": round(statistics.median(latencies), 2),
    }


def _loss_after(conn: Connection, command: str, device: Device) -> float:
    """Seconds from the emulator falling silent to the paused device reporting it."""
    lost = threading.Event()
    device.add_state_listener(
        lambda state, _message: lost.set() if state is DeviceState.LOST else None
    )
    conn.send(command)
    conn.recv()
    started = time.monotonic()
    if not lost.wait(10.0):
        return float("nan")
    return round(time.monotonic() - started, 2)


def _demo(seconds: float) -> dict[str, float]:
    from drivers.simulated import demo_patient, start_demo_devices

    registry = DeviceRegistry()
    _patient, inclinometer, plate = start_demo_devices(registry, demo_patient())
    try:
        time.sleep(0.5)
        figures: dict[str, Any] = {"idle_demo_streaming_cpu_percent": _cpu_percent(seconds)}
        registry.manage("bench")
        time.sleep(0.2)
        figures["idle_demo_cpu_percent"] = _cpu_percent(seconds)
    finally:
        inclinometer.close()
        plate.close()
    return figures
