"""WitMotion sensors that cannot be configured from the host, as pty emulators.

* :class:`WT61Emulator` - a WT61/JY61/BWT61 with the legacy firmware (devices.md §1.6): only
  0x51/0x52/0x53 frames, the temperature ``(raw / 340 + 36.53 °C)`` in word 3 of all three
  (no version word), 3-byte ``FF AA <code>`` commands, no register read-back, 100 Hz at
  115200 baud from the factory.
* :class:`WitReplayEmulator` - a recorded WitMotion stream (a WT901SD card log, a capture)
  replayed through a serial pair, one output cycle per period; it never answers.
* A WIT-standard sensor wired TX-only is a :class:`~drivers.emulators.witmotion.WitEmulator`
  with ``faults.ignore_commands = True`` (its RX pin is not connected).

All of them record every byte the host sends in ``received``
(:class:`~drivers.emulators.base.PtyEmulator`), so a test proves what a driver wrote.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

import numpy as np

from drivers.codecs import witmotion_legacy as legacy
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.tilt import euler_from_gravity, up_for_tilt
from drivers.codecs.witmotion import WitMotionCodec
from drivers.emulators.base import PtyEmulator, scripted_lunge_deg
from drivers.emulators.witmotion import WitEmulator

_LEGACY_RATE_CODES = {100.0: wire.RATE_CODES[100.0], 20.0: wire.RATE_CODES[20.0]}


class WT61Emulator(WitEmulator):
    """A WT61/JY61 (legacy firmware) on a pty: streams, obeys 3-byte commands, reads nothing.

    Parameters
    ----------
    rate_hz : float
        100 (the factory setting, at 115200 baud) or 20 (at 9600 baud).
    temperature_c : float
        Chip temperature reported in every frame.
    **kwargs
        See :class:`~drivers.emulators.witmotion.WitEmulator` (the pose script, ``link`` …).

    Attributes
    ----------
    legacy_commands : list of int
        Every command code the sensor acted on, in order.
    accel_calibrations : int
        Times an accelerometer calibration (0x67) was run.
    sleeping : bool
        Output stopped by 0x60.
    """

    name = "wt61"

    def __init__(self, *, rate_hz: float = 100.0, temperature_c: float = 25.0, **kwargs: Any):
        legacy.preset_for(rate_hz)  # validates
        baud = 115200 if float(rate_hz) == 100.0 else 9600
        kwargs.setdefault("device_baud", baud)
        self.temperature_c = temperature_c
        self.legacy_commands: list[int] = []
        self.accel_calibrations = 0
        self.sleeping = False
        self.vertical = False
        self._legacy_parser = legacy.LegacyCommandParser()
        super().__init__(rate_hz=rate_hz, content=legacy.FRAME_TYPES, **kwargs)
        self.registers[wire.REG_RRATE] = _LEGACY_RATE_CODES[float(rate_hz)]
        self.flash = dict(self.registers)

    @property
    def rate_hz(self) -> float:
        """Current output rate (0 while asleep)."""
        return 0.0 if self.sleeping else super().rate_hz

    def _frames_at(self, t: float) -> bytes:
        acc, angles = self.pose_at(t)
        angles = angles - self.angle_offset
        temp = legacy.temperature_raw(self.temperature_c)
        self._sample_number += 1
        acc_words = np.append(np.rint(acc / wire.ACC_RANGE_G * wire.FULL_SCALE), temp)
        angle_raw = np.rint(wire.wrap_deg(angles) / wire.ANGLE_RANGE_DEG * wire.FULL_SCALE)
        angle_raw = angle_raw.clip(-32768, 32767)
        a = angle_raw * 180.0 / 32768
        self.sent_angles.append((float(a[0]), float(a[1]), float(a[2])))
        words = np.array([acc_words, [0, 0, 0, temp], np.append(angle_raw, temp)])
        return wire.encode_frames(list(legacy.FRAME_TYPES), words)

    def on_host_bytes(self, data: bytes, now: float) -> None:
        for code in self._legacy_parser.feed(data):
            self._legacy_command(code, now)

    def _legacy_command(self, code: int, now: float) -> None:
        self.legacy_commands.append(code)
        if code == legacy.ZERO_YAW and self._t0 is not None:
            self.angle_offset = np.array([0.0, 0.0, self.pose_at(now - self._t0)[1][2]])
        elif code == legacy.CALIBRATE_ACCEL:
            self.accel_calibrations += 1
        elif code == legacy.TOGGLE_SLEEP:
            self.sleeping = not self.sleeping
            self._next_t = now
        elif code in legacy.PRESETS:
            baud, rate = legacy.PRESETS[code]
            self.registers[wire.REG_RRATE] = _LEGACY_RATE_CODES[rate]
            self.registers[wire.REG_BAUD] = wire.BAUD_CODES[baud]
            self.flash = dict(self.registers)  # the firmware stores it at once
            self.device_baud = baud
            self._next_t = now
        elif code in (legacy.MOUNT_HORIZONTAL, legacy.MOUNT_VERTICAL):
            self.vertical = code == legacy.MOUNT_VERTICAL


def render_capture(
    seconds: float,
    *,
    rate_hz: float = 10.0,
    content: tuple[int, ...] = (wire.TIME, wire.ACC, wire.GYRO, wire.ANGLE, wire.MAG),
    peak_deg: float = 40.0,
    ramp_s: float = 2.0,
    hold_s: float = 1.0,
    version: int = 0x1234,
    start: dt.datetime = dt.datetime(2026, 3, 2, 9, 30, 0),
) -> bytes:
    """A WT901SD-style log: ``seconds`` of output cycles of a scripted lunge, as bytes.

    Each cycle holds the ``content`` frames in ascending type order, as the device writes
    them (0x50 carries the card's clock). The sensor is strapped with X up the shin, leaning
    towards -Z, like :class:`~drivers.emulators.witmotion.WitEmulator`'s default pose.
    """
    count = max(1, round(seconds * rate_hz))
    t = np.arange(count) / rate_hz
    tilt = np.array([scripted_lunge_deg(float(x), peak_deg, ramp_s, hold_s) for x in t])
    up = up_for_tilt(tilt, "x", "-z")
    roll_pitch = euler_from_gravity(up)
    angles = np.column_stack((roll_pitch, np.full(count, 12.0)))
    parts: list[bytes] = []
    for i in range(count):
        for frame_type in content:
            if frame_type == wire.TIME:
                parts.append(wire.encode_time(start + dt.timedelta(seconds=float(t[i]))))
            elif frame_type == wire.ACC:
                parts.append(wire.encode_acc(up[i]))
            elif frame_type == wire.GYRO:
                parts.append(wire.encode_gyro(np.zeros(3)))
            elif frame_type == wire.ANGLE:
                parts.append(wire.encode_angle(angles[i], version))
            elif frame_type == wire.MAG:
                parts.append(wire.encode_mag(np.array([120.0, -40.0, 300.0])))
    return b"".join(parts)


def split_cycles(capture: bytes) -> list[bytes]:
    """``capture`` cut after every checksum-valid 0x53 angle frame (one output cycle each);
    bytes after the last one form a final piece."""
    buf = np.frombuffer(capture, dtype=np.uint8)
    rows, starts, _ = WitMotionCodec()._frame(buf)
    ends = starts[rows[:, 1] == wire.ANGLE] + wire.FRAME_LEN
    cuts = [0, *(int(e) for e in ends)]
    if cuts[-1] < len(capture):
        cuts.append(len(capture))
    return [capture[a:b] for a, b in itertools.pairwise(cuts) if b > a]


class WitReplayEmulator(PtyEmulator):
    """A recorded WitMotion stream replayed through a serial pair; deaf to the host.

    Parameters
    ----------
    capture : bytes
        The recording (e.g. a WT901SD card's log file, or :func:`render_capture`).
    rate_hz : float
        Output cycles per second (one cycle ends with each 0x53 angle frame).
    loop : bool
        Start again from the beginning at the end.
    **kwargs
        See :class:`~drivers.emulators.base.PtyEmulator`.
    """

    name = "witmotion-replay"

    def __init__(
        self, capture: bytes, *, rate_hz: float = 10.0, loop: bool = True, **kwargs: Any
    ) -> None:
        self.cycles = split_cycles(capture)
        if not self.cycles:
            raise ValueError("the capture holds no WitMotion data")
        self.rate_hz = rate_hz
        self.loop = loop
        self.cycles_sent = 0
        self._t0: float | None = None
        self._next_t = 0.0
        super().__init__(**kwargs)

    def on_host_connected(self, now: float) -> None:
        if self._t0 is None:
            self._t0 = self._next_t = now

    def next_due(self, now: float) -> float:
        return self._next_t if self._t0 is not None else now + 0.01

    def on_host_bytes(self, data: bytes, now: float) -> None:
        return None  # a recording cannot answer

    def produce(self, now: float) -> list[tuple[bytes, int]]:
        if self._t0 is None:
            return []
        if now - self._next_t > 1.0:
            self._next_t = now
        out: list[tuple[bytes, int]] = []
        while self._next_t <= now:
            index = self.cycles_sent % len(self.cycles) if self.loop else self.cycles_sent
            if index >= len(self.cycles):
                self._next_t = math.inf
                break
            out.append((self.cycles[index], 1))
            self.cycles_sent += 1
            self._next_t += 1.0 / self.rate_hz
        return out
