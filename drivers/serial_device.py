"""Serial devices: open, close, start, stop, states in words, and reconnection.

:class:`SerialDevice` adds the device life cycle to the worker of
:mod:`drivers.serial_link` (one thread per device that reads, time-stamps, decodes and
runs the device dialogue as jobs).

When the port fails (``SerialException``, ``OSError``, ``termios.error``: the USB cable
was pulled, the Bluetooth link dropped) or a streaming device falls silent, the worker
reports :attr:`DeviceState.LOST` at once with a message in words, keeps every sample
already in the buffer, closes the port and tries to reopen *the same physical device*
(same USB serial number or location, or the same path for pseudo-terminals) with an
increasing back-off. Once it is back it re-runs the device's initialisation and resumes
streaming if it was streaming.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from drivers.base import (
    Device,
    DeviceError,
    DeviceState,
)
from drivers.serial_link import SerialLink
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
RECONNECT_ERRORS: tuple[type[Exception], ...] = (DeviceError, LinkLost, *TRANSPORT_ERRORS)


class SerialDevice(SerialLink, abc.ABC):
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
        super().__init__(port, baudrate=baudrate, capacity=capacity, read_timeout_s=read_timeout_s)
        self._lister = lister
        self._reconnect_enabled = reconnect
        self._identity = PortIdentity(port)
        self._want_streaming = False

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

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    def pause(self) -> None:
        """Stop delivering samples to save CPU, and keep watching the link (non-blocking).

        The device is told to stop where its protocol allows (the line-protocol plate's
        ``S``), otherwise its bytes are read and discarded a few times a second without
        decoding; either way a lost or silent link is still reported within about a
        second. State: CONNECTED, "paused while no screen needs its data".
        """
        if not self._paused:
            self._paused = True
            self._post(self._pause_job)

    def resume(self) -> None:
        """Deliver samples again (non-blocking; the worker wakes at once)."""
        if self._paused:
            self._paused = False
            self._post(self._resume_job)

    @abc.abstractmethod
    def _initialise(self) -> None:
        """Identify and configure the device (runs in the worker; may use :meth:`_await`)."""

    def _begin_stream(self) -> None:
        """Tell the device to stream (runs in the worker). Default: nothing to send."""
        return None

    def _end_stream(self) -> None:
        """Tell the device to stop streaming (runs in the worker). Default: nothing."""
        return None

    def _pause_job(self) -> None:
        if not self._paused or not self._streaming:
            return
        self._end_stream()
        self._streaming = False
        self._last_data_t = time.monotonic()
        self._set_state(DeviceState.CONNECTED, self._paused_message())

    def _resume_job(self) -> None:
        if self._paused or self._streaming or not self._want_streaming:
            return
        port = self._require_port()
        try:  # what queued up while paused would carry wrong time stamps
            port.reset_input_buffer()
        except TRANSPORT_ERRORS as exc:
            raise LinkLost(str(exc)) from exc
        self._resync_codec()
        self._replies.clear()
        self._start_job()

    def _resync_codec(self) -> None:
        """After a pause (bytes were skipped): by default forget everything."""
        self._reset_codec()

    def _paused_message(self) -> str:
        return f"{self.label.capitalize()} connected; paused while no screen needs its data."

    def _start_job(self) -> None:
        if self._paused:  # started while paused: streaming begins on resume()
            self._set_state(DeviceState.CONNECTED, self._paused_message())
            return
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
        self._set_state(DeviceState.LOST, self._lost_message())
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
            if resume_streaming and not self._paused:
                self._start_job()
            elif resume_streaming:
                self._last_data_t = time.monotonic()
                self._set_state(DeviceState.CONNECTED, self._paused_message())
            else:
                self._set_state(DeviceState.CONNECTED, f"{self.label.capitalize()} reconnected.")
        except RECONNECT_ERRORS as exc:
            log.debug("reconnect to %s failed: %s", path, exc)
            self._close_port()
            return False
        self._last_error = ""
        return True

    def _listed_ports(self) -> list[Any]:
        try:
            return list_ports(self._lister)
        except Exception:  # a flaky OS listing must not stop reconnection
            log.debug("port listing failed", exc_info=True)
            return []

    def _shutdown(self) -> None:
        self._stop.set()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=2.0)
        self._worker = None
        self._fail_pending_jobs()
        self._close_port()


if TYPE_CHECKING:  # mypy proves that every serial device is a drivers.base.Device

    def _is_a_device(device: SerialDevice) -> Device:
        return device
