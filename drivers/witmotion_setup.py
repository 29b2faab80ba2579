"""What listening to a WitMotion stream tells, and what a configuration would change.

Pure helpers of :mod:`drivers.witmotion` (no I/O):

* :func:`survey` - from the checksum-valid frames heard while connecting: how many, which
  types, whether the firmware is the WT61/JY61 legacy one, and the output rate measured from
  the host's read times (snapped to the nearest rate the firmware offers);
* :class:`Settings` and :func:`plan` - the settings read back from the registers and the
  register writes a requested change needs, each described in words for the clinician
  ("output rate 10 Hz → 100 Hz"), so a button or a command can say what it will change
  before it changes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from drivers.codecs import witmotion_legacy as legacy
from drivers.codecs import witmotion_wire as wire

RATE_BY_CODE: Final = {code: rate for rate, code in wire.RATE_CODES.items()}
BAUD_BY_CODE: Final = {code: baud for baud, code in wire.BAUD_CODES.items()}
CONTENT_NAMES: Final = {
    wire.TIME: "time",
    wire.ACC: "acceleration",
    wire.GYRO: "angular rate",
    wire.ANGLE: "angle",
    wire.MAG: "magnetic field",
    wire.PORT: "port status",
    wire.PRESSURE: "pressure",
    wire.GPS: "GPS position",
    wire.GPS_SPEED: "GPS speed",
    wire.QUATERNION: "quaternion",
    wire.GPS_ACCURACY: "GPS accuracy",
}
LEGACY_TEMPERATURE_MATCH: Final = 50
"""Largest median difference (raw counts, ≈ 0.15 °C) between word 3 of a 0x53 frame and of
the 0x51 frame before it for both to be the chip temperature (legacy firmware)."""
RATE_SNAP: Final = 0.2
"""A measured rate within ±20 % of a rate the firmware offers is taken as that rate."""


@dataclass(frozen=True)
class StreamSurvey:
    """What the frames heard while connecting say about the sensor.

    Attributes
    ----------
    frames : int
        Checksum-valid frames heard.
    types : frozenset of int
        Their type bytes.
    legacy : bool
        WT61/JY61 legacy firmware (temperature instead of a version word in 0x53).
    rate_hz : float
        Output rate measured from the stream, snapped to a firmware rate (0 = unknown).
    version : int or None
        Word 3 of the 0x53 frames when it is a constant version word.
    """

    frames: int
    types: frozenset[int]
    legacy: bool
    rate_hz: float
    version: int | None


def survey(
    batches: Sequence[tuple[npt.NDArray[np.uint8], npt.NDArray[np.int16], float]],
) -> StreamSurvey:
    """Summarise the frames heard: ``(types, words, host time)`` of every read."""
    kept = [b for b in batches if len(b[0])]
    if not kept:
        return StreamSurvey(0, frozenset(), False, 0.0, None)
    types = np.concatenate([b[0] for b in kept])
    words = np.concatenate([b[1] for b in kept])
    angle_counts = np.array([int(np.count_nonzero(b[0] == wire.ANGLE)) for b in kept])
    times = np.array([b[2] for b in kept])
    seen = frozenset(int(t) for t in np.unique(types))
    is_legacy = looks_legacy(types, words)
    angle_words = words[types == wire.ANGLE]
    version = None
    if not is_legacy and len(angle_words) and int(np.ptp(angle_words[:, 3])) == 0:
        version = int(angle_words[0, 3]) & 0xFFFF
    return StreamSurvey(
        len(types), seen, is_legacy, measured_rate(angle_counts, times, is_legacy), version
    )


def looks_legacy(types: npt.NDArray[np.uint8], words: npt.NDArray[np.int16]) -> bool:
    """Whether word 3 of the 0x53 frames is the chip temperature (WT61/JY61 firmware).

    Legacy firmware sends only 0x51-0x53 and puts the temperature register in word 3 of all
    three, so a 0x53 frame and the 0x51 frame of its cycle carry (nearly) the same word 3;
    newer firmware puts a constant version word there, and ``raw/100`` °C in 0x51.
    """
    if any(int(t) not in legacy.FRAME_TYPES for t in np.unique(types)):
        return False
    angle = np.flatnonzero(types == wire.ANGLE)
    if len(angle) == 0:
        return False
    acc_before = np.array([_previous(types, i, wire.ACC) for i in angle.tolist()])
    paired = acc_before >= 0
    if paired.any():
        delta = np.abs(
            words[angle[paired], 3].astype(np.int64)
            - words[acc_before[paired], 3].astype(np.int64)
        )
        return float(np.median(delta)) <= LEGACY_TEMPERATURE_MATCH
    # Angle frames alone: a version word never changes, a temperature does.
    return len(angle) >= 3 and int(np.ptp(words[angle, 3])) > 0


def _previous(types: npt.NDArray[np.uint8], index: int, wanted: int) -> int:
    """Index of the ``wanted`` frame among the two before ``index`` (-1 when none)."""
    for back in (1, 2):
        if index - back >= 0 and int(types[index - back]) == wanted:
            return index - back
    return -1


def measured_rate(
    angle_counts: npt.NDArray[np.int64], times: npt.NDArray[np.float64], is_legacy: bool = False
) -> float:
    """Angle frames per second between the first and the last read, snapped (0 = unknown).

    The frames of the first read arrived before the clock starts, so they are not counted.
    """
    with_angles = np.flatnonzero(angle_counts)
    if len(with_angles) < 2:
        return 0.0
    first, last = int(with_angles[0]), int(with_angles[-1])
    elapsed = float(times[last] - times[first])
    frames = int(angle_counts[first + 1 : last + 1].sum())
    if elapsed <= 0 or frames < 2:
        return 0.0
    return snap_rate(frames / elapsed, is_legacy)


def snap_rate(rate_hz: float, is_legacy: bool = False) -> float:
    """The firmware rate nearest ``rate_hz`` when within :data:`RATE_SNAP`, else rounded."""
    offered = [r for _b, r in legacy.PRESETS.values()] if is_legacy else list(wire.RATE_CODES)
    nearest = min(offered, key=lambda r: abs(r - rate_hz) / r)
    if abs(nearest - rate_hz) <= RATE_SNAP * nearest:
        return float(nearest)
    return float(round(rate_hz, 1))


def content_text(rsw: int) -> str:
    """The frame types an RSW bitmask enables, in words."""
    names = [name for t, name in CONTENT_NAMES.items() if rsw & wire.CONTENT_BITS[t]]
    return ", ".join(names) if names else "nothing"


@dataclass(frozen=True)
class Settings:
    """Output settings read back from a WIT-standard sensor's registers (RSW, RRATE, BAUD)."""

    rsw: int
    rate_code: int
    baud_code: int

    @property
    def rate_hz(self) -> float:
        """Output rate (0 for single-shot or no output)."""
        return RATE_BY_CODE.get(self.rate_code, 0.0)

    @property
    def baud(self) -> int | None:
        """Baud rate (None for a code the table does not know)."""
        return BAUD_BY_CODE.get(self.baud_code)

    @property
    def plausible(self) -> bool:
        """The three values are codes the firmware uses (not some other register's reply)."""
        return (
            self.rsw <= 0x07FF
            and (self.rate_code in RATE_BY_CODE or self.rate_code in (0x0C, 0x0D))
            and self.baud_code in BAUD_BY_CODE
        )

    def registers(self) -> dict[int, int]:
        """As register → value."""
        return {
            wire.REG_RSW: self.rsw,
            wire.REG_RRATE: self.rate_code,
            wire.REG_BAUD: self.baud_code,
        }

    def describe(self) -> str:
        """E.g. ``"10 Hz; acceleration, angle; 115200 baud"``."""
        rate = f"{self.rate_hz:g} Hz" if self.rate_hz else _rate_code_text(self.rate_code)
        baud = f"{self.baud} baud" if self.baud else f"baud code {self.baud_code}"
        return f"{rate}; {content_text(self.rsw)}; {baud}"


def _rate_code_text(code: int) -> str:
    return {0x0C: "single shot", 0x0D: "no output"}.get(code, f"rate code {code:#x}")


@dataclass(frozen=True)
class Change:
    """One setting a configuration changes, in words."""

    setting: str
    before: str
    after: str
    register: int
    value: int

    def __str__(self) -> str:
        return f"{self.setting} {self.before} → {self.after}"


def plan(
    current: Settings,
    *,
    rate_hz: float | None = None,
    content: Sequence[int] | None = None,
    baud: int | None = None,
) -> list[Change]:
    """The register writes that turn ``current`` into the requested settings (none when
    nothing differs). Raises ValueError for a rate, frame type or baud the firmware lacks."""
    changes: list[Change] = []
    if content is not None:
        rsw = 0
        for frame_type in content:
            if frame_type not in wire.CONTENT_BITS:
                raise ValueError(f"frame type {frame_type:#x} cannot be enabled")
            rsw |= wire.CONTENT_BITS[frame_type]
        if rsw != current.rsw:
            before, after = content_text(current.rsw), content_text(rsw)
            changes.append(Change("output", before, after, wire.REG_RSW, rsw))
    if rate_hz is not None:
        code = wire.RATE_CODES.get(float(rate_hz))
        if code is None:
            allowed = ", ".join(f"{r:g}" for r in wire.RATE_CODES)
            raise ValueError(f"WitMotion output rate {rate_hz:g} Hz is not one of {allowed}")
        if code != current.rate_code:
            before = (
                f"{current.rate_hz:g} Hz"
                if current.rate_hz
                else _rate_code_text(current.rate_code)
            )
            changes.append(Change("output rate", before, f"{rate_hz:g} Hz", wire.REG_RRATE, code))
    if baud is not None:
        code = wire.BAUD_CODES.get(int(baud))
        if code is None:
            raise ValueError(f"WitMotion baud {baud} is not one of {sorted(wire.BAUD_CODES)}")
        if code != current.baud_code:
            before = f"{current.baud or current.baud_code}"
            changes.append(Change("baud rate", before, f"{baud}", wire.REG_BAUD, code))
    return changes


def bandwidth_bits_per_s(rsw: int, rate_code: int) -> float:
    """Bits per second the output needs (8N1: 10 bits per byte, devices.md §1.3)."""
    frames = bin(rsw & 0x07FF).count("1")
    return frames * wire.FRAME_LEN * 10 * RATE_BY_CODE.get(rate_code, 0.0)
