"""Clinic settings stored in the database (JSON values), with defaults.

Known keys (:data:`DEFAULT_SETTINGS`): ``clinic_name``, ``clinic_address``,
``logo_path``, ``report_header``, ``units`` (``"metric"`` or ``"imperial"``),
``examiner_name``, ``paper_size`` (``"A4"`` or ``"Letter"``), ``idle_lock_minutes`` (a
signed-in window locks after this long without use; 0 never) and ``thresholds``
(``{threshold_id: value}`` overrides of the editable [U] clinic defaults of
``reference/clinical.md``). Other keys may be stored too (any JSON value).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from clinic_app.storage._base import StoreBase
from clinic_app.storage._util import from_json, to_json

log = logging.getLogger(__name__)

DEFAULT_SETTINGS: dict[str, Any] = {
    "clinic_name": "",
    "clinic_address": "",
    "logo_path": "",
    "report_header": "",
    "units": "metric",
    "examiner_name": "",
    "paper_size": "A4",
    "thresholds": {},
    "idle_lock_minutes": 10,
}
"""Value of each known setting until the clinic sets it."""

MAX_IDLE_LOCK = 240
"""Longest idle lock, in minutes (a workstation left four hours is left)."""

_ALLOWED = {"units": ("metric", "imperial"), "paper_size": ("A4", "Letter")}
_TEXT_KEYS = ("clinic_name", "clinic_address", "logo_path", "report_header", "examiner_name")


def check_setting(key: str, value: Any) -> None:
    """Raise ValueError (in words) if ``value`` is not acceptable for ``key``."""
    if not key or len(key) > 100:
        raise ValueError("A setting needs a name of 1 to 100 characters.")
    if key in _ALLOWED and value not in _ALLOWED[key]:
        raise ValueError(f"Setting '{key}' must be one of: {', '.join(_ALLOWED[key])}.")
    if key in _TEXT_KEYS and not isinstance(value, str):
        raise ValueError(f"Setting '{key}' must be text.")
    if key == "thresholds" and not (
        isinstance(value, dict)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values())
    ):
        raise ValueError("Setting 'thresholds' must map threshold names to numbers.")
    if key == "idle_lock_minutes" and not (
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_IDLE_LOCK
    ):
        raise ValueError(
            f"Setting 'idle_lock_minutes' must be a whole number of minutes, 0 to {MAX_IDLE_LOCK}."
        )
    to_json(value)  # raises ValueError/TypeError for values JSON cannot hold


class SettingsStore(StoreBase):
    """Settings methods of :class:`~clinic_app.storage.Database`."""

    def get_setting(self, key: str, default: Any = None) -> Any:
        """The stored value of ``key``; else ``default``; else the built-in default."""
        row = self._row("SELECT value FROM settings WHERE key = :key", {"key": key})
        if row is not None:
            return from_json(row["value"])
        if default is not None:
            return default
        return copy.deepcopy(DEFAULT_SETTINGS.get(key))

    def set_setting(self, key: str, value: Any) -> None:
        """Store a setting (audited by key name; the value is not copied to the audit log).

        Raises
        ------
        ValueError
            If the value is not acceptable for a known key or is not JSON.
        """
        check_setting(key, value)
        self.require("settings")
        text = to_json(value)
        with self.transaction():
            old = self._row("SELECT value FROM settings WHERE key = :key", {"key": key})
            if old is not None and old["value"] == text:
                return
            self._execute(
                "INSERT INTO settings (key, value) VALUES (:key, :value) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                {"key": key, "value": text},
            )
            action = "create" if old is None else "update"
            self.record_audit(action, "settings", None, {"fields": [key]})
        log.info("setting %s saved", key)

    @property
    def examiner_default(self) -> str:
        """The examiner a new visit starts with: who signed in, else the clinic's setting."""
        return self.signed_in or str(self.get_setting("examiner_name", "") or "")

    def all_settings(self) -> dict[str, Any]:
        """Every setting: the built-in defaults overlaid with the stored values."""
        values = copy.deepcopy(DEFAULT_SETTINGS)
        for row in self._rows("SELECT key, value FROM settings ORDER BY key"):
            values[row["key"]] = from_json(row["value"])
        return values
