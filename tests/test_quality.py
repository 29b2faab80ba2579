"""The code-quality gates run as part of the test suite: ruff, mypy, import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _tool(name: str) -> list[str]:
    # Prefer the tool installed beside this interpreter (the venv), then PATH.
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extra: pip install '.[test]'")
    return [found]


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.timeout(300)
def test_ruff_lint_is_clean() -> None:
    result = _run([*_tool("ruff"), "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_ruff_format_is_clean() -> None:
    result = _run([*_tool("ruff"), "format", "--check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(600)
def test_mypy_is_clean() -> None:
    result = _run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_import_layers_hold() -> None:
    result = _run([*_tool("lint-imports")])
    assert result.returncode == 0, result.stdout + result.stderr
