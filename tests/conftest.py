"""Shared test set-up: offscreen Qt, and a private DORSILAB_HOME for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.modal_watchdog import CALL_LIMIT_S, TEARDOWN_LIMIT_S, modal_watchdog

pytest_plugins = ["tests.pg_cluster", "tests.backends"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"

# Child processes (``python -m clinic_app …``) import the code under test.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
)


@pytest.fixture(autouse=True)
def dorsilab_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own data, log and config folders (never the user's)."""
    home = tmp_path_factory.mktemp("dorsilab-home")
    monkeypatch.setenv("DORSILAB_HOME", str(home))
    yield home


def _fail_on_a_stuck_dialog(limit_s: float, what: str) -> Iterator[None]:
    with modal_watchdog(limit_s) as closed:
        yield
    if closed:
        pytest.fail(f"{what}: {', '.join(closed)}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _fail_on_a_stuck_dialog(CALL_LIMIT_S, "a modal dialog stayed open and was closed")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield from _fail_on_a_stuck_dialog(
        TEARDOWN_LIMIT_S, "closing the windows opened a dialog, closed unanswered"
    )
