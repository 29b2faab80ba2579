"""The small-batch path of :class:`drivers.codecs.witmotion.WitMotionCodec` (issue 18 §3).

A reader thread gets a few frames per ``read()`` (a 200 Hz sensor at 115200 baud: 3-6), and
the vectorised path pays about a hundred numpy calls per :meth:`feed` whatever the size. In
the steady state - the bytes are whole, aligned frames of the usual types (0x51-0x54), both
plausibility tracks locked, every frame a plausible step - the outcome of that path is
known in advance, so this module computes it with plain Python arithmetic on the few frames:
the same framing rule, the same checks (temperature range and step, |a|, roll and pitch
steps, version word), the same same-cycle 0x51 pairing for ``tibia_deg``, the same counters
and the same carried state. Only 0x53 frames make samples, so whole frames of the other
types that arrive without one are left buffered (:data:`DEFER_FRAMES`) and judged with the
angle frame of their cycle: the samples are exactly the same, and the frames are reported
in the batch of that later call. Anything else - a misaligned byte, a checksum failure, a frame
type with its own check (0x50, 0x59), an unlocked or jumping track, a step the simple test
refuses (gimbal lock is judged by the vector path), an accelerometer that disagrees with
the fused angles (the sign-convention learning) - returns None *before any state changed*,
and the vectorised path decides, as it always did. Equivalence with that path is tested on
streams with faults of every kind (``tests/drivers/test_codec_witmotion_fast.py``).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, overload

import numpy as np

from drivers.base import INCLINOMETER_DTYPE
from drivers.codecs import witmotion_checks as checks
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.tilt import _AXIS_PARTS
from drivers.codecs.witmotion_batch import WitBatch
from drivers.codecs.witmotion_cycle import _FAR

if TYPE_CHECKING:
    from drivers.codecs.witmotion import WitMotionCodec

MAX_FRAMES: Final = 24
"""Reads up to this many frames take the small-batch path (beyond it numpy is faster)."""
DEFER_FRAMES: Final = 4
"""Frames without an angle frame among them are left buffered up to this many (one output
cycle of the default content) and judged together with the next call's frames."""
_WORDS: Final = struct.Struct("<hhhh")
_SAMPLE = struct.Struct("<dqddddd")
_SAMPLE_SIZE: Final = _SAMPLE.size
BLOCK_ROWS: Final = 1024
"""Samples per block of :func:`new_block` (56 KiB; a new block every 5 s at 200 Hz)."""
_TEMPERATURE_TYPES: Final = frozenset((wire.ACC, wire.GYRO, wire.MAG))
FRAME: Final = wire.FRAME_LEN
ACC, GYRO, ANGLE = wire.ACC, wire.GYRO, wire.ANGLE
_HEADERS: Final = [bytes((wire.HEADER,)) * n for n in range(MAX_FRAMES + 1)]
_UNPACK: Final = [struct.Struct("<" + "2x4h1x" * n).unpack_from for n in range(MAX_FRAMES + 1)]
_COUNTS_PER_DEG: Final = wire.FULL_SCALE / wire.ANGLE_RANGE_DEG
_FULL2: Final = 2 * wire.FULL_SCALE
_TEMP_STEP: Final = checks.TEMPERATURE_STEP_C
_FAR_KEY: Final = _FAR * 256
_TYPES_OK: Final = re.compile(rb"[\x51-\x54]*").fullmatch
"""Every type byte is one of 0x51-0x54 (one C call instead of a loop)."""
_EMPTY = np.zeros(0, dtype=INCLINOMETER_DTYPE)
_EMPTY.flags.writeable = False
EMPTY_BATCH: Final = WitBatch(_EMPTY)
"""Shared by the calls that complete no sample (nothing in it can be changed)."""
_DEG_PER_COUNT: Final = wire.ANGLE_RANGE_DEG / wire.FULL_SCALE
DEFER_BYTES: Final = DEFER_FRAMES * FRAME
ANGLE_HEAD: Final = bytes((wire.HEADER, ANGLE))
T = TypeVar("T")
_LOW_T, _HIGH_T = checks.TEMPERATURE_RANGE_C


class Setting(Generic[T]):
    """A codec setting whose change forgets the constants cached by :func:`constants`
    (so the small-batch path reads one attribute per call, not ten)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Setting[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object, owner: type) -> T | Setting[T]:
        if obj is None:
            return self
        value: T = obj.__dict__[self._name]
        return value

    def __set__(self, obj: object, value: T) -> None:
        obj.__dict__[self._name] = value
        obj.__dict__["_fast_constants"] = None
        obj.__dict__["_steady"] = False


def usable(codec: WitMotionCodec) -> bool:
    """Whether the codec's settings allow the small-batch path at all."""
    return bool(
        codec.small_batch
        and codec.check_plausibility
        and codec.tibia_source == "accel"
        and codec.mounting_axis in ("x", "-x")
    )


def new_block(codec: WitMotionCodec) -> None:
    """Give the codec a new block of :data:`BLOCK_ROWS` samples.

    Each call's samples are a slice of the block, never handed out twice and never written
    again, so every batch owns its rows like a fresh array would, for a third of the cost
    of allocating one (the block is freed once no batch refers to it).
    """
    codec._block = bytearray(BLOCK_ROWS * _SAMPLE_SIZE)
    codec._block_rows = np.frombuffer(codec._block, dtype=INCLINOMETER_DTYPE)
    codec._block_next = 0


def sync(codec: WitMotionCodec) -> None:
    """Hand the tracks' last values kept in Python by :func:`feed` back to the tracks
    (before the vectorised path or a resynchronisation reads them)."""
    codec._steady = False
    if codec._fast_temp is not None:
        assert codec._temperature._last is not None  # mirrored only while locked
        codec._temperature._last[0, 0] = codec._fast_temp
        codec._fast_temp = None
    if codec._fast_angle is not None:
        assert codec._angle._last is not None
        codec._angle._last[0] = codec._fast_angle
        codec._fast_angle = None


def feed(
    codec: WitMotionCodec, buf: bytes, t_host_s: float, constants: tuple[Any, ...]
) -> WitBatch | None:
    """The batch the vectorised path would return for ``buf`` (the buffered bytes and the
    new ones), or None when it must decide itself.

    One function on purpose: at a few frames per call, Python's function calls and
    attribute look-ups are the cost, so the steps below are written out once, in order.
    """
    size = len(buf)
    count = size // FRAME
    end = count * FRAME
    # Frames left buffered by an earlier call were checked then; check the new ones.
    checked = codec._fast_checked
    if count > MAX_FRAMES or buf[checked:end:FRAME] != _HEADERS[count - checked // FRAME]:
        return None
    types = buf[1:end:FRAME]
    if not _TYPES_OK(types, checked // FRAME):
        return None
    for i in range(checked, end, FRAME):
        if sum(buf[i : i + 10]) & 0xFF != buf[i + 10]:
            return None
    if ANGLE not in types and count < DEFER_FRAMES:
        # Whole, valid frames that cannot make a sample: judged with their cycle's angle
        # frame (the next call), which gives the same result for a fraction of the cost.
        codec._residual = buf
        codec._fast_checked = end
        return EMPTY_BATCH
    w = _UNPACK[count](buf)  # four words per frame, flat
    (_, angle_limit, accel_limit, legacy, check_version, low, high, index, sign,
     first, second, plus, agreement) = constants  # fmt: skip
    temp_track, angle_track = codec._temperature, codec._angle
    cycle = codec._cycle
    carried = cycle._py if cycle._py is not None else cycle.carried()
    # The tracks' last values, kept in Python between calls (see sync()).
    temp_last: float | None = codec._fast_temp
    angle_last: Sequence[float] | None = codec._fast_angle
    # Samples are written into the codec's current block (see new_block()).
    start = codec._block_next
    if start + count > BLOCK_ROWS:
        new_block(codec)
        start = 0
    block, at = codec._block, start
    # One pass: the locked tracks' steady-state tests, and a sample per angle frame.
    for k, j in enumerate(range(0, 4 * count, 4)):
        frame_type = types[k]
        if frame_type != ANGLE:
            if temp_last is None:
                if not temp_track.locked or temp_track._last is None or temp_track._jumping:
                    return None
                temp_last = float(temp_track._last[0, 0])
            value = w[j + 3] / 340.0 + 36.53 if legacy else w[j + 3] * 0.01
            if not _LOW_T <= value <= _HIGH_T or abs(value - temp_last) > _TEMP_STEP:
                return None
            if frame_type == ACC and w[j] * w[j] + w[j + 1] * w[j + 1] + w[j + 2] * w[j + 2] > (
                accel_limit
            ):
                return None
            temp_last = value
            continue
        if angle_last is None:
            if not angle_track.locked or angle_track._last is None or angle_track._jumping:
                return None
            angle_last = angle_track._last[0].tolist()
        roll, pitch = abs(w[j] - angle_last[0]), abs(w[j + 1] - angle_last[1])
        if (
            (roll > angle_limit and _FULL2 - roll > angle_limit)
            or (pitch > angle_limit and _FULL2 - pitch > angle_limit)
            or (check_version and w[j + 3] != angle_last[3])
        ):
            return None
        angle_last = w[j : j + 4]
        pitch_deg = w[j + 1] * _DEG_PER_COUNT
        tibia = 90.0 + pitch_deg if plus else 90.0 - pitch_deg
        if codec._euler_flipped:
            tibia = 180.0 - tibia
        # The same-cycle 0x51 frame: just before, or before a single 0x52 (touching).
        source: Sequence[int] | None = None
        accepted = True
        if k >= 1 and types[k - 1] == ACC:
            source = w[j - 4 : j - 1]
        elif k >= 2 and types[k - 1] == GYRO and types[k - 2] == ACC:
            source = w[j - 8 : j - 5]
        elif k < 2:
            source, accepted = _carried_acc(k, types, *carried)
        if source is not None and accepted:
            ax, ay, az = float(source[0]), float(source[1]), float(source[2])
            if low <= ax * ax + ay * ay + az * az <= high:
                acc = (ax, ay, az)
                across = math.hypot(acc[first], acc[second])
                from_gravity = math.degrees(math.atan2(across, acc[index] * sign))
                if abs(from_gravity - tibia) > agreement:
                    return None  # the vectorised path may learn the sign convention
                tibia = from_gravity
        _SAMPLE.pack_into(
            block, at * _SAMPLE_SIZE, t_host_s, -1, math.nan, w[j] * _DEG_PER_COUNT,
            pitch_deg, w[j + 2] * _DEG_PER_COUNT, tibia,
        )  # fmt: skip
        at += 1
    samples = codec._block_rows[start:at] if at > start else _EMPTY
    keys_c, words_c, accepted_c = carried
    # -- every decision is made: leave the state exactly as the vectorised path would
    if temp_last is not None:  # the track is locked (checked above, or mirrored)
        codec._fast_temp = temp_last
        temp_track._misses = 0
    if angle_last is not None:
        codec._fast_angle = angle_last
        angle_track._misses = 0
    if count == 1:
        first_key = max(keys_c[1] - FRAME * 256, _FAR_KEY)
        cycle._py = (
            [first_key, types[0] - FRAME * 256],
            [words_c[1], w[0:4]],
            [accepted_c[1], True],
        )
    else:
        cycle._py = (
            [types[-2] - 2 * FRAME * 256, types[-1] - FRAME * 256],
            [w[-8:-4], w[-4:]],
            [True, True],
        )
    cycle._arrays_stale = True
    codec._block_next = at
    codec._steady = True
    codec.frames += count
    codec._residual = buf[end:]
    codec._fast_checked = 0
    return WitBatch.of_raw(samples, buf[:end])


def _carried_acc(
    k: int,
    types: bytes,
    keys: list[int],
    words: list[Sequence[int]],
    accepted: list[bool],
) -> tuple[Sequence[int] | None, bool]:
    """The same-cycle 0x51 frame of angle frame ``k`` (0 or 1) among the carried frames."""
    # Positions relative to this buffer: the carried frames end where it begins.
    if k == 0:
        if keys[1] == ACC - FRAME * 256:
            return words[1], accepted[1]
        if keys[1] == GYRO - FRAME * 256 and keys[0] == ACC - 2 * FRAME * 256:
            return words[0], accepted[0]
        return None, False
    if types[0] == GYRO and keys[1] == ACC - FRAME * 256:
        return words[1], accepted[1]
    return None, False


def constants(codec: WitMotionCodec) -> tuple[Any, ...]:
    """Whether the path is usable, and the codec's limits in the units the small-batch
    path compares; cached on the codec until a :class:`Setting` changes."""
    index, sign, (first, second) = _AXIS_PARTS[codec.mounting_axis]
    low, high = codec._static_sq
    values = (
        usable(codec),
        min(codec._max_angle_step(), 180.0) * _COUNTS_PER_DEG,
        (codec.accel_max_g * checks.COUNTS_PER_G) ** 2,
        codec.legacy_wt61,
        codec.check_version,
        low,
        high,
        index,
        sign,
        first,
        second,
        codec.mounting_axis == "x",
        codec.accel_agreement_deg,
    )
    codec._fast_constants = values
    return values
