"""The window comes back where and as large as it was, on a 1920×1080 X display.

Issue 14 saw it come back at 1184×510 after a session in which the plan page had grown
the window past the screen (fixed by the page stack, see tests/ui/test_fit.py); this
checks, under a real window manager, that a maximised and a placed window return as
they were left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.ui.x_server import x_display


@pytest.mark.slow
def test_the_window_comes_back_as_it_was_left_at_1920x1080(tmp_path: Path) -> None:
    with x_display(1920, 1080) as display:
        for mode in ("maximised", "normal"):
            home = tmp_path / mode
            env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", DORSILAB_HOME=str(home))
            done = subprocess.run(
                [sys.executable, "-m", "tests.ui.geometry_child", mode],
                cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr[-2000:]
            seen = json.loads(done.stdout)
            assert seen["after"] == seen["before"], mode
            assert seen["maximised"] == (mode == "maximised")
            if mode == "maximised":
                assert seen["after"][2] == 1920 and seen["after"][3] > 1000


def _child(display: str, home: Path, mode: str) -> dict[str, object]:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", DORSILAB_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.geometry_child", mode],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seen: dict[str, object] = json.loads(done.stdout)
    return seen


@pytest.mark.slow
def test_a_window_left_large_comes_back_inside_a_smaller_screen(tmp_path: Path) -> None:
    """Left at 1500×900 on a 1920×1080 desktop, reopened on a 1366×768 laptop: on screen."""
    with x_display(1920, 1080) as display:
        left = _child(display, tmp_path, "normal")
    assert left["after"][2:] == [1500, 900]  # type: ignore[index]
    with x_display(1366, 768) as display:
        seen = _child(display, tmp_path, "reopen")
    assert seen["inside"], seen
