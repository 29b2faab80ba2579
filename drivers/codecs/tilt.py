"""Tibial inclination from an inclinometer strapped to the shin.

The weight-bearing lunge test reads the angle between the tibia and the vertical
(devices.md §1.10; typically 30-50° at end range). The sensor is strapped with one of its
axes - the *mounting axis* - along the tibia, pointing up towards the knee.

Definition used throughout DorsiLab
-----------------------------------
``tibia_deg`` is the angle, in degrees (0-180, unsigned), between the mounting axis and
the upward vertical. At rest an accelerometer measures the specific force, which points
*up* with magnitude 1 g, so with ``f`` the measured vector (any unit)::

    tibia_deg = atan2(|f - (f·u)u|, f·u)        u = unit mounting axis

This depends on neither the Euler-angle order nor the yaw (heading), so magnetometer
disturbance and yaw drift cannot change it, and it has no gimbal singularity when the
mounting axis is close to a pitch of ±90° (which is exactly where a vertically strapped
sensor sits). The same formula is applied to the gravity direction rebuilt from the
device's fused roll and pitch, see :func:`gravity_from_euler`.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt

MountingAxis = Literal["x", "y", "z", "-x", "-y", "-z"]
MOUNTING_AXES: Final[tuple[str, ...]] = ("x", "y", "z", "-x", "-y", "-z")


def axis_vector(axis: str) -> npt.NDArray[np.float64]:
    """Unit vector of a mounting axis name (``"x"``, ``"-z"`` …)."""
    if axis not in MOUNTING_AXES:
        raise ValueError(f"mounting axis must be one of {', '.join(MOUNTING_AXES)}, not {axis!r}")
    vector = np.zeros(3)
    vector["xyz".index(axis[-1])] = -1.0 if axis.startswith("-") else 1.0
    return vector


_AXIS_PARTS: Final = {
    name: (
        "xyz".index(name[-1]),
        -1.0 if name.startswith("-") else 1.0,
        tuple(i for i in range(3) if i != "xyz".index(name[-1])),
    )
    for name in MOUNTING_AXES
}


def tilt_from_vertical(
    specific_force: npt.NDArray[np.float64], axis: str
) -> npt.NDArray[np.float64]:
    """Angle (degrees) between the mounting axis and the upward vertical.

    Parameters
    ----------
    specific_force : ndarray, shape (n, 3)
        Measured specific force (accelerometer at rest, any unit) in the sensor frame.
    axis : str
        Mounting axis, e.g. ``"x"``.
    """
    if axis not in _AXIS_PARTS:
        axis_vector(axis)  # raises the explanatory ValueError
    index, sign, (first, second) = _AXIS_PARTS[axis]
    along = specific_force[:, index] * sign
    across = np.hypot(specific_force[:, first], specific_force[:, second])
    angle: npt.NDArray[np.float64] = np.degrees(np.arctan2(across, along))
    return angle


def gravity_from_euler(
    roll_deg: npt.NDArray[np.float64], pitch_deg: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Upward unit vector in the sensor frame from Z-Y-X Euler roll and pitch.

    With R = Rz(yaw)·Ry(pitch)·Rx(roll) the sensor-to-world rotation, the world up axis in
    sensor coordinates is ``Rᵀ·ẑ = (−sin θ, sin φ cos θ, cos φ cos θ)``: yaw drops out.
    The pitch sign follows the right-hand rule about +Y; the accelerometer route used by
    default does not depend on it.
    """
    roll = np.radians(roll_deg)
    pitch = np.radians(pitch_deg)
    up = np.empty((len(roll), 3))
    up[:, 0] = -np.sin(pitch)
    up[:, 1] = np.sin(roll) * np.cos(pitch)
    up[:, 2] = np.cos(roll) * np.cos(pitch)
    return up


def euler_from_gravity(up: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Roll and pitch (degrees, shape (n, 2)) that :func:`gravity_from_euler` maps to
    ``up``; the inverse used by emulators to synthesise consistent 0x51/0x53 frames."""
    up = up / np.linalg.norm(up, axis=1, keepdims=True)
    pitch = np.degrees(np.arcsin(np.clip(-up[:, 0], -1.0, 1.0)))
    roll = np.degrees(np.arctan2(up[:, 1], up[:, 2]))
    return np.column_stack((roll, pitch))


def up_for_tilt(tibia_deg: npt.ArrayLike, axis: str, toward: str) -> npt.NDArray[np.float64]:
    """Upward unit vector (sensor frame) for a mounting axis tilted ``tibia_deg`` from vertical.

    The tilt leans the mounting axis towards the sensor axis ``toward`` (e.g. the axis
    pointing forward over the toes); used by emulators and tests to build a pose.
    """
    angle = np.radians(np.asarray(tibia_deg, dtype=np.float64)).reshape(-1)
    u = axis_vector(axis)
    w = axis_vector(toward)
    if abs(float(u @ w)) > 1e-9:
        raise ValueError("the lean direction must be perpendicular to the mounting axis")
    # The world up vector seen from a sensor whose axis u leans towards w by the angle.
    up: npt.NDArray[np.float64] = (
        np.cos(angle)[:, None] * u[None, :] - np.sin(angle)[:, None] * w[None, :]
    )
    return up
