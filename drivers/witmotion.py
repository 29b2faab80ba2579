"""WitMotion inclinometer (WT901, HWT901B, BWT901CL, WT61/JY61 …) as a :class:`Device`.

Looking never writes
    Connecting and streaming change nothing in the sensor. :meth:`WitMotionDevice.open`
    *listens*: first at the given baud rate, then - when nothing arrives - at the others of
    :data:`BAUD_CANDIDATES` (changing the host's rate sends nothing). Any device that sends
    checksum-valid frames is usable. Only then, and only to a WIT-standard sensor, does it
    send register *reads* (``FF AA 27``) to learn the configured rate, output and firmware.
    A sensor that does not answer them - wired TX-only, a replayed SD-card log - streams in
    *listen-only* mode: firmware and configured rate unknown (``""`` and 0), the rate
    measured from the stream (``info.measured_rate_hz``). WT61/JY61 legacy firmware
    (devices.md §1.6) is recognised from the stream itself (the temperature in word 3 of
    the 0x53 frames) and gets no read at all: its 3-byte command set has no read-back.
    Only when no frame arrives at any rate are reads tried at each rate, for a sensor whose
    output is switched off.
Changing settings (:meth:`WitMotionDevice.configure`, explicit only)
    Rate, output content and baud are changed only on request (``clinic-app devices
    configure``, the Devices page's button): :func:`drivers.witmotion_setup.plan` says what
    will change, then unlock → write(s) → save with ``command_gap_s`` between commands
    (re-unlocking before the 10 s window closes), verified by reading the registers back,
    and logged. Legacy sensors have only two presets (``FF AA 63``: 115200 baud, 100 Hz;
    ``FF AA 64``: 9600 baud, 20 Hz), verified by listening at the new rate.
Samples
    From :class:`drivers.codecs.witmotion.WitMotionCodec`: one sample per angle frame,
    ``angle_x/y/z_deg`` = roll, pitch, yaw; ``tibia_deg`` = angle between the mounting axis
    and the vertical (see that module for the derivation).
Zero (:meth:`WitMotionDevice.zero`) - in software, for every variant
    Lay the sensor still on its back face (the face strapped against the shin) on a level
    surface. Its mounting axis is then horizontal, so a perfect sensor reads roll = pitch =
    0° and ``tibia_deg`` = 90°. The zero stores the differences - the tilt of the sensing
    chip inside its case and of the case's base - and subtracts them from every later
    sample; nothing is written to the sensor. The offsets live in
    :attr:`WitMotionDevice.zero_offsets`; the application stores them with the device and
    passes them back via ``zero_offsets=``.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

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
from drivers.inclinometer_zero import ZeroOffsets, zero_from_stream
from drivers.serial_device import SerialDevice
from drivers.transport import PortLister
from drivers.witmotion_configure import apply_configuration
from drivers.witmotion_configure import plan as setup_plan
from drivers.witmotion_setup import Change, Settings, StreamSurvey, snap_rate, survey

log = logging.getLogger(__name__)

BAUD_CANDIDATES: Final = (115200, 9600, 230400, 57600, 38400, 19200, 4800, 460800, 921600)
"""Scan order: the two factory defaults first (devices.md §1.1)."""
MIN_FRAMES: Final = 3
"""Checksum-valid frames that make a stream (noise passes an 8-bit sum 1 time in 256)."""
RATE_WINDOW_S: Final = 2.0
"""While streaming, the measured rate is refreshed over windows of this length."""


@dataclass(frozen=True)
class Readback:
    """A 0x5F register read-back reply: four unsigned 16-bit registers from ``address``.

    The reply does not name its address; replies come in the order of the requests, so
    each is labelled with the oldest unanswered request (-1 when none was pending), and a
    late answer to an earlier, timed-out read is never taken for the current one.
    """

    address: int
    values: tuple[int, int, int, int]


class WitMotionDevice(SerialDevice):
    """A WitMotion inclinometer on a serial port (module docstring).

    Parameters
    ----------
    port : str
        Path or pyserial URL.
    baudrate : int
        Rate listened at first (the scan covers the others).
    mounting_axis : str
        Sensor axis strapped along the tibia, towards the knee (codec parameter).
    zero_offsets : ZeroOffsets, optional
        A previously measured zero.
    unlock_window_s, command_gap_s : float
        The device's write window after an unlock (10 s) and the pause between commands
        (used by :meth:`configure` only).
    scan : bool
        Listen at the other baud rates when nothing arrives at ``baudrate``.
    listen_s : float
        How long to listen at ``baudrate`` (the other rates get a third of it).
    capacity_s : float
        Ring-buffer length in seconds at 200 Hz.
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
        mounting_axis: str = "x",
        zero_offsets: ZeroOffsets | None = None,
        unlock_window_s: float = 10.0,
        command_gap_s: float = 0.1,
        scan: bool = True,
        listen_s: float = 1.0,
        capacity_s: float = 600.0,
        lister: PortLister | None = None,
        reconnect: bool = True,
    ) -> None:
        self.mounting_axis = mounting_axis
        self.zero_offsets = zero_offsets or ZeroOffsets()
        self.unlock_window_s = unlock_window_s
        self.command_gap_s = command_gap_s
        self.scan = scan
        self.listen_s = listen_s
        self._unlocked_at = -1e9
        self._codec = WitMotionCodec(mounting_axis=mounting_axis)
        self._heard: list[tuple[npt.NDArray[np.uint8], npt.NDArray[np.int16], float]] | None
        self._heard = None
        self._settings: Settings | None = None
        self._legacy = False
        self._rate_window: tuple[float, int] | None = None
        self._requests: collections.deque[int] = collections.deque(maxlen=16)
        super().__init__(
            port,
            baudrate=baudrate,
            capacity=int(capacity_s * 200.0),
            lister=lister,
            reconnect=reconnect,
        )

    # ------------------------------------------------------------------ public
    @property
    def codec(self) -> WitMotionCodec:
        """The codec (its counters: frames, dropped bytes, checksum failures…)."""
        return self._codec

    @property
    def settings(self) -> Settings | None:
        """Settings read back at connect or after :meth:`configure` (None: listen-only)."""
        return self._settings

    @property
    def legacy(self) -> bool:
        """WT61/JY61 legacy firmware (3-byte commands, no read-back)."""
        return self._legacy

    def read_registers(self, address: int, timeout: float = 1.0) -> tuple[int, int, int, int]:
        """Four registers from ``address`` (``FF AA 27``), as unsigned 16-bit values."""
        if self._legacy:
            raise DeviceError("A WT61/JY61 sensor has no registers to read.")
        return self._call(lambda: self._read_registers(address, timeout), timeout + 1.0)

    def zero(self, seconds: float = 1.0) -> ZeroOffsets:
        """Level-surface zero in software (module docstring); the sensor must be still and
        streaming.

        Raises
        ------
        DeviceError
            Not streaming, moving, or not lying on its back face.
        """
        if not self._streaming:
            raise DeviceError("Start the inclinometer before zeroing it.")
        self.zero_offsets = zero_from_stream(self.buffer, self.zero_offsets, seconds)
        return self.zero_offsets

    # ------------------------------------------------------------------ SerialDevice
    def _decode(self, data: bytes, t_host: float) -> tuple[SampleArray | None, list[Any]]:
        batch = self._codec.feed(data, t_host)
        replies: list[Any] = []
        if batch.count:
            if self._heard is not None:
                self._heard.append((batch.types, batch.words, t_host))
            readbacks = batch.registers if batch.has_readback else ()
            for r in readbacks:
                address = self._requests.popleft() if self._requests else -1
                replies.append(Readback(address, (int(r[0]), int(r[1]), int(r[2]), int(r[3]))))
        samples = batch.samples
        if len(samples):
            z = self.zero_offsets
            if z.angle_x_deg or z.angle_y_deg or z.tibia_deg:
                samples["angle_x_deg"] -= z.angle_x_deg
                samples["angle_y_deg"] -= z.angle_y_deg
                samples["tibia_deg"] -= z.tibia_deg
            if self._streaming:
                self._track_rate(len(samples), t_host)
        return samples, replies

    def _reset_codec(self) -> None:
        self._codec.reset()
        self._requests.clear()

    def _resync_codec(self) -> None:
        self._codec.resync()  # keeps the plausibility lock: samples flow from the first frame
        self._requests.clear()

    def _initialise(self) -> None:
        heard = self._find_stream()
        self._legacy = heard is not None and heard.legacy
        self._codec.set_legacy(self._legacy)
        self._settings = None
        version: int | None = None
        if not self._legacy:
            self._settings = self._try_settings(heard is not None)
            if self._settings is not None:
                regs = self._try_read(wire.REG_VERSION)
                version = regs[0] if regs is not None else None
        if heard is None and self._settings is None:
            tried = ", ".join(str(b) for b in self._candidates())
            raise ProtocolMismatchError(
                f"No WitMotion data on {self.port} at {tried} baud. Check that the sensor is "
                "switched on and charged, and that this port is the inclinometer."
            )
        self._describe(heard, version)

    def _silence_limit_s(self) -> float | None:
        rate = self._info.rate_hz
        return max(1.0, 5.0 / rate) if rate else 2.0

    def _streaming_message(self) -> str:
        info = self._info
        if info.nominal_rate_hz:
            return f"Streaming {info.nominal_rate_hz:g} Hz."
        if info.measured_rate_hz:
            return f"Streaming, listen-only (measured {info.measured_rate_hz:g} Hz)."
        return "Streaming, listen-only."

    def _start_job(self) -> None:
        if self._settings is not None and not self._settings.rate_hz and not self._info.rate_hz:
            raise DeviceError(
                f"The inclinometer on {self.port} has its output switched off "
                f"({self._settings.describe()}). Set an output rate with 'clinic-app devices "
                "configure' or the Devices page first."
            )
        self._rate_window = None
        super()._start_job()

    # ------------------------------------------------------------------ identification
    def _candidates(self) -> list[int]:
        others = [b for b in BAUD_CANDIDATES if b != self.baudrate] if self.scan else []
        return [self.baudrate, *others]

    def _find_stream(self) -> StreamSurvey | None:
        """Listen at each candidate baud rate until checksum-valid frames arrive."""
        start = self.baudrate
        for i, baud in enumerate(self._candidates()):
            if self._stop.is_set():
                break
            if baud != self.baudrate:
                self._reopen(baud)
            heard = self._listen(self.listen_s if i == 0 else self.listen_s / 3)
            if heard.frames >= MIN_FRAMES:
                return heard
        if self.baudrate != start:
            self._reopen(start)
        return None

    def _listen(self, seconds: float) -> StreamSurvey:
        """Decode without plausibility checks for ``seconds`` (less once the rate is clear)."""
        self._heard = []
        self._codec.check_plausibility = False
        streaming, self._streaming = self._streaming, False  # unchecked frames stay out
        try:
            deadline = time.monotonic() + seconds
            started = time.monotonic()
            while time.monotonic() < deadline and not self._stop.is_set():
                self._pump()
                angles = sum(int(np.count_nonzero(t == wire.ANGLE)) for t, _, _ in self._heard)
                if angles >= 12 and time.monotonic() - started >= 0.3:
                    break
            return survey(self._heard)
        finally:
            self._heard = None
            self._streaming = streaming
            self._codec.check_plausibility = True
            self._codec.reset()

    def _try_settings(self, heard: bool) -> Settings | None:
        """RSW, RRATE and BAUD read back, or None when the sensor does not answer.

        Where frames were heard only that rate is asked; a silent sensor is asked at every
        candidate rate (its output may be switched off).
        """
        for baud in [self.baudrate] if heard else self._candidates():
            if baud != self.baudrate:
                self._reopen(baud)
            regs = self._try_read(wire.REG_RSW)
            if regs is not None and Settings(regs[0], regs[1], regs[2]).plausible:
                return Settings(regs[0], regs[1], regs[2])
        return None

    def _try_read(
        self, address: int, attempts: int = 2, timeout: float = 0.4
    ) -> tuple[int, int, int, int] | None:
        """Four registers from ``address``, or None when the sensor does not answer."""
        try:
            return self._read_registers(address, timeout * attempts, attempts)
        except DeviceTimeoutError:
            return None

    def _read_registers(
        self, address: int, timeout: float, attempts: int = 3
    ) -> tuple[int, int, int, int]:
        for _attempt in range(attempts):
            self._clear_replies()
            self._write(wire.cmd_read_registers(address))
            self._requests.append(address)
            try:
                reply: Readback = self._await(
                    lambda r: isinstance(r, Readback) and r.address == address,
                    timeout / attempts,
                )
            except DeviceTimeoutError:
                continue
            return reply.values
        self._requests.clear()  # whatever still comes is stale
        raise DeviceTimeoutError(
            f"The inclinometer on {self.port} does not answer register reads."
        )

    def _describe(self, heard: StreamSurvey | None, version: int | None) -> None:
        settings = self._settings
        measured = heard.rate_hz if heard is not None else 0.0
        nominal = settings.rate_hz if settings is not None else 0.0
        self._codec.output_rate_hz = nominal or measured or 10.0
        extra: dict[str, Any] = {**self._info.extra, "baud": self.baudrate}
        extra["heard"] = heard is not None
        if settings is not None:
            extra.update(
                rsw=settings.rsw, rate_code=settings.rate_code, settings=settings.describe()
            )
        if heard is not None and heard.version is not None:
            extra["version_word"] = f"{heard.version:#06x}"
        model = (
            "WitMotion WT61/JY61 (legacy firmware)"
            if self._legacy
            else ("WitMotion (WIT standard)")
        )
        self._update_info(
            model=model,
            firmware=f"{version:#06x}" if version is not None else "",
            nominal_rate_hz=nominal,
            measured_rate_hz=measured,
            listen_only=settings is None,
            extra=extra,
        )
        how = "listen-only" if settings is None else settings.describe()
        log.info("witmotion on %s: %s at %d baud (%s)", self.port, model, self.baudrate, how)

    def _track_rate(self, count: int, t_host: float) -> None:
        """Keep ``info.measured_rate_hz`` current (a sensor may be reconfigured elsewhere)."""
        window = self._rate_window
        if window is None:
            self._rate_window = (t_host, 0)
            return
        started, seen = window
        seen += count
        if t_host - started < RATE_WINDOW_S:
            self._rate_window = (started, seen)
            return
        rate = snap_rate(seen / (t_host - started), self._legacy)
        self._rate_window = (t_host, 0)
        if abs(rate - self._info.measured_rate_hz) > 0.03 * rate:
            self._update_info(measured_rate_hz=rate)
            if not self._info.nominal_rate_hz:
                self._codec.output_rate_hz = rate

    # ------------------------------------------------------------------ configuration
    def plan(
        self,
        *,
        rate_hz: float | None = None,
        content: Sequence[int] | None = None,
        baud: int | None = None,
    ) -> list[Change]:
        """What :meth:`configure` would change, in words, without changing anything.

        Raises
        ------
        DeviceError
            The sensor cannot be configured from here (listen-only); ValueError for a rate,
            content or baud rate the firmware does not offer.
        """
        return setup_plan(self, rate_hz=rate_hz, content=content, baud=baud)

    def configure(
        self,
        *,
        rate_hz: float | None = None,
        content: Sequence[int] | None = None,
        baud: int | None = None,
        auto_baud: bool = True,
    ) -> list[Change]:
        """Change and store the sensor's output settings (module docstring); returns what
        changed (empty when it already had them). Explicit only: nothing else writes.

        Parameters
        ----------
        rate_hz : float, optional
            Output rate, one of ``witmotion_wire.RATE_CODES`` (20 or 100 for WT61/JY61).
        content : sequence of int, optional
            Frame types to send, e.g. ``(0x51, 0x53)``.
        baud : int, optional
            New baud rate; the host follows.
        auto_baud : bool
            Move to 115200 baud when the requested output does not fit the current rate
            (at 9600 baud four frame types fit only ≈ 21 Hz); otherwise refuse.

        Raises
        ------
        DeviceError
            Listen-only sensor, or the read-back does not match (nothing is claimed).
        """
        return self._call(
            lambda: apply_configuration(
                self, rate_hz=rate_hz, content=content, baud=baud, auto_baud=auto_baud
            ),
            20.0,
        )
