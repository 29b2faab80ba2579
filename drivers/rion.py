"""Rion-family 0x68 BCD inclinometer as a :class:`Device` (polled, or auto-output).

Polling (default)
    The worker sends ``68 04 00 04 08`` every 1/``rate_hz`` s and waits up to
    ``reply_timeout_s`` for the reply; a missing or broken reply (truncated, bad checksum)
    is retried ``retries`` times, then counted in :attr:`lost_samples`. After
    ``lost_after_s`` without a single valid reply the link counts as lost and the device
    reconnects like an unplugged one. A half-received reply is dropped at each timeout so
    the next reply decodes cleanly.
Auto-output (``auto=True``)
    ``68 05 00 0C 01 12`` makes the device stream by itself; silence for ``lost_after_s``
    counts as a lost link. The device is put back in poll mode on :meth:`close`.
Zero (:meth:`RionDevice.zero`)
    Lay the sensor on its base on a level surface and call :meth:`zero`: it sends the
    *relative zero* command (``68 05 00 05 01 …``), after which the device reports angles
    from that level reference; with the default ``mount="flat"`` (base on the shin, X along
    the tibia) ``tibia_deg = 90° − |X|`` is then the tibia's angle from vertical.
    :meth:`clear_zero` restores the factory (absolute) zero.
Samples
    From :class:`drivers.codecs.rion.RionCodec` (X, Y and, on three-value models, the
    heading as ``angle_z_deg``; ``tibia_deg`` from the X axis by default).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Literal

from drivers.base import (
    INCLINOMETER_DTYPE,
    DeviceKind,
    DeviceTimeoutError,
    ProtocolMismatchError,
    SampleArray,
)
from drivers.codecs import rion_wire as wire
from drivers.codecs.rion import RionCodec, RionFrame
from drivers.serial_device import SerialDevice
from drivers.transport import LinkLost, PortLister


class RionDevice(SerialDevice):
    """A Rion 0x68 inclinometer on a serial port.

    Parameters
    ----------
    port : str
        Path or pyserial URL.
    baudrate : int
        The device's rate (9600 by default; Rion devices do not autobaud).
    rate_hz : float
        Poll rate (or the expected auto-output rate).
    auto : bool
        Use auto-output mode instead of polling.
    reply_timeout_s : float
        Wait for one reply before retrying.
    retries : int
        Extra attempts per poll before the sample counts as lost.
    lost_after_s : float
        Time without any valid reply after which the link counts as lost.
    bcd_width, address, tibia_axis, mount, third_is_temperature
        Codec parameters (see :class:`drivers.codecs.rion.RionCodec`).
    capacity_s : float
        Ring-buffer length in seconds.
    lister, reconnect
        See :class:`drivers.serial_device.SerialDevice`.
    """

    kind = DeviceKind.INCLINOMETER
    protocol = "rion"
    dtype = INCLINOMETER_DTYPE
    label = "inclinometer"
    coalesce_s = 0.0
    """One reply per poll: read it as soon as it is in (its time stamp is the reply's)."""

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 9600,
        rate_hz: float = 20.0,
        auto: bool = False,
        reply_timeout_s: float = 0.15,
        retries: int = 2,
        lost_after_s: float = 1.5,
        bcd_width: int = 3,
        address: int = 0,
        tibia_axis: Literal["x", "y"] = "x",
        mount: Literal["flat", "upright"] = "flat",
        third_is_temperature: bool = False,
        capacity_s: float = 600.0,
        lister: PortLister | None = None,
        reconnect: bool = True,
    ) -> None:
        if not rate_hz > 0:
            raise ValueError("rate_hz must be positive")
        self.rate_hz = rate_hz
        self.auto = auto
        self.reply_timeout_s = reply_timeout_s
        self.retries = retries
        self.lost_after_s = lost_after_s
        self.address = address
        self._codec = RionCodec(
            bcd_width=bcd_width,
            address=address,
            tibia_axis=tibia_axis,
            mount=mount,
            third_is_temperature=third_is_temperature,
            output_rate_hz=rate_hz,
        )
        self._pending_since: float | None = None
        self._attempts = 0
        self._next_poll = 0.0
        self._frames_at_request = 0
        self._other_frames = 0
        self._other_at_request = 0
        self._last_reply_t = 0.0
        self.timeouts = 0
        super().__init__(
            port,
            baudrate=baudrate,
            capacity=int(capacity_s * rate_hz) + 1,
            lister=lister,
            reconnect=reconnect,
        )

    @property
    def codec(self) -> RionCodec:
        """The codec (counters: frames, dropped bytes, checksum failures…)."""
        return self._codec

    def zero(self) -> None:
        """Relative zero: the current attitude becomes the level reference (docstring)."""
        self._call(lambda: self._command(wire.CMD_SET_ZERO, b"\x01"), 2.0)

    def clear_zero(self) -> None:
        """Back to the factory (absolute) zero."""
        self._call(lambda: self._command(wire.CMD_SET_ZERO, b"\x00"), 2.0)

    # ------------------------------------------------------------------ SerialDevice
    def _decode(self, data: bytes, t_host: float) -> tuple[SampleArray | None, list[Any]]:
        before = self._codec.frames
        batch = self._codec.feed(data, t_host)
        self._other_frames += len(batch.frames)
        if self._codec.frames != before:
            self._last_reply_t = t_host
        angle_replies = (self._codec.frames - self._frames_at_request) - (
            self._other_frames - self._other_at_request
        )
        if angle_replies > 0:
            self._pending_since = None  # answered (the sample may be withheld while locking)
        return batch.samples, list(batch.frames)

    def _reset_codec(self) -> None:
        self._codec.reset()
        self._pending_since = None

    def _initialise(self) -> None:
        self._update_info(model="Rion 0x68", nominal_rate_hz=self.rate_hz)
        self._clear_replies()
        # Poll mode gives a quiet line to talk on; models without 0x0C poll all the same.
        with contextlib.suppress(DeviceTimeoutError):
            self._command(wire.CMD_OUTPUT_MODE, b"\x00")
        for _ in range(1 + self.retries):
            start = self._codec.frames
            self._write(wire.req_read_angles(self.address))
            deadline = time.monotonic() + self.reply_timeout_s * 2
            while time.monotonic() < deadline:
                self._pump()
                if self._codec.frames > start:
                    self._last_reply_t = time.monotonic()
                    return
            self._codec.reset()
        raise ProtocolMismatchError(
            f"No Rion inclinometer answers on {self.port} at {self.baudrate} baud. Check the "
            "power, the cable and the baud rate set on the sensor."
        )

    def _begin_stream(self) -> None:
        self._codec.reset()
        self._last_reply_t = time.monotonic()
        self._pending_since = None
        self._next_poll = time.monotonic()
        if self.auto:
            self._command(wire.CMD_OUTPUT_MODE, b"\x01")

    def _end_stream(self) -> None:
        if self.auto:
            self._command(wire.CMD_OUTPUT_MODE, b"\x00")
            self._drain(0.05)

    heartbeat_s = 1.0
    """While paused: one angle read per second proves the sensor is still there."""

    def _idle_check(self, now: float) -> None:
        if now >= self._next_poll:
            self._next_poll = now + self.heartbeat_s
            self._write(wire.req_read_angles(self.address))
        if self._require_port().in_waiting:
            self._pump()
            self._replies.clear()
        if now - self._last_data_t > 3 * self.heartbeat_s + 0.5:
            raise LinkLost(f"no reply for {3 * self.heartbeat_s + 0.5:.1f} s while paused")

    def _tick(self, now: float) -> None:
        if not self._streaming:
            return
        if now - self._last_reply_t > self.lost_after_s:
            raise LinkLost(f"no reply for {self.lost_after_s:.1f} s")
        if self.auto:
            return
        if self._pending_since is not None:
            if now - self._pending_since < self.reply_timeout_s:
                return
            self.timeouts += 1
            self._codec.reset()  # drop the half reply so the next one decodes
            if self._attempts <= self.retries:
                self._send_poll(now)
                return
            self._add_lost(1)
            self._pending_since = None
        if now >= self._next_poll:
            self._attempts = 0
            self._next_poll = max(self._next_poll + 1.0 / self.rate_hz, now - 1.0)
            self._send_poll(now)

    # ------------------------------------------------------------------ dialogue
    def _send_poll(self, now: float) -> None:
        self._attempts += 1
        self._frames_at_request = self._codec.frames
        self._other_at_request = self._other_frames
        self._pending_since = now
        self._write(wire.req_read_angles(self.address))

    def _command(self, command: int, data: bytes) -> RionFrame:
        """Send a command and wait for its acknowledgement (worker only)."""
        reply_cmd = command | wire.REPLY_BIT
        self._pending_since = None
        last: DeviceTimeoutError | None = None
        for _ in range(1 + self.retries):
            self._write(wire.encode_frame(command, data, self.address))
            try:
                frame: RionFrame = self._await(
                    lambda f: isinstance(f, RionFrame) and f.command == reply_cmd,
                    self.reply_timeout_s * 2,
                )
            except DeviceTimeoutError as exc:
                last = exc
                continue
            if command == wire.CMD_SET_ZERO:
                self._codec.reset()  # the angles jump to the new reference
            return frame
        assert last is not None
        raise last
