"""Codec for WitMotion "WIT standard" 0x55 streams (WT901, HWT901B, BWT901CL, WT61 …).

Pure: bytes in, frames and inclinometer samples out, no I/O (DESIGN.md "Data flow").

Framing
    The byte-by-byte rule of devices.md §1.5, computed with numpy (:mod:`.framing`): a
    frame is taken where ``55 <type>`` starts a window whose byte sum matches, otherwise
    exactly ONE byte is dropped - never a jump to the next 0x55, so a valid frame whose
    payload contains 0x55 is never skipped. At most 10 bytes (an incomplete frame) stay
    buffered between calls, so noise cannot grow memory; ``feed`` splits very large inputs
    into 1 MiB slices so that temporaries stay bounded too.
Plausibility
    Checksum-valid frames then pass :class:`~.plausibility.ContinuityTrack` checks: word 3
    of 0x51/0x52/0x54 is a temperature within the operating range (-40…85 °C) that moves by
    less than 2 °C between frames; 0x51 has |a| ≤ ``accel_max_g``; 0x53 angles move by less
    than ``max_angular_rate_dps / output_rate_hz`` per frame and its version word stays
    constant; 0x50 holds a valid date and time; 0x59 a unit quaternion (±10 %). Tracks
    need three mutually consistent frames before their first frame is emitted.
Samples
    One :data:`drivers.base.INCLINOMETER_DTYPE` sample per accepted 0x53 frame:
    ``angle_x/y/z_deg`` = roll, pitch, yaw as sent; ``seq`` = -1 and ``t_dev_s`` = NaN (the
    protocol has neither); ``t_host_s`` = the value given to :meth:`WitMotionCodec.feed`.
Tibial inclination (``tibia_deg``) - decision
    The lunge test needs the angle of the tibia from vertical (devices.md §1.10). It is
    computed from the *gravity vector* of the latest accepted 0x51 acceleration frame of the
    same output cycle (at most ``MAX_ACC_AGE`` frames old) when that frame is quasi-static
    (|a| within ``static_band_g`` of 1 g), as the angle between the mounting axis
    (parameter, default ``"x"``) and vertical (:mod:`.tilt`). Why: the WBLT is read at a
    held end position, where the accelerometer measures gravity alone; that angle does
    not depend on the Euler order, on yaw, on the magnetometer (the 9-axis fusion is
    disturbed near metal) or on gimbal effects, which hit exactly this mounting because a
    vertical sensor axis sits at a pitch near ±90°. While the leg moves (|a| off 1 g) or
    when 0x51 output is disabled, the gravity direction is rebuilt from the fused roll
    and pitch of the 0x53 frame instead (same formula, yaw-free). ``tibia_source="euler"``
    always uses the fused angles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from drivers.base import INCLINOMETER_DTYPE, SampleArray
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.framing import gather_rows, select_greedy, visited
from drivers.codecs.plausibility import ContinuityTrack
from drivers.codecs.tilt import axis_vector, gravity_from_euler, tilt_from_vertical
from drivers.codecs.witmotion_wire import *  # noqa: F403  (re-export the wire API)

MAX_ACC_AGE: Final = 8
"""Frames an acceleration frame may precede the angle frame it is paired with."""
SLICE_BYTES: Final = 1 << 20

FloatRows = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _empty_frames() -> npt.NDArray[np.void]:
    return np.zeros(0, dtype=wire.WIT_FRAME_DTYPE)


def _empty_samples() -> SampleArray:
    return np.zeros(0, dtype=INCLINOMETER_DTYPE)


@dataclass(frozen=True)
class WitBatch:
    """What one :meth:`WitMotionCodec.feed` call produced.

    Attributes
    ----------
    samples : ndarray of INCLINOMETER_DTYPE
        One sample per accepted 0x53 angle frame, in stream order.
    frames : ndarray of WIT_FRAME_DTYPE
        Every accepted frame (all types), in stream order, raw words.
    """

    samples: SampleArray = field(default_factory=_empty_samples)
    frames: npt.NDArray[np.void] = field(default_factory=_empty_frames)

    def words(self, frame_type: int) -> npt.NDArray[np.int16]:
        """Raw words ``(n, 4)`` of the accepted frames of one type."""
        words: npt.NDArray[np.int16] = self.frames["words"][self.frames["type"] == frame_type]
        return words

    @property
    def acc(self) -> FloatRows:
        """0x51 frames as ``(n, 4)``: ax, ay, az in g, temperature in °C."""
        words = self.words(wire.ACC)
        return np.column_stack((wire.words_scaled(words, wire.ACC_RANGE_G), words[:, 3] / 100))

    @property
    def gyro(self) -> FloatRows:
        """0x52 frames as ``(n, 4)``: wx, wy, wz in °/s, temperature in °C."""
        words = self.words(wire.GYRO)
        return np.column_stack((wire.words_scaled(words, wire.GYRO_RANGE_DPS), words[:, 3] / 100))

    @property
    def angle(self) -> FloatRows:
        """0x53 frames as ``(n, 3)``: roll, pitch, yaw in degrees."""
        return wire.words_scaled(self.words(wire.ANGLE), wire.ANGLE_RANGE_DEG)

    @property
    def registers(self) -> npt.NDArray[np.uint16]:
        """0x5F register read-back replies as ``(n, 4)`` uint16 values."""
        return wire.registers_u16(self.words(wire.READBACK))


class WitMotionCodec:
    """Stateful decoder of a WitMotion byte stream (see the module docstring).

    Parameters
    ----------
    mounting_axis : {"x", "y", "z", "-x", "-y", "-z"}
        Sensor axis strapped along the tibia, pointing to the knee.
    tibia_source : {"accel", "euler"}
        How ``tibia_deg`` is derived (module docstring).
    output_rate_hz : float
        Configured output rate; sets the largest plausible angle step per frame.
    max_angular_rate_dps : float
        Fastest plausible rotation of the shin, °/s.
    check_version : bool
        Require a constant 0x53 word 3 (False for WT61/JY61, where it is a temperature).
    accel_max_g, static_band_g : float
        Largest plausible |a|; tolerance around 1 g for "quasi-static".
    lock_count, relock_after : int
        See :class:`~.plausibility.ContinuityTrack`.
    accepted_types : iterable of int
        Type bytes recognised after the 0x55 header (default: 0x50-0x5A and 0x5F).

    Attributes
    ----------
    frames : int
        Checksum-valid frames seen.
    dropped_bytes : int
        Bytes discarded while resynchronising.
    checksum_failures : int
        Header + type positions whose checksum failed.
    implausible : int
        Checksum-valid frames rejected by the plausibility checks.
    unconfirmed : int
        Frames withheld while a track was (re)locking.
    """

    def __init__(
        self,
        *,
        mounting_axis: str = "x",
        tibia_source: Literal["accel", "euler"] = "accel",
        output_rate_hz: float = 10.0,
        max_angular_rate_dps: float = 720.0,
        check_version: bool = True,
        accel_max_g: float = 8.0,
        static_band_g: float = 0.2,
        lock_count: int = 3,
        relock_after: int = 5,
        accepted_types: Iterable[int] = wire.FRAME_TYPES,
    ) -> None:
        axis_vector(mounting_axis)  # validates
        if tibia_source not in ("accel", "euler"):
            raise ValueError("tibia_source must be 'accel' or 'euler'")
        self.mounting_axis = mounting_axis
        self.tibia_source = tibia_source
        self.output_rate_hz = output_rate_hz
        self.max_angular_rate_dps = max_angular_rate_dps
        self.check_version = check_version
        self.accel_max_g = accel_max_g
        self.static_band_g = static_band_g
        self._type_ok = np.zeros(256, dtype=np.bool_)
        self._type_ok[list(accepted_types)] = True
        self._tracks = {
            frame_type: ContinuityTrack(step, lock_count, relock_after)
            for frame_type, step in (
                (wire.ACC, _temperature_step),
                (wire.GYRO, _temperature_step),
                (wire.MAG, _temperature_step),
                (wire.ANGLE, self._angle_step),
            )
        }
        self._residual = b""
        self._frame_index = 0
        self._last_acc: FloatRows = np.zeros((0, 3))
        self._last_acc_index = np.zeros(0, dtype=np.int64)
        self.frames = self.dropped_bytes = self.checksum_failures = 0
        self.implausible = self.unconfirmed = 0

    # ------------------------------------------------------------ public
    @property
    def buffered(self) -> int:
        """Bytes kept for the next call (an incomplete frame, at most 10)."""
        return len(self._residual)

    def reset(self) -> None:
        """Drop buffered bytes and plausibility history (counters are kept)."""
        self._residual = b""
        for track in self._tracks.values():
            track.reset()
        self._last_acc = np.zeros((0, 3))
        self._last_acc_index = np.zeros(0, dtype=np.int64)

    def feed(self, data: bytes, t_host_s: float = math.nan) -> WitBatch:
        """Decode the bytes read from the transport.

        Parameters
        ----------
        data : bytes
            Any amount: half a frame, twenty frames, or noise.
        t_host_s : float
            Host time stamp written into every sample produced by this call.
        """
        if len(data) > SLICE_BYTES:
            parts = [
                self.feed(data[i : i + SLICE_BYTES], t_host_s)
                for i in range(0, len(data), SLICE_BYTES)
            ]
            return WitBatch(
                np.concatenate([p.samples for p in parts]),
                np.concatenate([p.frames for p in parts]),
            )
        buf = np.frombuffer(self._residual + bytes(data), dtype=np.uint8)
        rows, stop = self._frame(buf)
        self._residual = buf[stop:].tobytes()
        if len(rows) == 0:
            return WitBatch()
        frames = _rows_to_frames(rows)
        first_index = self._frame_index
        self._frame_index += len(rows)
        self.frames += len(rows)
        accepted = self._plausible(frames)
        frames = frames[accepted]
        indexes = np.flatnonzero(accepted) + first_index
        samples = self._samples(frames, indexes, t_host_s)
        return WitBatch(samples, frames)

    # ------------------------------------------------------------ framing
    def _frame(self, buf: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], int]:
        size = len(buf)
        if size < wire.FRAME_LEN:
            return np.zeros((0, wire.FRAME_LEN), dtype=np.uint8), 0
        limit = size - wire.FRAME_LEN + 1
        heads = np.flatnonzero(buf[:limit] == wire.HEADER)
        heads = heads[self._type_ok[buf[heads + 1]]]
        rows = gather_rows(buf, heads, wire.FRAME_LEN)
        good = rows[:, :10].sum(axis=1, dtype=np.uint8) == rows[:, 10]
        starts = heads[good]
        rows = rows[good]
        taken = select_greedy(starts, np.full(len(starts), wire.FRAME_LEN, dtype=np.intp))
        if not taken.all():
            starts, rows = starts[taken], rows[taken]
        ends = starts + wire.FRAME_LEN
        stop = max(limit, int(ends[-1])) if len(ends) else limit
        bad = heads[~good]
        self.checksum_failures += int(np.count_nonzero(visited(bad, starts, ends)))
        self.dropped_bytes += stop - wire.FRAME_LEN * len(starts)
        return rows, stop

    # ------------------------------------------------------------ plausibility
    def _angle_step(self, previous: FloatRows, rows: FloatRows) -> BoolArray:
        limit = self.max_angular_rate_dps / max(self.output_rate_hz, 1e-3)
        delta = np.abs(wire.wrap_deg(rows[:, :3] - previous[:, :3]))
        ok: BoolArray = np.all(delta <= limit, axis=1)
        if self.check_version:
            ok = ok & (rows[:, 3] == previous[:, 3])
        return ok

    def _plausible(self, frames: npt.NDArray[np.void]) -> BoolArray:
        types = frames["type"]
        words = frames["words"]
        accepted = np.ones(len(frames), dtype=np.bool_)
        for frame_type, track in self._tracks.items():
            index = np.flatnonzero(types == frame_type)
            if len(index) == 0:
                continue
            values, single = self._values(frame_type, words[index])
            result = track.filter(values, single)
            accepted[index[~result.accepted]] = False
            self.implausible += result.rejected
            self.unconfirmed += result.withheld
        for frame_type, check in ((wire.TIME, _time_ok), (wire.QUATERNION, _quaternion_ok)):
            index = np.flatnonzero(types == frame_type)
            if len(index):
                bad = index[~check(words[index])]
                accepted[bad] = False
                self.implausible += len(bad)
        return accepted

    def _values(self, frame_type: int, words: npt.NDArray[Any]) -> tuple[FloatRows, BoolArray]:
        if frame_type == wire.ANGLE:
            values = words.astype(np.float64)
            values[:, :3] *= wire.ANGLE_RANGE_DEG / wire.FULL_SCALE
            return values, np.ones(len(words), dtype=np.bool_)
        values = wire.temperature_c(words)[:, None]
        single = (values[:, 0] >= -40.0) & (values[:, 0] <= 85.0)
        if frame_type == wire.ACC:
            acc = wire.words_scaled(words, wire.ACC_RANGE_G)
            single &= np.einsum("ij,ij->i", acc, acc) <= self.accel_max_g**2
        return values, single

    # ------------------------------------------------------------ samples
    def _samples(
        self, frames: npt.NDArray[np.void], indexes: npt.NDArray[np.int64], t_host_s: float
    ) -> SampleArray:
        types = frames["type"]
        is_angle = types == wire.ANGLE
        is_acc = types == wire.ACC
        acc_idx = np.concatenate((self._last_acc_index, indexes[is_acc]))
        acc = np.concatenate(
            (self._last_acc, wire.words_scaled(frames["words"][is_acc], wire.ACC_RANGE_G))
        )
        self._last_acc, self._last_acc_index = acc[-1:], acc_idx[-1:]
        count = int(np.count_nonzero(is_angle))
        if count == 0:
            return _empty_samples()
        angles = wire.words_scaled(frames["words"][is_angle], wire.ANGLE_RANGE_DEG)
        tibia = tilt_from_vertical(
            gravity_from_euler(angles[:, 0], angles[:, 1]), self.mounting_axis
        )
        if self.tibia_source == "accel" and len(acc_idx):
            angle_idx = indexes[is_angle]
            k = np.searchsorted(acc_idx, angle_idx) - 1
            pair = acc[np.maximum(k, 0)]
            magnitude = np.linalg.norm(pair, axis=1)
            use = (
                (k >= 0)
                & (angle_idx - acc_idx[np.maximum(k, 0)] <= MAX_ACC_AGE)
                & (np.abs(magnitude - 1.0) <= self.static_band_g)
            )
            if use.any():
                tibia[use] = tilt_from_vertical(pair[use], self.mounting_axis)
        samples = np.empty(count, dtype=INCLINOMETER_DTYPE)
        samples["t_host_s"] = t_host_s
        samples["seq"] = -1
        samples["t_dev_s"] = math.nan
        samples["angle_x_deg"] = angles[:, 0]
        samples["angle_y_deg"] = angles[:, 1]
        samples["angle_z_deg"] = angles[:, 2]
        samples["tibia_deg"] = tibia
        return samples


def _rows_to_frames(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.void]:
    frames = np.empty(len(rows), dtype=wire.WIT_FRAME_DTYPE)
    frames["type"] = rows[:, 1]
    frames["words"] = np.ascontiguousarray(rows[:, 2:10]).view("<i2")
    return frames


def decode_frames(data: bytes) -> npt.NDArray[np.void]:
    """Checksum-valid frames found in ``data`` by the framing rule alone (no plausibility
    checks, no state): for probing a port and for test vectors."""
    rows, _ = WitMotionCodec()._frame(np.frombuffer(data, dtype=np.uint8))
    return _rows_to_frames(rows)


class WitCommandParser:
    """Device-side parser of ``FF AA <reg> <lo> <hi>`` commands, for emulators.

    Uses the same drop-one-byte rule as the official firmware parsers: bytes that do not
    start ``FF AA`` are discarded one at a time. :meth:`feed` returns ``(register, value)``
    pairs (value as uint16).
    """

    def __init__(self) -> None:
        self._buf = b""
        self.dropped_bytes = 0

    def feed(self, data: bytes) -> list[tuple[int, int]]:
        """Commands completed by ``data``."""
        buf = self._buf + bytes(data)
        commands: list[tuple[int, int]] = []
        pos = 0
        while len(buf) - pos >= 5:
            if buf[pos] == 0xFF and buf[pos + 1] == 0xAA:
                commands.append((buf[pos + 2], buf[pos + 3] | (buf[pos + 4] << 8)))
                pos += 5
            else:
                pos += 1
                self.dropped_bytes += 1
        self._buf = buf[pos:]
        return commands


def _temperature_step(previous: FloatRows, rows: FloatRows) -> BoolArray:
    ok: BoolArray = np.abs(rows[:, 0] - previous[:, 0]) <= 2.0
    return ok


def _time_ok(words: npt.NDArray[Any]) -> BoolArray:
    b = np.ascontiguousarray(words).view(np.uint8).reshape(-1, 8).astype(np.int64)
    millis = b[:, 6] | (b[:, 7] << 8)
    ok: BoolArray = (
        (b[:, 0] <= 99)
        & (b[:, 1] >= 1)
        & (b[:, 1] <= 12)
        & (b[:, 2] >= 1)
        & (b[:, 2] <= 31)
        & (b[:, 3] <= 23)
        & (b[:, 4] <= 59)
        & (b[:, 5] <= 59)
        & (millis <= 999)
    )
    return ok


def _quaternion_ok(words: npt.NDArray[Any]) -> BoolArray:
    q = words.astype(np.float64) / wire.FULL_SCALE
    norm = np.einsum("ij,ij->i", q, q)
    ok: BoolArray = (norm >= 0.81) & (norm <= 1.21)
    return ok
