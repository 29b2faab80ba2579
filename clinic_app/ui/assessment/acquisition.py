"""The acquisition bridge: devices' ring buffers → one 60 Hz timer → protocol and plots.

Devices fill their :class:`drivers.base.RingBuffer` from their own threads. The GUI never
receives a signal per sample: one ``QTimer`` (60 Hz, precise) pulls what is new with
``read_new`` cursors and hands each batch to its consumers (the assessment run, the live
plots) in the GUI thread. Nothing here waits on I/O; the recording is written by the
journal's worker thread (:mod:`clinic_app.protocols.journal`).

The bridge also watches the devices: a device whose state is lost/reconnecting/error, or
that delivered nothing for :data:`STALE_S` while it should stream, is reported to
:attr:`AcquisitionBridge.lost_handlers` with the reason in words (once per loss).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Qt, QTimer

from drivers.base import DeviceState
from drivers.registry import DeviceRegistry, default_registry

log = logging.getLogger(__name__)

SampleArray = npt.NDArray[np.void]
Consumer = Callable[[SampleArray | None, SampleArray | None, float], None]
LostHandler = Callable[[str, str, float], None]

FRAME_MS = 15
"""Timer period (ms): up to 66.7 frames per second. At 16 ms the view was capped at
62.5 fps, 4 % above the 60 fps target, so any late tick under load fell below it (issue 18
§4); a frame costs about 2 ms of the GUI thread, so the extra frames cost ~1 % of a core."""

STALE_S = 1.0
"""A streaming device silent for this long counts as lost (engineering choice)."""

ROLES = {"inclinometer": "inclinometer", "force_plate": "plate"}
"""Registry role → recording device name (``docs/data-model.md``)."""

_BAD_STATES = (DeviceState.LOST, DeviceState.RECONNECTING, DeviceState.ERROR)


class AcquisitionBridge(QObject):
    """Pull new samples once per frame and give them to the consumers.

    Parameters
    ----------
    registry : DeviceRegistry, optional
        Where the active inclinometer and plate are (default: the process-wide one).
    clock : callable, optional
        ``now()`` on the samples' host clock; default the simulated devices' clock when
        they have one, else :func:`time.monotonic`.
    """

    def __init__(
        self,
        registry: DeviceRegistry | None = None,
        clock: Callable[[], float] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.registry = registry or default_registry()
        self._clock = clock
        self.consumers: list[Consumer] = []
        self.lost_handlers: list[LostHandler] = []
        self._cursors: dict[str, tuple[Any, int]] = {}
        self._last_data: dict[str, float] = {}
        self._lost: dict[str, str] = {}
        self.missed_samples = 0
        self.ticks = 0
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.tick)

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        """Start pulling (new samples only: the cursors start at the buffers' ends)."""
        self.resync()
        self.timer.start()

    def stop(self) -> None:
        """Stop the timer (the devices keep streaming)."""
        self.timer.stop()

    def resync(self) -> None:
        """Skip whatever is in the buffers now; follow the registry's current devices."""
        self._cursors = {}
        for role, name in ROLES.items():
            device = self.registry.get(role)
            if device is not None:
                self._cursors[name] = (device, device.buffer.total)
                self._last_data[name] = self.now()

    def now(self) -> float:
        """Current time on the samples' clock (s)."""
        if self._clock is not None:
            return self._clock()
        for device, _ in self._cursors.values():
            clock = getattr(device, "clock", None)
            if clock is not None:
                return float(clock.now())
        return time.monotonic()

    def device(self, name: str) -> Any:
        """The active device for ``"inclinometer"`` or ``"plate"`` (None when absent)."""
        entry = self._cursors.get(name)
        return entry[0] if entry else None

    # ------------------------------------------------------------------ the frame
    def tick(self) -> None:
        """Pull, hand out, watch the devices (the timer's slot; tests call it directly)."""
        self.ticks += 1
        self._follow_registry()
        now = self.now()
        batches: dict[str, SampleArray | None] = {"inclinometer": None, "plate": None}
        for name, (device, cursor) in list(self._cursors.items()):
            samples, cursor, missed = device.buffer.read_new(cursor)
            self._cursors[name] = (device, cursor)
            self.missed_samples += missed
            if len(samples):
                batches[name] = samples
                self._last_data[name] = now
            self._watch(name, device, now)
        for consumer in self.consumers:
            consumer(batches["inclinometer"], batches["plate"], now)

    def _follow_registry(self) -> None:
        for role, name in ROLES.items():
            device = self.registry.get(role)
            current = self._cursors.get(name)
            if device is None:
                self._cursors.pop(name, None)
            elif current is None or current[0] is not device:
                self._cursors[name] = (device, device.buffer.total)
                self._last_data[name] = self.now()

    def _watch(self, name: str, device: Any, now: float) -> None:
        state = device.state
        reason = ""
        if state in _BAD_STATES:
            reason = device.last_error or state.describe()
        elif state is DeviceState.STREAMING and now - self._last_data.get(name, now) > STALE_S:
            reason = f"no samples for {now - self._last_data[name]:.1f} s"
        if not reason:
            self._lost.pop(name, None)
            return
        if name not in self._lost:
            self._lost[name] = reason
            log.warning("device lost: %s (%s)", name, state.value)
            for handler in self.lost_handlers:
                handler(name, reason, now)
