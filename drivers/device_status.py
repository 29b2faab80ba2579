"""State, identity and state listeners shared by every device implementation.

:class:`DeviceStatus` holds what the :class:`drivers.base.Device` protocol reports besides
samples - :attr:`~DeviceStatus.state`, :attr:`~DeviceStatus.info`,
:attr:`~DeviceStatus.last_error`, :attr:`~DeviceStatus.lost_samples` - and calls the
listeners registered with :meth:`~DeviceStatus.add_state_listener` on every change, with
a message in words; the message of a LOST or ERROR state becomes the last error. It also
offers :meth:`~DeviceStatus.open_async` for callers (the GUI) that must not wait while a
device is identified and configured. The serial devices, the simulated devices and the Wii
Balance Board all build on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from drivers.base import DeviceError, DeviceInfo, DeviceState, StateListener

log = logging.getLogger(__name__)


class DeviceStatus:
    """Base class: state, info, last error, lost samples and state listeners.

    Parameters
    ----------
    info : DeviceInfo
        The initial identity (kind, protocol, port).
    """

    def __init__(self, info: DeviceInfo) -> None:
        self._info = info
        self._state = DeviceState.DISCONNECTED
        self._last_error = ""
        self._lost_samples = 0
        self._listeners: list[StateListener] = []
        self._state_lock = threading.RLock()

    @property
    def state(self) -> DeviceState:
        """Current connection state."""
        return self._state

    @property
    def info(self) -> DeviceInfo:
        """Identity and configuration (updated by identification)."""
        return self._info

    @property
    def last_error(self) -> str:
        """The last problem in words ("" when none)."""
        return self._last_error

    @property
    def lost_samples(self) -> int:
        """Samples known to be lost (sequence gaps, poll timeouts)."""
        return self._lost_samples

    def add_state_listener(self, listener: StateListener) -> None:
        """Register ``listener(state, message)``; called from the device's threads."""
        self._listeners.append(listener)

    def open(self) -> None:
        """Open the device (subclasses)."""
        raise NotImplementedError

    def open_async(
        self, done: Callable[[DeviceError | None], None] | None = None
    ) -> threading.Thread:
        """:meth:`open` in a background thread, for callers that must not wait (the GUI).

        Progress arrives through the state listeners; ``done(error_or_None)`` is called
        from that thread when opening finished.
        """

        def run() -> None:
            error: DeviceError | None = None
            try:
                self.open()
            except DeviceError as exc:
                error = exc
            if done is not None:
                done(error)

        thread = threading.Thread(target=run, name=f"open-{self._info.port}", daemon=True)
        thread.start()
        return thread

    def _update_info(self, **changes: Any) -> None:
        self._info = replace(self._info, **changes)

    def _add_lost(self, count: int) -> None:
        if count > 0:
            self._lost_samples += count

    def _fail(self, message: str) -> None:
        self._set_state(DeviceState.ERROR, message)

    def _set_state(self, state: DeviceState, message: str) -> None:
        with self._state_lock:
            self._state = state
            if state in (DeviceState.LOST, DeviceState.ERROR):
                self._last_error = message
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(state, message)
            except Exception:
                log.exception("device state listener failed")
