"""A private X server with a window manager, for tests that need real window placement.

Xvfb picks a free display itself (``-displayfd``) and openbox manages the windows, so
title bars, maximising and the screen's free area are those of a real desktop. CI
installs both (``.ci/run``); elsewhere the tests that need them skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

START_LIMIT_S = 15.0
"""How long Xvfb may take to announce its display (s)."""

NEEDED = ("Xvfb", "openbox")


def require_x_tools() -> None:
    """Skip (fail on CI, which must have them) when Xvfb or openbox is missing."""
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if not missing:
        return
    message = f"needs {' and '.join(missing)} (apt-get install xvfb openbox)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide the X tools: {message}")
    pytest.skip(message)


@contextmanager
def x_display(width: int, height: int) -> Iterator[str]:
    """Run Xvfb (``width``×``height``, 24-bit) and openbox; yield the ``DISPLAY`` value."""
    require_x_tools()
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    manager: subprocess.Popen[bytes] | None = None
    try:
        number = _read_display(read_end)
        display = f":{number}"
        manager = subprocess.Popen(
            ["openbox", "--sm-disable"],
            env=dict(os.environ, DISPLAY=display),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)  # openbox takes the screen before the first window maps
        yield display
    finally:
        os.close(read_end)
        for process in (manager, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


def _read_display(fd: int) -> str:
    deadline = time.monotonic() + START_LIMIT_S
    text = b""
    while not text.endswith(b"\n"):
        if time.monotonic() > deadline:
            raise RuntimeError("Xvfb did not start")
        chunk = os.read(fd, 16)
        if not chunk:
            raise RuntimeError("Xvfb exited before announcing its display")
        text += chunk
    return text.decode().strip()
