"""WitMotion 0x55 byte streams for the codec tests: a scripted lunge, frames as bytes."""

from __future__ import annotations

import numpy as np

from drivers.codecs import witmotion as wit
from drivers.codecs.tilt import euler_from_gravity, up_for_tilt
from drivers.codecs.witmotion_batch import WitBatch


def frames_bytes(batch: WitBatch) -> list[bytes]:
    """The accepted frames of ``batch`` re-encoded, 11 bytes each, in stream order."""
    raw = wit.encode_frames(batch.types, batch.words)
    return [raw[i : i + 11] for i in range(0, len(raw), 11)]


def lunge_stream(
    tibia_deg: np.ndarray,
    version: int = 0x1234,
    temp_c: float = 25.0,
    acc_tibia_deg: np.ndarray | None = None,
) -> bytes:
    """0x51/0x52/0x53/0x54 cycles for a shin (mounting axis x) leaning towards +z.

    ``acc_tibia_deg`` (default ``tibia_deg``) is the tilt the 0x51 gravity vectors show, so
    that a test can tell which frame a sample's ``tibia_deg`` came from.
    """
    up = up_for_tilt(tibia_deg, "x", "z")
    roll_pitch = euler_from_gravity(up)
    angles = np.column_stack((roll_pitch, np.full(len(up), 15.0)))
    gravity = up if acc_tibia_deg is None else up_for_tilt(acc_tibia_deg, "x", "z")
    parts = [
        np.frombuffer(wit.encode_acc(gravity, temp_c), np.uint8).reshape(-1, 11),
        np.frombuffer(wit.encode_gyro(np.zeros((len(up), 3)), temp_c), np.uint8).reshape(-1, 11),
        np.frombuffer(wit.encode_angle(angles, version), np.uint8).reshape(-1, 11),
        np.frombuffer(wit.encode_mag(np.full((len(up), 3), 200.0), temp_c), np.uint8).reshape(
            -1, 11
        ),
    ]
    return np.stack(parts, axis=1).tobytes()
