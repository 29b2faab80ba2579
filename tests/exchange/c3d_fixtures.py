"""C3D files written with ezc3d the way other laboratories' systems write them.

Equivalents of the public ``ezc3d-testFiles`` (GPL-3.0, so not copied here): a Kistler-style
file with type-3 plates, no markers and an empty ``POINT:UNITS``; a BTS-style laboratory
with Y vertical; Vicon-style Z-up files; type-2 plates whose moments are in N·m. Every
plate follows the C3D convention (its z axis into the floor, the force it measures is the
one exerted on it) and every file is made from a known centre of pressure, so a reader can
be checked against the truth, not only against another reader.

Laboratory frames: ``"Z"`` is Vicon's (X anterior, Y left, Z up); ``"Y"`` is ISB's and
BTS's (X anterior, Y up, Z right).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ezc3d
import numpy as np

UP = {"Z": np.array([0.0, 0.0, 1.0]), "Y": np.array([0.0, 1.0, 0.0])}
RIGHT = {"Z": np.array([0.0, -1.0, 0.0]), "Y": np.array([0.0, 0.0, 1.0])}
ANTERIOR = np.array([1.0, 0.0, 0.0])


@dataclass
class PlateSpec:
    """One plate and what happens on it.

    ``load_n``, ``ap_mm`` and ``ml_mm`` are per analog frame: the vertical load and the
    COP from the plate's centre along the laboratory's anterior and right axes.
    """

    load_n: np.ndarray
    ap_mm: np.ndarray
    ml_mm: np.ndarray
    centre_mm: tuple[float, float] = (0.0, 0.0)  # along anterior and right
    size_mm: tuple[float, float] = (600.0, 400.0)  # anterior × right
    type: int = 2
    shear_n: tuple[float, float] = (4.0, -3.0)  # anterior, right
    origin_depth_mm: float = 40.0
    moment_unit: str = "Nmm"
    calibration: np.ndarray | None = None  # type 4: raw channels = inverse(cal) @ (F, M)
    kistler_ab_mm: tuple[float, float] = (210.0, 260.0)
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def plate_axes(vertical: str) -> np.ndarray:
    """Columns: the plate's x (anterior), y (right) and z (down, into the floor, as the C3D
    convention has it) in laboratory coordinates; x × y = z."""
    x = ANTERIOR
    z = -UP[vertical]
    y = np.cross(z, x)
    return np.column_stack([x, y, z])


def corners_lab(spec: PlateSpec, vertical: str) -> np.ndarray:
    """Corners 1–4 (shape (3, 4)) in laboratory mm, numbered as C3D: 1 − 2 is +x, 1 − 4 +y."""
    rot = plate_axes(vertical)
    centre = spec.centre_mm[0] * ANTERIOR + spec.centre_mm[1] * RIGHT[vertical]
    a, b = spec.size_mm[0] / 2, spec.size_mm[1] / 2
    signs = [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    return np.column_stack([centre + rot @ np.array([sx * a, sy * b, 0.0]) for sx, sy in signs])


def plate_channels(spec: PlateSpec, vertical: str) -> tuple[np.ndarray, list[str]]:
    """Analog rows and units for the plate, from its load and COP."""
    rot = plate_axes(vertical)
    n = spec.load_n.size
    lab_cop = np.outer(ANTERIOR, spec.ap_mm) + np.outer(RIGHT[vertical], spec.ml_mm)
    p = rot.T @ lab_cop  # plate frame (z = 0 on the surface)
    shear_lab = spec.shear_n[0] * ANTERIOR + spec.shear_n[1] * RIGHT[vertical]
    f = np.vstack([np.full(n, c) for c in rot.T @ shear_lab])
    f[2] = spec.load_n  # the force on the plate points down: +z of the plate
    m_surface = np.cross(p.T, f.T).T  # moment about the surface centre
    if spec.type == 3:
        a, b = spec.kistler_ab_mm
        az0 = -spec.origin_depth_mm
        mx = m_surface[0] - f[1] * az0
        my = m_surface[1] + f[0] * az0
        s, u, v = f[2], mx / b, my / a
        fz = [(s + u - v) / 4, (s + u + v) / 4, (s - u + v) / 4, (s - u - v) / 4]
        rows = [f[0] / 2, f[0] / 2, f[1] / 2, f[1] / 2, *fz]
        return np.vstack(rows), ["N"] * 8
    if spec.type == 1:  # the COP itself, from the centre, and the free moment
        return np.vstack([f, p[:2], m_surface[2]]), ["N"] * 3 + ["mm"] * 2 + ["Nmm"]
    origin = np.array([0.0, 0.0, -spec.origin_depth_mm])  # origin → surface centre
    m_origin = m_surface - np.cross(f.T, origin).T
    if spec.type == 4:
        assert spec.calibration is not None
        return np.linalg.solve(spec.calibration, np.vstack([f, m_origin])), ["V"] * 6
    scale = {"Nmm": 1.0, "Nm": 1e-3}[spec.moment_unit]
    return np.vstack([f, m_origin * scale]), ["N"] * 3 + [spec.moment_unit] * 3


def write_lab_c3d(
    path: Path,
    plates: list[PlateSpec],
    *,
    vertical: str = "Z",
    rate_hz: float = 1000.0,
    markers: bool = True,
    point_units: str = "mm",
    length_scale: float = 1.0,
) -> Path:
    """Write a C3D file with these plates (and, with ``markers``, one marker at 1/10 of the
    analog rate); ``length_scale`` converts mm to the file's length unit."""
    rows: list[np.ndarray] = []
    units: list[str] = []
    labels: list[str] = []
    channel_table = np.zeros((8, len(plates)), dtype=int)
    corners = np.zeros((3, 4, len(plates)))
    origins = np.zeros((3, len(plates)))
    for i, spec in enumerate(plates):
        data, plate_units = plate_channels(spec, vertical)
        first = len(rows) + 1
        channel_table[: data.shape[0], i] = np.arange(first, first + data.shape[0])
        rows += list(data)
        units += plate_units
        labels += [f"Plate{i + 1}.{k + 1}" for k in range(data.shape[0])]
        corners[:, :, i] = corners_lab(spec, vertical) * length_scale
        if spec.type == 3:
            a, b = spec.kistler_ab_mm
            origins[:, i] = np.array([a, b, -spec.origin_depth_mm]) * length_scale
        else:
            origins[:, i] = np.array([0.0, 0.0, spec.origin_depth_mm]) * length_scale
    per_plate = 8 if any(s.type == 3 for s in plates) else 6
    n = plates[0].load_n.size
    c3d = ezc3d.c3d()
    params = c3d["parameters"]
    if markers:
        frames = n // 10
        points = np.zeros((4, 1, frames))
        points[3] = 1.0
        params["POINT"]["RATE"]["value"] = [rate_hz / 10]
        params["POINT"]["LABELS"]["value"] = ["heel"]
        c3d["data"]["points"] = points
    else:  # no markers: one (empty) point frame per analog frame, as ezc3d writes them
        params["POINT"]["RATE"]["value"] = [rate_hz]
        c3d["data"]["points"] = np.zeros((4, 0, n))
    params["POINT"]["UNITS"]["value"] = [point_units] if point_units else []
    params["ANALOG"]["RATE"]["value"] = [rate_hz]
    params["ANALOG"]["LABELS"]["value"] = labels
    params["ANALOG"]["UNITS"]["value"] = units
    c3d["data"]["analogs"] = np.vstack(rows)[np.newaxis]
    fp = params["FORCE_PLATFORM"]
    fp["USED"]["value"] = np.array([len(plates)])
    fp["TYPE"]["value"] = np.array([[s.type for s in plates]])
    fp["ZERO"]["value"] = np.array([1, 10])
    fp["CORNERS"]["value"] = corners
    fp["ORIGIN"]["value"] = origins
    fp["CHANNEL"]["value"] = channel_table[:per_plate]
    if any(s.type == 4 for s in plates):
        cal = np.stack([s.calibration if s.type == 4 else np.eye(6) for s in plates], axis=2)
        fp["CAL_MATRIX"]["value"] = cal  # cal[i, j, plate]: stored by column
    c3d.write(str(path))
    return path


def stance(n: int, load_n: float = 700.0, seed: int = 3) -> PlateSpec:
    """A steady single-leg stance: the load and a slow, irregular sway (mm)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 1000.0
    ap = 25 + 6 * np.sin(2 * np.pi * 0.35 * t) + np.cumsum(rng.normal(0, 0.02, n))
    ml = -12 + 4 * np.cos(2 * np.pi * 0.22 * t) + np.cumsum(rng.normal(0, 0.02, n))
    load = load_n + 5 * np.sin(2 * np.pi * 0.8 * t)
    return PlateSpec(load_n=load, ap_mm=ap, ml_mm=ml)


def gait_stance(n: int, start: int, stance_frames: int, body_n: float = 700.0) -> np.ndarray:
    """The double hump of a walking stance phase (0 outside it), in N."""
    load = np.zeros(n)
    s = np.linspace(0.0, 1.0, stance_frames)
    load[start : start + stance_frames] = body_n * (
        1.15 * np.sin(np.pi * s) ** 0.8 - 0.35 * np.sin(2 * np.pi * s) ** 2
    )
    return np.clip(load, 0.0, None)
