"""DorsiLab line-protocol force plate emulator (pty master side).

Behaves like the reference firmware of drivers/PROTOCOL.md on a 4-load-cell plate:

* streams ``$FP,<seq>,<t_us>,<TR>,<BR>,<TL>,<BL>*hh\\r\\n`` at ``rate_hz`` (default
  1 kHz, the bench rate) from power-up; ``seq`` counts samples, ``t_us`` is the board's
  microsecond clock (both uint32, wrapping; ``t_us_start`` lets a test start near the wrap);
* answers ``?`` with ``$INFO,<model>,<fw>,<rate>,<units>,1,<serial>``, ``T`` (tare: the
  current load becomes zero), ``R<hz>``, ``S`` and ``G`` with ``$OK,…`` or ``$ERR,…``;
* the scripted load is a person of ``mass_kg`` (70 kg) standing still with the centre of
  pressure swaying on an ellipse (``sway_mm`` half-axes, ``sway_hz``) plus noise, spread
  over the four cells bilinearly; cells report grams (``units="g"``) or raw counts with a
  per-cell sensitivity (``units="counts"``, ``counts_per_n``) as uncalibrated HX711s do;
* faults (besides :class:`drivers.emulators.base.Faults`): ``line_ending`` (``b"\\r"`` for
  CR-only lines), ``omit_checksum``, :meth:`LinePlateEmulator.skip` (the firmware misses
  samples: a gap in ``seq``), and :meth:`~drivers.emulators.base.PtyEmulator.inject` for
  over-long lines or non-UTF-8 bytes.

Manual use::

    python -m drivers.emulators.lineplate --link /tmp/ttyV0 --rate 1000
    clinic-app devices stream --port /tmp/ttyV0 --protocol lineplate --seconds 5 --csv
    # or over a socat pair:
    socat -d -d pty,raw,echo=0,link=/tmp/ttyV0 pty,raw,echo=0,link=/tmp/ttyV1 &
    python -m drivers.emulators.lineplate --tty /tmp/ttyV1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.calibration import DEFAULT_GEOMETRY, STANDARD_GRAVITY, PlateGeometry
from drivers.codecs import lineplate_wire as wire
from drivers.emulators.base import PtyEmulator
from drivers.emulators.cli import run_emulator_main


class LinePlateEmulator(PtyEmulator):
    """A 4-cell force plate speaking the DorsiLab line protocol on a pty.

    Parameters
    ----------
    rate_hz : int
        Output rate (1-1000 Hz).
    mass_kg : float
        Load standing on the plate.
    sway_mm : tuple of float
        Half-axes (x, y) of the COP ellipse in mm.
    sway_hz : float
        Ellipse frequency.
    cop_mm : tuple of float
        Centre of the sway ellipse (x, y) in mm; put it on a corner (±Lx/2, ±Ly/2) to
        stand a known mass over one cell for a calibration.
    noise_n : float
        Standard deviation of white noise per cell, N.
    units : {"g", "counts"}
    counts_per_n : sequence of 4 float
        Cell sensitivities when ``units="counts"`` (TR, BR, TL, BL).
    geometry : PlateGeometry
        Cell spacing used to spread the load.
    serial : str
        Board serial number reported in ``$INFO``.
    capacity_kg : float
        Rated capacity reported in ``$INFO`` (0: the field is left out, as older firmware).
    streaming : bool
        Stream from power-up (the reference firmware does).
    t_us_start : int
        Board clock at power-up, µs.
    **kwargs
        See :class:`drivers.emulators.base.PtyEmulator`.
    """

    name = "lineplate"

    def __init__(
        self,
        *,
        rate_hz: int = 1000,
        mass_kg: float = 70.0,
        sway_mm: tuple[float, float] = (6.0, 10.0),
        sway_hz: float = 0.3,
        cop_mm: tuple[float, float] = (0.0, 0.0),
        noise_n: float = 0.5,
        units: str = "g",
        counts_per_n: Sequence[float] = (21.5, 20.8, 22.3, 19.9),
        geometry: PlateGeometry = DEFAULT_GEOMETRY,
        serial: str = "FP-000123",
        capacity_kg: float = 200.0,
        streaming: bool = True,
        t_us_start: int = 0,
        **kwargs: Any,
    ) -> None:
        self.rate_hz = rate_hz
        self.mass_kg = mass_kg
        self.sway_mm = sway_mm
        self.sway_hz = sway_hz
        self.cop_mm = cop_mm
        self.noise_n = noise_n
        self.units = units
        self.counts_per_n = np.asarray(counts_per_n, dtype=np.float64)
        self.geometry = geometry
        self.serial = serial
        self.capacity_kg = capacity_kg
        self.streaming = streaming
        self.line_ending = b"\r\n"
        self.omit_checksum = False
        self.t_us_start = t_us_start
        self.sent: list[tuple[int, int, int, int, int, int]] = []
        self.tare_offset = np.zeros(4)
        self._streaming_at_boot = streaming
        self._parser = wire.HostCommandParser()
        self._np_rng = np.random.default_rng(kwargs.get("seed", 1))
        self._seq = 0
        self._skip = 0
        self._t0: float | None = None
        self._next_t = 0.0
        super().__init__(**kwargs)

    # ------------------------------------------------------------------ signal
    def cell_forces(self, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Cell forces (N), shape (n, 4) in TR, BR, TL, BL order, at times ``t`` (s)."""
        weight = self.mass_kg * STANDARD_GRAVITY
        phase = 2 * math.pi * self.sway_hz * t
        cop_x = self.cop_mm[0] + self.sway_mm[0] * np.sin(phase)
        cop_y = self.cop_mm[1] + self.sway_mm[1] * np.sin(phase + math.pi / 3)
        right = 0.5 + cop_x / self.geometry.spacing_x_mm
        front = 0.5 + cop_y / self.geometry.spacing_y_mm
        cells = np.column_stack(
            (right * front, right * (1 - front), (1 - right) * front, (1 - right) * (1 - front))
        )
        forces: npt.NDArray[np.float64] = weight * cells
        if self.noise_n:
            forces = forces + self._np_rng.normal(0.0, self.noise_n, forces.shape)
        return forces

    def to_units(self, forces: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """Cell forces (N) → the integers the firmware prints (before tare)."""
        if self.units == "counts":
            raw = forces * self.counts_per_n[None, :]
        else:
            raw = forces / STANDARD_GRAVITY * 1000.0
        return np.rint(raw).astype(np.int64)

    def skip(self, count: int) -> None:
        """Miss the next ``count`` samples (their ``seq`` numbers are never sent)."""
        self._skip += count

    # ------------------------------------------------------------------ PtyEmulator
    def on_host_connected(self, now: float) -> None:
        if self._t0 is None:
            self._t0 = now
            self._next_t = now

    def on_replug(self) -> None:
        self._parser = wire.HostCommandParser()
        self.streaming = self._streaming_at_boot
        self._seq = 0
        self._t0 = None

    def next_due(self, now: float) -> float:
        return self._next_t if self.streaming else now + 0.01

    def produce(self, now: float) -> list[tuple[bytes, int]]:
        if self._t0 is None:
            return []
        period = 1.0 / self.rate_hz
        if not self.streaming:
            self._next_t = now
            return []
        if now - self._next_t > 1.0:
            self._next_t = now
        count = int((now - self._next_t) // period) + 1 if now >= self._next_t else 0
        if count <= 0:
            return []
        t = self._next_t - self._t0 + period * np.arange(count, dtype=np.float64)
        self._next_t += count * period
        values = self.to_units(self.cell_forces(t)) - np.rint(self.tare_offset).astype(np.int64)
        seq = self._seq + np.arange(count)
        self._seq += count
        if self._skip:
            keep = min(self._skip, count)
            self._skip -= keep
            values, seq, t = values[keep:], seq[keep:], t[keep:]
        t_us = (self.t_us_start + np.rint(t * 1e6).astype(np.int64)) % wire.SEQ_MODULUS
        frames: list[tuple[bytes, int]] = []
        for s, tu, row in zip(seq.tolist(), t_us.tolist(), values.tolist(), strict=True):
            line = wire.encode_fp(s, tu, *row)
            self.sent.append((s % wire.SEQ_MODULUS, tu, *row))
            frames.append((self._finish(line), 1))
        return frames

    def _finish(self, line: bytes) -> bytes:
        body = line[: -len(b"*hh\r\n")] if self.omit_checksum else line[:-2]
        return body + self.line_ending

    def on_host_bytes(self, data: bytes, now: float) -> None:
        for letter, arg in self._parser.feed(data):
            self.reply(self._finish(self._answer(letter, arg, now)))

    def _answer(self, letter: str, arg: str, now: float) -> bytes:
        if letter == "?":
            info = wire.PlateInfo(
                "DorsiLab-FP4",
                "1.2.0",
                float(self.rate_hz),
                self.units,
                1,
                self.serial,
                self.capacity_kg,
            )
            return wire.encode_info(info)
        if letter == "T":
            t = np.array([now - (self._t0 or now)], dtype=np.float64)
            saved, self.noise_n = self.noise_n, 0.0
            self.tare_offset = self.to_units(self.cell_forces(t))[0].astype(np.float64)
            self.noise_n = saved
            return wire.encode_ok("T")
        if letter == "R":
            try:
                rate = int(arg)
            except ValueError:
                return wire.encode_err(wire.ERR_BAD_ARGUMENT)
            low, high = wire.RATE_RANGE_HZ
            if not low <= rate <= high:
                return wire.encode_err(wire.ERR_BAD_ARGUMENT)
            self.rate_hz = rate
            self._next_t = now
            return wire.encode_ok("R", rate)
        if letter == "S":
            self.streaming = False
            return wire.encode_ok("S")
        if letter == "G":
            if not self.streaming:
                self._next_t = now
            self.streaming = True
            return wire.encode_ok("G")
        if letter == "":
            return wire.encode_err(wire.ERR_TOO_LONG)
        return wire.encode_err(wire.ERR_UNKNOWN_COMMAND)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator as a process (see the module docstring)."""
    return run_emulator_main(
        argv,
        description="DorsiLab line-protocol force plate emulator on a pty",
        factory=lambda rate, port: LinePlateEmulator(rate_hz=int(rate or 1000), **port),
    )


if __name__ == "__main__":
    raise SystemExit(main())
