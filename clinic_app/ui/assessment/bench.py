"""Live-view benchmark (``python -m clinic_app.ui.assessment.bench --seconds 30``).

Run as a child process by :mod:`clinic_app.bench.view` (the bench package stays Qt-free).
A 1 kHz line-protocol plate and a 200 Hz WitMotion inclinometer are emulated on real
pseudo-terminals in a separate process (as real sensors would be) and read by the real
device classes; the real :class:`~clinic_app.ui.assessment.acquisition.AcquisitionBridge` feeds the
real live plots (tibial angle, stabilogram, Fz with a 30 s window) on screen together.
Rendering is offscreen when there is no display (the paint work is the same, only not
shown). Prints one JSON object:

view_fps
    Frames painted per second (the Fz plot's paints).
view_latency_p95_ms
    For every plate sample: the end of the first frame that drew it minus the time the
    emulator's ``write()`` of that sample returned (same monotonic clock), 95th percentile.
view_cpu_percent
    CPU time of the GUI thread (the acquisition bridge's pulls, the plots' updates and all
    painting) / wall time × 100: what the live view costs. DESIGN.md's "≤ 25 % of one
    core" is this figure.
view_frame_p95_ms, view_lost_frames
    The time between two painted frames, 95th percentile; and the stutters a clinician can
    see: intervals between two painted frames longer than two periods of a 60 Hz display
    (33.3 ms), each counted once however long. Samples that never reach the screen are
    ``view_acq_lost_samples`` (every sample in the buffer goes into the plots' data).
view_acq_latency_p99_ms, view_acq_lost_samples
    The acquisition while the view draws: the host's read time stamp of each plate sample
    minus the time its ``write()`` returned, 99th percentile, and the plate samples written
    during the phase that never reached the buffer.
view_process_cpu_percent, view_reader_cpu_percent
    The whole process (GUI and the two device reader threads with their codecs) over the
    same window, and the readers' share (process − GUI). The readers cost the same with
    no view open: ``view_idle_reader_cpu_percent`` is the process over 3 s before the view
    starts (devices streaming, nothing drawn).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="dorsilab-view-") as tmp:
        figures = _run(Path(tmp), args.seconds)
    print(json.dumps(figures))
    return 0


class _Target:
    """What a phase draws: a window, the bridge's consumer, the plot whose paints are frames."""

    def __init__(self, window: Any, framed: Any, consume: Any) -> None:
        self.window, self.framed, self.consume = window, framed, consume
        self.newest = -1  # seq of the newest plate sample handed to the plots


def _balance_screen() -> _Target:
    """The real live page on its balance screen, as a trial runs (1366×768 less the bars)."""
    from clinic_app.protocols.events import LiveStatus
    from clinic_app.ui.assessment.live import LiveView

    view = LiveView()
    view.show_test("balance", "left")
    view.resize(1366, 640)
    started: list[float] = []

    def consume(inc: Any, pl: Any, now: float) -> None:
        if pl is None:
            return
        view.force.extend(pl["t_host_s"], pl["fz_n"])
        view.stabilogram.extend(pl["cop_x_mm"], pl["cop_y_mm"])
        target.newest = int(pl["seq"][-1])
        started[:] = started or [now]
        elapsed = now - started[0]
        view.show_status(
            LiveStatus(
                phase="live",
                title="Balance · left · eyes open, firm floor · trial 1 of 3",
                big_text=f"{elapsed:.1f} s",
                big_caption="of 30 s",
                instruction="Stand still on your left leg, hands on your hips.",
                hint="R: repeat · Esc: stop",
                progress=min(1.0, elapsed / 30.0),
            )
        )

    target = _Target(view, view.force.widget, consume)
    return target


def _all_plots(plate_rate: float, wit_rate: float) -> _Target:
    """The three live plots side by side, all fed at once (no screen of the app does this)."""
    from PySide6.QtWidgets import QHBoxLayout, QWidget

    from clinic_app.ui.plots.live_plots import AnglePlot, ForcePlot, Stabilogram

    angle, stabilogram, force = AnglePlot(wit_rate), Stabilogram(), ForcePlot(plate_rate)
    window = QWidget()
    row = QHBoxLayout(window)
    for plot in (angle, stabilogram, force):
        row.addWidget(plot.widget)
    window.resize(1366, 520)

    def consume(inc: Any, pl: Any, now: float) -> None:
        if inc is not None:
            angle.extend(inc["t_host_s"], inc["tibia_deg"])
        if pl is not None:
            force.extend(pl["t_host_s"], pl["fz_n"])
            stabilogram.extend(pl["cop_x_mm"], pl["cop_y_mm"])
            target.newest = int(pl["seq"][-1])

    target = _Target(window, force.widget, consume)
    return target


def _run(folder: Path, seconds: float) -> dict[str, float]:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from clinic_app.bench.acquisition import PLATE_RATE_HZ, WIT_RATE_HZ, _emulate
    from clinic_app.ui import theme
    from clinic_app.ui.assessment.acquisition import AcquisitionBridge
    from drivers.lineplate import LinePlateDevice
    from drivers.registry import DeviceRegistry
    from drivers.witmotion import WitMotionDevice

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)  # type: ignore[arg-type]
    context = multiprocessing.get_context("spawn")
    conn, child_conn = context.Pipe()
    child = context.Process(target=_emulate, args=(str(folder), child_conn), daemon=True)
    child.start()
    if not conn.poll(60) or conn.recv() != "ready":
        raise RuntimeError("the emulator process did not start")
    capacity = 2 * seconds + 30  # every sample of the run stays in the buffer
    plate = LinePlateDevice(str(folder / "ttyPLATE"), rate_hz=PLATE_RATE_HZ, capacity_s=capacity)
    wit = WitMotionDevice(str(folder / "ttyWIT"), capacity_s=capacity)
    registry = DeviceRegistry()
    phases = {
        "view": _balance_screen(),
        "view_all_plots": _all_plots(PLATE_RATE_HZ, WIT_RATE_HZ),
    }
    frames: dict[str, list[tuple[float, int]]] = {name: [] for name in phases}
    current: list[str] = []
    original = pg.GraphicsView.paintEvent

    def timed_paint(view: Any, event: Any) -> None:
        original(view, event)
        if current and view is phases[current[0]].framed:
            frames[current[0]].append((time.monotonic(), phases[current[0]].newest))

    pg.GraphicsView.paintEvent = timed_paint  # the bench process only
    marks: dict[str, dict[str, float]] = {}
    try:
        plate.open()
        wit.open()
        registry.add(plate)
        registry.add(wit)
        plate.start()
        wit.start()
        bridge = AcquisitionBridge(registry)
        _wait(app, 2.0)  # warm up: ports open, first samples in
        wall, cpu = time.monotonic(), time.process_time()
        _wait(app, 3.0)
        idle = (time.process_time() - cpu) / (time.monotonic() - wall)
        for name, target in phases.items():
            target.window.show()
            _wait(app, 0.5)
            bridge.consumers[:] = [target.consume]
            bridge.start()
            current[:] = [name]
            marks[name] = _measure(app, seconds)
            current.clear()
            bridge.stop()
            target.window.hide()
        conn.send("mute")
        conn.recv()
    finally:
        plate.close()
        wit.close()
    conn.send("report")
    log: dict[str, Any] = conn.recv()
    child.join(10)
    if child.is_alive():
        child.kill()
    got = plate.buffer.latest(plate.buffer.total)
    figures: dict[str, float] = {}
    for name, m in marks.items():
        phase = _figures(frames[name], log, m["wall"], m["cpu"], m["gui"])
        phase.update(_acquisition(got, log, m["start"], m["start"] + m["wall"]))
        for key, value in phase.items():
            figures[key.replace("view", name, 1)] = value
    figures["view_idle_reader_cpu_percent"] = round(100.0 * idle, 1)
    return figures


def _wait(app: Any, seconds: float) -> None:
    """Run an event loop for ``seconds`` (not ``app.quit``: in Qt 6 it closes the windows)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _measure(app: Any, seconds: float) -> dict[str, float]:
    """Wall, process CPU and GUI-thread CPU time (s) of ``seconds`` of the event loop."""
    wall, cpu, gui = time.monotonic(), time.process_time(), time.thread_time()
    _wait(app, seconds)  # the real event loop, as in the application
    return {
        "start": wall,
        "gui": time.thread_time() - gui,  # this (the GUI) thread only
        "cpu": time.process_time() - cpu,
        "wall": time.monotonic() - wall,
    }


def _acquisition(got: Any, log: dict[str, Any], start: float, end: float) -> dict[str, float]:
    """Plate acquisition figures of one phase (see the module docstring)."""
    sent = np.asarray(log["plate_seq"], dtype=np.int64)
    written = np.asarray(log["plate_times"], dtype=np.float64)
    n = min(len(sent), len(written))
    sent, written = sent[:n], written[:n]
    t_host = got["t_host_s"]
    seq = got["seq"] % (1 << 32)
    inside = (t_host >= start) & (t_host <= end)
    index = np.clip(np.searchsorted(sent, seq[inside]), 0, max(n - 1, 0))
    found = sent[index] == seq[inside] if n else np.zeros(0, bool)
    latency_ms = (t_host[inside][found] - written[index[found]]) * 1000.0
    # Samples written during the phase (but not in its last 0.2 s: still on their way).
    due = sent[(written >= start) & (written <= end - 0.2)]
    return {
        "view_acq_latency_p99_ms": (
            round(float(np.percentile(latency_ms, 99)), 2) if latency_ms.size else float("nan")
        ),
        "view_acq_lost_samples": float(np.count_nonzero(~np.isin(due, seq))),
    }


def _figures(
    frames: list[tuple[float, int]], log: dict[str, Any], wall: float, cpu: float, gui: float
) -> dict[str, float]:
    paint_t = np.array([f[0] for f in frames])
    drawn = np.maximum.accumulate(np.array([f[1] for f in frames], dtype=np.int64))
    seq = np.asarray(log["plate_seq"], dtype=np.int64)
    written = np.asarray(log["plate_times"], dtype=np.float64)
    n = min(len(seq), len(written))
    seq, written = seq[:n], written[:n]
    inside = (seq > drawn[0]) & (seq <= drawn[-1]) if len(drawn) else np.zeros(n, bool)
    first = np.searchsorted(drawn, seq[inside], side="left")
    latency_ms = (paint_t[first] - written[inside]) * 1000.0
    intervals_ms = np.diff(paint_t) * 1000.0
    return {
        "view_frame_p95_ms": (
            round(float(np.percentile(intervals_ms, 95)), 2) if intervals_ms.size else float("nan")
        ),
        "view_lost_frames": float(np.count_nonzero(intervals_ms > 2 * 1000.0 / 60.0)),
        "view_fps": round(len(frames) / wall, 1) if wall else float("nan"),
        "view_latency_p95_ms": (
            round(float(np.percentile(latency_ms, 95)), 2) if latency_ms.size else float("nan")
        ),
        "view_latency_p50_ms": (
            round(float(np.percentile(latency_ms, 50)), 2) if latency_ms.size else float("nan")
        ),
        "view_cpu_percent": round(100.0 * gui / wall, 1) if wall else float("nan"),
        "view_process_cpu_percent": round(100.0 * cpu / wall, 1) if wall else float("nan"),
        "view_reader_cpu_percent": round(100.0 * (cpu - gui) / wall, 1) if wall else float("nan"),
        "view_samples_drawn": float(latency_ms.size),
    }


if __name__ == "__main__":
    sys.exit(main())
