"""Where a Wii Balance Board's input events come from: the interface and its event type.

Shared by :mod:`drivers.wiiboard` (decoding and the device) and
:mod:`drivers.wiiboard_evdev` (the real evdev source), so neither imports the other's
module at load time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

BOARD_NAME = "Nintendo Wii Remote Balance Board"
"""The input device name the kernel's ``hid-wiimote`` driver gives the board."""

Event = tuple[int, int, int, float]
"""(type, code, value, kernel time in seconds) of one input event."""


class EventSource(Protocol):
    """Where input events come from (a real evdev device, or a fake one in tests)."""

    name: str
    path: str
    uniq: str

    def read(self, timeout_s: float) -> list[Event]:
        """Events available within ``timeout_s`` ([] on timeout). Raises OSError when gone."""

    def close(self) -> None:
        """Release the device."""


SourceFactory = Callable[[], EventSource]
"""Opens an :class:`EventSource` (raises :class:`~drivers.base.DeviceError` when it cannot)."""
