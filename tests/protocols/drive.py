"""Play a whole visit headless, as a clinician would press the keys (tests and crash child)."""

from __future__ import annotations

from collections.abc import Callable

from clinic_app.protocols.headless import HeadlessDriver
from drivers.simulated import SimulatedPatient

DISTANCES = {"left": "9.6", "right": "12.1"}


def play(
    drive: HeadlessDriver,
    patient: SimulatedPatient,
    *,
    on_event: Callable[[object], None] | None = None,
    limit_s: float = 900.0,
) -> None:
    """Press Space when the patient is idle, type distance and pain after each capture,
    let balance trials run, until the visit is complete."""
    run = drive.run
    run.begin(drive.clock.now())
    end = drive.clock.now() + limit_s
    while not run.finished:
        if drive.clock.now() > end:
            raise TimeoutError(f"visit not done after {limit_s} s: {run.step.label}")
        p = run.protocol
        if p.phase in ("ready", "done"):
            drive.until(lambda: patient.idle, 60)
            events = run.space(drive.clock.now())
        elif p.phase == "entry":
            events = run.enter_lunge(DISTANCES[p.side], 1, "anterior", drive.clock.now())
        else:
            events = drive.tick()
        if on_event is not None:
            for e in events:
                on_event(e)
