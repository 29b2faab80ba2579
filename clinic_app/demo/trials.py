"""Demo trials: the simulated devices run a trial, the real analysis scores it.

Nothing here invents a result. A :class:`DemoRig` drives :mod:`drivers.simulated` on a
:class:`~drivers.simulated.ManualClock` (deterministic, much faster than real time); the
angle comes from :func:`clinic_app.analysis.lunge.find_hold` on the inclinometer trace, the
heel check from :func:`clinic_app.analysis.heel_lift.detect_heel_lift` on the plate under the
front foot, and balance results from :func:`clinic_app.analysis.balance.analyse_plate_trial`
on the plate samples. The recordings returned are the samples those functions read.

The one typed value of the lunge test, the knee-to-wall distance, is what the clinician
reads off the tape; the demo "reads" it from the simulated knee position with the
per-patient geometric model of clinical.md §1.8 (d = L·sin θ − f, labelled there as not
validated [D/U]) plus tape-reading noise, rounded to the 0.1 cm resolution of
``lunge.distance_resolution_cm``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.balance import analyse_plate_trial
from clinic_app.analysis.heel_lift import detect_heel_lift
from clinic_app.analysis.lunge import find_hold
from clinic_app.analysis.norms import Norms, load_norms
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices

#: Plate rate of the demo visits (Hz): the clinic's minimum for sway (``balance.min_sampling_hz``,
#: 100 Hz), which keeps the seeded database small and quick to build.
DEMO_PLATE_HZ = 100.0
#: Inclinometer rate of the demo visits (Hz).
DEMO_INCLINOMETER_HZ = 100.0
#: Tape-reading noise of the typed distance (cm, SD): the lower end of the tape SEM,
#: 0.4–0.6 cm, of Konor et al. 2012 (clinical.md §1.3).
TAPE_NOISE_SD_CM = 0.4

Samples = npt.NDArray[np.void]


@dataclass(frozen=True)
class TrialOutcome:
    """One demo trial, ready for ``Database.begin_trial`` / ``finish_trial``.

    Attributes
    ----------
    protocol, side, condition : str, str, str or None
    status : {"valid", "invalid", "failed"}
    result : dict
        The trial ``result`` JSON of ``docs/data-model.md``.
    invalid_reason : str or None
    recordings : dict of device to samples
        ``inclinometer`` / ``plate`` samples (``drivers.base`` dtypes).
    start_s, end_s : float
        Simulated clock (s) at the trial's first and last sample.
    """

    protocol: str
    side: str
    condition: str | None
    status: str
    result: dict[str, Any]
    invalid_reason: str | None
    recordings: dict[str, Samples] = field(repr=False)
    start_s: float
    end_s: float


@dataclass(frozen=True)
class TapeModel:
    """Per-patient geometry for the typed knee-to-wall distance (clinical.md §1.8 [D/U]).

    Attributes
    ----------
    shank_cm : float
        L, knee to ankle axis (cm); the demo uses 0.246 × height (Winter's segment table).
    toe_cm : float
        f, horizontal ankle axis to great-toe tip (cm).
    """

    shank_cm: float
    toe_cm: float

    def distance_cm(self, tibia_deg: float, rng: np.random.Generator) -> float:
        """The tape reading (cm, 0.1 cm steps, never below 0) for a true tibial angle (°)."""
        d = self.shank_cm * math.sin(math.radians(tibia_deg)) - self.toe_cm
        d += float(rng.normal(0.0, TAPE_NOISE_SD_CM))
        return round(max(d, 0.0), 1)


class DemoRig:
    """A simulated patient on a simulated inclinometer and plate, on a manual clock.

    Parameters
    ----------
    patient : SimulatedPatient
        Must have been created with ``clock`` = a :class:`ManualClock` (see :meth:`create`).
    tape : TapeModel
    norms : Norms, optional
    """

    def __init__(self, patient: SimulatedPatient, tape: TapeModel, norms: Norms | None = None):
        if not isinstance(patient.clock, ManualClock):
            raise TypeError("a demo rig needs a patient on a ManualClock")
        self.patient = patient
        self.clock: ManualClock = patient.clock
        self.tape = tape
        self.norms = norms or load_norms()
        self._rng = np.random.default_rng(patient.seed + 7919)
        self.inclinometer, self.plate = create_simulated_devices(
            patient, inclinometer_rate_hz=DEMO_INCLINOMETER_HZ, plate_rate_hz=DEMO_PLATE_HZ
        )
        self.inclinometer.zero()
        self.plate.preset_calibration()
        self.inclinometer.start()
        self.plate.start()
        self._cursor = {"inclinometer": 0, "plate": 0}

    @classmethod
    def create(
        cls,
        seed: int,
        body_mass_kg: float,
        max_dorsiflexion_deg: dict[str, float],
        sway_scale: dict[str, float],
        tape: TapeModel,
    ) -> DemoRig:
        """A rig with a new seeded patient (steps of 5 s keep the simulation quick)."""
        clock = ManualClock(max_step_s=5.0)
        patient = SimulatedPatient(
            seed, body_mass_kg, max_dorsiflexion_deg, sway_scale=sway_scale, clock=clock
        )
        return cls(patient, tape)

    def close(self) -> None:
        """Stop and close both simulated devices."""
        self.inclinometer.close()
        self.plate.close()

    def _run_until(self, t_end: float) -> dict[str, Samples]:
        """Advance the clock to ``t_end`` and return every new sample of each device."""
        self.clock.advance(max(t_end - self.clock.now(), 0.0))
        out: dict[str, Samples] = {}
        for name, device in (("inclinometer", self.inclinometer), ("plate", self.plate)):
            samples, cursor, missed = device.buffer.read_new(self._cursor[name])
            if missed:
                raise RuntimeError(f"demo {name} buffer overran by {missed} samples")
            self._cursor[name] = cursor
            out[name] = samples
        return out

    def rest(self, seconds: float) -> None:
        """Let time pass between trials (samples are read and dropped)."""
        self._run_until(self.clock.now() + seconds)

    def lunge(
        self,
        side: str,
        *,
        heel_lift: bool = False,
        pain_nrs: int = 0,
        pain_location: str = "none",
        site_offset_deg: float = 0.0,
    ) -> TrialOutcome:
        """One weight-bearing lunge, scored by the real hold and heel-lift detectors.

        ``site_offset_deg`` is how much more the tibia is really inclined than the
        inclinometer reads at a site other than the 15 cm crest site: the tape measures
        the real knee position.
        """
        action = self.patient.perform_lunge(side, heel_lift=heel_lift)
        assert action.lunge is not None
        start = self.clock.now()
        rec = self._run_until(action.t_end)
        inc, plate = rec["inclinometer"], rec["plate"]
        hold = find_hold(inc["t_host_s"], inc["tibia_deg"])
        if hold is None:
            raise RuntimeError("the simulated lunge had no stable hold")
        lift = detect_heel_lift(
            plate["t_host_s"], plate["fz_n"], plate["cop_y_mm"], plate["bl_n"] + plate["br_n"]
        )
        distance = self.tape.distance_cm(action.lunge.peak_deg + site_offset_deg, self._rng)
        result = {
            "angle_deg": round(hold.angle_deg, 2),
            "distance_cm": distance,
            "hold_s": round(hold.duration_s, 2),
            "hold_sd_deg": round(hold.sd_deg, 3),
            "capture": "auto",
            "heel_lift": bool(lift.lifted),
            "pain_nrs": pain_nrs,
            "pain_location": pain_location if pain_nrs > 0 else "none",
            "site": None,  # filled in by the visit (the session's site)
        }
        status = "invalid" if lift.lifted else "valid"
        return TrialOutcome(
            "lunge", side, None, status, result, lift.reason if lift.lifted else None,
            {"inclinometer": inc, "plate": plate}, start, self.clock.now(),
        )  # fmt: skip

    def balance(
        self, side: str, condition: str, *, touchdown_at_s: float | None = None
    ) -> TrialOutcome:
        """One single-leg stance of ``balance.trial_s`` seconds, scored from the plate.

        The recording starts once the patient stands still on one leg (the protocol's
        automatic start); with ``touchdown_at_s`` the lifted foot touches the floor that
        many seconds in, and the recording stops half a second after the failure.
        """
        planned = float(self.norms.value("balance.trial_s"))
        on = self.patient.step_on(side, condition)
        self._run_until(on.t_end + 0.3)
        start = self.clock.now()
        if touchdown_at_s is not None:
            self.patient.touchdown("off_plate", delay_s=touchdown_at_s)
        samples = self._run_until(start + planned)["plate"]
        # First sample at or after the start, exactly planned × fs samples (half-open window).
        samples = samples[samples["t_host_s"] >= start - 1e-9]
        outcome = analyse_plate_trial(
            samples, planned_s=planned, body_mass_kg=self.patient.body_mass_kg, norms=self.norms
        )
        if outcome.failure is not None:
            cut = samples["t_host_s"][0] + outcome.failure.t_s + 0.5
            samples = samples[samples["t_host_s"] < cut]
        off = self.patient.step_off()
        self._run_until(off.t_end)
        end = float(samples["t_host_s"][-1])
        return TrialOutcome(
            "balance", side, condition, outcome.status, outcome.to_result(),
            outcome.invalid_reason, {"plate": samples}, start, end,
        )  # fmt: skip
