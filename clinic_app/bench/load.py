"""Busy processes beside the bench (``clinic-app bench --load N``), issue 18 §4.

A clinic PC is rarely idle: an antivirus scan, a browser, a video call. ``--load N`` starts
N processes that each keep one core busy in pure Python for the whole run, so that the
figures show the margins left under that load. They are started before the first group
and always stopped after the last one, also on an error or Ctrl+C; should this process die
without stopping them, each one notices that its parent changed and exits.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SPIN_CHECK_EVERY = 200_000
"""Loop iterations between two checks that the parent is still alive (a few ms)."""


def spin(parent_pid: int) -> None:
    """Keep one core busy until the parent process is gone (run in a child process)."""
    while os.getppid() == parent_pid:
        for _ in range(SPIN_CHECK_EVERY):
            pass


@contextmanager
def busy_processes(count: int) -> Iterator[list[Any]]:
    """Run ``count`` :func:`spin` processes for the duration of the ``with`` block.

    Parameters
    ----------
    count : int
        Number of processes, each busy on one core (0: none).

    Yields
    ------
    list of multiprocessing.Process
        The running processes.
    """
    if count < 0:
        raise ValueError("the number of busy processes cannot be negative")
    context = multiprocessing.get_context("spawn")
    processes: list[Any] = []
    try:
        for _ in range(count):
            process = context.Process(target=spin, args=(os.getpid(),), daemon=True)
            process.start()
            processes.append(process)
        yield processes
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.join(5)


def load_average() -> float:
    """The 1-minute load average (NaN where the system has none, i.e. Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")
