"""Force plate speaking the DorsiLab line protocol (drivers/PROTOCOL.md) as a :class:`Device`.

Dialogue
    On open the plate is told to stop (``S``, so the line is quiet), identified with
    ``?`` → ``$INFO`` (model, firmware, rate, units, serial number), and set to
    ``rate_hz`` with ``R<hz>`` when asked; :meth:`start` sends ``G``, :meth:`stop` ``S``.
    Every command waits for its ``$OK`` (or reports the ``$ERR`` text).
Samples (:data:`drivers.base.PLATE_DTYPE`)
    Cell forces ``F_i = (value_i − offset_i) × scale_i`` in N, with the scales of the
    plate's calibration (:mod:`drivers.calibration`, looked up by the serial number from
    ``$INFO`` in the store folder given to the constructor; nominal scales from the unit
    when the plate was never calibrated), then ``fz_n`` and the COP by the 4-cell formula
    with the minimum-load gate (COP NaN below 20 N). ``seq`` is the device's sequence
    number and ``t_dev_s`` its microsecond clock in seconds, both unwrapped past 2³².
    Sequence gaps are added to :attr:`lost_samples`.
Calibration (the clinician's wizard calls these in order)
    :meth:`tare` with the plate empty (the firmware's ``T``), then for each corner
    :meth:`calibrate_cell` with a known mass standing over that cell; the scales are
    saved by serial number at once. :meth:`cell_values` gives the mean tared reading of
    each cell for a live display.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.base import (
    PLATE_DTYPE,
    DeviceError,
    DeviceKind,
    ProtocolMismatchError,
    RingBuffer,
    SampleArray,
)
from drivers.calibration import (
    DEFAULT_GEOMETRY,
    MIN_LOAD_N,
    STANDARD_GRAVITY,
    CalibrationStore,
    PlateCalibration,
    PlateGeometry,
    centre_of_pressure,
)
from drivers.codecs import lineplate_wire as wire
from drivers.codecs.lineplate import LINE_SAMPLE_DTYPE, LineMessage, LinePlateCodec
from drivers.codecs.lineplate_checks import DEFAULT_CAPACITY_KG, PlateLimits
from drivers.serial_device import SerialDevice
from drivers.transport import LinkLost, PortLister

FloatArray = npt.NDArray[np.float64]
_WRAP = wire.SEQ_MODULUS


class LinePlateDevice(SerialDevice):
    """A 4-cell force plate on a serial port (line protocol).

    Parameters
    ----------
    port : str
        Path or pyserial URL.
    baudrate : int
        115200 for the reference firmware.
    rate_hz : int, optional
        Output rate to set (1-1000 Hz); None keeps the plate's.
    calibration_dir : Path, optional
        Folder of the calibration store (the application's config folder); without it
        calibrations are used for this session only.
    geometry : PlateGeometry, optional
        Cell spacing; the stored calibration's, else :data:`DEFAULT_GEOMETRY`.
    min_load_n : float
        COP gate (N).
    capacity_s : float
        Ring-buffer length in seconds at 1 kHz.
    lister, reconnect
        See :class:`drivers.serial_device.SerialDevice`.
    """

    kind = DeviceKind.FORCE_PLATE
    protocol = "lineplate"
    dtype = PLATE_DTYPE
    label = "force plate"

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        rate_hz: int | None = None,
        calibration_dir: Path | None = None,
        geometry: PlateGeometry | None = None,
        min_load_n: float = MIN_LOAD_N,
        capacity_s: float = 300.0,
        lister: PortLister | None = None,
        reconnect: bool = True,
    ) -> None:
        if rate_hz is not None:
            wire.cmd_rate(rate_hz)  # validates the range
        self.rate_hz = rate_hz
        self.store = CalibrationStore(calibration_dir) if calibration_dir is not None else None
        self._geometry_override = geometry
        self.min_load_n = min_load_n
        self.offsets = np.zeros(4)
        self._calibration = PlateCalibration.nominal("", "g", geometry or DEFAULT_GEOMETRY)
        self._codec = LinePlateCodec()
        self._raw = RingBuffer(LINE_SAMPLE_DTYPE, 10_000)
        self._seq_wraps = self._t_wraps = 0
        self._last_seq: int | None = None
        self._last_t_us: int | None = None
        self._gaps_seen = 0
        self._next_heartbeat = 0.0
        super().__init__(
            port,
            baudrate=baudrate,
            capacity=int(capacity_s * 1000),
            lister=lister,
            reconnect=reconnect,
        )

    # ------------------------------------------------------------------ public
    @property
    def codec(self) -> LinePlateCodec:
        """The codec (counters: lines, checksum failures, seq gaps…)."""
        return self._codec

    @property
    def geometry(self) -> PlateGeometry:
        """Cell spacing in use."""
        return self._calibration.geometry

    @property
    def calibration(self) -> PlateCalibration:
        """The calibration in use (a copy; change it with :meth:`apply_calibration`)."""
        return self._calibration.copy()

    def apply_calibration(self, calibration: PlateCalibration, save: bool = True) -> None:
        """Use ``calibration`` from now on and store it under the plate's serial number."""
        calibration.checked_scales()  # raises ValueError before anything changes
        self._calibration = replace(calibration, serial_number=self._info.serial_number)
        if save and self.store is not None and self._info.serial_number:
            self.store.save(self._calibration)
        self._update_info(extra={**self._info.extra, **self._geometry_extra()})
        self._codec.limits = self._limits()

    def set_geometry(self, geometry: PlateGeometry, save: bool = True) -> None:
        """Change the cell spacing (e.g. to :data:`drivers.calibration.WII_BALANCE_BOARD`)."""
        self.apply_calibration(replace(self.calibration, geometry=geometry), save)

    def cell_values(self, seconds: float = 0.5) -> FloatArray:
        """Mean reading of each cell (TR, BR, TL, BL; device units, tared) over ``seconds``.

        Raises
        ------
        DeviceError
            Not streaming, or no samples in that time.
        """
        if not self._streaming:
            raise DeviceError("Start the force plate first.")
        rate = self._info.nominal_rate_hz or 100.0
        recent = self._raw.latest(max(1, int(seconds * rate)))
        if len(recent) == 0:
            raise DeviceError("The force plate has sent no readings yet; wait a moment.")
        mean: FloatArray = _cell_counts(recent).mean(axis=0) - self.offsets
        return mean

    def tare(self) -> None:
        """Zero every cell with the plate empty (the firmware's ``T``)."""
        self._call(lambda: self._command(wire.cmd_tare(), "T"), 3.0)
        self.offsets = np.zeros(4)
        self._raw = RingBuffer(LINE_SAMPLE_DTYPE, 10_000)  # old readings are pre-tare

    def calibrate_cell(self, cell: int, mass_kg: float, seconds: float = 1.0) -> float:
        """Known-mass calibration of one cell (0-3: TR, BR, TL, BL); returns N per unit.

        Put the mass directly over that cell, wait until it is still, then call this. The
        plate must have been tared empty. The result is stored at once.
        """
        cal = self.calibration
        cal.unit = str(self._info.extra.get("units", cal.unit))
        scale = cal.calibrate_cell(cell, mass_kg, float(self.cell_values(seconds)[cell]))
        self.apply_calibration(cal)
        return scale

    def set_rate(self, rate_hz: int) -> None:
        """Change the output rate (``R<hz>``)."""
        wire.cmd_rate(rate_hz)
        self.rate_hz = rate_hz
        self._call(self._apply_rate, 3.0)

    # ------------------------------------------------------------------ SerialDevice
    def _decode(self, data: bytes, t_host: float) -> tuple[SampleArray | None, list[Any]]:
        batch = self._codec.feed(data, t_host)
        raw = batch.samples
        if self._codec.seq_gaps != self._gaps_seen:
            if self._streaming:
                self._add_lost(self._codec.seq_gaps - self._gaps_seen)
            self._gaps_seen = self._codec.seq_gaps
        if len(raw) == 0 or not self._streaming:
            return None, list(batch.messages)
        self._raw.append(raw)
        return self._convert(raw), list(batch.messages)

    def _convert(self, raw: npt.NDArray[np.void]) -> SampleArray:
        cal = self._calibration
        cells = (_cell_counts(raw) - self.offsets) * np.asarray(cal.scales)
        fz, cop_x, cop_y = centre_of_pressure(cells, cal.geometry, self.min_load_n)
        out = np.empty(len(raw), dtype=PLATE_DTYPE)
        out["t_host_s"] = raw["t_host_s"]
        out["seq"] = self._unwrap_seq(raw["seq"])
        out["t_dev_s"] = self._unwrap_t(raw["t_us"]) / 1e6
        out["fz_n"] = fz
        out["cop_x_mm"] = cop_x
        out["cop_y_mm"] = cop_y
        out["tr_n"], out["br_n"], out["tl_n"], out["bl_n"] = cells.T
        return out

    def _unwrap_seq(self, seq: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        unwrapped, self._seq_wraps, self._last_seq = _unwrap(seq, self._seq_wraps, self._last_seq)
        return unwrapped

    def _unwrap_t(self, t_us: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        unwrapped, self._t_wraps, self._last_t_us = _unwrap(t_us, self._t_wraps, self._last_t_us)
        return unwrapped

    def _reset_codec(self) -> None:
        self._codec.reset()
        self._gaps_seen = self._codec.seq_gaps
        self._last_seq = self._last_t_us = None
        self._seq_wraps = self._t_wraps = 0

    def _initialise(self) -> None:
        self._write(wire.cmd_stop())
        self._drain(0.05)
        self._clear_replies()
        info = None
        for _ in range(3):
            self._write(wire.cmd_query())
            try:
                message = self._await(
                    lambda m: isinstance(m, LineMessage) and m.kind == "INFO", 0.7
                )
            except DeviceError:
                continue
            info = message.info()
            if info is not None:
                break
        if info is None:
            raise ProtocolMismatchError(
                f"No DorsiLab force plate answers on {self.port} at {self.baudrate} baud "
                "(no reply to '?'). Check the cable and that this port is the plate."
            )
        self._identify(info)
        if self.rate_hz is not None and self.rate_hz != info.rate_hz:
            self._apply_rate()

    def _begin_stream(self) -> None:
        self._raw = RingBuffer(LINE_SAMPLE_DTYPE, 10_000)
        # The board clock ran on while the stream was stopped: continuity starts afresh.
        self._reset_codec()
        self._command(wire.cmd_go(), "G")

    def _end_stream(self) -> None:
        self._command(wire.cmd_stop(), "S")

    def _silence_limit_s(self) -> float | None:
        rate = self._info.nominal_rate_hz
        return max(1.0, 5.0 / rate) if rate else None

    heartbeat_s = 1.0
    """While paused (stream stopped with ``S``): a ``?`` every second; three unanswered in a
    row mean the plate is gone."""

    def _idle_check(self, now: float) -> None:
        if now >= self._next_heartbeat:
            self._write(wire.cmd_query())
            self._next_heartbeat = now + self.heartbeat_s
        port = self._require_port()
        if port.in_waiting:
            self._pump()
            self._replies.clear()  # only the fact that it answered matters here
        limit = 3 * self.heartbeat_s + 0.5
        if now - self._last_data_t > limit:
            raise LinkLost(f"no answer to '?' for {limit:.1f} s while paused")

    # ------------------------------------------------------------------ dialogue
    def _identify(self, info: wire.PlateInfo) -> None:
        stored = self.store.load(info.serial) if self.store is not None and info.serial else None
        if stored is not None and stored.unit == info.units:
            cal = stored
            if self._geometry_override is not None:
                cal = replace(cal, geometry=self._geometry_override)
        else:
            geometry = self._geometry_override or DEFAULT_GEOMETRY
            cal = PlateCalibration.nominal(info.serial, info.units, geometry)
        self._calibration = cal
        self._update_info(
            model=info.model,
            firmware=info.firmware,
            serial_number=info.serial,
            nominal_rate_hz=info.rate_hz,
            extra={
                **self._info.extra,
                "units": info.units,
                "calibrated": cal.is_calibrated,
                "capacity_kg": cal.capacity_kg or info.capacity_kg or DEFAULT_CAPACITY_KG,
                **self._geometry_extra(),
            },
        )
        self._codec.limits = self._limits()
        if info.units not in ("g", "N") and not cal.is_calibrated:
            self._last_error = (
                "This force plate reports raw counts and has not been calibrated: forces "
                "are not in newtons until it is calibrated with a known mass."
            )

    def _limits(self) -> PlateLimits:
        """What this plate can physically report (:mod:`drivers.codecs.lineplate_checks`):
        its rated capacity from the calibration, else its ``$INFO``, else a default; scales
        only where the unit means something (grams, newtons, or a calibrated plate)."""
        cal = self._calibration
        capacity = float(self._info.extra.get("capacity_kg", 0.0) or DEFAULT_CAPACITY_KG)
        known = cal.unit in ("g", "N", "kg") or cal.is_calibrated
        return PlateLimits(
            rate_hz=self._info.nominal_rate_hz or None,
            scales=np.asarray(cal.checked_scales()) if known else None,
            capacity_n=(cal.capacity_kg or capacity) * STANDARD_GRAVITY,
        )

    def _geometry_extra(self) -> dict[str, Any]:
        g = self._calibration.geometry
        return {"spacing_x_mm": g.spacing_x_mm, "spacing_y_mm": g.spacing_y_mm}

    def _apply_rate(self) -> None:
        assert self.rate_hz is not None
        self._command(wire.cmd_rate(self.rate_hz), "R")
        self._update_info(nominal_rate_hz=float(self.rate_hz))
        self._codec.limits = self._limits()

    def _command(self, command: bytes, letter: str) -> LineMessage:
        """Send a command and wait for ``$OK,<letter>`` (worker only)."""
        self._clear_replies()
        self._write(command)
        reply: LineMessage = self._await(
            lambda m: (
                isinstance(m, LineMessage)
                and (m.kind == "ERR" or (m.kind == "OK" and m.fields[:1] == (letter,)))
            ),
            1.0,
        )
        if reply.kind == "ERR":
            text = reply.fields[1] if len(reply.fields) > 1 else "error"
            raise DeviceError(f"The force plate refused '{letter}': {text}.")
        return reply


def _is_info(message: Any) -> bool:
    return isinstance(message, LineMessage) and message.kind == "INFO"


def _cell_counts(raw: npt.NDArray[np.void]) -> FloatArray:
    """The four cell readings (TR, BR, TL, BL) of each raw sample as floats, shape (n, 4)."""
    if raw.dtype == LINE_SAMPLE_DTYPE and raw.flags.c_contiguous:
        # t_host_s, seq, t_us, TR, BR, TL, BL: seven 8-byte fields, the cells last.
        counts: FloatArray = raw.view(np.int64).reshape(-1, 7)[:, 3:].astype(np.float64)
        return counts
    return np.column_stack([raw[c].astype(np.float64) for c in ("tr", "br", "tl", "bl")])


def _unwrap(
    values: npt.NDArray[Any], wraps: int, last: int | None
) -> tuple[npt.NDArray[np.int64], int, int]:
    """Unwrap a uint32 counter (values, wraps so far, last raw value) past 2³²."""
    v = values.astype(np.int64)
    first, newest = int(v[0]), int(v[-1])
    if (last is None or first >= last - _WRAP // 2) and (
        len(v) < 2 or (newest >= first and bool((np.diff(v) >= -(_WRAP // 2)).all()))
    ):  # the usual case: no wrap in this batch
        return (v + wraps * _WRAP if wraps else v), wraps, newest
    prev = np.concatenate(([last if last is not None else v[0]], v[:-1]))
    steps = np.cumsum(v < prev - _WRAP // 2)
    out: npt.NDArray[np.int64] = v + (wraps + steps) * _WRAP
    return out, wraps + int(steps[-1]), int(v[-1])
