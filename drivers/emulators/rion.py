"""Rion-family 0x68 BCD inclinometer emulator (pty master side).

Behaves like a dual-axis Rion SCA/HCA inclinometer (devices.md §2.1, §4.7):

* poll mode by default: ``68 04 00 04 08`` is answered after ``reply_delay_s``
  (10-20 ms on the real device) with ``68 LEN 00 84 <BCD X> <BCD Y> [<BCD T>] CS``;
* ``68 05 00 05 0m CS`` sets the zero (0 absolute, 1 relative: the current angles become
  the reference) and is acknowledged; ``68 05 00 0C 0m CS`` switches between poll (0) and
  auto-output (1, streaming at ``auto_rate_hz``); ``68 05 00 0B <code> CS`` changes the
  baud (acknowledged at the old rate, then the device talks at the new one);
* the scripted signal is the lunge of :class:`drivers.emulators.witmotion.WitEmulator`:
  the sensor's base lies on the shin with X along the tibia, so X reads the tibia's
  elevation from horizontal, ``90° − tibia``;
* faults (besides those of :class:`drivers.emulators.base.Faults`): ``truncate_next``
  sends the real truncated capture ``68 0D 00 84 10 02 88 10`` instead of the next
  reply; ``bad_checksum_next`` corrupts the next reply's checksum.

Manual use::

    python -m drivers.emulators.rion --link /tmp/ttyRION --baud 9600
    clinic-app devices stream --port /tmp/ttyRION --protocol rion --baud 9600 --csv
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from drivers.codecs import rion_wire as wire
from drivers.codecs.rion import RionCodec
from drivers.emulators.base import PtyEmulator, scripted_lunge_deg
from drivers.emulators.cli import run_emulator_main

TRUNCATED_CAPTURE: Final = bytes.fromhex("68 0D 00 84 10 02 88 10")
"""The real truncated reply from devices.md §2.1."""
BAUD_BY_CODE = {code: baud for baud, code in wire.BAUD_CODES.items()}


class RionEmulator(PtyEmulator):
    """A Rion dual-axis inclinometer on a pty.

    Parameters
    ----------
    reply_delay_s : float
        Delay between a poll and its reply.
    auto_rate_hz : float
        Output rate in auto mode.
    with_temperature : bool
        Append a third BCD value (temperature, °C) to angle replies.
    peak_deg, ramp_s, hold_s : float
        The scripted lunge (see :class:`~drivers.emulators.witmotion.WitEmulator`).
    **kwargs
        See :class:`drivers.emulators.base.PtyEmulator` (default ``device_baud`` 9600).
    """

    name = "rion"

    def __init__(
        self,
        *,
        reply_delay_s: float = 0.012,
        auto_rate_hz: float = 50.0,
        with_temperature: bool = False,
        peak_deg: float = 40.0,
        ramp_s: float = 3.0,
        hold_s: float = 2.0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("device_baud", 9600)
        self.reply_delay_s = reply_delay_s
        self.auto_rate_hz = auto_rate_hz
        self.with_temperature = with_temperature
        self.peak_deg, self.ramp_s, self.hold_s = peak_deg, ramp_s, hold_s
        self.auto = False
        self.zero = (0.0, 0.0)
        self.truncate_next = False
        self.bad_checksum_next = False
        self.polls = 0
        self.sent_angles: list[tuple[float, float]] = []
        self._parser = RionCodec(address=None)
        self._queue: list[tuple[float, bytes, int]] = []
        self._t0: float | None = None
        self._next_auto = 0.0
        self._pending_baud: int | None = None
        super().__init__(**kwargs)

    def tibia_at(self, t: float) -> float:
        """Scripted tibia inclination (degrees) at ``t`` seconds."""
        return scripted_lunge_deg(t, self.peak_deg, self.ramp_s, self.hold_s)

    def raw_angles(self, now: float) -> tuple[float, float]:
        """Uncorrected X, Y (degrees) at monotonic time ``now``."""
        t = now - (self._t0 if self._t0 is not None else now)
        return 90.0 - self.tibia_at(t), 0.75

    def _angle_reply(self, now: float) -> bytes:
        x, y = self.raw_angles(now)
        x, y = round(x - self.zero[0], 2), round(y - self.zero[1], 2)
        values = [x, y, 25.5] if self.with_temperature else [x, y]
        reply = wire.encode_angle_replies([values])
        if self.truncate_next:
            self.truncate_next = False
            return TRUNCATED_CAPTURE
        if self.bad_checksum_next:
            self.bad_checksum_next = False
            return reply[:-1] + bytes(((reply[-1] + 1) & 0xFF,))
        self.sent_angles.append((x, y))
        return reply

    # ------------------------------------------------------------------ PtyEmulator
    def on_host_connected(self, now: float) -> None:
        if self._t0 is None:
            self._t0 = now

    def on_replug(self) -> None:
        self.auto = False
        self._queue.clear()
        self._parser = RionCodec(address=None)

    def next_due(self, now: float) -> float:
        due = [t for t, _, _ in self._queue]
        if self.auto:
            due.append(self._next_auto)
        return min(due) if due else now + 0.01

    def produce(self, now: float) -> list[tuple[bytes, int]]:
        out: list[tuple[bytes, int]] = []
        while self._queue and self._queue[0][0] <= now:
            _, frame, samples = self._queue.pop(0)
            out.append((frame, samples))
        if self._pending_baud is not None and not self._queue:
            self._send(out)  # the acknowledgement still goes out at the old rate
            out = []
            self.device_baud, self._pending_baud = self._pending_baud, None
        if self.auto:
            period = 1.0 / self.auto_rate_hz
            if now - self._next_auto > 1.0:
                self._next_auto = now
            while self._next_auto <= now:
                out.append((self._angle_reply(self._next_auto), 1))
                self._next_auto += period
        return out

    def on_host_bytes(self, data: bytes, now: float) -> None:
        for frame in self._parser.feed(data).frames:
            self._request(frame.command, frame.data, now)

    def _later(self, now: float, frame: bytes, samples: int = 0) -> None:
        self._queue.append((now + self.reply_delay_s, frame, samples))
        self._queue.sort(key=lambda item: item[0])

    def _request(self, command: int, data: bytes, now: float) -> None:
        if command == wire.CMD_READ_ANGLES:
            self.polls += 1
            self._later(now, self._angle_reply(now + self.reply_delay_s), 1)
        elif command == wire.CMD_SET_ZERO:
            self.zero = self.raw_angles(now) if data[:1] == b"\x01" else (0.0, 0.0)
            self._later(now, wire.encode_reply(command, b"\x00"))
        elif command == wire.CMD_OUTPUT_MODE:
            self.auto = data[:1] == b"\x01"
            self._next_auto = now + self.reply_delay_s
            self._later(now, wire.encode_reply(command, b"\x00"))
        elif command == wire.CMD_BAUD and data[:1] and data[0] in BAUD_BY_CODE:
            self._later(now, wire.encode_reply(command, b"\x00"))
            self._pending_baud = BAUD_BY_CODE[data[0]]
        elif command == wire.CMD_QUERY_ZERO:
            self._later(now, wire.encode_reply(command, b"\x01" if any(self.zero) else b"\x00"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator as a process (see the module docstring)."""
    return run_emulator_main(
        argv,
        description="Rion 0x68 inclinometer emulator on a pty",
        factory=lambda rate, port: RionEmulator(auto_rate_hz=rate or 50.0, **port),
    )


if __name__ == "__main__":
    raise SystemExit(main())
