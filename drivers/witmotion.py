"""WitMotion WIT-standard inclinometer (WT901, HWT901B, BWT901CL …) as a :class:`Device`.

Opening
    The device cannot tell its baud rate, so :meth:`WitMotionDevice.open` listens at the
    configured rate and, when no checksum-valid frame arrives, scans
    :data:`BAUD_CANDIDATES` (also asking for a register read-back, so a device whose output
    is switched off is found too). The rate found is in ``info.extra["baud"]``.
Configuration (optional: ``rate_hz``/``content``)
    Registers are read back first (``FF AA 27``) and written only when they differ, to
    spare the flash. Writes follow the vendor's sequence unlock → write(s) → save with
    ``command_gap_s`` (100 ms) between commands; the device locks again
    ``unlock_window_s`` (10 s) after an unlock, so the driver unlocks again before any
    write that would land too close to the end of the window. The registers are read back
    afterwards; a mismatch is retried, then reported. When the requested output would not
    fit the sensor's baud rate (at 9600 baud four frame types fit ≈ 21 Hz), the sensor is
    moved to 115200 baud first (``auto_baud``).
Samples
    From :class:`drivers.codecs.witmotion.WitMotionCodec`: one sample per angle frame,
    ``angle_x/y/z_deg`` = roll, pitch, yaw; ``tibia_deg`` = angle between the mounting axis
    and the vertical (see that module for the derivation).
Zero (:meth:`WitMotionDevice.zero`) - what it means
    Lay the sensor still on its back face (the face strapped against the shin) on a level
    surface. Its mounting axis is then horizontal, so a perfect sensor reads roll = pitch =
    0° and ``tibia_deg`` = 90°. The zero stores the differences - the tilt of the sensing
    chip inside its case and of the case's base - and subtracts them from every later
    sample: ``angle_x/y`` are reported relative to level, and ``tibia_deg`` relative to
    the case's long axis. The tibia correction is exact for a chip tilt in the plane of
    the lunge (the dominant one when the case is strapped flat) and second order
    otherwise. The offsets live in :attr:`WitMotionDevice.zero_offsets`; the application
    stores them with the device and passes them back via ``zero_offsets=``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from drivers.base import (
    INCLINOMETER_DTYPE,
    DeviceError,
    DeviceKind,
    DeviceTimeoutError,
    ProtocolMismatchError,
    SampleArray,
)
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.witmotion import WitMotionCodec
from drivers.serial_device import SerialDevice
from drivers.transport import PortLister

BAUD_CANDIDATES: Final = (115200, 9600, 230400, 57600, 38400, 19200, 4800, 460800, 921600)
"""Scan order: the two factory defaults first (devices.md §1.1)."""

FAST_BAUD: Final = 115200
"""The rate the driver moves a sensor to when its output needs more than 80 % of its baud."""
_RATE_BY_CODE: Final = {code: rate for rate, code in wire.RATE_CODES.items()}

LEVEL_TIBIA_DEG: Final = 90.0
"""``tibia_deg`` of a perfect sensor lying on its back face on a level surface."""


@dataclass(frozen=True)
class ZeroOffsets:
    """Offsets subtracted from every sample (degrees); see the module docstring."""

    angle_x_deg: float = 0.0
    angle_y_deg: float = 0.0
    tibia_deg: float = 0.0


@dataclass(frozen=True)
class _Readback:
    """A 0x5F register read-back reply (four unsigned 16-bit registers)."""

    values: tuple[int, int, int, int]


class WitMotionDevice(SerialDevice):
    """A WitMotion inclinometer on a serial port.

    Parameters
    ----------
    port : str
        Path or pyserial URL.
    baudrate : int
        Rate tried first (the scan covers the others).
    rate_hz : float, optional
        Output rate to configure (one of ``witmotion_wire.RATE_CODES``); None keeps the
        device's setting and reads it back.
    content : sequence of int, optional
        Frame types to enable (e.g. ``(0x51, 0x53)``: acceleration for ``tibia_deg`` and
        angles); None keeps the device's setting.
    mounting_axis : str
        Sensor axis strapped along the tibia, towards the knee (codec parameter).
    zero_offsets : ZeroOffsets, optional
        A previously measured zero.
    unlock_window_s, command_gap_s : float
        The device's write window after an unlock (10 s) and the pause between commands.
    scan : bool
        Scan other baud rates when nothing arrives at ``baudrate``.
    auto_baud : bool
        Move the sensor to 115200 baud (stored) when the requested output does not fit
        its current rate; otherwise such a request is refused in words.
    capacity_s : float
        Ring-buffer length in seconds at the configured rate.
    lister, reconnect
        See :class:`drivers.serial_device.SerialDevice`.
    """

    kind = DeviceKind.INCLINOMETER
    protocol = "witmotion"
    dtype = INCLINOMETER_DTYPE
    label = "inclinometer"

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        rate_hz: float | None = None,
        content: Sequence[int] | None = (wire.ACC, wire.ANGLE),
        mounting_axis: str = "x",
        zero_offsets: ZeroOffsets | None = None,
        unlock_window_s: float = 10.0,
        command_gap_s: float = 0.1,
        scan: bool = True,
        auto_baud: bool = True,
        capacity_s: float = 600.0,
        lister: PortLister | None = None,
        reconnect: bool = True,
    ) -> None:
        if rate_hz is not None and float(rate_hz) not in wire.RATE_CODES:
            allowed = ", ".join(f"{r:g}" for r in wire.RATE_CODES)
            raise ValueError(f"WitMotion output rate {rate_hz} Hz is not one of {allowed}")
        self.rate_hz = rate_hz
        self.content = tuple(content) if content is not None else None
        self.mounting_axis = mounting_axis
        self.zero_offsets = zero_offsets or ZeroOffsets()
        self.unlock_window_s = unlock_window_s
        self.command_gap_s = command_gap_s
        self.scan = scan
        self.auto_baud = auto_baud
        self._unlocked_at = -1e9
        self._codec = WitMotionCodec(mounting_axis=mounting_axis)
        rate_for_capacity = rate_hz or 200.0
        super().__init__(
            port,
            baudrate=baudrate,
            capacity=int(capacity_s * rate_for_capacity),
            lister=lister,
            reconnect=reconnect,
        )

    # ------------------------------------------------------------------ public
    @property
    def codec(self) -> WitMotionCodec:
        """The codec (its counters: frames, dropped bytes, checksum failures…)."""
        return self._codec

    def read_registers(self, address: int, timeout: float = 1.0) -> tuple[int, int, int, int]:
        """Four registers from ``address`` (``FF AA 27``), as unsigned 16-bit values."""
        return self._call(lambda: self._read_registers(address, timeout), timeout + 1.0)

    def zero(self, seconds: float = 1.0) -> ZeroOffsets:
        """Level-surface zero (module docstring); the sensor must be still and streaming.

        Raises
        ------
        DeviceError
            Not streaming, moving, or not lying on its back face.
        """
        if not self._streaming:
            raise DeviceError("Start the inclinometer before zeroing it.")
        cursor = self.buffer.total
        time.sleep(seconds)
        samples, _, _ = self.buffer.read_new(cursor)
        if len(samples) < 3:
            raise DeviceError("The inclinometer sent too few samples to zero; check it.")
        old = self.zero_offsets
        x = samples["angle_x_deg"] + old.angle_x_deg
        y = samples["angle_y_deg"] + old.angle_y_deg
        tibia = samples["tibia_deg"] + old.tibia_deg
        if float(np.ptp(tibia)) > 0.5:
            raise DeviceError("The inclinometer moved while zeroing. Keep it still and retry.")
        if abs(float(np.mean(tibia)) - LEVEL_TIBIA_DEG) > 10.0:
            raise DeviceError(
                "To zero, lay the inclinometer flat on its back face on a level surface."
            )
        self.zero_offsets = ZeroOffsets(
            float(np.mean(x)), float(np.mean(y)), float(np.mean(tibia)) - LEVEL_TIBIA_DEG
        )
        return self.zero_offsets

    def set_rate(self, rate_hz: float) -> None:
        """Change and store the output rate (unlock → write → save, verified)."""
        if float(rate_hz) not in wire.RATE_CODES:
            raise ValueError(f"WitMotion output rate {rate_hz} Hz is not supported")
        self.rate_hz = rate_hz
        self._call(self._configure, 10.0)

    # ------------------------------------------------------------------ SerialDevice
    def _decode(self, data: bytes, t_host: float) -> tuple[SampleArray | None, list[Any]]:
        batch = self._codec.feed(data, t_host)
        replies: list[Any] = []
        frames = batch.frames
        if len(frames):
            readbacks = batch.registers
            replies = [_Readback((int(r[0]), int(r[1]), int(r[2]), int(r[3]))) for r in readbacks]
        samples = batch.samples
        if len(samples):
            z = self.zero_offsets
            if z.angle_x_deg or z.angle_y_deg or z.tibia_deg:
                samples["angle_x_deg"] -= z.angle_x_deg
                samples["angle_y_deg"] -= z.angle_y_deg
                samples["tibia_deg"] -= z.tibia_deg
        return samples, replies

    def _reset_codec(self) -> None:
        self._codec.reset()

    def _initialise(self) -> None:
        self._find_baud()
        self._configure()
        version = self._read_registers(wire.REG_VERSION, 1.0)[0]
        self._update_info(firmware=f"{version:#06x}")

    def _silence_limit_s(self) -> float | None:
        rate = self._info.nominal_rate_hz
        return max(1.0, 5.0 / rate) if rate else None

    # ------------------------------------------------------------------ dialogue
    def _find_baud(self) -> None:
        candidates = [self.baudrate] + [b for b in BAUD_CANDIDATES if b != self.baudrate]
        if not self.scan:
            candidates = candidates[:1]
        for baud in candidates:
            if baud != self.baudrate:
                self._reopen(baud)
            if self._answers():
                self._update_info(extra={**self._info.extra, "baud": baud})
                return
        tried = ", ".join(str(b) for b in candidates)
        raise ProtocolMismatchError(
            f"No WitMotion data on {self.port} at {tried} baud. Check that the sensor is "
            "switched on and charged, and that this port is the inclinometer."
        )

    def _answers(self) -> bool:
        """Valid frames (or a register reply) arrive at the current baud."""
        start = self._codec.frames
        self._clear_replies()
        self._write(wire.cmd_read_registers(wire.REG_RSW))
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            self._pump()
            if self._codec.frames - start >= 3 or self._replies:
                return True
        return False

    def _read_registers(self, address: int, timeout: float) -> tuple[int, int, int, int]:
        for _attempt in range(3):
            self._clear_replies()
            self._write(wire.cmd_read_registers(address))
            try:
                reply: _Readback = self._await(lambda r: isinstance(r, _Readback), timeout / 3)
            except DeviceTimeoutError:
                continue
            return reply.values
        raise DeviceTimeoutError(
            f"The inclinometer on {self.port} does not answer register reads."
        )

    def _wanted(self) -> dict[int, int]:
        wanted: dict[int, int] = {}
        if self.content is not None:
            rsw = 0
            for frame_type in self.content:
                rsw |= wire.CONTENT_BITS[frame_type]
            wanted[wire.REG_RSW] = rsw
        if self.rate_hz is not None:
            wanted[wire.REG_RRATE] = wire.RATE_CODES[float(self.rate_hz)]
        return wanted

    def _configure(self) -> None:
        wanted = self._wanted()
        for attempt in range(3):
            regs = self._read_registers(wire.REG_RSW, 1.5)
            current = {wire.REG_RSW: regs[0], wire.REG_RRATE: regs[1], wire.REG_BAUD: regs[2]}
            if wanted:  # settings the user keeps are left alone
                self._ensure_bandwidth({**current, **wanted})
            todo = {r: v for r, v in wanted.items() if current.get(r) != v}
            if not todo:
                self._apply_rate(current[wire.REG_RRATE])
                return
            if attempt == 2:
                break
            self._unlock()
            for register, value in todo.items():
                self._command(wire.encode_command(register, value))
            self._command(wire.cmd_save())
            self._drain(self.command_gap_s)
        raise DeviceError(
            f"The inclinometer on {self.port} did not accept its new settings "
            "(rate/content). Switch it off and on, then try again."
        )

    def _ensure_bandwidth(self, settings: dict[int, int]) -> None:
        """Move to :data:`FAST_BAUD` when the output would not fit the current baud rate.

        At 9600 baud (the TTL boards' default) four frame types fit only ≈ 21 Hz
        (devices.md §1.3): the rest would be silently dropped by the sensor.
        """
        frames = bin(settings[wire.REG_RSW] & 0x07FF).count("1")
        rate = _RATE_BY_CODE.get(settings[wire.REG_RRATE], 0.0)
        needed = frames * wire.FRAME_LEN * 10 * rate  # 8N1: 10 bits per byte
        if needed <= 0.8 * self.baudrate:
            return
        if not self.auto_baud or self.baudrate >= FAST_BAUD:
            raise DeviceError(
                f"{rate:g} Hz needs {needed:,.0f} bit/s but the inclinometer on {self.port} "
                f"talks at {self.baudrate} baud. Choose a lower rate or fewer outputs."
            )
        self._unlock()
        self._write(wire.cmd_baud(FAST_BAUD))  # the sensor switches at once
        self._drain(self.command_gap_s)
        self._reopen(FAST_BAUD)
        self._command(wire.cmd_save())
        if not self._answers():
            raise DeviceError(
                f"The inclinometer on {self.port} did not come back at {FAST_BAUD} baud. "
                "Switch it off and on, then connect again."
            )
        self._update_info(extra={**self._info.extra, "baud": FAST_BAUD})

    def _apply_rate(self, code: int) -> None:
        rate = _RATE_BY_CODE.get(code, 0.0)
        self._codec.output_rate_hz = rate or 10.0
        self._update_info(
            model="WitMotion (WIT standard)",
            nominal_rate_hz=rate,
            extra={**self._info.extra, "rate_code": code},
        )

    def _unlock(self) -> None:
        self._write(wire.cmd_unlock())
        self._unlocked_at = time.monotonic()
        self._drain(self.command_gap_s)

    def _command(self, command: bytes) -> None:
        """One write, unlocking again first if it would land late in the unlock window."""
        if time.monotonic() - self._unlocked_at > self.unlock_window_s - 2 * self.command_gap_s:
            self._unlock()
        self._write(command)
        self._drain(self.command_gap_s)
