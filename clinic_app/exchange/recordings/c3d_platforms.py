"""Force platforms of a C3D file: geometry from ``FORCE_PLATFORM``, then force and centre of
pressure (COP) frame by frame, for the platform types 1–4 of the C3D standard.

Channels (``FORCE_PLATFORM:CHANNEL``, 1-based analog numbers), per type:

- 1: ``Fx Fy Fz`` (N), ``COPx COPy`` (on the surface, from its centre), ``Tz``;
- 2: ``Fx Fy Fz Mx My Mz`` about the transducer origin (AMTI, Bertec, BTS, Qualisys);
- 3: Kistler's eight ``fx12 fx34 fy14 fy23 fz1 fz2 fz3 fz4``, ``ORIGIN`` = (a, b, az0),
  with the polynomial COP correction of ``FPCOPPOLY`` when present;
- 4: as type 2 after the 6 × 6 ``CAL_MATRIX``.

The plate's axes in the laboratory come from its corners (x = c1 − c2, y = c1 − c4,
z = x × y), the surface centre is their mean, and the COP on the surface is
``(−My/Fz, Mx/Fz)`` after moving the moments from the transducer origin to the surface
(``M + F × ORIGIN``; ``ORIGIN`` with a positive z is negated, as ezc3d does). These are the
formulas of ezc3d's force-platform filter (``src/modules/ForcePlatforms.cpp``), done here in
numpy for three reasons ezc3d's filter cannot serve: it takes every moment channel to be in
N·(``POINT:UNITS``) whatever ``ANALOG:UNITS`` says (N·m moments with mm corners give a COP a
thousand times off), it assumes metres when ``POINT:UNITS`` is empty, and one plate of a
type it does not read makes the whole file unreadable. ``tests/exchange/
test_recordings_c3d_platforms.py`` checks the two agree wherever the units allow ezc3d to be
right. One deliberate difference: for type 3, a and b are taken as distances (positive) and
az0 as a depth (negative), where ezc3d negates all three when az0 is given positive.

Everything is returned in N and mm, laboratory coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from clinic_app.exchange.recordings.base import FloatArray, RecordingError
from clinic_app.exchange.recordings.lab_axes import LabAxes, lab_axes

CHANNELS_PER_TYPE = {1: 6, 2: 6, 3: 8, 4: 6}
TYPE_NAMES = {
    5: "type 5 (8 channels with a calibration matrix)",
    6: "type 6 (12 channels)",
    7: "type 7 (8 channels with a calibration matrix)",
    11: "a Kistler split-belt treadmill (type 11)",
    12: "a Kistler split-belt treadmill (type 12)",
    21: "AMTI stairs (type 21)",
}
LENGTH_MM = {"mm": 1.0, "millimeter": 1.0, "millimetre": 1.0, "cm": 10.0, "m": 1000.0}
LENGTH_MM |= {"meter": 1000.0, "metre": 1000.0, "centimeter": 10.0, "centimetre": 10.0}
PLAUSIBLE_EDGE_MM = (50.0, 5000.0)  # smallest and largest plate edge taken as a plate


@dataclass(frozen=True)
class Platform:
    """One force platform as its ``FORCE_PLATFORM`` parameters describe it.

    Attributes
    ----------
    number : int
        1-based, as in the file.
    type : int
    corners_mm : ndarray of shape (4, 3)
        Laboratory coordinates of the four corners (mm).
    origin_mm : ndarray of shape (3,)
        ``ORIGIN`` in mm (plate frame; sign conventions applied).
    channels : tuple of int
        0-based analog channel of each input.
    calibration : ndarray of shape (6, 6) or None
        Type 4 only.
    cop_poly : ndarray of shape (12,) or None
        Type 3 ``FPCOPPOLY`` coefficients (for COP in the file's length unit).
    """

    number: int
    type: int
    corners_mm: FloatArray
    origin_mm: FloatArray
    channels: tuple[int, ...]
    calibration: FloatArray | None = None
    cop_poly: FloatArray | None = None

    @property
    def rotation(self) -> FloatArray:
        """Columns: the plate's x, y, z axes in laboratory coordinates (unit vectors)."""
        c = self.corners_mm
        x = c[0] - c[1]
        z = np.cross(x, c[0] - c[3])
        y = np.cross(z, x)
        return np.column_stack([v / np.linalg.norm(v) for v in (x, y, z)])

    @property
    def centre_mm(self) -> FloatArray:
        """Centre of the working surface (mean of the corners), laboratory mm."""
        return np.asarray(self.corners_mm.mean(axis=0), dtype=np.float64)

    @property
    def axes(self) -> LabAxes:
        """Up, anterior and right of the laboratory, from this plate's normal."""
        return lab_axes(self.rotation[:, 2])

    @property
    def size_mm(self) -> tuple[float, float]:
        """Lengths of the two sides (mm)."""
        c = self.corners_mm
        return float(np.linalg.norm(c[0] - c[1])), float(np.linalg.norm(c[0] - c[3]))


@dataclass(frozen=True)
class PlatformData:
    """Force and COP of one platform, frame by frame (analog rate).

    Attributes
    ----------
    platform : Platform
    load_n : ndarray
        Force normal to the surface (N, ≥ 0): the vertical load.
    cop_plate_mm : ndarray of shape (2, n)
        COP on the surface along the plate's x and y axes, from its centre (mm); NaN where
        the load is below the gate.
    force_lab_n : ndarray of shape (3, n)
        Force in laboratory axes (N), in the sense the file gives it.
    """

    platform: Platform
    load_n: FloatArray
    cop_plate_mm: FloatArray
    force_lab_n: FloatArray

    @property
    def cop_lab_mm(self) -> FloatArray:
        """COP in laboratory coordinates (mm), shape (3, n)."""
        p = self.platform
        offset = p.rotation[:, :2] @ self.cop_plate_mm
        return np.asarray(offset + p.centre_mm[:, None], dtype=np.float64)

    def cop_ap_ml_mm(self, axes: LabAxes) -> tuple[FloatArray, FloatArray]:
        """COP from the plate's centre, antero-posterior and medio-lateral (+right), mm."""
        offset = self.platform.rotation[:, :2] @ self.cop_plate_mm
        return axes.anterior @ offset, axes.right @ offset


def _flat(group: dict[str, Any], key: str) -> FloatArray:
    """A parameter's values in the file's storage order (first index fastest)."""
    entry = group.get(key)
    if not isinstance(entry, dict) or "value" not in entry:
        return np.zeros(0)
    values = np.asarray(entry["value"])
    if values.size == 0 or values.dtype.kind not in "biuf":
        return np.zeros(0)
    return np.asarray(values, dtype=np.float64).reshape(-1, order="F")


def _first_dimension(group: dict[str, Any], key: str, count: int) -> int:
    values = np.asarray(group.get(key, {}).get("value", []))
    if values.ndim > 1:
        return int(values.shape[0])
    return int(values.size // max(count, 1))


def length_unit_mm(name: str, point: dict[str, Any], group: dict[str, Any]) -> tuple[float, str]:
    """Millimetres per unit of the laboratory's lengths, and a note when it was inferred.

    ``POINT:UNITS`` when the file gives it; when it is empty (files with no markers), the
    unit for which the plates' edges measure like plates (15–300 cm).

    Raises
    ------
    RecordingError
    """
    units = [str(u).strip() for u in point.get("UNITS", {}).get("value", []) if str(u).strip()]
    if units:
        unit = units[0].lower()
        unit = unit[:-1] if unit.endswith("s") and unit[:-1] in LENGTH_MM else unit
        if unit in LENGTH_MM:
            return LENGTH_MM[unit], ""
        raise RecordingError(name, f"POINT:UNITS is {units[0]!r}; expected mm, cm or m")
    corners = _flat(group, "CORNERS")
    quads = corners[: corners.size // 12 * 12].reshape(-1, 4, 3)
    edges = np.linalg.norm(quads[:, 0] - quads[:, 1], axis=1)
    edges = edges[np.isfinite(edges) & (edges > 0)]
    if edges.size:
        typical = float(np.median(edges))
        for unit, low, high in (("mm", 150.0, 3000.0), ("m", 0.15, 3.0), ("cm", 15.0, 300.0)):
            if low <= typical <= high:
                note = (
                    f"POINT:UNITS is empty: lengths read as {unit}, the unit in which the "
                    f"plates measure like force plates (an edge of {typical:g} {unit})"
                )
                return LENGTH_MM[unit], note
    raise RecordingError(
        name, "POINT:UNITS is empty and the plate corners do not tell whether lengths are in mm"
    )


def read_platforms(
    name: str, parameters: dict[str, Any], n_analog: int
) -> tuple[list[Platform], list[str], float]:
    """The readable platforms, one note per platform left out, and mm per length unit.

    Raises
    ------
    RecordingError
        When lengths have no recognisable unit.
    """
    group = parameters.get("FORCE_PLATFORM", {})
    used = _flat(group, "USED")
    count = int(used[0]) if used.size else 0
    if count <= 0:
        return [], [], 1.0
    to_mm, unit_note = length_unit_mm(name, parameters.get("POINT", {}), group)
    notes = [unit_note] if unit_note else []
    types, corners, origins = (_flat(group, k) for k in ("TYPE", "CORNERS", "ORIGIN"))
    channel_values = _flat(group, "CHANNEL")
    per_plate = _first_dimension(group, "CHANNEL", count)
    calibration, poly = _flat(group, "CAL_MATRIX"), _flat(group, "FPCOPPOLY")
    store = [str(v).upper() for v in group.get("MATRIX_STORE", {}).get("value", [])]
    by_row = bool(store) and "ROW" in store[0]
    platforms: list[Platform] = []
    for i in range(count):
        number = i + 1
        if types.size <= i or corners.size < 12 * number or origins.size < 3 * number:
            notes.append(f"plate {number}: FORCE_PLATFORM lacks its type, corners or origin")
            continue
        kind = int(types[i])
        if kind not in CHANNELS_PER_TYPE:
            what = TYPE_NAMES.get(kind, f"type {kind}")
            notes.append(f"plate {number} is {what}, which DorsiLab does not read")
            continue
        quad = corners[12 * i : 12 * number].reshape(4, 3) * to_mm
        if not _plausible(quad):
            notes.append(
                f"plate {number}: its corners (FORCE_PLATFORM:CORNERS) do not outline a "
                "plate, so it is left out"
            )
            continue
        need = CHANNELS_PER_TYPE[kind]
        chans = channel_values[per_plate * i : per_plate * i + need].astype(int) - 1
        if chans.size < need or per_plate < need or chans.min() < 0 or chans.max() >= n_analog:
            notes.append(f"plate {number}: FORCE_PLATFORM:CHANNEL names missing analog channels")
            continue
        origin = origins[3 * i : 3 * number] * to_mm
        if kind == 3:
            origin = np.array([abs(origin[0]), abs(origin[1]), -abs(origin[2])])
        elif kind == 1:
            origin = np.zeros(3)
        elif origin[2] > 0:
            origin = -origin
        cal = None
        if kind == 4:
            cal = np.eye(6)
            if calibration.size >= 36 * number:
                block = calibration[36 * i : 36 * number]
                cal = block.reshape(6, 6) if by_row else block.reshape(6, 6, order="F")
            else:
                notes.append(f"plate {number}: no CAL_MATRIX, read as already calibrated")
        cop_poly = poly[12 * i : 12 * number] if kind == 3 and poly.size >= 12 * number else None
        platforms.append(
            Platform(number, kind, quad, origin, tuple(int(c) for c in chans), cal, cop_poly)
        )
    return platforms, notes, to_mm


def _plausible(quad: FloatArray) -> bool:
    """Four corners that outline a flat rectangle of a plate's size."""
    if not np.isfinite(quad).all():
        return False
    sides = np.linalg.norm(quad - np.roll(quad, -1, axis=0), axis=1)
    low, high = PLAUSIBLE_EDGE_MM
    if sides.min() < low or sides.max() > high:
        return False
    if (
        abs(sides[0] - sides[2]) > 0.05 * sides.max()
        or abs(sides[1] - sides[3]) > 0.05 * sides.max()
    ):
        return False
    x, y = quad[0] - quad[1], quad[0] - quad[3]
    return abs(float(x @ y)) <= 0.05 * float(np.linalg.norm(x) * np.linalg.norm(y))


def _scale(unit: str, table: dict[str, float], default: float) -> float:
    key = unit.strip().lower().replace("·", "").replace(".", "").replace("*", "").replace(" ", "")
    return table.get(key, default)


def platform_data(
    platform: Platform,
    analogs: FloatArray,
    units: list[str],
    length_mm: float,
    min_load_n: float,
) -> PlatformData:
    """Force and COP of ``platform`` from the analog channels (rows of ``analogs``).

    Parameters
    ----------
    platform : Platform
    analogs : ndarray of shape (channels, frames)
        Analog data in physical units (ezc3d applies ``SCALE``, ``OFFSET``, ``GEN_SCALE``).
    units : list of str
        ``ANALOG:UNITS`` per channel (missing or unknown: the file's force and length units).
    length_mm : float
        Millimetres per laboratory length unit.
    min_load_n : float
        Below this load the COP is undefined (NaN).
    """
    ch = [np.asarray(analogs[c], dtype=np.float64) for c in platform.channels]
    unit = [units[c] if c < len(units) else "" for c in platform.channels]
    force_n = {"n": 1.0, "kn": 1000.0}
    moment_nmm = {"nmm": 1.0, "nm": 1000.0, "knm": 1e6}
    length = {"mm": 1.0, "cm": 10.0, "m": 1000.0}
    kind = platform.type
    if kind == 3:
        fs = [c * _scale(u, force_n, 1.0) for c, u in zip(ch, unit, strict=True)]
        a, b, az0 = platform.origin_mm
        force = np.vstack([fs[0] + fs[1], fs[2] + fs[3], fs[4] + fs[5] + fs[6] + fs[7]])
        moment = np.vstack(
            [
                b * (fs[4] + fs[5] - fs[6] - fs[7]),
                a * (fs[5] + fs[6] - fs[4] - fs[7]),
                b * (fs[1] - fs[0]) + a * (fs[2] - fs[3]),
            ]
        )
        moment += np.cross(force.T, [0.0, 0.0, az0]).T
    elif kind == 1:
        force = np.vstack([ch[i] * _scale(unit[i], force_n, 1.0) for i in range(3)])
        cop = np.vstack([ch[i] * _scale(unit[i], length, length_mm) for i in (3, 4)])
        return _result(platform, force, None, cop, min_load_n, length_mm)
    else:
        raw = np.vstack(ch)
        if kind == 4 and platform.calibration is not None:
            raw = platform.calibration @ raw
            force, moment = raw[:3], raw[3:] * length_mm
        else:
            force = np.vstack([raw[i] * _scale(unit[i], force_n, 1.0) for i in range(3)])
            moment = np.vstack(
                [raw[i] * _scale(unit[i], moment_nmm, length_mm) for i in range(3, 6)]
            )
        moment += np.cross(force.T, platform.origin_mm).T
    return _result(platform, force, moment, None, min_load_n, length_mm)


def _result(
    platform: Platform,
    force: FloatArray,
    moment: FloatArray | None,
    cop: FloatArray | None,
    min_load_n: float,
    length_mm: float,
) -> PlatformData:
    load = np.abs(force[2])
    loaded = load >= min_load_n
    if cop is None:
        assert moment is not None
        fz = np.where(loaded, force[2], 1.0)
        cop = np.vstack([-moment[1] / fz, moment[0] / fz])
        if platform.cop_poly is not None:
            cop = _kistler_correction(cop / length_mm, platform.cop_poly) * length_mm
    cop = np.where(loaded, cop, np.nan)
    return PlatformData(platform, load, cop, platform.rotation @ force)


def _kistler_correction(cop: FloatArray, k: FloatArray) -> FloatArray:
    """Kistler's polynomial COP correction (``FPCOPPOLY``), as ezc3d applies it."""
    x, y = cop
    dx = (k[0] * y**4 + k[1] * y**2 + k[2]) * x**3 + (k[3] * y**4 + k[4] * y**2 + k[5]) * x
    dy = (k[6] * x**4 + k[7] * x**2 + k[8]) * y**3 + (k[9] * x**4 + k[10] * x**2 + k[11]) * y
    return np.vstack([x - dx, y - dy])


__all__ = ["Platform", "PlatformData", "length_unit_mm", "platform_data", "read_platforms"]
