"""The real app under a real X server and window manager, 1366×740 and 1920×1050: nothing
off-screen, nothing cut.

:mod:`tests.ui.fit_child` opens every page (patient, plan and handout, history, report,
devices, results, assessment setup, live lunge and balance) and every dialog (new patient
empty and with five errors, edit patient, settings, about, devices, connect a device, a
confirmation) of the demo app, the way a clinician would, and reports where each window
is and what is cut. The window must stay inside the screen's free area on every one.
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

CHILD_LIMIT_S = 240


def _walk(display: str, home: Path) -> list[dict[str, object]]:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", DORSILAB_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.fit_child"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_LIMIT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    screens: list[dict[str, object]] = json.loads(done.stdout)["screens"]
    return screens


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height"), [(1366, 740), (1920, 1050)])
def test_every_page_and_dialog_stays_on_the_screen(
    tmp_path: Path, width: int, height: int
) -> None:
    with x_display(width, height) as display:
        screens = _walk(display, tmp_path)
    names = {str(s["name"]) for s in screens}
    assert {"plan", "plan_preview", "results", "assessment_lunge", "new_patient_errors",
            "settings", "devices"} <= names  # fmt: skip
    outside = [s["outside"] for s in screens if s["outside"]]
    assert outside == []
    cut = [
        f"{s['name']}: {p}"
        for s in screens
        for p in s["problems"]  # type: ignore[attr-defined]
    ]
    assert cut == []
    main = [s for s in screens if not str(s["name"]).startswith(("new_", "edit_"))]
    first = main[0]["frame"]
    assert all(s["frame"] == first for s in main if s["name"] in ("patient", "plan")), (
        "the window changed size between pages"
    )
