"""Bench figures of the 'acquisition' group: two real devices streaming over real ptys.

A line-protocol force plate at 1 kHz and a WitMotion inclinometer at 200 Hz (0x51 + 0x53
frames at 115200 baud) are emulated on the master side of two pseudo-terminals, in a
child process (like real sensors, they do not share this interpreter), and read by the
real device classes (pyserial, worker threads, codecs, ring buffers) *together* for 60 s
(10 s with ``quick``).

Figures
-------
acq_lost_samples
    Samples the emulators wrote that never reached a ring buffer (both devices). Every
    sample is identified: the plate by its ``seq``, the inclinometer by a sample counter
    the emulator encodes in the yaw.
acq_latency_p99_ms, acq_plate_latency_p99_ms, acq_wit_latency_p99_ms, acq_latency_p50_ms
    Sensor-to-buffer latency: the host's read time stamp of a sample (``t_host_s``) minus
    the time the emulator's ``write()`` of that sample returned (same monotonic clock).
acq_plate_samples, acq_wit_samples
    Samples received.
acq_reader_cpu_percent, acq_reader_runq_percent, acq_reader_runq_per_wakeup_ms
    Where the readers' time goes (Linux, from ``/proc/<pid>/task/<tid>/schedstat``): the
    two reader threads' CPU time, and their time spent *runnable but waiting for a CPU*,
    in % of the wall time; and that wait per time the threads were scheduled (ms). On a
    busy machine the latency tail is this wait - the operating system's scheduling, not
    the decoding (a few µs per line or frame) nor the interpreter lock.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.base import DeviceState
from drivers.codecs import witmotion_wire as wire
from drivers.lineplate import LinePlateDevice
from drivers.witmotion import WitMotionDevice

PLATE_RATE_HZ = 1000
WIT_RATE_HZ = 200


def measure(quick: bool) -> dict[str, float]:
    """Stream both devices for 60 s (10 s when ``quick``) and return the figures.

    Nothing is measured where pseudo-terminals do not exist (Windows).
    """
    if not hasattr(os, "openpty"):
        return {}
    seconds = 10.0 if quick else 60.0
    with tempfile.TemporaryDirectory(prefix="dorsilab-bench-") as tmp:
        return _run(Path(tmp), seconds)


def _emulate(folder: str, conn: Connection) -> None:
    """Child process: both emulators, until told to stop; then their write logs."""
    from drivers.emulators.lineplate import LinePlateEmulator
    from drivers.emulators.witmotion import WitEmulator

    content = (wire.ACC, wire.ANGLE)
    plate = LinePlateEmulator(link=Path(folder) / "ttyPLATE", rate_hz=PLATE_RATE_HZ)
    wit = WitEmulator(
        link=Path(folder) / "ttyWIT", rate_hz=WIT_RATE_HZ, yaw_counter=True, content=content
    )
    with plate, wit:
        conn.send("ready")
        conn.recv()
        plate.faults.mute = wit.faults.mute = True
        conn.send("muted")
        conn.recv()
        plate_times = plate.write_times()
        conn.send(
            {
                "plate_times": plate_times,
                "plate_seq": np.array(
                    [row[0] for row in plate.sent[: len(plate_times)]], dtype=np.int64
                ),
                "wit_times": wit.write_times(),
            }
        )


def _run(folder: Path, seconds: float) -> dict[str, float]:
    # The emulators run in their own process, as a real sensor would: they must not take
    # the interpreter lock from the reader threads being measured. A frozen build cannot
    # spawn a Python child, so there they run in a thread.
    context = multiprocessing.get_context("spawn")
    conn, child_conn = context.Pipe()
    child: Any
    if getattr(sys, "frozen", False):
        child = threading.Thread(target=_emulate, args=(str(folder), child_conn), daemon=True)
    else:
        child = context.Process(target=_emulate, args=(str(folder), child_conn), daemon=True)
    child.start()
    try:
        if not conn.poll(60) or conn.recv() != "ready":
            raise RuntimeError("the emulator process did not start")
        plate = LinePlateDevice(
            str(folder / "ttyPLATE"), rate_hz=PLATE_RATE_HZ, capacity_s=seconds + 30
        )
        # The emulated sensor already sends 200 Hz of 0x51 + 0x53: connecting only listens.
        wit = WitMotionDevice(str(folder / "ttyWIT"), capacity_s=seconds + 30)
        try:
            plate.open()
            wit.open()
            plate.start()
            wit.start()
            threads = [d._worker for d in (plate, wit)]
            sched0, wall0 = _schedstat(threads), time.monotonic()
            time.sleep(seconds)
            sched1, wall1 = _schedstat(threads), time.monotonic()
            conn.send("mute")
            conn.recv()
            time.sleep(0.3)  # let the last written samples arrive
            streaming = plate.state is DeviceState.STREAMING and wit.state is DeviceState.STREAMING
        finally:
            plate.close()
            wit.close()
        conn.send("report")
        log: dict[str, npt.NDArray[Any]] = conn.recv()
    finally:
        child.join(10)
        if child.is_alive() and hasattr(child, "kill"):
            child.kill()
    plate_got = plate.buffer.latest(plate.buffer.total)
    wit_got = wit.buffer.latest(wit.buffer.total)
    plate_lost, plate_lat = _match_plate(plate_got, log["plate_seq"], log["plate_times"])
    wit_lost, wit_lat = _match_wit(wit_got, log["wit_times"])
    both = np.concatenate((plate_lat, wit_lat)) * 1000.0
    figures = {
        "acq_lost_samples": float(plate_lost + wit_lost + plate.lost_samples),
        "acq_latency_p99_ms": _pct(both, 99),
        "acq_latency_p50_ms": _pct(both, 50),
        "acq_plate_latency_p99_ms": _pct(plate_lat * 1000.0, 99),
        "acq_wit_latency_p99_ms": _pct(wit_lat * 1000.0, 99),
        "acq_plate_samples": float(len(plate_got)),
        "acq_wit_samples": float(len(wit_got)),
    }
    if sched0 is not None and sched1 is not None:
        cpu, runq, slices = (b - a for a, b in zip(sched0, sched1, strict=True))
        wall = (wall1 - wall0) * 1e9
        figures["acq_reader_cpu_percent"] = round(100.0 * cpu / wall, 1)
        figures["acq_reader_runq_percent"] = round(100.0 * runq / wall, 1)
        figures["acq_reader_runq_per_wakeup_ms"] = round(runq / max(slices, 1) / 1e6, 3)
    if not streaming:
        figures["acq_lost_samples"] = float("nan")  # a device dropped out: no valid figure
    return figures


def _schedstat(threads: list[Any]) -> tuple[int, int, int] | None:
    """Summed (CPU ns, run-queue wait ns, times scheduled) of ``threads`` (None off Linux)."""
    total = [0, 0, 0]
    for thread in threads:
        try:
            with open(f"/proc/{os.getpid()}/task/{thread.native_id}/schedstat") as f:
                fields = f.read().split()
        except (OSError, AttributeError, TypeError):
            return None
        for i in range(3):
            total[i] += int(fields[i])
    return total[0], total[1], total[2]


def _pct(values: npt.NDArray[np.float64], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _match_plate(
    got: npt.NDArray[Any], sent_seq: npt.NDArray[np.int64], written: npt.NDArray[np.float64]
) -> tuple[int, npt.NDArray[np.float64]]:
    """(lost, latencies in s) of the plate samples, matched by ``seq``."""
    if len(got) == 0 or len(sent_seq) == 0:
        return len(sent_seq), np.zeros(0)
    seq = got["seq"] % (1 << 32)
    index = np.searchsorted(sent_seq, seq)
    index = np.clip(index, 0, len(sent_seq) - 1)
    found = sent_seq[index] == seq
    expected = int(np.count_nonzero(sent_seq >= seq[0]))
    latency = got["t_host_s"][found] - written[index[found]]
    return expected - int(np.count_nonzero(found)), latency


def _match_wit(
    got: npt.NDArray[Any], written: npt.NDArray[np.float64]
) -> tuple[int, npt.NDArray[np.float64]]:
    """(lost, latencies in s) of the inclinometer samples, matched by the yaw counter.

    The counter is the sample number modulo 3600; received samples are in order, so the
    number is unwrapped from the steps between them, and anchored at the newest received
    sample (the newest written one with that residue: any tail loss is < 3600 samples).
    """
    if len(got) == 0 or len(written) == 0:
        return len(written), np.zeros(0)
    from drivers.emulators.witmotion import sample_index_from_yaw

    residue = sample_index_from_yaw(got["angle_z_deg"])
    offset = np.cumsum(np.diff(residue, prepend=residue[0]) % 3600)
    last = len(written) - 1 - (len(written) - 1 - int(residue[-1])) % 3600
    index = last - (offset[-1] - offset)
    valid = (index >= 0) & (index < len(written))
    latency = got["t_host_s"][valid] - written[index[valid]]
    expected = last - int(index[0]) + 1 + (len(written) - 1 - last)
    return expected - len(np.unique(index[valid])), latency
