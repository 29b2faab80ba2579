"""Drive an :class:`~clinic_app.protocols.runner.AssessmentRun` without a screen.

The same pull loop as the live view's timer (``RingBuffer.read_new`` cursors → one
``feed`` per tick), stepped on a :class:`drivers.simulated.ManualClock` so tests, the
replay check and the crash test run faster than real time and deterministically.
"""

from __future__ import annotations

from collections.abc import Callable

from clinic_app.protocols.events import ProtocolEvent
from clinic_app.protocols.runner import AssessmentRun
from drivers.base import RingBuffer
from drivers.simulated import ManualClock


class Puller:
    """Pull new samples from ring buffers with one cursor each."""

    def __init__(self, inclinometer: RingBuffer | None, plate: RingBuffer | None) -> None:
        self.buffers = {"inclinometer": inclinometer, "plate": plate}
        self.cursors = {k: (b.total if b is not None else 0) for k, b in self.buffers.items()}
        self.missed = 0

    def pull(self) -> dict[str, object]:
        """``{"inclinometer": samples or None, "plate": samples or None}``."""
        out: dict[str, object] = {}
        for name, buf in self.buffers.items():
            if buf is None:
                out[name] = None
                continue
            samples, self.cursors[name], missed = buf.read_new(self.cursors[name])
            self.missed += missed
            out[name] = samples
        return out


class HeadlessDriver:
    """Step the clock and feed the run, as the live view's 60 Hz timer does.

    Parameters
    ----------
    run : AssessmentRun
    clock : ManualClock
    inclinometer, plate : RingBuffer or None
    tick_s : float
        Clock step per tick (s); 1/60 like the screen.
    """

    def __init__(
        self,
        run: AssessmentRun,
        clock: ManualClock,
        inclinometer: RingBuffer | None,
        plate: RingBuffer | None,
        tick_s: float = 1 / 60,
    ) -> None:
        self.run = run
        self.clock = clock
        self.tick_s = tick_s
        self.puller = Puller(inclinometer, plate)

    def tick(self) -> list[ProtocolEvent]:
        """Advance one tick and feed what arrived."""
        self.clock.advance(self.tick_s)
        got = self.puller.pull()
        return self.run.feed(got["inclinometer"], got["plate"], self.clock.now())  # type: ignore[arg-type]

    def until(self, done: Callable[[], bool], timeout_s: float = 120.0) -> list[ProtocolEvent]:
        """Tick until ``done()`` (or raise TimeoutError after ``timeout_s`` simulated)."""
        events: list[ProtocolEvent] = []
        end = self.clock.now() + timeout_s
        while not done():
            if self.clock.now() >= end:
                raise TimeoutError(
                    f"still in phase {self.run.protocol.phase!r} of {self.run.step.label} "
                    f"after {timeout_s:g} s"
                )
            events += self.tick()
        return events

    def wait(self, seconds: float) -> list[ProtocolEvent]:
        """Tick for ``seconds`` of simulated time."""
        end = self.clock.now() + seconds
        return self.until(lambda: self.clock.now() >= end, seconds + 1.0)
