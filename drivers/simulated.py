"""Simulated devices for ``--demo``, the selftest, the tests and the benchmarks.

Quick start (real time, as the app uses it)::

    from drivers.simulated import SimulatedPatient, create_simulated_devices

    patient = SimulatedPatient(seed=7, body_mass_kg=72,
                               max_dorsiflexion_deg={"left": 38, "right": 44}, autopilot=True)
    inclinometer, plate = create_simulated_devices(patient)
    inclinometer.start(); plate.start()
    patient.prompt("lunge", side="left")          # the patient lunges by itself a moment later

Deterministic, faster than real time (tests, benchmarks)::

    clock = ManualClock()
    patient = SimulatedPatient(seed=7, clock=clock)
    inclinometer, plate = create_simulated_devices(patient)
    inclinometer.start(); plate.start()
    action = patient.perform_lunge("right", heel_lift=True)
    clock.advance(12.0)                            # no threads: 1,200 + 12,000 samples now
    samples, cursor, missed = plate.buffer.read_new(0)

The signals and every assumption behind them are described in :mod:`drivers.simulation.motions`
(lunge, heel lift, touchdowns) and :mod:`drivers.simulation.sway` (single-leg sway replayed
from the Santos & Duarte 2016 recordings, scale factors per condition).
"""

from __future__ import annotations

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
