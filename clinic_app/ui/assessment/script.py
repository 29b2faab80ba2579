"""A scripted clinician for the real assessment page (selftest, UI tests, screenshots).

It presses the same keys a clinician (or a foot pedal) would — Space to arm, Space for the
next test — and types the knee-to-wall distance and pain into the real entry form, while a
simulated patient on a :class:`drivers.simulated.ManualClock` follows the prompts. The
clock is stepped and the page's acquisition bridge ticked by hand, so a whole visit runs
faster than real time and the same way every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from drivers.registry import DeviceRegistry, default_registry
from drivers.simulated import ManualClock, SimulatedPatient, start_demo_devices


@dataclass
class ScriptedVisit:
    """The page under test and the simulated patient on a manual clock.

    Attributes
    ----------
    page : AssessmentPage
    patient : SimulatedPatient
    clock : ManualClock
    tick_s : float
        Simulated seconds per bridge tick.
    paint_every : int
        Let Qt paint once every this many ticks (painting every tick only costs time).
    distances_cm : dict
        What the clinician types per side.
    """

    page: Any
    patient: SimulatedPatient
    clock: ManualClock
    tick_s: float = 0.05
    paint_every: int = 10
    distances_cm: dict[str, str] = field(default_factory=lambda: {"left": "9.4", "right": "11.8"})
    ticks: int = 0

    def tick(self) -> None:
        """Advance the clock one tick, pull samples, paint now and then."""
        self.clock.advance(self.tick_s)
        self.page.bridge.tick()
        self.ticks += 1
        if self.ticks % self.paint_every == 0:
            QApplication.processEvents()

    def until(self, done: Callable[[], bool], limit_s: float = 120.0) -> None:
        """Tick until ``done()``; TimeoutError after ``limit_s`` simulated seconds."""
        end = self.clock.now() + limit_s
        while not done():
            if self.clock.now() > end:
                run = self.page.run
                where = f"{run.step.label} {run.protocol.phase}" if run else "no run"
                raise TimeoutError(f"assessment stuck: {where} after {limit_s:g} s")
            self.tick()

    def _moved_on(self, proto: Any, outcomes_before: int) -> bool:
        run = self.page.run
        return bool(
            run is None
            or run.protocol is not proto
            or len(proto.outcomes) > outcomes_before
            or proto.phase in ("entry", "done")
        )

    def press(self, key: Qt.Key) -> None:
        """A key press on the page (a foot pedal types the same)."""
        QTest.keyClick(self.page, key)

    def play(
        self, on_phase: Callable[[str, Any], None] | None = None, limit_s: float = 1200.0
    ) -> int:
        """Run the visit to its end; returns the session id.

        ``on_phase(name, run)`` is called at ``"captured"`` (lunge entry shown) and at
        ``"balance_done"`` (a valid balance trial just ended, ellipse drawn).
        """
        page = self.page
        run = page.run
        if run is None:
            raise RuntimeError("start the visit on the page first")
        session_id = int(run.session_id)
        end = self.clock.now() + limit_s
        stuck = 0
        while page.run is not None:
            if self.clock.now() > end:
                raise TimeoutError("the visit did not finish")
            proto = page.run.protocol
            if proto.phase in ("ready", "done"):
                self.until(lambda: self.patient.idle, 60)
                page.setFocus()
                before_state = (page.run.index, proto.phase, len(proto.outcomes))
                self.press(Qt.Key.Key_Space)
                after = page.run
                if after is None:
                    break
                now_state = (after.index, after.protocol.phase, len(after.protocol.outcomes))
                stuck = stuck + 1 if now_state == before_state else 0
                if stuck > 3:
                    raise RuntimeError(f"Space had no effect in {after.step.label}")
            elif proto.phase == "entry":
                if on_phase:
                    on_phase("captured", page.run)
                form = page.live.entry
                form.distance.clear()
                QTest.keyClicks(form.distance, self.distances_cm[proto.side])
                form.pain.setValue(1)
                form.place.setCurrentIndex(1)
                QTest.keyClick(form.distance, Qt.Key.Key_Return)
            else:
                before = len(proto.outcomes)
                self.until(partial(self._moved_on, proto, before))
                ended = proto.outcomes[before:]
                if (
                    on_phase
                    and proto.protocol == "balance"
                    and any(o.status == "valid" for o in ended)
                ):
                    QApplication.processEvents()
                    on_phase("balance_done", page.run)
        QApplication.processEvents()
        return session_id


def simulated_patient(
    clock: ManualClock, mass_kg: float, registry: DeviceRegistry | None = None, seed: int = 4
) -> SimulatedPatient:
    """A patient with a restricted, less steady left ankle on a manual clock, started in
    ``registry`` (default: the process-wide one). No heel lifts or touchdowns unless set."""
    patient = SimulatedPatient(
        seed,
        mass_kg,
        {"left": 35.0, "right": 43.0},
        sway_scale={"left": 1.3, "right": 1.0},
        clock=clock,
        autopilot=True,
    )
    patient.heel_lift_probability = 0.0
    patient.touchdown_probability = dict.fromkeys(patient.touchdown_probability, 0.0)
    start_demo_devices(registry or default_registry(), patient)
    return patient
