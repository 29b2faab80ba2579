"""The one set of active devices shared by the main window, the assessment screens and the CLI.

A :class:`DeviceRegistry` holds at most one active inclinometer and one active force plate
(real, simulated or emulated: anything that follows :class:`drivers.base.Device`). Screens
read the devices from it instead of opening their own, and subscribe with
:meth:`DeviceRegistry.add_listener` to hear when a device is added or removed. It is plain
Python (no Qt): listeners run in the thread that changed the registry, and UI code polls
device state on its own timer.

Quiet when idle: streaming costs CPU (two devices at 1 kHz and 200 Hz take about a quarter
of a core), so the registry pauses its devices while no screen needs their data. Screens
that do (the assessment, the Devices page, the calibration wizard) say so with
:meth:`DeviceRegistry.set_needed`; when the last of them lets go every device is paused
(:meth:`drivers.base.Device.pause`: loss detection keeps running), and the first one to ask
resumes them at once. Only once a window has called :meth:`DeviceRegistry.manage` does this
apply: the command line, tests and benchmarks that never do keep their devices streaming.

:func:`default_registry` returns the process-wide instance; :func:`active_devices` is the
module-level accessor the device strip uses (``[(label, device), …]``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from drivers.base import Device, DeviceKind

log = logging.getLogger(__name__)

Role = Literal["inclinometer", "force_plate"]
ROLES: tuple[Role, ...] = ("inclinometer", "force_plate")
ROLE_LABELS: dict[str, str] = {"inclinometer": "Inclinometer", "force_plate": "Force plate"}

RegistryListener = Callable[[str, "Device | None"], None]
"""Called with the role and the new device (None when the role was emptied)."""


class DeviceRegistry:
    """The active inclinometer and force plate, with change listeners.

    Adding a device to a role that already has one replaces it (the old one is returned, not
    closed: its owner decides). Thread-safe.
    """

    def __init__(self) -> None:
        self._devices: dict[str, Device] = {}
        self._listeners: list[RegistryListener] = []
        self._lock = threading.RLock()
        self._managers: set[str] = set()
        self._needed: set[str] = set()

    @staticmethod
    def role_of(device: Device) -> Role:
        """The role a device fills, from its :class:`~drivers.base.DeviceKind`."""
        return "inclinometer" if device.kind is DeviceKind.INCLINOMETER else "force_plate"

    def add(self, device: Device) -> Device | None:
        """Make ``device`` the active one of its kind; returns the device it replaced."""
        role = self.role_of(device)
        with self._lock:
            old = self._devices.get(role)
            if old is device:
                return None
            self._devices[role] = device
            quiet = not self.streaming_wanted
        if quiet:
            _pause(device)
        self._notify(role, device)
        return old

    def remove(self, device_or_role: Device | str) -> Device | None:
        """Remove a device (or whatever fills a role); returns it, or None if absent."""
        with self._lock:
            if isinstance(device_or_role, str):
                role = device_or_role
            else:
                role = self.role_of(device_or_role)
                if self._devices.get(role) is not device_or_role:
                    return None
            old = self._devices.pop(role, None)
        if old is not None:
            _resume(old)  # its new owner decides; it is no longer paused on our behalf
            self._notify(role, None)
        return old

    def clear(self) -> list[Device]:
        """Remove every device; returns them (nothing is closed)."""
        removed = []
        for role in ROLES:
            old = self.remove(role)
            if old is not None:
                removed.append(old)
        return removed

    def close_all(self) -> None:
        """Close and remove every device (at application exit)."""
        for device in self.clear():
            try:
                device.close()
            except Exception:  # closing must never stop the others from closing
                log.exception("closing %s failed", device.info.protocol)

    # ------------------------------------------------------------------ quiet when idle
    @property
    def streaming_wanted(self) -> bool:
        """Whether devices should stream now (always, unless managed and nobody needs them)."""
        with self._lock:
            return not self._managers or bool(self._needed)

    def manage(self, owner: str, managed: bool = True) -> None:
        """Start (or stop) pausing idle devices on behalf of ``owner`` (a main window)."""
        self._change(self._managers, owner, managed)

    def set_needed(self, owner: str, needed: bool) -> None:
        """Say whether ``owner`` (a screen, a dialog) needs live samples now."""
        self._change(self._needed, owner, needed)

    def _change(self, owners: set[str], owner: str, present: bool) -> None:
        with self._lock:
            before = self.streaming_wanted
            if present:
                owners.add(owner)
            else:
                owners.discard(owner)
            after = self.streaming_wanted
            devices = list(self._devices.values())
        if before == after:
            return
        log.info("devices %s", "resumed" if after else "paused: no screen needs their data")
        for device in devices:
            (_resume if after else _pause)(device)

    @property
    def inclinometer(self) -> Device | None:
        """The active inclinometer, or None."""
        return self._devices.get("inclinometer")

    @property
    def plate(self) -> Device | None:
        """The active force plate, or None."""
        return self._devices.get("force_plate")

    def get(self, role: str) -> Device | None:
        """The device in ``role`` (``"inclinometer"`` or ``"force_plate"``), or None."""
        return self._devices.get(role)

    def devices(self) -> list[tuple[str, Device]]:
        """``[(label, device), …]`` in a stable order (inclinometer first)."""
        with self._lock:
            return [(ROLE_LABELS[r], self._devices[r]) for r in ROLES if r in self._devices]

    def add_listener(self, listener: RegistryListener) -> None:
        """Call ``listener(role, device_or_None)`` after every change."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: RegistryListener) -> None:
        """Stop calling ``listener`` (no error when unknown)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self, role: str, device: Device | None) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(role, device)
            except Exception:  # one broken screen must not break the others
                log.exception("device registry listener failed")


def _pause(device: Device) -> None:
    try:
        device.pause()
    except Exception:  # one device must not keep the others streaming
        log.exception("pausing %s failed", device.info.protocol)


def _resume(device: Device) -> None:
    try:
        device.resume()
    except Exception:
        log.exception("resuming %s failed", device.info.protocol)


_default: DeviceRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> DeviceRegistry:
    """The process-wide registry (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DeviceRegistry()
        return _default


def active_devices() -> list[tuple[str, Device]]:
    """``[(label, device), …]`` of the process-wide registry (used by the device strip)."""
    return default_registry().devices()
