"""Bench figures of the 'shutdown' group: SIGTERM in the middle of a visit (issue 18 §5).

Each run starts the real demo app in a child process (``python -m
clinic_app.ui.shutdown_probe --stored 1 --question``: the same ``clinic-app --demo`` start
with a scripted clinician, see :mod:`clinic_app.ui.shutdown_probe`), waits until one lunge
is stored, the next one has recorded samples in the database and the question "Stop the
trial in progress and leave this screen?" is open unanswered, then sends SIGTERM and waits
for the process to end. Every run has its own data folder and database.

shutdown_sigterm_ms
    Median over 3 runs of the milliseconds from ``kill(SIGTERM)`` to the end of the
    process, as its parent sees it (target ≤ 2,000 ms). NaN if a run did not end.
shutdown_sigterm_max_ms
    The slowest of those runs.
shutdown_not_exited
    Runs still alive :data:`ALIVE_LIMIT_S` after the signal (then killed); 0 expected.

Needs POSIX signals: on Windows the group reports nothing.
"""

from __future__ import annotations

import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from clinic_app.bench.child_env import probe_env

PROBE = "clinic_app.ui.shutdown_probe"
RUNS = 3
ALIVE_LIMIT_S = 10.0
"""A run still alive this long after SIGTERM counts as not exited (s)."""
READY_LIMIT_S = 180.0
"""Longest wait for the visit to reach a trial in progress (real time, s)."""


def measure(quick: bool) -> dict[str, float]:
    """SIGTERM-to-exit time mid-visit, median of :data:`RUNS` (``quick`` changes nothing)."""
    del quick  # three real-time visits are already the shortest honest median
    if not hasattr(signal, "SIGKILL") or getattr(sys, "frozen", False):
        return {}
    times: list[float] = []
    not_exited = 0
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="dorsilab-bench-shutdown-") as tmp:
            elapsed = sigterm_mid_visit(Path(tmp))
        if elapsed is None:
            not_exited += 1
        else:
            times.append(elapsed)
    if not_exited:
        return {
            "shutdown_sigterm_ms": float("nan"),
            "shutdown_sigterm_max_ms": float("nan"),
            "shutdown_not_exited": float(not_exited),
        }
    return {
        "shutdown_sigterm_ms": round(statistics.median(times), 1),
        "shutdown_sigterm_max_ms": round(max(times), 1),
        "shutdown_not_exited": 0.0,
    }


def sigterm_mid_visit(folder: Path) -> float | None:
    """One run: milliseconds from SIGTERM to the child's end, None if it did not end."""
    home = folder / "home"
    home.mkdir()
    with open(folder / "stderr.txt", "w", encoding="utf-8") as errors:
        db = str(folder / "demo.sqlite3")
        child = subprocess.Popen(
            [sys.executable, "-m", PROBE, "--db", db, "--stored", "1", "--question"],
            env=probe_env(home),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            wait_for_line(child, "question", READY_LIMIT_S, folder / "stderr.txt")
            return ms_to_exit(child, signal.SIGTERM, ALIVE_LIMIT_S)
        finally:
            reap(child)


def reap(child: subprocess.Popen[str]) -> None:
    """Kill ``child`` if it still runs, wait for it and close its output pipe."""
    if child.poll() is None:
        child.kill()
    child.wait()
    if child.stdout is not None:
        child.stdout.close()


def wait_for_line(
    child: subprocess.Popen[str], word: str, limit_s: float, stderr_file: Path | None = None
) -> list[str]:
    """Read the child's lines until one starts with ``word``; returns the lines read.

    Raises
    ------
    RuntimeError
        If the child ends, or ``limit_s`` passes, first (with the end of its stderr).
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=read, name="probe-stdout", daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + limit_s
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            tail = stderr_file.read_text(errors="replace")[-600:] if stderr_file else ""
            raise RuntimeError(f"the shutdown probe never showed '{word}' ({seen}): {tail}")
        seen.append(line)
        if line.split(" ")[0] == word:
            return seen


def ms_to_exit(child: subprocess.Popen[str], signum: int, limit_s: float) -> float | None:
    """Send ``signum``; milliseconds until the child has ended (None after ``limit_s``).

    The end is taken when a blocking ``waitpid`` returns in a thread, not by polling.
    """
    ended: list[float] = []

    def wait() -> None:
        child.wait()
        ended.append(time.perf_counter())

    waiter = threading.Thread(target=wait, name="probe-wait", daemon=True)
    waiter.start()
    sent = time.perf_counter()
    os.kill(child.pid, signum)
    waiter.join(limit_s)
    if not ended:
        return None
    return (ended[0] - sent) * 1000.0
