"""Which way is up, forward and right in a laboratory's frame, found from a force plate.

C3D files do not say which laboratory axis is vertical: Vicon and Qualisys labs use Z up,
BTS and many ISB-style labs Y up. The plate says it: its surface normal (from the corners
in ``FORCE_PLATFORM:CORNERS``) is vertical. Laboratories define their vertical axis positive
upwards, so *up* is the plate normal turned towards the positive laboratory axis nearest to
it. The normal itself may point down (the C3D convention puts a plate's z axis into the
floor) or up; only its line matters.

Forward follows ISB and Vicon: laboratory X is anterior (the direction the subject faces or
walks), projected onto the plate's surface; if X is the vertical axis, laboratory Y is
taken instead. Right is ``anterior × up``, so the three make a right-handed frame: in a
Z-up lab with X forward, right is −Y; in a Y-up lab, +Z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
AXES = "XYZ"


def axis_name(vector: FloatArray) -> str:
    """The laboratory axis nearest to ``vector``, with its sign (``"+Z"``, ``"−Y"``)."""
    k = int(np.argmax(np.abs(vector)))
    return ("+" if vector[k] >= 0 else "−") + AXES[k]


@dataclass(frozen=True)
class LabAxes:
    """Unit vectors (laboratory coordinates) of up, anterior and right.

    Attributes
    ----------
    up, anterior, right : ndarray of shape (3,)
    """

    up: FloatArray
    anterior: FloatArray
    right: FloatArray

    @property
    def vertical(self) -> str:
        """The laboratory axis that is vertical, e.g. ``"+Y"``."""
        return axis_name(self.up)

    def describe(self) -> str:
        """One line for a recording's notes."""
        return (
            f"vertical: lab {self.vertical} (the plate's normal); antero-posterior: lab "
            f"{axis_name(self.anterior)}, medio-lateral (+right): lab {axis_name(self.right)} "
            "(ISB/Vicon convention: X anterior)"
        )


def lab_axes(normal: npt.ArrayLike) -> LabAxes:
    """Up, anterior and right from a plate's surface normal (either sense).

    Parameters
    ----------
    normal : array_like of shape (3,)
        Any vector perpendicular to the plate's surface, in laboratory coordinates.
    """
    n = np.asarray(normal, dtype=np.float64)
    n = n / np.linalg.norm(n)
    vertical = int(np.argmax(np.abs(n)))
    up = n if n[vertical] > 0 else -n
    reference = np.eye(3)[1 if vertical == 0 else 0]
    anterior = reference - float(reference @ up) * up
    anterior /= np.linalg.norm(anterior)
    right = np.cross(anterior, up)
    return LabAxes(up=up, anterior=anterior, right=right / np.linalg.norm(right))
