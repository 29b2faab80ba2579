"""The environment of a bench's child DorsiLab process."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def probe_env(home: Path) -> dict[str, str]:
    """Its own data folder, offscreen Qt when there is no display, and this checkout first
    on the module path (so a bench measures the code it belongs to, installed or not)."""
    env = dict(os.environ)
    env["DORSILAB_HOME"] = str(home)
    if (
        sys.platform.startswith("linux")
        and not env.get("DISPLAY")
        and not env.get("WAYLAND_DISPLAY")
    ):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    repo_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo_root, env.get("PYTHONPATH", "")) if p)
    return env
