"""Force-plate geometry, per-cell calibration, centre of pressure and the calibration store.

Units and conventions
---------------------
A 4-cell plate reports one value per corner cell, in the device's unit (HX711 counts,
grams or newtons, as its ``$INFO`` line says). The force on cell ``i`` is::

    F_i [N] = (value_i − offset_i) × scale_i         scale_i in N per device unit

``offset_i`` is a session value (host-side tare; the device's own ``T`` command tares in
the firmware instead). ``scale_i`` comes from a known-mass calibration and is stored per
plate serial number in a JSON file (:class:`CalibrationStore`), so the same plate is
calibrated once, not every session.

Centre of pressure (clinical.md §2.3(a), devices.md §3.1(a); frame of
:mod:`drivers.base`: origin at the plate centre, +x to the patient's right, +y forward)::

    F     = TR + BR + TL + BL
    COPx  = (Lx/2) · [(TR + BR) − (TL + BL)] / F
    COPy  = (Ly/2) · [(TR + TL) − (BR + BL)] / F

with ``Lx`` the centre-to-centre spacing between the left and right cells and ``Ly``
between the front (T) and back (B) cells, in millimetres. COP is NaN while ``F`` is below
the minimum-load gate (20 N, the Vicon default quoted in open code [S], clinical.md §0),
because dividing by a near-zero load turns noise into metres of "sway".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from drivers.base import DeviceError

STANDARD_GRAVITY: Final = 9.80665
"""m/s², to turn a known mass into a force."""

MIN_LOAD_N: Final = 20.0
"""Minimum total vertical force (N) for a defined COP — Vicon default quoted in open code
[S], clinical.md §0 "Minimum Fz for computing COP"."""

CELLS: Final = ("tr", "br", "tl", "bl")
"""Cell order used everywhere: top-right, bottom-right, top-left, bottom-left."""

UNIT_SCALES: Final = {"N": 1.0, "g": STANDARD_GRAVITY / 1000.0, "kg": STANDARD_GRAVITY}
"""Nominal N per device unit for self-calibrated firmware; ``counts`` needs a calibration."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PlateGeometry:
    """Load-cell spacing, centre to centre, in millimetres.

    Attributes
    ----------
    spacing_x_mm : float
        Between the left and right cells (medio-lateral, ``Lx``).
    spacing_y_mm : float
        Between the front (top) and back (bottom) cells (antero-posterior, ``Ly``).
    name : str
        Preset name, or "custom".
    """

    spacing_x_mm: float = 400.0
    spacing_y_mm: float = 400.0
    name: str = "DorsiLab 400 × 400 mm"

    def __post_init__(self) -> None:
        if not (self.spacing_x_mm > 0 and self.spacing_y_mm > 0):
            raise ValueError("load-cell spacing must be positive (mm)")


DEFAULT_GEOMETRY: Final = PlateGeometry()
"""The reference DIY plate (cells at the corners of a 400 × 400 mm square) [U: our build]."""

WII_BALANCE_BOARD: Final = PlateGeometry(433.0, 238.0, "Wii Balance Board 433 × 238 mm")
"""WBB cell spacing [S: constants in open WBB code; clinical.md §0]."""

GEOMETRY_PRESETS: Final = {"default": DEFAULT_GEOMETRY, "wii": WII_BALANCE_BOARD}


def centre_of_pressure(
    cells_n: FloatArray, geometry: PlateGeometry, min_load_n: float = MIN_LOAD_N
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Total force and COP from the four cell forces.

    Parameters
    ----------
    cells_n : ndarray, shape (n, 4)
        Forces in newtons in :data:`CELLS` order (TR, BR, TL, BL).
    geometry : PlateGeometry
    min_load_n : float
        COP is NaN where the total force is below this (N).

    Returns
    -------
    fz_n, cop_x_mm, cop_y_mm : ndarray, shape (n,)
    """
    tr, br, tl, bl = cells_n[:, 0], cells_n[:, 1], cells_n[:, 2], cells_n[:, 3]
    fz = tr + br + tl + bl
    loaded = fz >= min_load_n
    safe = np.where(loaded, fz, 1.0)
    cop_x = np.where(loaded, geometry.spacing_x_mm / 2 * ((tr + br) - (tl + bl)) / safe, np.nan)
    cop_y = np.where(loaded, geometry.spacing_y_mm / 2 * ((tr + tl) - (br + bl)) / safe, np.nan)
    return fz, cop_x, cop_y


@dataclass
class PlateCalibration:
    """Calibration of one plate (identified by its serial number).

    Attributes
    ----------
    serial_number : str
    unit : str
        The device unit the scales apply to (``counts``, ``g``, ``N``).
    scales : list of float
        N per device unit for TR, BR, TL, BL.
    geometry : PlateGeometry
    calibrated_at : str
        ISO 8601 UTC time of the last known-mass calibration ("" = nominal scales).
    masses_kg : list of float
        The known mass used for each cell (0 = not calibrated with a mass).
    capacity_kg : float
        Rated capacity of the plate, kg (0 = not stated: the plate's ``$INFO`` or a default
        applies); bounds the plausible readings (:mod:`drivers.codecs.lineplate_checks`).
    """

    serial_number: str
    unit: str = "g"
    scales: list[float] = field(default_factory=lambda: [UNIT_SCALES["g"]] * 4)
    geometry: PlateGeometry = DEFAULT_GEOMETRY
    calibrated_at: str = ""
    masses_kg: list[float] = field(default_factory=lambda: [0.0] * 4)
    capacity_kg: float = 0.0

    @classmethod
    def nominal(cls, serial_number: str, unit: str, geometry: PlateGeometry) -> PlateCalibration:
        """Scales implied by the unit alone (1 N per count when the unit is raw counts)."""
        scale = UNIT_SCALES.get(unit, 1.0)
        return cls(serial_number, unit, [scale] * 4, geometry)

    @property
    def is_calibrated(self) -> bool:
        """True once every cell has a known-mass scale."""
        return all(m > 0 for m in self.masses_kg)

    def copy(self) -> PlateCalibration:
        """An independent copy (changing its lists leaves this one as it is)."""
        return replace(self, scales=list(self.scales), masses_kg=list(self.masses_kg))

    def checked_scales(self) -> list[float]:
        """The four scales as floats (N per device unit).

        Raises
        ------
        ValueError
            Unless there are four positive, finite scale factors.
        """
        scales = np.asarray(self.scales, dtype=np.float64)
        if scales.shape != (4,) or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            raise ValueError("four positive, finite cell scale factors are needed")
        return [float(s) for s in scales]

    def calibrate_cell(self, cell: int, mass_kg: float, mean_value: float) -> float:
        """Set the scale of ``cell`` (0-3) from a known mass standing on it.

        Parameters
        ----------
        cell : int
            Index in :data:`CELLS` order.
        mass_kg : float
            The known mass, centred over that cell.
        mean_value : float
            The cell's mean tared reading (device units) with the mass on it.

        Returns
        -------
        float
            The new scale (N per device unit).
        """
        if not 0 <= cell < 4:
            raise ValueError("cell index must be 0-3 (TR, BR, TL, BL)")
        if not mass_kg > 0:
            raise ValueError("the calibration mass must be positive (kg)")
        if not math.isfinite(mean_value) or abs(mean_value) < 1e-9:
            raise DeviceError(
                f"The {CELLS[cell].upper()} load cell did not respond to the mass. "
                "Check that the mass stands on that corner and the cell is connected."
            )
        if mean_value < 0:
            raise DeviceError(
                f"The {CELLS[cell].upper()} load cell reads less with the mass than empty. "
                "Tare the plate empty first; if it persists the cell is wired the wrong way "
                "round."
            )
        scale = mass_kg * STANDARD_GRAVITY / mean_value
        self.scales[cell] = scale
        self.masses_kg[cell] = mass_kg
        self.calibrated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return scale

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "unit": self.unit,
            "scales_n_per_unit": list(self.scales),
            "masses_kg": list(self.masses_kg),
            "calibrated_at": self.calibrated_at,
            "capacity_kg": self.capacity_kg,
            "geometry": {
                "spacing_x_mm": self.geometry.spacing_x_mm,
                "spacing_y_mm": self.geometry.spacing_y_mm,
                "name": self.geometry.name,
            },
        }

    @classmethod
    def from_json(cls, serial_number: str, data: dict[str, Any]) -> PlateCalibration:
        """Inverse of :meth:`to_json` (raises ``ValueError`` naming the bad field)."""
        try:
            scales = [float(v) for v in data["scales_n_per_unit"]]
            masses = [float(v) for v in data.get("masses_kg", [0.0] * 4)]
            capacity = float(data.get("capacity_kg", 0.0))
            if not 0.0 <= capacity < math.inf:
                raise ValueError("capacity_kg must be a non-negative number")
            geo = data.get("geometry", {})
            geometry = PlateGeometry(
                float(geo.get("spacing_x_mm", DEFAULT_GEOMETRY.spacing_x_mm)),
                float(geo.get("spacing_y_mm", DEFAULT_GEOMETRY.spacing_y_mm)),
                str(geo.get("name", "custom")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"plate {serial_number}: bad calibration entry ({exc})") from exc
        if len(scales) != 4 or len(masses) != 4:
            raise ValueError(f"plate {serial_number}: expected 4 cells in the calibration")
        return cls(
            serial_number,
            str(data.get("unit", "g")),
            scales,
            geometry,
            str(data.get("calibrated_at", "")),
            masses,
            capacity,
        )


class CalibrationStore:
    """Plate calibrations in one JSON file, keyed by plate serial number.

    Parameters
    ----------
    folder : Path
        Where ``plate_calibrations.json`` lives; the application passes its config folder
        (drivers never import ``clinic_app``).
    """

    FILENAME: Final = "plate_calibrations.json"

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / self.FILENAME

    def _read_all(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DeviceError(
                f"The plate calibration file {self.path} is damaged (line {exc.lineno}, "
                f"column {exc.colno}: {exc.msg}). Recalibrate the plate or restore the file."
            ) from exc
        plates = data.get("plates", {}) if isinstance(data, dict) else {}
        return plates if isinstance(plates, dict) else {}

    def load(self, serial_number: str) -> PlateCalibration | None:
        """The stored calibration of a plate, or None."""
        entry = self._read_all().get(serial_number)
        if entry is None:
            return None
        try:
            return PlateCalibration.from_json(serial_number, entry)
        except ValueError as exc:
            raise DeviceError(f"{self.path}: {exc}") from exc

    def save(self, calibration: PlateCalibration) -> None:
        """Store (replace) one plate's calibration atomically."""
        plates = self._read_all()
        plates[calibration.serial_number] = calibration.to_json()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".plate_cal.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"version": 1, "plates": plates}, handle, indent=2, sort_keys=True)
                handle.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
