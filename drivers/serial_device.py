"""Shared machinery of serial devices: one worker thread, states, jobs and reconnection.

A :class:`SerialDevice` owns its port and one worker thread. The worker reads with a
short timeout, stamps every read with :func:`time.monotonic`, feeds the bytes to the
device's codec (:meth:`SerialDevice._decode`), appends the decoded samples to
:attr:`SerialDevice.buffer` as one numpy batch per read and keeps any command replies
for the job that waits for them.

Everything that talks to the device (identification, configuration, zeroing, starting
and stopping the stream) runs *in the worker* as a job (:meth:`SerialDevice._call`), so
there is never a second reader competing for the bytes, and a job that waits for a reply
keeps decoding the stream meanwhile. Callers wait for a job with a bounded timeout.

When the port fails (``SerialException``, ``OSError``, ``termios.error``: the USB cable
was pulled, the Bluetooth link dropped) the worker reports :attr:`DeviceState.LOST` at
once with a message in words, keeps every sample already in the buffer, closes the port
and tries to reopen *the same physical device* (same USB serial number or location, or
the same path for pseudo-terminals) with an increasing back-off. Once it is back it
re-runs the device's initialisation and resumes streaming if it was streaming.
"""

from __future__ import annotations

import abc
import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import serial

from drivers.base import (
    Device,
    DeviceError,
    DeviceInfo,
    DeviceKind,
    DeviceState,
    DeviceTimeoutError,
    RingBuffer,
    SampleArray,
)
from drivers.device_status import DeviceStatus
from drivers.transport import (
    TRANSPORT_ERRORS,
    LinkLost,
    PortIdentity,
    PortLister,
    find_port,
    list_ports,
    open_port,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
RECONNECT_ERRORS: tuple[type[Exception], ...] = (DeviceError, LinkLost, *TRANSPORT_ERRORS)


class SerialDevice(DeviceStatus, abc.ABC):
    """Base class of the serial devices (WitMotion, Rion, line-protocol plate).

    Implements the :class:`drivers.base.Device` protocol. Subclasses provide the
    codec glue (:meth:`_decode`, :meth:`_reset_codec`) and the device dialogue
    (:meth:`_initialise`, :meth:`_begin_stream`, :meth:`_end_stream`, optionally
    :meth:`_tick` for polled devices).

    Parameters
    ----------
    port : str
        Path or pyserial URL.
    baudrate : int
        Bits per second (8N1).
    capacity : int
        Ring-buffer size in samples.
    lister : callable, optional
        Port lister used to find the device again after an unplug (see
        :mod:`drivers.transport`); the operating system's list when None.
    reconnect : bool
        Try to reopen the device after the link is lost (default True).
    read_timeout_s : float
        Read timeout of the worker; bounds how late a stop request is noticed.
    """

    kind: DeviceKind
    protocol: str
    dtype: np.dtype[Any]
    label: str = "device"
    """Short noun for messages ("inclinometer", "force plate")."""

    init_timeout_s: float = 8.0
    """How long :meth:`open` waits for identification and configuration."""

    def __init__(
        self,
        port: str,
        *,
        baudrate: int,
        capacity: int,
        lister: PortLister | None = None,
        reconnect: bool = True,
        read_timeout_s: float = 0.02,
    ) -> None:
        super().__init__(DeviceInfo(kind=self.kind, protocol=self.protocol, port=port))
        self.port = port
        self.baudrate = baudrate
        self.buffer = RingBuffer(self.dtype, capacity)
        self._lister = lister
        self._reconnect_enabled = reconnect
        self._read_timeout_s = read_timeout_s
        self._serial: serial.SerialBase | None = None
        self._identity = PortIdentity(port)
        self._jobs: collections.deque[tuple[Callable[[], Any], Future[Any]]] = collections.deque()
        self._replies: collections.deque[Any] = collections.deque(maxlen=256)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._streaming = False
        self._want_streaming = False
        self._bytes_read = 0
        self._last_data_t = 0.0

    @property
    def bytes_read(self) -> int:
        """Bytes received since :meth:`open` (link-activity figure)."""
        return self._bytes_read

    def open(self) -> None:
        """Open the port, start the worker and identify/configure the device.

        Raises
        ------
        DeviceError
            The port cannot be opened, or the device does not answer as expected; the
            port is released again.
        """
        if self._worker is not None and self._worker.is_alive():
            return
        self._set_state(DeviceState.CONNECTING, f"Connecting to the {self.label} on {self.port}.")
        try:
            self._serial = open_port(self.port, self.baudrate, self._read_timeout_s)
            self._identity = PortIdentity.of(self.port, self._listed_ports())
        except DeviceError as exc:
            self._fail(str(exc))
            raise
        self._stop.clear()
        self._reset_codec()
        self._worker = threading.Thread(
            target=self._run, name=f"{self.protocol}-{self.port}", daemon=True
        )
        self._worker.start()
        try:
            self._call(self._initialise, self.init_timeout_s)
        except DeviceError as exc:
            self._shutdown()
            self._fail(str(exc))
            raise
        self._set_state(DeviceState.CONNECTED, f"{self.label.capitalize()} connected.")

    def close(self) -> None:
        """Stop streaming and release the port (idempotent, bounded)."""
        if self._streaming and self._worker_alive():
            with contextlib.suppress(DeviceError):
                self._call(self._end_stream, 1.0)
        self._shutdown()
        self._streaming = self._want_streaming = False
        if self._state is not DeviceState.DISCONNECTED:
            self._set_state(DeviceState.DISCONNECTED, f"{self.label.capitalize()} closed.")

    def start(self) -> None:
        """Start streaming samples into :attr:`buffer`."""
        self._want_streaming = True
        self._call(self._start_job, 2.0)

    def stop(self) -> None:
        """Stop streaming (the port stays open)."""
        self._want_streaming = False
        self._call(self._stop_job, 2.0)

    # ------------------------------------------------------------------ for subclasses
    @abc.abstractmethod
    def _decode(self, data: bytes, t_host: float) -> tuple[SampleArray | None, list[Any]]:
        """Feed ``data`` (read at ``t_host``) to the codec: samples and command replies."""

    @abc.abstractmethod
    def _reset_codec(self) -> None:
        """Forget partial frames (called on open and after a reconnect)."""

    @abc.abstractmethod
    def _initialise(self) -> None:
        """Identify and configure the device (runs in the worker; may use :meth:`_await`)."""

    def _begin_stream(self) -> None:
        """Tell the device to stream (runs in the worker). Default: nothing to send."""
        return None

    def _end_stream(self) -> None:
        """Tell the device to stop streaming (runs in the worker). Default: nothing."""
        return None

    def _tick(self, now: float) -> None:
        """Called by the worker after every read (polled devices send requests here)."""
        return None

    def _silence_limit_s(self) -> float | None:
        """Seconds without any byte while streaming after which the link counts as lost."""
        return None

    def _call(self, job: Callable[[], T], timeout: float) -> T:
        """Run ``job`` in the worker and wait at most ``timeout`` seconds for its result."""
        if threading.current_thread() is self._worker:
            return job()
        if not self._worker_alive():
            raise DeviceError(f"The {self.label} on {self.port} is not open.")
        future: Future[T] = Future()
        self._jobs.append((job, future))
        try:
            return future.result(timeout)
        except TimeoutError as exc:
            future.cancel()
            raise DeviceTimeoutError(
                f"The {self.label} on {self.port} did not answer in time."
            ) from exc

    def _write(self, data: bytes) -> None:
        """Send bytes (worker only)."""
        port = self._require_port()
        try:
            port.write(data)
            port.flush()
        except TRANSPORT_ERRORS as exc:
            raise LinkLost(str(exc)) from exc

    def _await(self, match: Callable[[Any], bool], timeout: float) -> Any:
        """Read (and keep decoding) until a reply satisfying ``match`` arrives (worker only).

        Raises
        ------
        DeviceTimeoutError
            No matching reply within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            for i, reply in enumerate(self._replies):
                if match(reply):
                    del self._replies[i]
                    return reply
            if time.monotonic() >= deadline:
                raise DeviceTimeoutError(
                    f"The {self.label} on {self.port} did not answer in time."
                )
            self._pump()

    def _drain(self, seconds: float) -> None:
        """Keep reading for ``seconds`` (worker only), e.g. between configuration writes."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._pump()

    def _clear_replies(self) -> None:
        self._replies.clear()

    def _reopen(self, baudrate: int) -> None:
        """Change the host baud rate (worker only)."""
        port = self._require_port()
        try:
            port.baudrate = baudrate
            port.reset_input_buffer()
        except TRANSPORT_ERRORS as exc:
            raise LinkLost(str(exc)) from exc
        self.baudrate = baudrate
        self._reset_codec()
        self._replies.clear()

    # ------------------------------------------------------------------ worker
    def _pump(self) -> int:
        """One read: decode, append samples when streaming, keep replies. Returns bytes read."""
        port = self._require_port()
        try:
            data = port.read(1)
            if data:
                waiting = port.in_waiting
                if waiting:
                    data += port.read(waiting)
        except TRANSPORT_ERRORS as exc:
            raise LinkLost(str(exc)) from exc
        if not data:
            return 0
        now = time.monotonic()
        self._bytes_read += len(data)
        self._last_data_t = now
        samples, replies = self._decode(data, now)
        if replies:
            self._replies.extend(replies)
        if samples is not None and len(samples) and self._streaming:
            self.buffer.append(samples)
        return len(data)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve_once()
            except LinkLost as exc:
                self._handle_loss(str(exc))
            except Exception as exc:  # a bug must not kill the thread silently
                log.exception("%s worker failed", self.protocol)
                self._fail(f"Internal error in the {self.label} driver: {exc}")
                break
        # close() may have given up waiting while a reconnection was opening the port.
        self._close_port()

    def _serve_once(self) -> None:
        while self._jobs:
            job, future = self._jobs.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except LinkLost as exc:
                future.set_exception(DeviceError(self._lost_message()))
                raise exc
            except Exception as exc:
                future.set_exception(exc)
        self._pump()
        now = time.monotonic()
        self._tick(now)
        limit = self._silence_limit_s()
        if self._streaming and limit is not None and now - self._last_data_t > limit:
            raise LinkLost(f"no data for {limit:.1f} s")

    def _start_job(self) -> None:
        # Streaming first: samples that follow the start command at once must be kept.
        self._streaming = True
        try:
            self._begin_stream()
        except BaseException:
            self._streaming = False
            raise
        self._last_data_t = time.monotonic()
        self._set_state(DeviceState.STREAMING, self._streaming_message())

    def _stop_job(self) -> None:
        self._end_stream()
        self._streaming = False
        self._set_state(DeviceState.CONNECTED, f"{self.label.capitalize()} connected, paused.")

    def _streaming_message(self) -> str:
        rate = self._info.nominal_rate_hz
        return f"Streaming {rate:g} Hz." if rate else "Streaming."

    def _lost_message(self) -> str:
        return (
            f"The {self.label} on {self.port} stopped answering (unplugged or switched off?). "
            "The samples so far are kept; DorsiLab reconnects when it is back."
        )

    def _handle_loss(self, reason: str) -> None:
        was_streaming = self._streaming or self._want_streaming
        self._streaming = False
        self._close_port()
        log.info("%s on %s lost: %s", self.protocol, self.port, reason)
        self._last_error = self._lost_message()
        self._set_state(DeviceState.LOST, self._last_error)
        self._fail_pending_jobs()
        if not self._reconnect_enabled:
            self._stop.set()
            return
        self._set_state(
            DeviceState.RECONNECTING,
            f"Waiting for the {self.label} on {self.port} to come back…",
        )
        delay = 0.1
        while not self._stop.is_set():
            if self._try_reconnect(was_streaming):
                return
            self._fail_pending_jobs()
            self._stop.wait(delay)
            delay = min(delay * 1.6, 2.0)

    def _try_reconnect(self, resume_streaming: bool) -> bool:
        path = find_port(self._identity, self._listed_ports())
        if path is None:
            return False
        try:
            self._serial = open_port(path, self.baudrate, self._read_timeout_s)
            if path != self.port:  # a USB device re-enumerated under another name
                self.port = path
                self._update_info(port=path)
            self._reset_codec()
            self._replies.clear()
            self._initialise()
            if self._stop.is_set():
                return True
            if resume_streaming:
                self._start_job()
            else:
                self._set_state(DeviceState.CONNECTED, f"{self.label.capitalize()} reconnected.")
        except RECONNECT_ERRORS as exc:
            log.debug("reconnect to %s failed: %s", path, exc)
            self._close_port()
            return False
        self._last_error = ""
        return True

    def _fail_pending_jobs(self) -> None:
        while self._jobs:
            _, future = self._jobs.popleft()
            if future.set_running_or_notify_cancel():
                future.set_exception(DeviceError(self._lost_message()))

    # ------------------------------------------------------------------ helpers
    def _require_port(self) -> serial.SerialBase:
        if self._serial is None:
            raise LinkLost("port closed")
        return self._serial

    def _listed_ports(self) -> list[Any]:
        try:
            return list_ports(self._lister)
        except Exception:  # a flaky OS listing must not stop reconnection
            log.debug("port listing failed", exc_info=True)
            return []

    def _worker_alive(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def _shutdown(self) -> None:
        self._stop.set()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=2.0)
        self._worker = None
        self._fail_pending_jobs()
        self._close_port()

    def _close_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(*TRANSPORT_ERRORS):
                port.close()


if TYPE_CHECKING:  # mypy proves that every serial device is a drivers.base.Device

    def _is_a_device(device: SerialDevice) -> Device:
        return device
