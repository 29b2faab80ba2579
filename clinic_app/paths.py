"""Where DorsiLab keeps its files: database, backups, logs, settings, bundled resources.

Every location comes from :mod:`platformdirs` unless ``DORSILAB_HOME`` is set, in which
case everything lives below that one folder (tests, the selftest and portable installs
use it so that nothing touches the clinic's real data).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "DorsiLab"
APP_AUTHOR = "DorsiLab"


def _home_override() -> Path | None:
    value = os.environ.get("DORSILAB_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Folder for the databases and backups (created on demand, mode 0700)."""
    override = _home_override()
    path = (
        override / "data" if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    )
    return _ensure(path)


def log_dir() -> Path:
    """Folder for the rotating log files (created on demand, mode 0700)."""
    override = _home_override()
    path = override / "logs" if override else Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
    return _ensure(path)


def config_dir() -> Path:
    """Folder for per-user configuration such as device calibrations (mode 0700)."""
    override = _home_override()
    path = (
        override / "config"
        if override
        else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    )
    return _ensure(path)


def default_db_path(demo: bool = False) -> Path:
    """The clinic database, or the separate demo database when ``demo`` is true."""
    return data_dir() / ("dorsilab-demo.sqlite3" if demo else "dorsilab.sqlite3")


def backup_dir(db_path: Path) -> Path:
    """Backups of ``db_path`` live in a ``backups`` folder beside it."""
    return _ensure(db_path.parent / "backups")


def resources_dir() -> Path:
    """The bundled ``resources`` folder (norms, exercises, illustrations, icons, fonts).

    Found beside this module in a source checkout and in a wheel install, and under
    ``sys._MEIPASS`` in a PyInstaller bundle.
    """
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        candidate = Path(frozen_root) / "clinic_app" / "resources"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parent / "resources"


def resource(*parts: str) -> Path:
    """Path of one bundled resource, e.g. ``resource("norms.toml")``.

    Raises
    ------
    FileNotFoundError
        If the resource is missing, naming the path that was looked for.
    """
    path = resources_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"DorsiLab resource missing: {path}")
    return path


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
