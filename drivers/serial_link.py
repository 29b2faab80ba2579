"""The worker thread of a serial device: reads, time stamps, decoding, jobs, replies.

A :class:`SerialLink` owns one open port and one worker thread. The worker reads with a
short timeout, stamps every read with :func:`time.monotonic`, feeds the bytes to the
device's codec (:meth:`SerialLink._decode`), appends the decoded samples to
:attr:`SerialLink.buffer` as one numpy batch per read (while streaming) and keeps any
command replies for the job that waits for them.

Everything that talks to the device (identification, configuration, zeroing, starting
and stopping the stream) runs *in the worker* as a job (:meth:`SerialLink._call`), so
there is never a second reader competing for the bytes, and a job that waits for a reply
(:meth:`SerialLink._await`) keeps decoding the stream meanwhile. Callers wait for a job
with a bounded timeout. A failing transport raises :class:`~drivers.transport.LinkLost`
inside the worker, which hands it to :meth:`SerialLink._handle_loss` (the device's
reconnection, :mod:`drivers.serial_device`).
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
from typing import Any, TypeVar

import numpy as np
import serial

from drivers.base import (
    DeviceError,
    DeviceInfo,
    DeviceKind,
    DeviceTimeoutError,
    RingBuffer,
    SampleArray,
)
from drivers.device_status import DeviceStatus
from drivers.transport import TRANSPORT_ERRORS, LinkLost

log = logging.getLogger(__name__)
T = TypeVar("T")


class SerialLink(DeviceStatus, abc.ABC):
    """Port, worker thread, ring buffer, job queue and reply queue of one device.

    Parameters
    ----------
    port : str
        Path or pyserial URL.
    baudrate : int
        Bits per second (8N1).
    capacity : int
        Ring-buffer size in samples.
    read_timeout_s : float
        Read timeout of the worker; bounds how late a stop request is noticed.
    """

    kind: DeviceKind
    protocol: str
    dtype: np.dtype[Any]
    label: str = "device"
    """Short noun for messages ("inclinometer", "force plate")."""
    idle_poll_s: float = 0.25
    """While paused, the worker wakes this often to check the link (s); :meth:`resume` wakes
    it at once."""
    coalesce_s: float = 0.006
    """While streaming, reads are at least this far apart (s). Waking once per line of a
    1 kHz stream cost a third of a core: a decode call has a fixed cost of about a hundred
    numpy operations, whatever the batch size. Reading every 6 ms takes the same samples
    in batches of about six for a sixth of the calls, and adds at most 6 ms to the
    sensor-to-buffer latency (DESIGN.md: p99 ≤ 10 ms). 0 reads as soon as a byte is in."""

    def __init__(self, port: str, *, baudrate: int, capacity: int, read_timeout_s: float) -> None:
        super().__init__(DeviceInfo(kind=self.kind, protocol=self.protocol, port=port))
        self.port = port
        self.baudrate = baudrate
        self.buffer = RingBuffer(self.dtype, capacity)
        self._read_timeout_s = read_timeout_s
        self._serial: serial.SerialBase | None = None
        self._jobs: collections.deque[tuple[Callable[[], Any], Future[Any]]] = collections.deque()
        self._replies: collections.deque[Any] = collections.deque(maxlen=256)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._streaming = False
        self._paused = False
        self._wake = threading.Event()
        self._bytes_read = 0
        self._last_data_t = 0.0
        self._next_read_t = 0.0

    @property
    def bytes_read(self) -> int:
        """Bytes received since :meth:`open` (link-activity figure)."""
        return self._bytes_read

    # ------------------------------------------------------------------ for subclasses
    @abc.abstractmethod
    def _decode(self, data: bytes, t_host: float) -> tuple[SampleArray | None, list[Any]]:
        """Feed ``data`` (read at ``t_host``) to the codec: samples and command replies."""

    @abc.abstractmethod
    def _reset_codec(self) -> None:
        """Forget partial frames (called on open and after a reconnect)."""

    def _tick(self, now: float) -> None:
        """Called by the worker after every read (polled devices send requests here)."""
        return None

    def _silence_limit_s(self) -> float | None:
        """Seconds without any byte while streaming after which the link counts as lost."""
        return None

    def _idle_check(self, now: float) -> None:
        """While paused: prove the link is alive without decoding (worker only).

        The default suits devices that stream by themselves (WitMotion): whatever arrived
        since the last check is read and discarded - it only proves that bytes still come -
        and silence longer than the streaming silence limit, or a failing port, is a loss.
        Devices that go quiet when told to stop override it with a harmless heartbeat
        request.
        """
        port = self._require_port()
        try:
            waiting = port.in_waiting
            data = port.read(waiting or 1)  # a vanished port raises here
            if data and not waiting and port.in_waiting:
                data += port.read(port.in_waiting)
        except TRANSPORT_ERRORS as exc:
            raise LinkLost(str(exc)) from exc
        if data:
            self._bytes_read += len(data)
            self._last_data_t = now
        limit = self._silence_limit_s()
        if limit is not None and now - self._last_data_t > max(limit, 2 * self.idle_poll_s):
            raise LinkLost(f"no data for {limit:.1f} s while paused")

    @abc.abstractmethod
    def _handle_loss(self, reason: str) -> None:
        """The link failed (worker only): report it, then reconnect or stop."""

    @abc.abstractmethod
    def _lost_message(self) -> str:
        """What to tell the clinician when the link is lost."""

    # ------------------------------------------------------------------ worker side
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

    def _pump(self) -> int:
        """One read: decode, append samples when streaming, keep replies. Returns bytes read."""
        port = self._require_port()
        try:
            # What is already waiting in one read; otherwise block for the first byte.
            waiting = port.in_waiting
            data = port.read(waiting or 1)
            if data and not waiting:
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
                if self._stop.is_set():
                    break  # closed meanwhile (e.g. from a state listener): not a loss
                try:
                    self._handle_loss(str(exc))
                except Exception as again:
                    if self._stop.is_set():
                        break  # closed while reconnecting: the port went away under us
                    log.exception("%s reconnection failed", self.protocol)
                    self._fail(f"Internal error in the {self.label} driver: {again}")
                    break
            except Exception as exc:  # a bug must not kill the thread silently
                log.exception("%s worker failed", self.protocol)
                self._fail(f"Internal error in the {self.label} driver: {exc}")
                break
        # close() may have given up waiting while a reconnection was opening the port.
        self._close_port()

    def _serve_once(self) -> None:
        if self._paused and not self._streaming:
            # Paused: wake a few times a second (or at once for a job such as resume).
            if not self._jobs:
                self._wake.wait(self.idle_poll_s)
            self._wake.clear()
            self._run_jobs()
            if self._paused and not self._streaming:
                self._idle_check(time.monotonic())
            return
        self._run_jobs()
        if self._streaming and self.coalesce_s > 0:
            wait = self._next_read_t - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)
            self._next_read_t = time.monotonic() + self.coalesce_s
        self._pump()
        now = time.monotonic()
        self._tick(now)
        limit = self._silence_limit_s()
        if self._streaming and limit is not None and now - self._last_data_t > limit:
            raise LinkLost(f"no data for {limit:.1f} s")

    def _run_jobs(self) -> None:
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

    def _post(self, job: Callable[[], Any]) -> None:
        """Queue ``job`` for the worker without waiting for it, and wake the worker."""
        if self._worker_alive():
            self._jobs.append((job, Future()))
        self._wake.set()

    def _fail_pending_jobs(self) -> None:
        while self._jobs:
            _, future = self._jobs.popleft()
            if future.set_running_or_notify_cancel():
                future.set_exception(DeviceError(self._lost_message()))

    def _require_port(self) -> serial.SerialBase:
        if self._serial is None:
            raise LinkLost("port closed")
        return self._serial

    def _worker_alive(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def _close_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(*TRANSPORT_ERRORS):
                port.close()
