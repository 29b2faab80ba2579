"""A test that leaves a modal dialog open fails instead of hanging the run.

A modal dialog runs its own Qt event loop. While it waits for a click that never comes,
no Python code runs, so pytest-timeout's alarm handler never gets its turn and the whole
run would hang (in CI, up to its time limit). A Qt timer does fire inside that loop: it
closes a modal dialog that stays open longer than a person-free test needs, and the test
fails with the dialog's title.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CALL_LIMIT_S = 30.0
"""A modal dialog open this long during a test is stuck (tests answer theirs at once)."""

TEARDOWN_LIMIT_S = 5.0
"""Closing windows after a test must never wait for an answer."""


@contextmanager
def modal_watchdog(limit_s: float) -> Iterator[list[str]]:
    """Close modal dialogs open longer than ``limit_s``; yield the titles of those closed."""
    closed: list[str] = []
    widgets = sys.modules.get("PySide6.QtWidgets")
    app = widgets.QApplication.instance() if widgets is not None else None
    if app is None:  # no Qt in this test: nothing can be modal
        yield closed
        return
    from PySide6.QtCore import QTimer

    seen: dict[int, float] = {}

    def check() -> None:
        modal: Any = widgets.QApplication.activeModalWidget()
        if modal is None:
            seen.clear()
            return
        first = seen.setdefault(id(modal), time.monotonic())
        if time.monotonic() - first >= limit_s:
            closed.append(modal.windowTitle() or type(modal).__name__)
            seen.pop(id(modal), None)
            reject = getattr(modal, "reject", None)
            (reject or modal.close)()

    timer = QTimer()
    timer.setInterval(250)
    timer.timeout.connect(check)
    timer.start()
    try:
        yield closed
    finally:
        timer.stop()
