"""Bench figures of the 'view' group: the live plots on real ptys, in a child process.

``python -m clinic_app.ui.assessment.bench`` (Qt lives there; this package stays Qt-free)
streams a 1 kHz line-protocol plate and a 200 Hz WitMotion inclinometer from pty emulators
into the real acquisition bridge, then draws for 30 s each (10 s with ``quick``): the real
live page on its balance screen (Fz and stabilogram: ``view_*``), and the three live plots
fed at once (``view_all_plots_*``), offscreen when there is no display. See that module
for the definitions of ``view_fps``, ``view_latency_p95_ms`` and ``view_cpu_percent``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys


def measure(quick: bool) -> dict[str, float]:
    """Run the live-view benchmark in a child process and return its figures."""
    if not hasattr(os, "openpty") or getattr(sys, "frozen", False):
        return {}
    seconds = 10.0 if quick else 30.0
    proc = subprocess.run(
        [sys.executable, "-m", "clinic_app.ui.assessment.bench", "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        timeout=2 * seconds + 120,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the live-view benchmark failed: {tail[0]}")
    figures: dict[str, float] = {k: float(v) for k, v in json.loads(lines[-1]).items()}
    return figures
