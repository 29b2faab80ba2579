"""The knee-to-wall distance the ``--demo`` patient "reads off the tape" after a live lunge.

In the live demo a simulated patient lunges on the simulated inclinometer, but the
distance is a typed value (the clinician reads it off the tape). So that the clinician is
not made to invent one after every trial, the demo offers the reading of the same
per-patient tape model the demo history uses (:class:`clinic_app.demo.trials.TapeModel`:
the geometric model of clinical.md §1.8, labelled there as not validated [D/U], plus
tape-reading noise, to 0.1 cm) at the peak tibial angle the simulated patient really
reached in that lunge. Outside the demo nothing is offered.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

import numpy as np

from clinic_app.demo.history import SCRIPTS, SHANK_RATIO
from clinic_app.demo.trials import TapeModel
from drivers.simulated import SimulatedPatient

DEFAULT_HEIGHT_CM = 170.0
"""Height (cm) assumed for a record without one: the fallback of the demo history."""

TYPICAL_TOE_CM = fmean(script.toe_cm for script in SCRIPTS)
"""f (cm) for a record without a demo script: the mean of the scripted runners' feet."""

RNG_OFFSET = 7919
"""Seed offset of the tape noise, the same as :class:`~clinic_app.demo.trials.DemoRig`'s."""


def tape_for(record: Any) -> TapeModel:
    """The tape model of a stored patient (a :class:`clinic_app.storage.Patient`).

    Shank length L = :data:`~clinic_app.demo.history.SHANK_RATIO` × height; toe length f
    from the patient's demo script when there is one, else :data:`TYPICAL_TOE_CM`.
    """
    height = float(getattr(record, "height_cm", None) or DEFAULT_HEIGHT_CM)
    number = getattr(record, "record_number", None)
    toe = next((s.toe_cm for s in SCRIPTS if s.record_number == number), TYPICAL_TOE_CM)
    return TapeModel(SHANK_RATIO * height, toe)


class DemoTapeReader:
    """Reads the tape for the simulated patient's latest lunge on a side.

    Parameters
    ----------
    patient : SimulatedPatient
        The ``--demo`` patient (its ``history`` holds every lunge it performed).
    tape : TapeModel
        Geometry of the stored patient the visit is for.
    """

    def __init__(self, patient: SimulatedPatient, tape: TapeModel) -> None:
        self.patient = patient
        self.tape = tape
        self._rng = np.random.default_rng(patient.seed + RNG_OFFSET)
        self._read: dict[tuple[str, float], float] = {}

    @classmethod
    def for_record(cls, patient: SimulatedPatient, record: Any) -> DemoTapeReader:
        """A reader with the tape model of ``record`` (see :func:`tape_for`)."""
        return cls(patient, tape_for(record))

    def reading_cm(self, side: str) -> float | None:
        """The distance (cm, 0.1 cm steps) of the latest lunge on ``side``; None before one.

        Asking again for the same lunge gives the same reading (the tape is read once).
        """
        lunge = next(
            (
                a
                for a in reversed(self.patient.history)
                if a.action == "lunge" and a.side == side and a.lunge is not None
            ),
            None,
        )
        if lunge is None or lunge.lunge is None:
            return None
        key = (side, lunge.t_start)
        if key not in self._read:
            self._read[key] = self.tape.distance_cm(lunge.lunge.peak_deg, self._rng)
        return self._read[key]
