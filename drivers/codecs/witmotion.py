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
    Checksum-valid frames then pass :class:`~.plausibility.ContinuityTrack` checks. Word 3
    of 0x51/0x52/0x54 is the chip temperature (one register, so one track over all three
    types): within the operating range -40…85 °C and moving by less than 2 °C between
    frames; 0x51 also needs |a| ≤ ``accel_max_g``. 0x53 roll and pitch move by less than
    ``max_angular_rate_dps / output_rate_hz`` per frame (or, near gimbal lock, the
    gravity direction does) and the version word stays constant. 0x50 must hold a valid
    date and time, 0x59 a unit quaternion (±10 %). A track needs three mutually
    consistent frames before it passes frames on (``unconfirmed`` counts the withheld
    ones); types without a physical check (0x55-0x58, 0x5A, 0x5F) pass unchanged.
Samples
    One :data:`drivers.base.INCLINOMETER_DTYPE` sample per accepted 0x53 frame:
    ``angle_x/y/z_deg`` = roll, pitch, yaw as sent; ``seq`` = -1 and ``t_dev_s`` = NaN (the
    protocol has neither); ``t_host_s`` = the value given to :meth:`WitMotionCodec.feed`.
Tibial inclination (``tibia_deg``) - decision
    The lunge test needs the angle of the tibia from vertical (devices.md §1.10). It is
    computed from the *gravity vector* of the 0x51 acceleration frame of the same output
    cycle (the device sends a cycle's types back to back in ascending order, so that is the
    frame just before the 0x53 one or the one before a single 0x52 frame, touching it in the
    byte stream; after dropped bytes or a lost frame there is none, see
    :mod:`.witmotion_cycle`) when that frame is accepted and quasi-static (|a| within
    ``static_band_g`` of 1 g), as the angle between the mounting axis (parameter, default
    ``"x"``) and vertical (:mod:`.tilt`), provided it agrees within ``accel_agreement_deg``
    with the tilt of the fused angles (two independent frames cross-check each other, so one
    corrupted frame cannot move the reading). Why: the WBLT is read at a held end position,
    where the accelerometer measures gravity alone; that angle does not depend on the Euler
    order, on yaw, on the magnetometer (the 9-axis fusion is disturbed near metal) or on
    gimbal effects, which hit exactly this mounting because a vertical sensor axis sits at a
    pitch near ±90°. While the leg moves (|a| off 1 g), when the two disagree, when 0x51
    output is disabled or when the cycle's 0x51 frame is missing, the gravity direction is
    rebuilt from the fused roll and pitch of the 0x53 frame instead (same formula,
    yaw-free). Vendors describe the roll/pitch signs differently; the other sign convention
    mirrors the tilt of an x or y axis to 180° − tilt, so the codec learns the device's
    convention from quasi-static frames where the accelerometer agrees with one of the two,
    and keeps using it for the fallback. ``tibia_source="euler"`` always uses the fused
    angles (right-hand signs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from drivers.base import INCLINOMETER_DTYPE, SampleArray
from drivers.codecs import witmotion_checks as checks
from drivers.codecs import witmotion_fast as fast
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.framing import gather_rows, select_greedy, visited
from drivers.codecs.plausibility import ContinuityTrack
from drivers.codecs.tilt import axis_vector, gravity_from_euler, tilt_from_vertical
from drivers.codecs.witmotion_batch import WitBatch
from drivers.codecs.witmotion_cycle import CyclePairing
from drivers.codecs.witmotion_decode import *  # noqa: F403  (re-export the decoders)
from drivers.codecs.witmotion_wire import *  # noqa: F403  (re-export the wire API)

SLICE_BYTES: Final = 1 << 20
_FAST_LIMIT: Final = fast.MAX_FRAMES * wire.FRAME_LEN
_DEFER_BYTES, _ANGLE_HEAD, _EMPTY_BATCH = fast.DEFER_BYTES, fast.ANGLE_HEAD, fast.EMPTY_BATCH
_TEMPERATURE_TYPES = np.zeros(256, dtype=np.bool_)
_TEMPERATURE_TYPES[[wire.ACC, wire.GYRO, wire.MAG]] = True
_SINGLE_CHECKS: Final = ((wire.TIME, checks.time_ok), (wire.QUATERNION, checks.quaternion_ok))

BoolArray = npt.NDArray[np.bool_]
Words = npt.NDArray[np.int16]


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
    accel_max_g, static_band_g, accel_agreement_deg : float
        Largest plausible |a|; tolerance around 1 g for "quasi-static"; largest difference
        between the accelerometer and fused-angle tilts for the accelerometer to be used.
    legacy_wt61 : bool
        WT61/JY61 firmware: temperature = raw/340 + 36.53 °C and no version word.
    check_plausibility : bool
        False passes every checksum-valid frame on (diagnostics, framing tests).
    lock_count, relock_after : int
        See :class:`~.plausibility.ContinuityTrack`.
    accepted_types : iterable of int
        Type bytes recognised after the 0x55 header (default: 0x50-0x5A and 0x5F).

    Attributes
    ----------
    frames, dropped_bytes, checksum_failures : int
        Checksum-valid frames; bytes discarded while resynchronising; header + type
        positions whose checksum failed.
    implausible, unconfirmed : int
        Frames rejected by the plausibility checks; frames withheld while a track locks.
    """

    mounting_axis = fast.Setting[str]()
    tibia_source = fast.Setting[str]()
    output_rate_hz = fast.Setting[float]()
    max_angular_rate_dps = fast.Setting[float]()
    check_version = fast.Setting[bool]()
    legacy_wt61 = fast.Setting[bool]()
    check_plausibility = fast.Setting[bool]()
    small_batch = fast.Setting[bool]()
    """Decode small reads in plain Python (:mod:`.witmotion_fast`); False forces numpy."""
    accel_max_g = fast.Setting[float]()
    accel_agreement_deg = fast.Setting[float]()

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
        accel_agreement_deg: float = 5.0,
        legacy_wt61: bool = False,
        check_plausibility: bool = True,
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
        self.check_version = check_version and not legacy_wt61
        self.legacy_wt61 = legacy_wt61
        self.check_plausibility = check_plausibility
        self.small_batch = True
        self.accel_max_g = accel_max_g
        self.static_band_g = static_band_g
        self.accel_agreement_deg = accel_agreement_deg
        # |a| band around 1 g, squared and in raw counts (no square root per frame).
        self._static_sq = (
            (max(1.0 - static_band_g, 0.0) * checks.COUNTS_PER_G) ** 2,
            ((1.0 + static_band_g) * checks.COUNTS_PER_G) ** 2,
        )
        self._type_ok = np.zeros(256, dtype=np.bool_)
        self._type_ok[list(accepted_types)] = True
        self._lock_count, self._relock_after = lock_count, relock_after
        self._build_tracks()
        self._residual = b""
        self._fast_checked = 0
        """Bytes at the start of ``_residual`` that the small-batch path already checked."""
        self._fast_constants: tuple[Any, ...] | None = None
        self._steady = False
        """The last call took the small-batch path (and no setting changed since)."""
        self._block = bytearray()
        self._block_rows: SampleArray = np.zeros(0, dtype=INCLINOMETER_DTYPE)
        self._block_next = fast.BLOCK_ROWS
        """Where the small-batch path writes its samples (:func:`.witmotion_fast.new_block`)."""
        self._cycle = CyclePairing()
        self._euler_flipped = False
        self.frames = self.dropped_bytes = self.checksum_failures = 0
        self.implausible = self.unconfirmed = 0

    # ------------------------------------------------------------ public
    @property
    def buffered(self) -> int:
        """Bytes kept for the next call: an incomplete frame (at most 10 bytes), after
        whole frames of a cycle whose angle frame has not arrived yet (at most
        :data:`~.witmotion_fast.DEFER_FRAMES` - 1 of them)."""
        return len(self._residual)

    def set_legacy(self, legacy_wt61: bool) -> None:
        """Switch between WIT-standard and WT61/JY61 legacy firmware (temperature formula,
        no version word); forgets the plausibility history."""
        self.legacy_wt61 = legacy_wt61
        self.check_version = not legacy_wt61
        self._build_tracks()
        self._cycle.reset()

    def _build_tracks(self) -> None:
        self._steady = False
        self._fast_temp: float | None = None
        """The temperature track's last value while the small-batch path keeps it."""
        self._fast_angle: Sequence[float] | None = None
        """The angle track's last row while the small-batch path keeps it."""
        angle_step = checks.angle_step(self._max_angle_step, self.check_version)
        lock, relock = self._lock_count, self._relock_after
        self._temperature = ContinuityTrack(checks.temperature_step, lock, relock)
        jump = checks.same_version if self.check_version else None
        self._angle = ContinuityTrack(angle_step, lock, relock, jump)

    def resync(self) -> None:
        """The host skipped part of the stream (a pause): drop buffered bytes and the cycle
        pairing, keep the plausibility locks; the next angle frame may be anywhere but must
        come from the same firmware (version word), legacy firmware re-acquires."""
        self._residual = b""
        self._fast_checked = 0
        self._cycle.reset()
        fast.sync(self)
        self._angle.allow_jump()

    def reset(self) -> None:
        """Drop buffered bytes and plausibility history (counters are kept)."""
        self._residual = b""
        self._fast_checked = 0
        self._fast_temp = self._fast_angle = None
        self._steady = False
        self._temperature.reset()
        self._angle.reset()
        self._cycle.reset()

    def feed(self, data: bytes, t_host_s: float = math.nan) -> WitBatch:
        """Decode the bytes read from the transport.

        Parameters
        ----------
        data : bytes
            Any amount: half a frame, twenty frames, or noise.
        t_host_s : float
            Host time stamp written into every sample produced by this call.
        """
        if len(data) <= _FAST_LIMIT:
            buf = self._residual + data
            if self._steady and len(buf) < _DEFER_BYTES and _ANGLE_HEAD not in buf:
                # The last call took the small-batch path and no angle frame can end in
                # these bytes, so no sample: they are judged with the next call's, which
                # gives the same result (framing is byte by byte, the tracks see the frames
                # in the same order) for a fraction of the cost; only their counters wait
                # for that call (or flush()).
                self._residual = buf
                return _EMPTY_BATCH
            constants = self._fast_constants or fast.constants(self)
            if constants[0]:
                quick = fast.feed(self, buf, t_host_s, constants)
                if quick is not None:
                    return quick
        return self._feed_all(data, t_host_s)

    def flush(self, t_host_s: float = math.nan) -> WitBatch:
        """Judge now the whole frames still buffered (the small-batch path keeps frames of a
        cycle whose angle frame has not arrived; see :mod:`.witmotion_fast`)."""
        return self._feed_all(b"", t_host_s)

    def _feed_all(self, data: bytes, t_host_s: float) -> WitBatch:
        """The vectorised path: frames, plausibility and samples with numpy."""
        self._fast_checked = 0  # the whole buffer is judged again
        fast.sync(self)
        if len(data) > SLICE_BYTES:
            parts = [
                self.feed(data[i : i + SLICE_BYTES], t_host_s)
                for i in range(0, len(data), SLICE_BYTES)
            ]
            return WitBatch(
                np.concatenate([p.samples for p in parts]),
                np.concatenate([p.types for p in parts]),
                np.concatenate([p.words for p in parts]),
            )
        buf = np.frombuffer(self._residual + bytes(data), dtype=np.uint8)
        rows, starts, stop = self._frame(buf)
        self._residual = buf[stop:].tobytes()
        count = len(rows)
        if count == 0:
            self._cycle.shift(stop)
            return WitBatch()
        types = rows[:, 1]
        words: Words = np.ascontiguousarray(rows[:, 2:10]).view("<i2")
        self.frames += count
        rejected = self._implausible(types, words)
        samples = self._samples(types, words, starts, rejected, t_host_s)
        self._cycle.carry(types, starts, words, rejected, stop)
        if rejected is not None:
            types, words = types[~rejected], words[~rejected]
        return WitBatch(samples, types, words)

    # ------------------------------------------------------------ framing
    def _frame(
        self, buf: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.intp], int]:
        """Rows ``(n, 11)`` and start offsets of the frames taken, and the bytes consumed."""
        size = len(buf)
        if size < wire.FRAME_LEN:
            return np.zeros((0, wire.FRAME_LEN), dtype=np.uint8), np.zeros(0, np.intp), 0
        limit = size - wire.FRAME_LEN + 1
        heads = np.flatnonzero(buf[:limit] == wire.HEADER)
        heads = heads[self._type_ok[buf[heads + 1]]]
        rows = gather_rows(buf, heads, wire.FRAME_LEN)
        good = rows[:, :10].sum(axis=1, dtype=np.uint8) == rows[:, 10]
        starts = heads[good]
        rows = rows[good]
        # Fixed-length frames overlap only if two starts are closer than a frame.
        if len(starts) > 1 and int((starts[1:] - starts[:-1]).min()) < wire.FRAME_LEN:
            taken = select_greedy(starts, np.full(len(starts), wire.FRAME_LEN, dtype=np.intp))
            starts, rows = starts[taken], rows[taken]
        ends = starts + wire.FRAME_LEN
        stop = max(limit, int(ends[-1])) if len(ends) else limit
        if not good.all():
            bad = heads[~good]
            self.checksum_failures += int(np.count_nonzero(visited(bad, starts, ends)))
        self.dropped_bytes += stop - wire.FRAME_LEN * len(starts)
        return rows, starts, stop

    # ------------------------------------------------------------ plausibility
    def _max_angle_step(self) -> float:
        return self.max_angular_rate_dps / max(self.output_rate_hz, 1e-3)

    def _implausible(self, types: npt.NDArray[np.uint8], words: Words) -> BoolArray | None:
        """Mask of the frames rejected by the plausibility checks (None when none is)."""
        if not self.check_plausibility:
            return None
        present = np.bincount(types, minlength=256)
        rejected: BoolArray | None = None
        # 0x51, 0x52 and 0x54 all carry the chip temperature (register TEMP): one track.
        parts = [
            (self._temperature, np.flatnonzero(_TEMPERATURE_TYPES[types]))
            if present[wire.ACC] or present[wire.GYRO] or present[wire.MAG]
            else None,
            (self._angle, np.flatnonzero(types == wire.ANGLE)) if present[wire.ANGLE] else None,
        ]
        for part in parts:
            if part is None:
                continue
            track, index = part
            rows = words[index]
            if track is self._angle:
                values, single = checks.angle_values(rows), None
            else:
                values, single = checks.temperature_values(rows, self.legacy_wt61)
                if present[wire.ACC]:
                    acc = np.flatnonzero(types[index] == wire.ACC)
                    fine = checks.acceleration_ok(rows[acc], self.accel_max_g)
                    if fine is not None:
                        single = np.ones(len(index), np.bool_) if single is None else single
                        single[acc[~fine]] = False
            result = track.filter(values, single)
            self.implausible += result.rejected
            self.unconfirmed += result.withheld
            if result.rejected or result.withheld:
                if rejected is None:
                    rejected = np.zeros(len(types), dtype=np.bool_)
                rejected[index[~result.accepted]] = True
        for frame_type, check in _SINGLE_CHECKS:
            if present[frame_type]:
                index = np.flatnonzero(types == frame_type)
                bad = index[~check(words[index])]
                if len(bad):
                    if rejected is None:
                        rejected = np.zeros(len(types), dtype=np.bool_)
                    rejected[bad] = True
                    self.implausible += len(bad)
        return rejected

    # ------------------------------------------------------------ samples
    def _samples(
        self,
        types: npt.NDArray[np.uint8],
        words: Words,
        starts: npt.NDArray[np.intp],
        rejected: BoolArray | None,
        t_host_s: float,
    ) -> SampleArray:
        """Samples of the accepted angle frames among all checksum-valid ``types``."""
        is_angle = types == wire.ANGLE
        if rejected is not None:
            is_angle &= ~rejected
        angle_pos = np.flatnonzero(is_angle)
        count = len(angle_pos)
        if count == 0:
            return np.zeros(0, dtype=INCLINOMETER_DTYPE)
        angles = wire.words_scaled(words[is_angle], wire.ANGLE_RANGE_DEG)
        if self.mounting_axis in ("x", "-x"):
            # Up has x component −sin(pitch), so the x axis is 90° + pitch from vertical.
            tibia = 90.0 + angles[:, 1] if self.mounting_axis == "x" else 90.0 - angles[:, 1]
        else:
            up = gravity_from_euler(angles[:, 0], angles[:, 1])
            tibia = tilt_from_vertical(up, self.mounting_axis)
        if self._euler_flipped:
            tibia = 180.0 - tibia
        if self.tibia_source == "accel":
            use, counts = self._cycle.pair(types, starts, words, rejected, angle_pos)
            pair = counts.astype(np.float64)
            squared = np.einsum("ij,ij->i", pair, pair)
            use &= (squared >= self._static_sq[0]) & (squared <= self._static_sq[1])
            from_gravity = tilt_from_vertical(pair, self.mounting_axis)
            # Two independent frames must agree before the accelerometer is trusted. The
            # roll/pitch sign convention of the fused angles is learnt from the agreement:
            # the other convention mirrors the tilt of an x or y axis to 180° − tilt.
            tolerance = self.accel_agreement_deg
            same = use & (np.abs(from_gravity - tibia) <= tolerance)
            if self.mounting_axis[-1] != "z" and not bool((same == use).all()):
                mirrored = use & (np.abs(from_gravity - (180.0 - tibia)) <= tolerance) & ~same
                if mirrored.sum() > same.sum():
                    self._euler_flipped = not self._euler_flipped
                    tibia = 180.0 - tibia
                    same = mirrored
            tibia = np.where(same, from_gravity, tibia)
        samples = np.empty(count, dtype=INCLINOMETER_DTYPE)
        samples["t_host_s"] = t_host_s
        samples["seq"] = -1
        samples["t_dev_s"] = math.nan
        for column, name in enumerate(("angle_x_deg", "angle_y_deg", "angle_z_deg")):
            samples[name] = angles[:, column]
        samples["tibia_deg"] = tibia
        return samples


def decode_frames(data: bytes) -> npt.NDArray[np.void]:
    """Checksum-valid frames found in ``data`` by the framing rule alone (no plausibility
    checks, no state): for probing a port and for test vectors."""
    rows, _, _ = WitMotionCodec()._frame(np.frombuffer(data, dtype=np.uint8))
    return wire.frames_array(rows[:, 1], np.ascontiguousarray(rows[:, 2:10]).view("<i2"))
