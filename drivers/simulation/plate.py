"""Simulated four-cell force plate under the simulated patient's foot.

Signal chain per cell (TR, BR, TL, BL, the order of :data:`drivers.calibration.CELLS`):

1. true load: the patient's vertical force shared between the corners bilinearly from its
   COP (the statically exact split for a point load on a plate on four corner supports when
   the plate is treated as two simply supported beams), plus any test mass;
2. ``value = gain · load + offset + noise`` in the plate's unit (newtons): gains 1 ± 3 %,
   offsets ±15 N, seeded per patient — an untared, uncalibrated plate, as delivered;
3. reported force ``(value − tare) · scale`` with the tare and the per-cell scales of its
   :class:`~drivers.calibration.PlateCalibration` (nominal 1 N/N until calibrated);
4. Fz and COP with :func:`drivers.calibration.centre_of_pressure` (NaN below 20 N).

The calibration wizard uses the same calls as on a real plate: :meth:`tare`,
:meth:`cell_values` with a known mass placed by :meth:`place_test_mass`, then
:meth:`apply_calibration`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from drivers.base import PLATE_DTYPE, DeviceError, DeviceKind, SampleArray
from drivers.calibration import (
    DEFAULT_GEOMETRY,
    MIN_LOAD_N,
    STANDARD_GRAVITY,
    PlateCalibration,
    PlateGeometry,
    centre_of_pressure,
)
from drivers.simulation.devices import _SimulatedDevice
from drivers.simulation.patient import SimulatedPatient

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

CELL_X = np.array([1.0, 1.0, -1.0, -1.0])
"""Sign of each cell's x position (TR, BR, TL, BL): right is +x."""
CELL_Y = np.array([1.0, -1.0, 1.0, -1.0])
"""Sign of each cell's y position: top (front, towards the toes) is +y."""


def corner_shares(x_mm: FloatArray, y_mm: FloatArray, geometry: PlateGeometry) -> FloatArray:
    """Fraction of a point load at (x, y) carried by each cell, shape (n, 4), rows sum to 1."""
    fx = np.clip(np.asarray(x_mm, dtype=np.float64) / geometry.spacing_x_mm, -0.5, 0.5)
    fy = np.clip(np.asarray(y_mm, dtype=np.float64) / geometry.spacing_y_mm, -0.5, 0.5)
    out: FloatArray = (0.5 + np.multiply.outer(fx, CELL_X)) * (0.5 + np.multiply.outer(fy, CELL_Y))
    return out


class SimulatedForcePlate(_SimulatedDevice):
    """A four-cell force plate (default 1 kHz) fed by the simulated patient.

    Parameters
    ----------
    patient : SimulatedPatient
    rate_hz : float
    geometry : PlateGeometry
        Cell spacing (default the 400 × 400 mm reference plate).
    noise_n : float
        White noise per cell, N (SD).
    """

    kind = DeviceKind.FORCE_PLATE
    dtype = PLATE_DTYPE
    label = "force plate"
    model = "DorsiLab simulated 4-cell plate"
    _stream_id = 2

    def __init__(
        self,
        patient: SimulatedPatient,
        rate_hz: float = 1000.0,
        *,
        geometry: PlateGeometry = DEFAULT_GEOMETRY,
        noise_n: float = 0.4,
        min_load_n: float = MIN_LOAD_N,
    ) -> None:
        super().__init__(patient, rate_hz)
        self.geometry = geometry
        self.noise_n = float(noise_n)
        self.min_load_n = float(min_load_n)
        cal_rng = np.random.default_rng([patient.seed, 22])
        self.true_gain = cal_rng.uniform(0.97, 1.03, 4)
        self.true_offset_n = cal_rng.uniform(-15.0, 15.0, 4)
        self.tare_n = np.zeros(4)
        self._calibration = PlateCalibration.nominal(self.info.serial_number, "N", geometry)
        self._test_mass: tuple[float, float, float] | None = None
        self._recent = np.zeros((max(16, int(rate_hz)), 4))
        self._recent_count = 0
        self._info = replace(
            self._info,
            extra={
                "spacing_x_mm": geometry.spacing_x_mm,
                "spacing_y_mm": geometry.spacing_y_mm,
                "units": "N",
            },
        )

    # ------------------------------------------------------------------ calibration
    @property
    def calibration(self) -> PlateCalibration:
        """The per-cell scales in use (a copy: change them with :meth:`apply_calibration`)."""
        return self._calibration.copy()

    def apply_calibration(self, calibration: PlateCalibration) -> None:
        """Use these per-cell scales (N per unit) from now on."""
        scales = calibration.checked_scales()
        with self._lock:
            self._calibration = replace(calibration, scales=scales)

    def set_cell_scales(self, scales: FloatArray | list[float]) -> None:
        """Shortcut for :meth:`apply_calibration` with only the scales changed."""
        cal = self.calibration
        cal.scales = [float(s) for s in scales]
        self.apply_calibration(cal)

    def preset_calibration(self) -> None:
        """Tare and calibrate exactly (as if done earlier): zero offsets, scales = 1 / gain.

        For demos and tests that want true forces at once; the wizard recomputes the scales
        from the unscaled readings, so it still works afterwards.
        """
        with self._lock:
            self.tare_n = self.true_offset_n.copy()
        self.set_cell_scales(1.0 / self.true_gain)

    def place_test_mass(self, mass_kg: float, x_mm: float = 0.0, y_mm: float = 0.0) -> None:
        """Put a known mass on the simulated plate at (x, y) mm (the calibration wizard)."""
        self._test_mass = (float(mass_kg), float(x_mm), float(y_mm))

    def remove_test_mass(self) -> None:
        """Take the test mass off again."""
        self._test_mass = None

    def cell_positions_mm(self) -> FloatArray:
        """(4, 2) x, y of the cells TR, BR, TL, BL in mm."""
        g = self.geometry
        out: FloatArray = np.column_stack(
            (CELL_X * g.spacing_x_mm / 2, CELL_Y * g.spacing_y_mm / 2)
        )
        return out

    def cell_values(self, seconds: float = 0.5) -> FloatArray:
        """Mean tared, unscaled reading of each cell (TR, BR, TL, BL) over the last ``seconds``.

        Raises
        ------
        DeviceError
            When the plate is not streaming or has not produced that much data yet.
        """
        n = max(1, round(seconds * self.rate_hz))
        with self._lock:
            if not self.streaming or self._recent_count < n:
                raise DeviceError(
                    "The force plate has no recent readings yet; start it and wait a moment."
                )
            n = min(n, len(self._recent))
            idx = (self._recent_count - n + np.arange(n)) % len(self._recent)
            mean: FloatArray = self._recent[idx].mean(axis=0) - self.tare_n
            return mean

    def tare(self, seconds: float = 0.5) -> FloatArray:
        """Take the current reading of each cell as its zero (plate unloaded); returns it."""
        offsets = self.cell_values(seconds)
        with self._lock:
            self.tare_n = self.tare_n + offsets
            return self.tare_n.copy()

    # ------------------------------------------------------------------ samples
    def _generate(self, k: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> SampleArray:
        pose = self.patient.pose(t)
        load = corner_shares(pose.cop_x_mm, pose.cop_y_mm, self.geometry) * pose.fz_n[:, None]
        if self._test_mass is not None:
            mass, x, y = self._test_mass
            share = corner_shares(np.array([x]), np.array([y]), self.geometry)[0]
            load = load + mass * STANDARD_GRAVITY * share
        noise = self.noise_n * self._rng.standard_normal((len(k), 4))
        values = load * self.true_gain + self.true_offset_n + noise
        self._remember(values)
        cells = (values - self.tare_n) * np.asarray(self._calibration.scales)
        fz, cop_x, cop_y = centre_of_pressure(cells, self.geometry, self.min_load_n)
        out = np.empty(len(k), dtype=PLATE_DTYPE)
        out["t_host_s"] = t
        out["seq"] = k
        out["t_dev_s"] = k / self.rate_hz
        out["fz_n"] = fz
        out["cop_x_mm"] = cop_x
        out["cop_y_mm"] = cop_y
        for i, name in enumerate(("tr_n", "br_n", "tl_n", "bl_n")):
            out[name] = cells[:, i]
        return out

    def _remember(self, values: FloatArray) -> None:
        size = len(self._recent)
        tail = values[-size:]
        idx = (self._recent_count + len(values) - len(tail) + np.arange(len(tail))) % size
        self._recent[idx] = tail
        self._recent_count += len(values)
