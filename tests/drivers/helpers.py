"""Helpers shared by the driver tests over real pseudo-terminals."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import serial


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` every 10 ms until it holds or ``timeout`` seconds pass.

    Returns the condition's last value, so ``assert wait_for(...)`` fails on a timeout.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def assert_contiguous_run(received: np.ndarray, sent: np.ndarray, atol: float = 1e-9) -> None:
    """``received`` equals ``sent[j : j + len(received)]`` for some ``j`` (the scripted ramp
    repeats values, so every place where the first received row occurs is tried)."""
    starts = np.flatnonzero(np.all(np.isclose(sent, received[0], atol=atol), axis=1))
    runs = [sent[j : j + len(received)] for j in starts if j + len(received) <= len(sent)]
    assert any(np.allclose(received, run, atol=atol) for run in runs), (received[:3], sent[:3])


def read_for(port: serial.Serial, seconds: float) -> bytes:
    """Everything the port receives during the next ``seconds``."""
    deadline = time.monotonic() + seconds
    data = b""
    while time.monotonic() < deadline:
        data += port.read(max(1, port.in_waiting))
    return data


def ask(port: serial.Serial, request: bytes, seconds: float = 0.1) -> bytes:
    """Send ``request`` and return what arrives during the next ``seconds``."""
    port.write(request)
    return read_for(port, seconds)


def hx(text: str) -> bytes:
    """Bytes from spaced hex as devices.md writes them (``"55 53 1C F7"``)."""
    return bytes.fromhex(text)


def pieces(data: bytes, sizes: Sequence[int]) -> Iterator[bytes]:
    """``data`` in consecutive reads of ``sizes[0]``, ``sizes[1]`` … bytes, the sizes
    repeating, until all of it has been given."""
    position = 0
    while position < len(data):
        for size in sizes:
            if position >= len(data):
                return
            yield data[position : position + size]
            position += size


def with_insertions(data: bytes, insertions: Sequence[tuple[int, bytes]]) -> bytes:
    """``data`` with each ``(position, piece)`` inserted at ``position`` of the original."""
    for position, piece in sorted(insertions, reverse=True):
        data = data[:position] + piece + data[position:]
    return data
