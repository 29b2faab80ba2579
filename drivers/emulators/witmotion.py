"""WitMotion WIT-standard inclinometer emulator (pty master side).

Behaves like a WT901/HWT901B on a USB-UART bridge (devices.md §1, §4.7):

* streams the RSW-selected frames (default 0x51 acceleration, 0x52 angular rate, 0x53
  angle, 0x54 magnetic field) every 1/RRATE s from a scripted pose: the tibia inclination
  ramps from 0° to ``peak_deg`` over ``ramp_s`` and is held, repeating;
* accepts ``FF AA <reg> <lo> <hi>`` commands (resynchronising byte by byte), writes only
  within ``unlock_window_s`` (10 s on the real device) after ``FF AA 69 88 B5``, keeps
  settings in RAM and stores them on ``FF AA 00 00 00``; a replug restores the stored ones;
* answers ``FF AA 27 <addr>`` with a ``55 5F`` frame of four registers;
* talks at :attr:`device_baud` only: if the host's port is at another speed its output is
  scrambled and its commands are ignored; a BAUD write switches the device's rate.

Pose of the script: the sensor is strapped with ``mounting_axis`` (default X, the codec's
default) along the tibia, pointing to the knee, and the shin leans forward towards
``lean_axis``; the 0x51 acceleration is the gravity reaction (1 g up) and the 0x53 roll
and pitch are the Z-Y-X Euler angles of the same attitude (:mod:`drivers.codecs.tilt`),
so both routes to ``tibia_deg`` agree.

Manual use (a pty with a stable name that the app or ``clinic-app devices stream`` opens)::

    python -m drivers.emulators.witmotion --link /tmp/ttyWIT --rate 200
    # or, the device side of a socat pair:
    socat -d -d pty,raw,echo=0,link=/tmp/ttyV0 pty,raw,echo=0,link=/tmp/ttyV1 &
    python -m drivers.emulators.witmotion --tty /tmp/ttyV1
    clinic-app devices stream --port /tmp/ttyV0 --protocol witmotion --baud 115200 --csv
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from drivers.codecs import witmotion_wire as wire
from drivers.codecs.tilt import euler_from_gravity, up_for_tilt
from drivers.codecs.witmotion import WitCommandParser
from drivers.emulators.base import PtyEmulator, scripted_lunge_deg
from drivers.emulators.cli import run_emulator_main

RATE_BY_CODE = {code: rate for rate, code in wire.RATE_CODES.items()}
BAUD_BY_CODE = {code: baud for baud, code in wire.BAUD_CODES.items()}
FIRMWARE_VERSION = 0x1234


class WitEmulator(PtyEmulator):
    """A WitMotion inclinometer on a pty.

    Parameters
    ----------
    rate_hz : float
        Initial output rate (stored setting); one of ``wire.RATE_CODES``.
    content : sequence of int
        Initially enabled frame types.
    peak_deg, ramp_s, hold_s : float
        The scripted lunge: ramp from 0 to ``peak_deg`` in ``ramp_s``, hold ``hold_s``,
        back to 0 in ``ramp_s``, hold ``hold_s``, repeat.
    mounting_axis, lean_axis : str
        Sensor axis along the tibia, and the sensor axis the shin leans towards.
    unlock_window_s : float
        Writes are accepted this long after an unlock (10 s on the device).
    yaw_counter : bool
        Encode the sample number in the yaw (``yaw = (n mod 3600) × 0.1° − 180°``) so
        that a benchmark can match every received sample to its write time
        (:meth:`sample_index_from_yaw`); otherwise the yaw is a constant 12°.
    **kwargs
        See :class:`drivers.emulators.base.PtyEmulator` (``link``, ``device_baud`` …).
    """

    name = "witmotion"

    def __init__(
        self,
        *,
        rate_hz: float = 10.0,
        content: Sequence[int] = (wire.ACC, wire.GYRO, wire.ANGLE, wire.MAG),
        peak_deg: float = 40.0,
        ramp_s: float = 3.0,
        hold_s: float = 2.0,
        mounting_axis: str = "x",
        lean_axis: str = "-z",
        unlock_window_s: float = 10.0,
        yaw_counter: bool = False,
        **kwargs: Any,
    ) -> None:
        self.peak_deg = peak_deg
        self.ramp_s = ramp_s
        self.hold_s = hold_s
        self.mounting_axis = mounting_axis
        self.lean_axis = lean_axis
        self.unlock_window_s = unlock_window_s
        self.yaw_counter = yaw_counter
        self._sample_number = 0
        rsw = 0
        for frame_type in content:
            rsw |= wire.CONTENT_BITS[frame_type]
        self.flash: dict[int, int] = {
            wire.REG_RSW: rsw,
            wire.REG_RRATE: wire.RATE_CODES[float(rate_hz)],
            wire.REG_BAUD: wire.BAUD_CODES[int(kwargs.get("device_baud", 115200))],
            wire.REG_ORIENT: 0,
            wire.REG_AXIS6: 0,
            wire.REG_VERSION: FIRMWARE_VERSION,
        }
        self.registers = dict(self.flash)
        self.unlocked_until = -math.inf
        self.ignored_writes = 0
        self.accepted_writes: list[tuple[int, int]] = []
        self.angle_offset = np.zeros(3)
        self.sent_angles: list[tuple[float, float, float]] = []
        self._parser = WitCommandParser()
        self._t0: float | None = None
        self._next_t = 0.0
        super().__init__(**kwargs)

    # ------------------------------------------------------------------ signal
    @property
    def rate_hz(self) -> float:
        """Current output rate (0 when output is off)."""
        return RATE_BY_CODE.get(self.registers[wire.REG_RRATE], 0.0)

    def tibia_at(self, t: float) -> float:
        """Scripted tibia inclination (degrees) at ``t`` seconds after start."""
        return scripted_lunge_deg(t, self.peak_deg, self.ramp_s, self.hold_s)

    def pose_at(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Acceleration (g, sensor frame) and roll/pitch/yaw (°) at ``t`` seconds."""
        up = up_for_tilt(self.tibia_at(t), self.mounting_axis, self.lean_axis)
        roll, pitch = euler_from_gravity(up)[0]
        return up[0], np.array([roll, pitch, 12.0])

    def _frames_at(self, t: float) -> bytes:
        acc, angles = self.pose_at(t)
        angles = angles - self.angle_offset
        if self.yaw_counter:
            angles[2] = (self._sample_number % 3600) * 0.1 - 180.0
        self._sample_number += 1
        rsw = self.registers[wire.REG_RSW]
        parts = []
        for frame_type in range(0x50, 0x5B):
            if not rsw & wire.CONTENT_BITS[frame_type]:
                continue
            if frame_type == wire.ACC:
                parts.append(wire.encode_acc(acc))
            elif frame_type == wire.GYRO:
                parts.append(wire.encode_gyro(np.zeros(3)))
            elif frame_type == wire.ANGLE:
                parts.append(wire.encode_angle(angles, self.registers[wire.REG_VERSION]))
                raw = np.rint(wire.wrap_deg(angles) / 180.0 * 32768).clip(-32768, 32767)
                a = raw * 180.0 / 32768
                self.sent_angles.append((float(a[0]), float(a[1]), float(a[2])))
            elif frame_type == wire.MAG:
                parts.append(wire.encode_mag(np.array([120.0, -40.0, 300.0])))
            elif frame_type == wire.QUATERNION:
                parts.append(wire.encode_quaternion(np.array([1.0, 0.0, 0.0, 0.0])))
        return b"".join(parts)

    # ------------------------------------------------------------------ PtyEmulator
    def next_due(self, now: float) -> float:
        return self._next_t if self.rate_hz else now + 0.01

    def on_host_connected(self, now: float) -> None:
        if self._t0 is None:
            self._t0 = now
            self._next_t = now

    def on_replug(self) -> None:
        self.registers = dict(self.flash)
        self.device_baud = BAUD_BY_CODE[self.registers[wire.REG_BAUD]]
        self.unlocked_until = -math.inf
        self._parser = WitCommandParser()

    def produce(self, now: float) -> list[tuple[bytes, int]]:
        rate = self.rate_hz
        if not rate or self._t0 is None:
            return []
        frames: list[tuple[bytes, int]] = []
        period = 1.0 / rate
        if now - self._next_t > 1.0:  # host stalled or paused: skip, don't flood
            self._next_t = now
        while self._next_t <= now:
            frames.append((self._frames_at(self._next_t - self._t0), 1))
            self._next_t += period
        return frames

    def on_host_bytes(self, data: bytes, now: float) -> None:
        for register, value in self._parser.feed(data):
            self._command(register, value, now)

    def _command(self, register: int, value: int, now: float) -> None:
        if register == wire.REG_KEY:
            if value == wire.UNLOCK_KEY:
                self.unlocked_until = now + self.unlock_window_s
            return
        if register == wire.REG_READ:
            regs = [self.registers.get(value + i, 0) for i in range(4)]
            self.reply(wire.encode_readback(regs))
            return
        if now > self.unlocked_until:
            self.ignored_writes += 1
            return
        self.accepted_writes.append((register, value))
        if register == wire.REG_SAVE:
            if value == 0x0000:
                self.flash = dict(self.registers)
            return
        if register == wire.REG_CALSW:
            if value == wire.CAL_ANGLE_REFERENCE and self._t0 is not None:
                t = now - self._t0
                self.angle_offset = self.pose_at(t)[1]
            return
        self.registers[register] = value
        if register == wire.REG_BAUD and value in BAUD_BY_CODE:
            self.device_baud = BAUD_BY_CODE[value]
        if register == wire.REG_RRATE:
            self._next_t = now


def sample_index_from_yaw(yaw_deg: np.ndarray) -> np.ndarray:
    """Sample number modulo 3600 from the yaw of a ``yaw_counter`` emulator."""
    return np.rint((np.asarray(yaw_deg) + 180.0) / 0.1).astype(np.int64) % 3600


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator as a process (see the module docstring)."""
    return run_emulator_main(
        argv,
        description="WitMotion inclinometer emulator on a pty",
        factory=lambda rate, port: WitEmulator(rate_hz=rate or 10.0, **port),
    )


if __name__ == "__main__":
    raise SystemExit(main())
