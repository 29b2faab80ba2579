"""Live-view benchmark (``python -m clinic_app.ui.assessment_bench --seconds 30``).

Run as a child process by :mod:`clinic_app.bench.view` (the bench package stays Qt-free).
A 1 kHz line-protocol plate and a 200 Hz WitMotion inclinometer are emulated on real
pseudo-terminals in a separate process (as real sensors would be) and read by the real
device classes; the real :class:`~clinic_app.ui.acquisition.AcquisitionBridge` feeds the
real live plots (tibial angle, stabilogram, Fz with a 30 s window) on screen together.
Rendering is offscreen when there is no display (the paint work is the same, only not
shown). Prints one JSON object:

view_fps
    Frames painted per second (the Fz plot's paints).
view_latency_p95_ms
    For every plate sample: the end of the first frame that drew it minus the time the
    emulator's ``write()`` of that sample returned (same monotonic clock), 95th percentile.
view_cpu_percent
    This process's CPU time (all threads: device readers, codecs, GUI) / wall time × 100.
view_device_cpu_percent, view_gui_cpu_percent
    The same before the view starts (devices streaming, nothing drawn: 3 s), and the
    difference: what the live view itself costs.
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


def _run(folder: Path, seconds: float) -> dict[str, float]:
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

    from clinic_app.bench.acquisition import PLATE_RATE_HZ, WIT_RATE_HZ, _emulate
    from clinic_app.ui import theme
    from clinic_app.ui.acquisition import AcquisitionBridge
    from clinic_app.ui.live_plots import AnglePlot, ForcePlot, Stabilogram
    from drivers.codecs import witmotion_wire as wire
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
    plate = LinePlateDevice(str(folder / "ttyPLATE"), rate_hz=PLATE_RATE_HZ, capacity_s=60)
    wit = WitMotionDevice(
        str(folder / "ttyWIT"), rate_hz=WIT_RATE_HZ, content=(wire.ACC, wire.ANGLE), capacity_s=60
    )
    registry = DeviceRegistry()
    angle, stabilogram, force = AnglePlot(WIT_RATE_HZ), Stabilogram(), ForcePlot(PLATE_RATE_HZ)
    window = QWidget()
    row = QHBoxLayout(window)
    for plot in (angle, stabilogram, force):
        row.addWidget(plot.widget)
    window.resize(1366, 520)
    window.show()

    frames: list[tuple[float, int]] = []
    newest = [-1]
    original = pg.GraphicsView.paintEvent

    def timed_paint(view: Any, event: Any) -> None:
        original(view, event)
        if view is force.widget:
            frames.append((time.monotonic(), newest[0]))

    pg.GraphicsView.paintEvent = timed_paint  # the bench process only

    def consume(inc: Any, pl: Any, now: float) -> None:
        if inc is not None:
            angle.extend(inc["t_host_s"], inc["tibia_deg"])
        if pl is not None:
            force.extend(pl["t_host_s"], pl["fz_n"])
            stabilogram.extend(pl["cop_x_mm"], pl["cop_y_mm"])
            newest[0] = int(pl["seq"][-1])

    try:
        plate.open()
        wit.open()
        registry.add(plate)
        registry.add(wit)
        plate.start()
        wit.start()
        bridge = AcquisitionBridge(registry)
        bridge.consumers.append(consume)
        marks: dict[str, float] = {}

        def baseline() -> None:
            marks["base_wall"], marks["base_cpu"] = time.monotonic(), time.process_time()
            QTimer.singleShot(3000, begin)

        def begin() -> None:
            marks["device_cpu"] = (time.process_time() - marks["base_cpu"]) / (
                time.monotonic() - marks["base_wall"]
            )
            bridge.start()
            frames.clear()
            marks["wall"], marks["cpu"] = time.monotonic(), time.process_time()
            QTimer.singleShot(int(seconds * 1000), app.quit)

        QTimer.singleShot(2000, baseline)  # warm up: ports open, first samples in
        app.exec()  # the real event loop, as in the application
        wall = time.monotonic() - marks["wall"]
        cpu = time.process_time() - marks["cpu"]
        bridge.stop()
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
    window.close()
    figures = _figures(frames, log, wall, cpu)
    device = 100.0 * marks["device_cpu"]
    figures["view_device_cpu_percent"] = round(device, 1)
    figures["view_gui_cpu_percent"] = round(figures["view_cpu_percent"] - device, 1)
    return figures


def _figures(
    frames: list[tuple[float, int]], log: dict[str, Any], wall: float, cpu: float
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
    return {
        "view_fps": round(len(frames) / wall, 1) if wall else float("nan"),
        "view_latency_p95_ms": (
            round(float(np.percentile(latency_ms, 95)), 2) if latency_ms.size else float("nan")
        ),
        "view_latency_p50_ms": (
            round(float(np.percentile(latency_ms, 50)), 2) if latency_ms.size else float("nan")
        ),
        "view_cpu_percent": round(100.0 * cpu / wall, 1) if wall else float("nan"),
        "view_samples_drawn": float(latency_ms.size),
    }


if __name__ == "__main__":
    sys.exit(main())
