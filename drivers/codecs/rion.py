"""Codec for Rion-family "0x68" BCD inclinometers (Rion SCA/HCA/ACA, Rion compasses).

Pure: bytes in, samples and replies out, no I/O.

Framing
    Byte-by-byte rule, vectorised with :mod:`.framing`: at the read position, a byte other
    than 0x68, or a LEN outside 4…40, drops ONE byte; a frame whose LEN reaches past the
    received bytes waits for more; a checksum mismatch drops ONE byte (so a truncated
    reply followed by the next one resynchronises onto the next one); a valid frame is
    taken whole. Frames are sized from LEN (devices.md §2.1), so two-axis, two-axis +
    temperature and three-axis replies all decode. At most 40 bytes stay buffered.
    Nothing raises on truncated or corrupt input; :meth:`RionCodec.reset` drops a
    half-received reply after a poll timeout.
Replies 0x84 (read angles)
    Decoded as packed BCD of ``bcd_width`` bytes (3 = 0.01°, 4 = 0.0001°); the number of
    values is the data length divided by the width. A reply with an invalid BCD digit or
    sign nibble, a value beyond ±360°, a data length that is not a multiple of the width,
    or another address is rejected (``implausible``); accepted values then pass a
    :class:`~.plausibility.ContinuityTrack` (largest step = ``max_angular_rate_dps /
    output_rate_hz``), which needs three consistent replies before the first sample.
Samples
    ``angle_x_deg``, ``angle_y_deg`` = first and second value, ``angle_z_deg`` = third (a
    heading, or NaN when the reply has two values or ``third_is_temperature``), ``seq`` =
    -1, ``t_dev_s`` = NaN. ``tibia_deg`` comes from the ``tibia_axis`` angle: with
    ``mount="flat"`` (sensor base on the shin, the axis along the tibia) the reading is the
    axis elevation from horizontal and tibia_deg = 90 − |angle|; with ``mount="upright"``
    (a sensor that reads 0 with the tibia vertical) tibia_deg = |angle|.
Other replies
    Every other frame (acknowledgements, zero/mode/baud answers - or requests, when an
    emulator feeds the host's bytes) is returned as a :class:`RionFrame`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from drivers.base import INCLINOMETER_DTYPE, SampleArray
from drivers.codecs import rion_wire as wire
from drivers.codecs.framing import first_stop, gather_rows, select_greedy, visited
from drivers.codecs.plausibility import ContinuityTrack
from drivers.codecs.rion_wire import *  # noqa: F403  (re-export the wire API)

SLICE_BYTES: Final = 1 << 20
ANGLE_REPLY: Final = wire.CMD_READ_ANGLES | wire.REPLY_BIT
_SANE_LEN = np.zeros(256, dtype=np.bool_)
_SANE_LEN[wire.MIN_LEN : wire.MAX_LEN + 1] = True

FloatRows = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RionFrame:
    """A checksum-valid frame other than an angle reply.

    Attributes
    ----------
    address : int
    command : int
        As sent (replies have bit 7 set).
    data : bytes
        Bytes between the command and the checksum.
    """

    address: int
    command: int
    data: bytes


def _empty_samples() -> SampleArray:
    return np.zeros(0, dtype=INCLINOMETER_DTYPE)


@dataclass(frozen=True)
class RionBatch:
    """What one :meth:`RionCodec.feed` call produced.

    Attributes
    ----------
    samples : ndarray of INCLINOMETER_DTYPE
        One per accepted angle reply, in stream order.
    values : ndarray, shape (n, 3)
        The first three decoded values of each accepted angle reply (degrees; a
        temperature in °C when the device appends one; NaN where absent), parallel to
        ``samples``.
    frames : list of RionFrame
        Other checksum-valid frames, in stream order.
    """

    samples: SampleArray = field(default_factory=_empty_samples)
    frames: list[RionFrame] = field(default_factory=list)
    values: FloatRows = field(default_factory=lambda: np.zeros((0, 3)))


class RionCodec:
    """Stateful decoder of a Rion 0x68 byte stream (see the module docstring).

    Parameters
    ----------
    bcd_width : {3, 4}
        Bytes per angle: 3 (0.01°) or 4 (0.0001°, high-resolution models).
    address : int or None
        Only replies from this address are used (None = any).
    tibia_axis : {"x", "y"}
    mount : {"flat", "upright"}
    third_is_temperature : bool
        The third value of a 0x84 reply is a temperature, not an angle.
    output_rate_hz, max_angular_rate_dps : float
        Poll or auto-output rate and fastest plausible shin rotation.
    check_plausibility : bool
        False returns every checksum-valid frame, angle replies included, as
        :class:`RionFrame` without decoding them (diagnostics, framing tests).
    lock_count, relock_after : int
        See :class:`~.plausibility.ContinuityTrack`.

    Attributes
    ----------
    frames, dropped_bytes, checksum_failures, implausible, unconfirmed : int
        Counters as for :class:`drivers.codecs.witmotion.WitMotionCodec`.
    """

    def __init__(
        self,
        *,
        bcd_width: int = 3,
        address: int | None = 0,
        tibia_axis: Literal["x", "y"] = "x",
        mount: Literal["flat", "upright"] = "flat",
        third_is_temperature: bool = False,
        output_rate_hz: float = 10.0,
        max_angular_rate_dps: float = 720.0,
        check_plausibility: bool = True,
        lock_count: int = 3,
        relock_after: int = 5,
    ) -> None:
        if bcd_width not in wire.DIGITS:
            raise ValueError("bcd_width must be 3 or 4")
        if tibia_axis not in ("x", "y") or mount not in ("flat", "upright"):
            raise ValueError("tibia_axis must be 'x' or 'y' and mount 'flat' or 'upright'")
        self.bcd_width = bcd_width
        self.address = address
        self.tibia_axis = tibia_axis
        self.mount = mount
        self.third_is_temperature = third_is_temperature
        self.check_plausibility = check_plausibility
        self.output_rate_hz = output_rate_hz
        self.max_angular_rate_dps = max_angular_rate_dps
        self._track = ContinuityTrack(self._step_ok, lock_count, relock_after)
        self._residual = b""
        self.frames = self.dropped_bytes = self.checksum_failures = 0
        self.implausible = self.unconfirmed = 0

    @property
    def buffered(self) -> int:
        """Bytes kept for the next call (an incomplete frame, at most 40)."""
        return len(self._residual)

    def reset(self) -> None:
        """Drop a half-received frame and the continuity history (counters are kept)."""
        self.dropped_bytes += len(self._residual)
        self._residual = b""
        self._track.reset()

    def feed(self, data: bytes, t_host_s: float = math.nan) -> RionBatch:
        """Decode the bytes read from the transport (any amount, never raises)."""
        if len(data) > SLICE_BYTES:
            parts = [
                self.feed(data[i : i + SLICE_BYTES], t_host_s)
                for i in range(0, len(data), SLICE_BYTES)
            ]
            return RionBatch(
                np.concatenate([p.samples for p in parts]),
                [f for p in parts for f in p.frames],
                np.concatenate([p.values for p in parts]),
            )
        buf = np.frombuffer(self._residual + bytes(data), dtype=np.uint8)
        starts, lengths, stop = self._frame(buf)
        self._residual = buf[stop:].tobytes()
        self.frames += len(starts)
        if len(starts) == 0:
            return RionBatch()
        angle_parts: list[tuple[npt.NDArray[np.intp], FloatRows]] = []
        other: list[tuple[int, RionFrame]] = []
        shortest, longest = int(lengths.min()), int(lengths.max())
        groups = [shortest] if shortest == longest else np.unique(lengths).tolist()
        for length in groups:
            group = starts if shortest == longest else starts[lengths == length]
            rows = gather_rows(buf, group, length)
            is_angle = (rows[:, 3] == ANGLE_REPLY) & self.check_plausibility
            if is_angle.all():
                angle_parts.append(self._angles(group, rows))
                continue
            if is_angle.any():
                angle_parts.append(self._angles(group[is_angle], rows[is_angle]))
            for start, row in zip(group[~is_angle].tolist(), rows[~is_angle], strict=True):
                other.append((start, RionFrame(int(row[2]), int(row[3]), row[4:-1].tobytes())))
        other.sort(key=lambda item: item[0])
        samples, values = self._samples(angle_parts, t_host_s)
        return RionBatch(samples, [f for _, f in other], values)

    # ------------------------------------------------------------ framing
    def _frame(
        self, buf: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], int]:
        size = len(buf)
        if size == 0:
            return np.zeros(0, np.intp), np.zeros(0, np.intp), 0
        heads = np.flatnonzero(buf[:-1] == wire.HEADER)
        heads = heads[_SANE_LEN[buf[heads + 1]]]
        lens = buf[heads + 1].astype(np.intp)
        complete = heads + lens + 1 <= size
        waits = heads[~complete]
        if buf[-1] == wire.HEADER:  # a lone 0x68 at the end waits for its LEN byte
            waits = np.append(waits, size - 1)
        if not complete.all():
            heads, lens = heads[complete], lens[complete]
        # Running byte sum modulo 256: any window's checksum is one subtraction.
        running = np.empty(size + 1, dtype=np.uint8)
        running[0] = 0
        np.cumsum(buf, dtype=np.uint8, out=running[1:])
        last = heads + lens
        good = running[last] - running[heads + 1] == buf[last]
        starts, lengths = heads[good], lens[good] + 1
        ends = starts + lengths
        if len(starts) > 1 and not bool(np.all(starts[1:] >= ends[:-1])):
            taken = select_greedy(starts, lengths)
            starts, lengths, ends = starts[taken], lengths[taken], ends[taken]
        stop = first_stop(waits, starts, ends, size)
        if stop < size and len(starts) and starts[-1] >= stop:
            before = starts < stop
            starts, lengths, ends = starts[before], lengths[before], ends[before]
        if not good.all():
            bad = heads[~good]
            bad = bad[bad < stop]
            self.checksum_failures += int(np.count_nonzero(visited(bad, starts, ends)))
        self.dropped_bytes += stop - int(lengths.sum())
        return starts, lengths, stop

    # ------------------------------------------------------------ angles
    def _angles(
        self, starts: npt.NDArray[np.intp], rows: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.intp], FloatRows]:
        """Decoded values ``(m, 3)`` (NaN-padded) of the plausible angle replies."""
        width = self.bcd_width
        data = rows[:, 4:-1]
        count = data.shape[1] // width
        if count == 0 or data.shape[1] % width:
            self.implausible += len(rows)
            return starts[:0], np.zeros((0, 3))
        values, valid = wire.decode_bcd(data.reshape(len(rows), count, width))
        magnitude = np.abs(values)
        address_ok = self.address is None or bool(np.all(rows[:, 2] == self.address))
        if bool(valid.all()) and float(magnitude.max()) <= 360.0 and address_ok:
            keep = None  # the usual case: every reply plausible
        else:
            keep = valid.all(axis=1) & (magnitude <= 360.0).all(axis=1)
            if self.address is not None:
                keep &= rows[:, 2] == self.address
        if count >= 3:
            padded = values[:, :3]
        else:
            padded = np.full((len(rows), 3), np.nan)
            padded[:, :count] = values
        if keep is None or keep.all():
            return starts, padded
        self.implausible += int(np.count_nonzero(~keep))
        return starts[keep], padded[keep]

    def _step_ok(self, previous: FloatRows, rows: FloatRows) -> BoolArray:
        limit = self.max_angular_rate_dps / max(self.output_rate_hz, 1e-3)
        # A NaN difference (an absent third value) is never "> limit", so it passes.
        ok: BoolArray = ~np.any(np.abs(rows - previous) > limit, axis=1)
        return ok

    def _samples(
        self, parts: list[tuple[npt.NDArray[np.intp], FloatRows]], t_host_s: float
    ) -> tuple[SampleArray, FloatRows]:
        if not parts:
            return _empty_samples(), np.zeros((0, 3))
        starts = np.concatenate([p[0] for p in parts])
        values = np.concatenate([p[1] for p in parts])
        if len(parts) > 1:
            order = np.argsort(starts, kind="stable")
            values = values[order]
        result = self._track.filter(values)
        self.implausible += result.rejected
        self.unconfirmed += result.withheld
        if result.rejected or result.withheld:
            values = values[result.accepted]
        samples = np.empty(len(values), dtype=INCLINOMETER_DTYPE)
        samples["t_host_s"] = t_host_s
        samples["seq"] = -1
        samples["t_dev_s"] = math.nan
        samples["angle_x_deg"] = values[:, 0]
        samples["angle_y_deg"] = values[:, 1]
        samples["angle_z_deg"] = np.nan if self.third_is_temperature else values[:, 2]
        angle = np.abs(values[:, 0 if self.tibia_axis == "x" else 1])
        samples["tibia_deg"] = 90.0 - angle if self.mount == "flat" else angle
        return samples, values


def decode_frames(data: bytes) -> list[RionFrame]:
    """Every checksum-valid frame in ``data`` (framing only, no BCD or plausibility checks,
    no state), angle replies included: for probing a port and for test vectors."""
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, lengths, _ = RionCodec()._frame(buf)
    return [
        RionFrame(int(buf[s + 2]), int(buf[s + 3]), buf[s + 4 : s + n - 1].tobytes())
        for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)
    ]
