"""``clinic-app bench --load N``: busy processes beside the bench, always stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clinic_app.bench.load import busy_processes


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_busy_processes_spin_and_are_stopped() -> None:
    with busy_processes(2) as processes:
        assert len(processes) == 2 and all(p.is_alive() for p in processes)
        before = [_cpu_seconds(p.pid) for p in processes]
        time.sleep(0.5)
        used = [_cpu_seconds(p.pid) - b for p, b in zip(processes, before)]
    assert all(u > 0.05 for u in used), used  # really busy, not sleeping
    assert all(not p.is_alive() for p in processes)


def test_busy_processes_are_stopped_on_an_error() -> None:
    with pytest.raises(RuntimeError), busy_processes(1) as processes:
        raise RuntimeError("a bench group failed")
    assert not processes[0].is_alive()


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"), busy_processes(-1):
        pass


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX parent/child semantics")
def test_busy_process_exits_when_its_parent_dies() -> None:
    script = (
        "import os, sys\n"
        "from clinic_app.bench.load import busy_processes\n"
        "with busy_processes(1) as p:\n"
        "    print(p[0].pid, flush=True)\n"
        "    os._exit(0)\n"  # killed hard: no clean-up runs
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert _gone(int(result.stdout.strip()), within_s=10.0)


def test_cli_load_option_reports_and_stops_the_processes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clinic_app", "bench", "--only", "sway", "--quick", "--json",
         "--load", "1"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    figures = json.loads(result.stdout)
    assert figures["bench_load_processes"] == 1.0
    assert "bench_loadavg_1min" in figures


def test_cli_load_must_be_a_count() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clinic_app", "bench", "--load", "-2"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "0 or more" in result.stderr and "Traceback" not in result.stderr
