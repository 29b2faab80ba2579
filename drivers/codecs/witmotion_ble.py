"""Codec for WitMotion BLE 5.0 notifications (WT901BLECL, BWT901BLE5.0; devices.md §1.7).

Pure: notification payloads in, inclinometer samples and register replies out, no I/O.

Frames (20 bytes, **no checksum**)
    ``55 61`` + nine int16 LE: ax ay az (/32768 × 16 g), wx wy wz (/32768 × 2000 °/s),
    roll pitch yaw (/32768 × 180 °). ``55 71`` + start register (u16 LE) + eight registers
    (u16 LE): the reply to a register read (``FF AA 27 <reg> 00``). A notification normally
    holds one frame; a larger MTU may pack several back to back, and a frame split between
    two notifications is joined when the first one ended with the start of a frame.
    Anything else - a truncated notification, bytes that do not start a frame - is counted
    in ``garbage_bytes`` and dropped.
Product
    ``0x61`` is reused with a 28-byte layout by the WTVB01-BT50 vibration sensor (§1.7), so
    the device dispatches on the product (:func:`product_for`), and this codec refuses
    notifications whose length is a multiple of 28 but not of 20 (``foreign_layout``).
Plausibility (the only defence: there is no checksum)
    |a| ≤ ``accel_max_g`` per frame; roll and pitch continuous from frame to frame (at most
    ``max_angular_rate_dps / output_rate_hz``, gimbal-aware, as for the serial frames) on a
    :class:`~.plausibility.ContinuityTrack` that needs three consistent frames to lock.
Samples
    ``angle_x/y/z_deg`` = roll, pitch, yaw; ``tibia_deg`` from the frame's own gravity vector
    when quasi-static and within ``accel_agreement_deg`` of the fused angles' tilt, else from
    the fused roll and pitch (see :mod:`.witmotion`); ``seq`` -1, ``t_dev_s`` NaN.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from drivers.base import INCLINOMETER_DTYPE, SampleArray
from drivers.codecs import witmotion_checks as checks
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.plausibility import ContinuityTrack
from drivers.codecs.tilt import gravity_from_euler, tilt_from_vertical

FRAME_LEN: Final = 20
DATA: Final = 0x61
REGISTERS: Final = 0x71
VIBRATION_FRAME_LEN: Final = 28
SERVICE_UUID: Final = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID: Final = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID: Final = "0000ffe9-0000-1000-8000-00805f9a34fb"
BATTERY_LEVEL_UUID: Final = "00002a19-0000-1000-8000-00805f9b34fb"
"""Standard GATT Battery Level (percent), used when the sensor exposes it."""
REG_POWER: Final = 0x64
"""Battery register of the BLE 5.0 models [S: read as ``FF AA 27 64 00`` by a public
WitMotion BLE example; its unit is not documented there: shown as volts ×100 when it reads
3.0-4.5 V, else not shown]."""


@dataclass(frozen=True)
class Product:
    """A BLE product: what its notifications are and whether DorsiLab can use it."""

    name: str
    inclinometer: bool
    note: str


PRODUCTS: Final = (
    (re.compile(r"^WTVB01", re.I), Product("WitMotion WTVB01 vibration sensor", False,
     "a vibration sensor (28-byte 0x61 frames), not an inclinometer")),
    (re.compile(r"^(B?WT901|WT9011|WT901BLE|WT)", re.I), Product(
        "WitMotion BLE 5.0 inclinometer", True, "20-byte 0x61 notifications")),
)  # fmt: skip
"""Advertised-name patterns → product, first match wins (devices.md §1.7)."""


def product_for(name: str | None) -> Product | None:
    """The product an advertised name belongs to (None: not a WitMotion BLE sensor)."""
    for pattern, product in PRODUCTS:
        if name and pattern.search(name):
            return product
    return None


def encode_data(acc_g: npt.ArrayLike, gyro_dps: npt.ArrayLike, angles_deg: npt.ArrayLike) -> bytes:
    """One ``55 61`` notification (emulators and tests)."""
    values = np.concatenate(
        (
            np.asarray(acc_g, dtype=np.float64) / wire.ACC_RANGE_G,
            np.asarray(gyro_dps, dtype=np.float64) / wire.GYRO_RANGE_DPS,
            wire.wrap_deg(angles_deg) / wire.ANGLE_RANGE_DEG,
        )
    )
    raw = np.clip(np.rint(values * wire.FULL_SCALE), -32768, 32767).astype("<i2")
    return bytes((wire.HEADER, DATA)) + raw.tobytes()


def encode_registers(start: int, values: list[int]) -> bytes:
    """One ``55 71`` reply: eight registers from ``start`` (missing ones are 0)."""
    regs = (list(values) + [0] * 8)[:8]
    return bytes((wire.HEADER, REGISTERS)) + np.array([start, *regs], dtype="<u2").tobytes()


@dataclass(frozen=True)
class BleBatch:
    """What one notification produced: samples and ``(start register, values)`` replies."""

    samples: SampleArray
    registers: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)


class WitBleCodec:
    """Stateful decoder of WitMotion BLE notifications (module docstring).

    Attributes
    ----------
    frames, garbage_bytes, implausible, unconfirmed, foreign_layout : int
        Data frames taken; bytes dropped; frames rejected by plausibility; frames withheld
        while locking; notifications in another product's layout.
    """

    def __init__(
        self,
        *,
        mounting_axis: str = "x",
        output_rate_hz: float = 10.0,
        max_angular_rate_dps: float = 720.0,
        accel_max_g: float = 8.0,
        static_band_g: float = 0.2,
        accel_agreement_deg: float = 5.0,
    ) -> None:
        self.mounting_axis = mounting_axis
        self.output_rate_hz = output_rate_hz
        self.max_angular_rate_dps = max_angular_rate_dps
        self.accel_max_g = accel_max_g
        self.static_band_g = static_band_g
        self.accel_agreement_deg = accel_agreement_deg
        step = checks.angle_step(self._max_step, check_version=False)
        self._angle = ContinuityTrack(step, 3, 5)
        self._pending = b""
        self.frames = self.garbage_bytes = self.implausible = 0
        self.unconfirmed = self.foreign_layout = 0

    def _max_step(self) -> float:
        return self.max_angular_rate_dps / max(self.output_rate_hz, 1e-3)

    def reset(self) -> None:
        """Forget a partial frame and the plausibility history."""
        self._pending = b""
        self._angle.reset()

    def resync(self) -> None:
        """Notifications were skipped (a pause): drop a partial frame, re-acquire."""
        self._pending = b""
        self._angle.reset()

    def feed(self, notification: bytes, t_host_s: float = math.nan) -> BleBatch:
        """Decode one notification's payload (any bytes: never raises)."""
        data = bytes(notification)
        if (
            len(data) % VIBRATION_FRAME_LEN == 0
            and len(data) % FRAME_LEN
            and data[:2] == bytes((wire.HEADER, DATA))
        ):
            self.foreign_layout += 1
            self.garbage_bytes += len(data)
            return BleBatch(np.zeros(0, dtype=INCLINOMETER_DTYPE))
        if self._pending:
            data, self._pending = self._pending + data, b""
        rows: list[bytes] = []
        registers: list[tuple[int, tuple[int, ...]]] = []
        pos = 0
        while pos < len(data):
            head = data[pos : pos + 2]
            if len(head) == 2 and head[0] == wire.HEADER and head[1] in (DATA, REGISTERS):
                frame = data[pos : pos + FRAME_LEN]
                if len(frame) < FRAME_LEN:
                    self._pending = frame  # completed by the next notification
                    break
                if head[1] == DATA:
                    rows.append(frame)
                else:
                    regs = np.frombuffer(frame[2:], dtype="<u2")
                    registers.append((int(regs[0]), tuple(int(r) for r in regs[1:])))
                pos += FRAME_LEN
            elif len(head) == 2 or data[pos:] != bytes((wire.HEADER,)):
                pos += 1
                self.garbage_bytes += 1
            else:
                self._pending = data[pos:]
                break
        return BleBatch(self._samples(rows, t_host_s), registers)

    def _samples(self, rows: list[bytes], t_host_s: float) -> SampleArray:
        if not rows:
            return np.zeros(0, dtype=INCLINOMETER_DTYPE)
        words = np.frombuffer(b"".join(r[2:] for r in rows), dtype="<i2").reshape(-1, 9)
        self.frames += len(words)
        acc_counts = words[:, 0:3].astype(np.int64)
        limit = (self.accel_max_g * checks.COUNTS_PER_G) ** 2
        single = np.einsum("ij,ij->i", acc_counts, acc_counts) <= limit
        raw_angles = words[:, 6:9].astype(np.float64)
        track_rows = np.column_stack((raw_angles, np.zeros(len(words))))
        result = self._angle.filter(track_rows, None if bool(single.all()) else single)
        self.implausible += result.rejected
        self.unconfirmed += result.withheld
        keep = result.accepted
        if not keep.any():
            return np.zeros(0, dtype=INCLINOMETER_DTYPE)
        angles = wire.words_scaled(words[keep, 6:9], wire.ANGLE_RANGE_DEG)
        up = gravity_from_euler(angles[:, 0], angles[:, 1])
        tibia = tilt_from_vertical(up, self.mounting_axis)
        acc = acc_counts[keep].astype(np.float64)
        norm_sq = np.einsum("ij,ij->i", acc, acc)
        low = (max(1.0 - self.static_band_g, 0.0) * checks.COUNTS_PER_G) ** 2
        high = ((1.0 + self.static_band_g) * checks.COUNTS_PER_G) ** 2
        from_gravity = tilt_from_vertical(acc, self.mounting_axis)
        agree = (norm_sq >= low) & (norm_sq <= high)
        agree &= np.abs(from_gravity - tibia) <= self.accel_agreement_deg
        samples = np.empty(int(np.count_nonzero(keep)), dtype=INCLINOMETER_DTYPE)
        samples["t_host_s"] = t_host_s
        samples["seq"] = -1
        samples["t_dev_s"] = math.nan
        samples["angle_x_deg"] = angles[:, 0]
        samples["angle_y_deg"] = angles[:, 1]
        samples["angle_z_deg"] = angles[:, 2]
        samples["tibia_deg"] = np.where(agree, from_gravity, tibia)
        return samples


def battery_text(percent: int | None = None, power_register: int | None = None) -> str:
    """The battery in words: a GATT percentage, or the power register as volts."""
    if percent is not None and 0 <= percent <= 100:
        return f"{percent} %"
    if power_register is not None and 300 <= power_register <= 450:
        return f"{power_register / 100:.2f} V"
    return ""
