"""Known-mass calibration of a four-cell force plate: the procedure, without Qt.

The steps a clinician goes through (the wizard dialog in :mod:`clinic_app.ui.devices.wizard`
only shows them):

1. enter the known mass (kg);
2. empty the plate → **tare** every cell;
3. mass at the **centre** → the reading before calibration is kept for the record;
4. mass over each **corner** in turn (TR, BR, TL, BL) → that cell's scale
   ``mass · g / mean tared reading`` (:meth:`drivers.calibration.PlateCalibration.calibrate_cell`);
5. mass at the centre again → **check**: the calibrated total against ``mass · g``;
6. **save**: the plate uses the new scales and they are stored under its serial number
   (:class:`drivers.calibration.CalibrationStore`).

It works with any plate that offers ``tare()``, ``cell_values(seconds)``, ``calibration`` and
``apply_calibration(cal)`` (line-protocol plate, Wii board, simulated plate). A simulated plate
(which has ``place_test_mass``) gets the mass put where each step asks, so the same flow runs
end to end in the demo and in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from drivers.base import DeviceError
from drivers.calibration import STANDARD_GRAVITY, CalibrationStore, PlateCalibration

CORNERS = ("front right", "back right", "front left", "back left")
"""Words for the cells TR, BR, TL, BL (front = towards the patient's toes)."""
MEASURE_S = 0.5
"""Seconds of readings averaged per step (the mass must be still)."""
SETTLE_S = 0.2
"""Readings of the first 0.2 s after a step begins are not averaged (engineering choice):
bytes already on their way still carry the old load (the driver reads in batches up to
6 ms apart, USB adapters buffer too), and a mass just put down rocks."""
TARE_MAX_LOAD_N = 150.0
"""Refuse to tare above ≈15 kg: that is a person or a mass on the plate, not cell offsets
(which stay well below this on a working plate); taring it away would hide real load."""


def check_empty(plate: Any) -> None:
    """Raise :class:`DeviceError` in words when the plate is clearly loaded.

    Uses the median load of the newest 50 samples (before any new tare). Skipped when the
    plate's forces cannot be trusted yet: raw HX711 counts of a never-calibrated plate carry
    arbitrary offsets, and refusing to tare them would make calibration impossible.
    """
    cal = getattr(plate, "calibration", None)
    unit = str(plate.info.extra.get("units", getattr(cal, "unit", "")))
    if unit not in ("N", "g", "kg", "10g") and not getattr(cal, "is_calibrated", False):
        return
    recent = plate.buffer.latest(50)
    if len(recent) == 0:
        return
    load = float(np.median(recent["fz_n"]))
    if abs(load) > TARE_MAX_LOAD_N:
        raise DeviceError(
            f"The plate carries {load / STANDARD_GRAVITY:.0f} kg. Ask the patient to step off "
            "and clear the plate, then tare again."
        )


@dataclass(frozen=True)
class Step:
    """One page of the procedure.

    Attributes
    ----------
    key : str
        ``"mass"``, ``"tare"``, ``"centre"``, ``"corner0"``…``"corner3"``, ``"check"``, ``"save"``.
    title, instruction : str
        What the clinician reads.
    mass_at : tuple of float or None
        Where the mass stands (x, y in mm), None when the plate must be empty.
    """

    key: str
    title: str
    instruction: str
    mass_at: tuple[float, float] | None


class CalibrationProcedure:
    """State of one calibration run.

    Parameters
    ----------
    plate : Device
        A force plate with the calibration calls listed in the module docstring.
    store : CalibrationStore, optional
        Where to save the result (by serial number); None saves nothing.
    """

    def __init__(self, plate: Any, store: CalibrationStore | None = None) -> None:
        for name in ("tare", "cell_values", "calibration", "apply_calibration"):
            if not hasattr(plate, name):
                raise DeviceError("This force plate cannot be calibrated with a known mass.")
        self.plate = plate
        self.store = store
        self.mass_kg = 10.0
        self.index = 0
        self.centre_before_n: float | None = None
        self.check_error_pct: float | None = None
        self.saved = False
        self._calibration: PlateCalibration = plate.calibration
        # The unit the plate reports in ($INFO of a line-protocol plate), so the stored
        # scales say what they convert from.
        self._calibration.unit = str(plate.info.extra.get("units", self._calibration.unit))
        self._cursor = 0
        geo = self._calibration.geometry
        hx, hy = geo.spacing_x_mm / 2, geo.spacing_y_mm / 2
        corner_xy = [(hx, hy), (hx, -hy), (-hx, hy), (-hx, -hy)]
        self.steps: list[Step] = [
            Step(
                "mass",
                "Known mass",
                "Enter the mass you will use (a weight plate or a "
                "bag of known mass, 5–40 kg works well).",
                None,
            ),
            Step(
                "tare",
                "Empty the plate",
                "Take everything off the plate and do not touch "
                "it. Press Next to tare every load cell.",
                None,
            ),
            Step(
                "centre",
                "Mass at the centre",
                "Put the mass on the middle of the plate and "
                "let it settle. Press Next to measure.",
                (0.0, 0.0),
            ),
        ]
        for i, (name, xy) in enumerate(zip(CORNERS, corner_xy, strict=True)):
            self.steps.append(
                Step(
                    f"corner{i}",
                    f"Mass over the {name} corner",
                    f"Put the mass directly over the {name} load cell ({i + 1} of 4). "
                    "Press Next to measure.",
                    xy,
                )
            )
        self.steps += [
            Step(
                "check",
                "Check at the centre",
                "Put the mass back on the middle of the "
                "plate. Press Next to check the calibration.",
                (0.0, 0.0),
            ),
            Step("save", "Done", "", None),
        ]

    @property
    def step(self) -> Step:
        """The current step."""
        return self.steps[self.index]

    @property
    def scales(self) -> list[float]:
        """Per-cell scales computed so far (N per device unit)."""
        return list(self._calibration.scales)

    @property
    def simulated(self) -> bool:
        """True for a simulated plate (the procedure places the mass itself)."""
        return hasattr(self.plate, "place_test_mass")

    def enter(self) -> None:
        """Start the current step: remember where the fresh readings begin."""
        if self.simulated:
            if self.step.mass_at is None:
                self.plate.remove_test_mass()
            else:
                self.plate.place_test_mass(self.mass_kg, *self.step.mass_at)
        self._cursor = self.plate.buffer.total

    def fresh_samples_needed(self) -> int:
        """Samples that must arrive after the step began before it can be measured."""
        rate = self.plate.info.nominal_rate_hz or 20.0
        return max(5, int(MEASURE_S * rate)) + int(SETTLE_S * rate)

    def ready(self) -> bool:
        """True once enough readings arrived since the step began (the mass has settled)."""
        if self.step.key in ("mass", "save"):
            return True
        return bool(self.plate.buffer.total - self._cursor >= self.fresh_samples_needed())

    def set_mass(self, mass_kg: float) -> None:
        """The known mass in kg (1–200)."""
        if not 1.0 <= mass_kg <= 200.0:
            raise ValueError("the known mass must be between 1 and 200 kg")
        self.mass_kg = float(mass_kg)

    def run(self) -> str:
        """Do the current step's measurement (may block briefly: call it off the UI thread).

        Returns
        -------
        str
            What happened, in words.

        Raises
        ------
        DeviceError
            When the plate does not answer or a reading is implausible.
        """
        key = self.step.key
        weight = self.mass_kg * STANDARD_GRAVITY
        if key == "mass":
            return f"Using a known mass of {self.mass_kg:.2f} kg."
        if key == "tare":
            check_empty(self.plate)
            self.plate.tare()
            return "Tared: every cell reads zero when empty."
        values = np.asarray(self.plate.cell_values(MEASURE_S), dtype=np.float64)
        if key == "centre":
            self.centre_before_n = float(values @ np.asarray(self._calibration.scales))
            return (
                f"Before calibration the plate read {self.centre_before_n:.1f} N "
                f"for {weight:.1f} N."
            )
        if key.startswith("corner"):
            cell = int(key[-1])
            others = np.delete(values, cell)
            if values[cell] <= 0 or np.any(np.abs(others) > abs(values[cell])):
                raise DeviceError(
                    f"The {CORNERS[cell]} cell is not the most loaded one. Put the mass "
                    "directly over that corner and try again."
                )
            scale = self._calibration.calibrate_cell(cell, self.mass_kg, float(values[cell]))
            return f"{CORNERS[cell].capitalize()} cell: {scale:.5g} N per unit."
        if key == "check":
            total = float(values @ np.asarray(self._calibration.scales))
            error = self.check_error_pct = 100.0 * (total - weight) / weight
            off = "within 0.1 %" if abs(error) < 0.05 else f"{error:+.1f} %"
            return f"With the new scales the plate reads {total:.1f} N for {weight:.1f} N ({off})."
        return ""

    def finish(self) -> str:
        """Apply the new scales to the plate and save them by serial number."""
        cal = self._calibration
        cal.serial_number = self.plate.info.serial_number or cal.serial_number
        self.plate.apply_calibration(cal)
        if self.simulated:
            self.plate.remove_test_mass()
        where = ""
        if self.store is not None and cal.serial_number:
            self.store.save(cal)
            where = f" and saved for plate {cal.serial_number}"
        self.saved = True
        return f"Calibration applied{where}."

    def advance(self) -> None:
        """Go to the next step and start it."""
        if self.index < len(self.steps) - 1:
            self.index += 1
            self.enter()
