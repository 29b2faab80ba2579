"""Simulated devices for ``--demo``, the selftest, the tests and the benchmarks.

Quick start (real time, as the app uses it)::

    from drivers.simulated import SimulatedPatient, create_simulated_devices

    patient = SimulatedPatient(seed=7, body_mass_kg=72,
                               max_dorsiflexion_deg={"left": 38, "right": 44}, autopilot=True)
    inclinometer, plate = create_simulated_devices(patient)
    if calibrated:
        inclinometer.zero()
        plate.preset_calibration()
    inclinometer.start(); plate.start()
    patient.prompt("lunge", side="left")          # the patient lunges by itself a moment later

Deterministic, faster than real time (tests, benchmarks)::

    clock = ManualClock()
    patient = SimulatedPatient(seed=7, clock=clock)
    inclinometer, plate = create_simulated_devices(patient)
    if calibrated:
        inclinometer.zero()
        plate.preset_calibration()
    inclinometer.start(); plate.start()
    action = patient.perform_lunge("right", heel_lift=True)
    clock.advance(12.0)                            # no threads: 1,200 + 12,000 samples now
    samples, cursor, missed = plate.buffer.read_new(0)

The signals and every assumption behind them are described in :mod:`drivers.simulation.motions`
(lunge, heel lift, touchdowns) and :mod:`drivers.simulation.sway` (single-leg sway replayed
from the Santos & Duarte 2016 recordings, scale factors per condition).
"""

from __future__ import annotations

from drivers.registry import DeviceRegistry
from drivers.simulation.clock import ManualClock, RealTimeClock, SimClock
from drivers.simulation.devices import SimulatedInclinometer
from drivers.simulation.patient import ACTIONS, CONDITIONS, ScheduledAction, SimulatedPatient
from drivers.simulation.plate import SimulatedForcePlate
from drivers.simulation.sway import CONDITION_SWAY, SwayReplay, SwaySource

__all__ = [
    "ACTIONS",
    "CONDITIONS",
    "CONDITION_SWAY",
    "ManualClock",
    "RealTimeClock",
    "ScheduledAction",
    "SimClock",
    "SimulatedForcePlate",
    "SimulatedInclinometer",
    "SimulatedPatient",
    "SwayReplay",
    "SwaySource",
    "create_simulated_devices",
    "demo_patient",
    "start_demo_devices",
]


def create_simulated_devices(
    patient: SimulatedPatient,
    *,
    inclinometer_rate_hz: float = 100.0,
    plate_rate_hz: float = 1000.0,
) -> tuple[SimulatedInclinometer, SimulatedForcePlate]:
    """An inclinometer and a force plate that both follow ``patient`` (not yet opened).

    Parameters
    ----------
    patient : SimulatedPatient
        Its clock decides the mode: real time (background threads) or manual stepping.
    inclinometer_rate_hz, plate_rate_hz : float
        Output rates in Hz (defaults 100 Hz and 1 kHz).
    """
    return (
        SimulatedInclinometer(patient, inclinometer_rate_hz),
        SimulatedForcePlate(patient, plate_rate_hz),
    )


def demo_patient(seed: int = 2026, *, clock: SimClock | None = None) -> SimulatedPatient:
    """The ``--demo`` patient: a runner with a restricted, less steady left ankle.

    72 kg; maximal lunge 35° left and 43° right (the left side below the 36.5° cut-off of
    clinical.md §1, a clear asymmetry); single-leg sway 1.25× larger on the left. Autopilot on,
    so the patient follows the protocol's prompts by itself. Fictional values for the demo.
    """
    return SimulatedPatient(
        seed,
        72.0,
        {"left": 35.0, "right": 43.0},
        sway_scale={"left": 1.25, "right": 1.0},
        clock=clock,
        autopilot=True,
    )


def start_demo_devices(
    registry: DeviceRegistry,
    patient: SimulatedPatient | None = None,
    *,
    calibrated: bool = True,
) -> tuple[SimulatedPatient, SimulatedInclinometer, SimulatedForcePlate]:
    """Create, start and register a simulated inclinometer and plate (``--demo``).

    Parameters
    ----------
    registry : DeviceRegistry
        Receives both devices (replacing any in their roles).
    patient : SimulatedPatient, optional
        Defaults to :func:`demo_patient` on the real-time clock.
    calibrated : bool
        Start with the inclinometer zeroed and the plate tared and calibrated (as a clinic's
        devices would be); False shows the raw offsets that zero and tare remove.

    Returns
    -------
    patient, inclinometer, plate
        The caller keeps the patient to :meth:`~SimulatedPatient.prompt` it from the protocol.
    """
    patient = patient if patient is not None else demo_patient()
    inclinometer, plate = create_simulated_devices(patient)
    if calibrated:
        inclinometer.zero()
        plate.preset_calibration()
    inclinometer.start()
    plate.start()
    registry.add(inclinometer)
    registry.add(plate)
    return patient, inclinometer, plate
