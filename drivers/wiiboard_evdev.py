"""Linux evdev access for the Wii Balance Board (the optional ``evdev`` package, lazily).

Kept apart from :mod:`drivers.wiiboard` so that decoding and the device logic import and test
without evdev; only opening a real board needs it (``pip install dorsilab[wii]``, Linux).
"""

from __future__ import annotations

import select

from drivers.base import DeviceError, PortNotFoundError
from drivers.wiiboard_source import BOARD_NAME, Event, EventSource


class EvdevSource:
    """A real input device through python-evdev (imported here, lazily)."""

    def __init__(self, path: str) -> None:
        try:
            import evdev  # optional dependency, imported only when used
        except ImportError as exc:
            raise DeviceError(
                "Wii Balance Board support needs the optional 'evdev' package "
                "(pip install dorsilab[wii]); it works on Linux only."
            ) from exc
        try:
            self._dev = evdev.InputDevice(path)
        except FileNotFoundError as exc:
            raise PortNotFoundError(f"No input device at {path}.") from exc
        except PermissionError as exc:
            raise DeviceError(
                f"No permission to read {path}. Add your user to the 'input' group."
            ) from exc
        self.name = str(self._dev.name)
        self.path = path
        self.uniq = str(self._dev.uniq or "")

    def read(self, timeout_s: float) -> list[Event]:
        """Events within ``timeout_s``; raises OSError when the board disconnected."""
        ready, _, _ = select.select([self._dev.fd], [], [], timeout_s)
        if not ready:
            return []
        try:
            return [(e.type, e.code, e.value, e.timestamp()) for e in self._dev.read()]
        except BlockingIOError:
            return []

    def close(self) -> None:
        """Close the device file."""
        self._dev.close()


def find_balance_boards() -> list[str]:
    """Paths (``/dev/input/event*``) of connected balance boards ([] without evdev)."""
    try:
        import evdev  # optional dependency, imported only when used
    except ImportError:
        return []
    found = []
    for path in evdev.list_devices():
        try:
            dev = evdev.InputDevice(path)
        except OSError:
            continue
        try:
            if dev.name == BOARD_NAME:
                found.append(path)
        finally:
            dev.close()
    return found


def default_source() -> EventSource:
    """Open the first connected balance board.

    Raises
    ------
    PortNotFoundError
        When no board is connected (with what to do about it).
    """
    paths = find_balance_boards()
    if not paths:
        raise PortNotFoundError(
            "No Wii Balance Board found. Pair it over Bluetooth (press the red button in the "
            "battery compartment), then try again."
        )
    return EvdevSource(paths[0])
