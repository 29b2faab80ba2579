"""Wii Balance Board (RVL-WBC-01) through the Linux ``hid-wiimote`` driver and evdev.

Optional: ``pip install dorsilab[wii]`` installs ``evdev``; it is imported only when a real
board is opened, so everything else installs and tests without it.

What the kernel gives (devices.md §3.2, verified in ``hid-wiimote-modules.c``,
``wiimod_bboard_in_ext``): an input device named ``"Nintendo Wii Remote Balance Board"``
that reports the four load cells as ``EV_ABS`` events, already converted by the kernel with
the board's own 0/17/34 kg calibration into **units of 10 g**::

    ABS_HAT0X = top right (TR)     ABS_HAT0Y = bottom right (BR)
    ABS_HAT1X = top left  (TL)     ABS_HAT1Y = bottom left  (BL)

followed by ``SYN_REPORT``. evdev suppresses unchanged values (fuzz 2), so a report may
carry fewer than four axes: the decoder keeps the last value of each cell. ``SYN_DROPPED``
means the kernel buffer overflowed; the reports up to the next ``SYN_REPORT`` are discarded
and counted as lost.

Sampling is **non-uniform** (tens of Hz over Bluetooth). Each report becomes one sample
stamped with the host's :func:`time.monotonic` at read (``t_host_s``) and the kernel event
time (``t_dev_s``, seconds since the first report); ``seq`` is -1 (the board has no sequence
number). Resampling to a uniform rate (sliding-window averaging, clinical.md §2.2) is the
analysis layer's job.

Orientation: "top" is taken as the long edge opposite the power button, so with the patient
facing that edge +y is forward and +x to the right; the 433 mm spacing is along x and 238 mm
along y (clinical.md §2.3(a) [S]). Confirm on each board with the known-mass calibration.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from drivers.base import (
    PLATE_DTYPE,
    DeviceError,
    DeviceInfo,
    DeviceKind,
    DeviceState,
    RingBuffer,
    SampleArray,
)
from drivers.calibration import (
    MIN_LOAD_N,
    STANDARD_GRAVITY,
    WII_BALANCE_BOARD,
    PlateCalibration,
    centre_of_pressure,
)
from drivers.device_status import DeviceStatus
from drivers.wiiboard_source import BOARD_NAME, Event, EventSource, SourceFactory

log = logging.getLogger(__name__)

EV_SYN, EV_KEY, EV_ABS = 0x00, 0x01, 0x03
SYN_REPORT, SYN_DROPPED = 0, 3
ABS_HAT0X, ABS_HAT0Y, ABS_HAT1X, ABS_HAT1Y = 0x10, 0x11, 0x12, 0x13
BTN_A = 0x130
CELL_OF_AXIS = {ABS_HAT0X: 0, ABS_HAT0Y: 1, ABS_HAT1X: 2, ABS_HAT1Y: 3}
"""evdev axis → cell index in :data:`drivers.calibration.CELLS` order (TR, BR, TL, BL)."""
N_PER_UNIT = 0.01 * STANDARD_GRAVITY
"""Newtons per kernel unit (10 g)."""


class WiiBoardDecoder:
    """Pure decoder: evdev events in, one raw sample (four cells, 10 g units) per report out.

    Attributes
    ----------
    reports : int
        Complete reports decoded.
    dropped : int
        ``SYN_DROPPED`` overflows seen (each loses an unknown number of reports).
    button_presses : int
        Presses of the board's front button (``BTN_A``).
    """

    def __init__(self) -> None:
        self._cells = np.zeros(4)
        self._seen = np.zeros(4, dtype=bool)
        self._dropping = False
        self._t0: float | None = None
        self.reports = 0
        self.dropped = 0
        self.button_presses = 0

    def feed(self, events: Iterable[Event]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Decode events.

        Returns
        -------
        t_dev_s : ndarray, shape (n,)
            Kernel time of each report, seconds since the first report.
        cells : ndarray, shape (n, 4)
            TR, BR, TL, BL in kernel units (10 g), after the report.
        """
        times: list[float] = []
        rows: list[np.ndarray[Any, Any]] = []
        for etype, code, value, t_kernel in events:
            if etype == EV_ABS and code in CELL_OF_AXIS:
                if not self._dropping:
                    i = CELL_OF_AXIS[code]
                    self._cells[i] = float(value)
                    self._seen[i] = True
            elif etype == EV_KEY and code == BTN_A and value == 1:
                self.button_presses += 1
            elif etype == EV_SYN and code == SYN_DROPPED:
                self._dropping = True
                self.dropped += 1
            elif etype == EV_SYN and code == SYN_REPORT:
                if self._dropping:
                    # The state is unknown after an overflow until every axis reports again.
                    self._dropping = False
                    self._seen[:] = False
                    continue
                if not self._seen.all():
                    continue  # not every cell has reported yet since opening
                if self._t0 is None:
                    self._t0 = t_kernel
                times.append(t_kernel - self._t0)
                rows.append(self._cells.copy())
                self.reports += 1
        if not rows:
            return np.zeros(0), np.zeros((0, 4))
        return np.asarray(times), np.vstack(rows)


class WiiBalanceBoard(DeviceStatus):
    """The balance board as a :class:`drivers.base.Device` (force plate, ``"wiiboard"``).

    The info carries the event-device path as port and the Bluetooth address as serial
    number; the lost samples count kernel buffer overflows (``SYN_DROPPED``), each of which
    loses some reports.

    Parameters
    ----------
    source_factory : callable, optional
        Opens the event source; the first connected board by default. Tests pass a fake.
    reconnect : bool
        Reopen the board by itself after it disconnects.
    capacity_s : float
        Seconds of samples kept in the ring buffer (at up to 200 reports/s).
    """

    kind = DeviceKind.FORCE_PLATE
    protocol = "wiiboard"
    label = "balance board"

    def __init__(
        self,
        source_factory: SourceFactory | None = None,
        *,
        reconnect: bool = True,
        capacity_s: float = 600.0,
        min_load_n: float = MIN_LOAD_N,
    ) -> None:
        super().__init__(DeviceInfo(self.kind, self.protocol, "", model="Wii Balance Board"))
        if source_factory is None:
            from drivers.wiiboard_evdev import default_source

            source_factory = default_source
        self._factory: SourceFactory = source_factory
        self._reconnect = reconnect
        self.min_load_n = min_load_n
        self.buffer = RingBuffer(PLATE_DTYPE, int(capacity_s * 200))
        self.decoder = WiiBoardDecoder()
        self.tare_units = np.zeros(4)
        self._calibration = PlateCalibration("", "10g", [N_PER_UNIT] * 4, WII_BALANCE_BOARD)
        self._recent: collections.deque[tuple[float, np.ndarray[Any, Any]]] = collections.deque(
            maxlen=400
        )
        self._source: EventSource | None = None
        self._dropped_seen = 0
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._paused = False

    # ------------------------------------------------------------------ Device API
    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    def pause(self) -> None:
        """Stop decoding (the queued events are drained and dropped 4 times a second, which
        still notices a lost board); non-blocking."""
        with self._lock:
            if self._paused:
                return
            self._paused = True
            if self._state is DeviceState.STREAMING:
                self._set_state(
                    DeviceState.CONNECTED,
                    "Balance board connected; paused while no screen needs its data.",
                )

    def resume(self) -> None:
        """Decode again from the next report (non-blocking)."""
        with self._lock:
            if not self._paused:
                return
            self._paused = False
            self.decoder = WiiBoardDecoder()  # overflows while paused are not lost samples
            self._dropped_seen = 0
            if self._thread is not None and self._state is DeviceState.CONNECTED:
                self._set_state(DeviceState.STREAMING, "Wii Balance Board streaming.")

    def open(self) -> None:
        """Find and open the board. Raises DeviceError with what to do."""
        with self._lock:
            if self._source is not None:
                return
            self._set_state(DeviceState.CONNECTING, "Looking for the Wii Balance Board…")
            try:
                source = self._factory()
            except DeviceError as exc:
                self._set_state(DeviceState.ERROR, str(exc))
                raise
            if source.name != BOARD_NAME:
                source.close()
                message = f"{source.path} is '{source.name}', not a Wii Balance Board."
                self._set_state(DeviceState.ERROR, message)
                raise DeviceError(message)
            self._source = source
            self._update_info(port=source.path, serial_number=source.uniq)
            self._calibration = replace(self._calibration, serial_number=source.uniq)
            self._set_state(DeviceState.CONNECTED, "Wii Balance Board connected.")

    def close(self) -> None:
        """Stop and release the board (idempotent)."""
        self.stop()
        with self._lock:
            if self._source is not None:
                self._source.close()
                self._source = None
            if self._state is not DeviceState.DISCONNECTED:
                self._set_state(DeviceState.DISCONNECTED, "Wii Balance Board disconnected.")

    def start(self) -> None:
        """Start the reader thread (opens the board if needed)."""
        self.open()
        with self._lock:
            if self._thread is not None:
                return
            self._halt.clear()
            self._thread = threading.Thread(target=self._run, name="wiiboard", daemon=True)
            self._thread.start()
            self._set_state(DeviceState.STREAMING, "Wii Balance Board streaming.")

    def stop(self) -> None:
        """Stop the reader thread (the board stays open)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._halt.set()
        if thread is not None:
            thread.join(timeout=2.0)
            with self._lock:
                if self._source is not None:
                    self._set_state(DeviceState.CONNECTED, "Wii Balance Board stopped.")

    # ------------------------------------------------------------------ calibration
    @property
    def calibration(self) -> PlateCalibration:
        """Per-cell scales in N per 10 g unit (nominal 0.0981 until calibrated)."""
        return self._calibration.copy()

    def apply_calibration(self, calibration: PlateCalibration) -> None:
        """Use these per-cell scales from now on."""
        scales = calibration.checked_scales()
        with self._lock:
            self._calibration = replace(calibration, scales=scales)

    def cell_values(self, seconds: float = 0.5) -> np.ndarray[Any, Any]:
        """Mean tared cell readings (10 g units) of the reports of the last ``seconds``."""
        with self._lock:
            if not self._recent:
                raise DeviceError("The balance board has sent no readings yet.")
            newest = self._recent[-1][0]
            rows = [cells for t, cells in self._recent if t >= newest - seconds]
            mean: np.ndarray[Any, Any] = np.mean(rows, axis=0) - self.tare_units
            return mean

    def tare(self, seconds: float = 0.5) -> np.ndarray[Any, Any]:
        """Take the current (unloaded) reading of each cell as its zero."""
        offsets = self.cell_values(seconds)
        with self._lock:
            self.tare_units = self.tare_units + offsets
            return self.tare_units.copy()

    # ------------------------------------------------------------------ reading
    def process(self, events: Sequence[Event], t_host_s: float) -> SampleArray:
        """Decode one read's events into samples and append them (also used by tests)."""
        t_dev, raw = self.decoder.feed(events)
        with self._lock:
            self._add_lost(self.decoder.dropped - self._dropped_seen)
            self._dropped_seen = self.decoder.dropped
            for row in raw:
                self._recent.append((t_host_s, row))
            cells = (raw - self.tare_units) * np.asarray(self._calibration.scales)
        fz, cop_x, cop_y = centre_of_pressure(cells, self._calibration.geometry, self.min_load_n)
        out = np.empty(len(raw), dtype=PLATE_DTYPE)
        out["t_host_s"] = t_host_s
        out["seq"] = -1
        out["t_dev_s"] = t_dev
        out["fz_n"] = fz
        out["cop_x_mm"] = cop_x
        out["cop_y_mm"] = cop_y
        for i, name in enumerate(("tr_n", "br_n", "tl_n", "bl_n")):
            out[name] = cells[:, i]
        self.buffer.append(out)
        return out

    def _run(self) -> None:
        while not self._halt.is_set():
            source = self._source
            if source is None:
                if not self._try_reopen():
                    return
                continue
            if self._paused and self._halt.wait(0.25):
                break
            try:
                events = source.read(0.0 if self._paused else 0.05)
            except OSError as exc:
                log.warning("balance board read failed: %s", exc)
                self._link_lost()
                continue
            if events and not self._paused:
                self.process(events, time.monotonic())

    def _link_lost(self) -> None:
        with self._lock:
            if self._source is not None:
                with contextlib.suppress(OSError):
                    self._source.close()
                self._source = None
            self._set_state(
                DeviceState.LOST,
                "The Wii Balance Board disconnected (battery or Bluetooth). Press its front "
                "button to reconnect; DorsiLab will pick it up.",
            )

    def _try_reopen(self) -> bool:
        if not self._reconnect:
            return False
        self._set_state(DeviceState.RECONNECTING, "Balance board lost, reconnecting…")
        while not self._halt.wait(1.0):
            try:
                source = self._factory()
            except DeviceError:
                continue
            with self._lock:
                self._source = source
                self.decoder = WiiBoardDecoder()
                self._dropped_seen = 0
                if self._paused:
                    self._set_state(DeviceState.CONNECTED, "Wii Balance Board is back (paused).")
                else:
                    self._set_state(DeviceState.STREAMING, "Wii Balance Board is back.")
            return True
        return False
