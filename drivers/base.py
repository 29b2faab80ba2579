"""Sample types, the Device interface, the ring buffer and device errors.

Conventions
-----------
Time
    ``t_host_s`` is :func:`time.monotonic` (seconds) taken when the bytes were read from
    the transport. ``seq`` is the device's sequence number (``-1`` where the protocol has
    none); ``t_dev_s`` the device clock in seconds (NaN where the protocol has none).
Inclinometer angles
    Degrees, as the device reports them (X, Y, Z; NaN where an axis does not exist).
    ``tibia_deg`` is the tibial inclination from vertical used by the lunge test, see
    the device module for how each protocol derives it.
Force plate
    Forces in newtons (positive = load on the plate). Centre of pressure in millimetres
    in the plate frame: origin at the plate centre, +x to the patient's right
    (medio-lateral when standing facing the +y edge), +y forward (antero-posterior,
    towards the toes). COP is NaN when Fz is below the minimum-load gate.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

INCLINOMETER_DTYPE = np.dtype(
    [
        ("t_host_s", "f8"),
        ("seq", "i8"),
        ("t_dev_s", "f8"),
        ("angle_x_deg", "f8"),
        ("angle_y_deg", "f8"),
        ("angle_z_deg", "f8"),
        ("tibia_deg", "f8"),
    ]
)
"""One inclinometer sample (see the module docstring for units and conventions)."""

PLATE_DTYPE = np.dtype(
    [
        ("t_host_s", "f8"),
        ("seq", "i8"),
        ("t_dev_s", "f8"),
        ("fz_n", "f8"),
        ("cop_x_mm", "f8"),
        ("cop_y_mm", "f8"),
        ("tr_n", "f8"),
        ("br_n", "f8"),
        ("tl_n", "f8"),
        ("bl_n", "f8"),
    ]
)
"""One force-plate sample: total vertical force, COP and the four corner cells."""

SampleArray = npt.NDArray[np.void]


class DeviceKind(enum.Enum):
    """What a device measures."""

    INCLINOMETER = "inclinometer"
    FORCE_PLATE = "force_plate"


class DeviceState(enum.Enum):
    """Connection state, shown to the clinician in words by :meth:`describe`."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    STREAMING = "streaming"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    ERROR = "error"

    def describe(self) -> str:
        """A short phrase for the device strip, e.g. ``"lost, reconnecting…"``."""
        return {
            DeviceState.DISCONNECTED: "not connected",
            DeviceState.CONNECTING: "connecting…",
            DeviceState.CONNECTED: "connected",
            DeviceState.STREAMING: "streaming",
            DeviceState.LOST: "connection lost",
            DeviceState.RECONNECTING: "lost, reconnecting…",
            DeviceState.ERROR: "error",
        }[self]


class DeviceError(Exception):
    """A device problem explained so that a clinician can act on it.

    The message says what happened and what to try, e.g. "The force plate on
    /dev/ttyUSB0 stopped answering. Check the USB cable; DorsiLab will reconnect
    when it is plugged back in."
    """


class PortNotFoundError(DeviceError):
    """The named port does not exist (unplugged, or a typo)."""


class PortBusyError(DeviceError):
    """Another program has the port open."""


class ProtocolMismatchError(DeviceError):
    """The port answers, but not in the expected protocol (or at another baud rate)."""


class DeviceTimeoutError(DeviceError):
    """The device did not answer in time."""


@dataclass(frozen=True)
class DeviceInfo:
    """Identity of a connected device.

    Attributes
    ----------
    kind : DeviceKind
    protocol : str
        ``"witmotion"``, ``"rion"``, ``"lineplate"``, ``"wiiboard"`` or ``"simulated"``.
    port : str
        Port or URL it was opened with.
    model, firmware, serial_number : str
        As reported by the device or its USB bridge ("" when unknown).
    nominal_rate_hz : float
        Configured output rate (0 when the device cannot tell it).
    measured_rate_hz : float
        Output rate measured from the stream (0 until measured); what a listen-only device
        is known by.
    listen_only : bool
        The device only sends: its settings cannot be read or changed from the host (a
        TX-only wiring, a replayed log, legacy firmware without read-back).
    battery : str
        Battery level in words where the device reports one ("" otherwise).
    """

    kind: DeviceKind
    protocol: str
    port: str
    model: str = ""
    firmware: str = ""
    serial_number: str = ""
    nominal_rate_hz: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    measured_rate_hz: float = 0.0
    listen_only: bool = False
    battery: str = ""

    @property
    def rate_hz(self) -> float:
        """The configured rate, else the measured one (0 when neither is known)."""
        return self.nominal_rate_hz or self.measured_rate_hz


class RingBuffer:
    """Preallocated, lock-protected ring buffer of structured samples.

    The reader thread :meth:`append` s batches; consumers :meth:`read_new` with their own
    cursor, so the plot and the journal each get every sample exactly once while they keep
    up. ``total`` counts every sample ever appended; a consumer that falls more than
    ``capacity`` behind loses the oldest samples and is told how many.

    Parameters
    ----------
    dtype : numpy.dtype
        :data:`INCLINOMETER_DTYPE` or :data:`PLATE_DTYPE`.
    capacity : int
        Number of samples kept (e.g. 120 s at 1 kHz = 120_000).
    """

    def __init__(self, dtype: np.dtype[Any], capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._data = np.zeros(capacity, dtype=dtype)
        self._capacity = capacity
        self._total = 0
        self._lock = threading.Lock()

    @property
    def dtype(self) -> np.dtype[Any]:
        """The sample dtype."""
        dtype: np.dtype[Any] = self._data.dtype
        return dtype

    @property
    def capacity(self) -> int:
        """Samples kept."""
        return self._capacity

    @property
    def total(self) -> int:
        """Samples appended since creation (a monotonically increasing cursor)."""
        with self._lock:
            return self._total

    def append(self, batch: SampleArray) -> None:
        """Append a batch (any length; only the newest ``capacity`` are kept)."""
        n = len(batch)
        if n == 0:
            return
        with self._lock:
            if n >= self._capacity:
                start = (self._total + n - self._capacity) % self._capacity
                tail = batch[-self._capacity :]
                first = self._capacity - start
                self._data[start:] = tail[:first]
                self._data[:start] = tail[first:]
            else:
                start = self._total % self._capacity
                end = start + n
                if end <= self._capacity:
                    self._data[start:end] = batch
                else:
                    split = self._capacity - start
                    self._data[start:] = batch[:split]
                    self._data[: end - self._capacity] = batch[split:]
            self._total += n

    def read_new(self, cursor: int) -> tuple[SampleArray, int, int]:
        """Samples appended since ``cursor``.

        Returns
        -------
        samples : ndarray
            A copy, oldest first.
        new_cursor : int
            Pass it to the next call.
        missed : int
            Samples overwritten before this consumer read them (0 when keeping up).
        """
        with self._lock:
            total = self._total
            available = total - cursor
            missed = max(0, available - self._capacity)
            count = min(available, self._capacity)
            if count <= 0:
                return self._data[:0].copy(), total, 0
            start = (total - count) % self._capacity
            end = start + count
            if end <= self._capacity:
                out = self._data[start:end].copy()
            else:
                out = np.concatenate((self._data[start:], self._data[: end - self._capacity]))
            return out, total, missed

    def latest(self, count: int) -> SampleArray:
        """The newest ``count`` samples (fewer if fewer were appended), oldest first."""
        with self._lock:
            n = min(count, self._total, self._capacity)
            if n <= 0:
                return self._data[:0].copy()
            end = self._total % self._capacity
            start = end - n
            if start >= 0:
                return self._data[start:end].copy()
            return np.concatenate((self._data[start:], self._data[:end]))


StateListener = Callable[["DeviceState", str], None]
"""Called from the device's thread with the new state and a message in words."""


class Device(Protocol):
    """What every device (real, simulated or emulated) offers to the application.

    A device owns its transport and a reader thread that appends samples to
    :attr:`buffer`. No method blocks for longer than a short, bounded time; none is
    called from the reader thread by the application.
    """

    kind: DeviceKind
    buffer: RingBuffer

    def open(self) -> None:
        """Open the transport and identify/configure the device. Raises DeviceError."""

    def close(self) -> None:
        """Stop streaming and release the port (idempotent)."""

    def start(self) -> None:
        """Start streaming samples into :attr:`buffer`."""

    def stop(self) -> None:
        """Stop streaming (the port stays open)."""

    def pause(self) -> None:
        """Stop delivering samples while no screen needs them, keeping the connection state
        and loss detection honest (non-blocking); the state becomes CONNECTED."""

    def resume(self) -> None:
        """Deliver samples again after :meth:`pause` (non-blocking, prompt)."""

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""

    @property
    def state(self) -> DeviceState:
        """Current connection state."""

    @property
    def info(self) -> DeviceInfo:
        """Identity and configuration."""

    @property
    def last_error(self) -> str:
        """The last problem in words ("" when none)."""

    @property
    def lost_samples(self) -> int:
        """Samples known to be lost (sequence gaps, overruns)."""

    def add_state_listener(self, listener: StateListener) -> None:
        """Register a callback for state changes (called from the device thread)."""
