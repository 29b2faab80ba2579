"""Simulated inclinometer and force plate that behave like the real devices.

Both implement :class:`drivers.base.Device`: the same states (connected, streaming, lost,
reconnecting…), a :class:`~drivers.base.RingBuffer` of the real sample dtypes and
``protocol="simulated"`` in their :class:`~drivers.base.DeviceInfo`. They sample a
:class:`~drivers.simulation.patient.SimulatedPatient` at a fixed rate:

* on a :class:`~drivers.simulation.clock.RealTimeClock`, a background thread wakes every few
  milliseconds and appends every sample that has become due, stamped with its ideal time on
  the monotonic clock (``t_host_s``), sequence number and device clock;
* on a :class:`~drivers.simulation.clock.ManualClock`, there is no thread: each
  :meth:`~drivers.simulation.clock.ManualClock.advance` produces the due samples at once.

Sensor noise comes from a generator seeded by the patient's seed and the device, one draw per
sample in order, so the output does not depend on how time is stepped.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from typing import Any

import numpy as np

from drivers.base import (
    INCLINOMETER_DTYPE,
    PLATE_DTYPE,
    DeviceError,
    DeviceInfo,
    DeviceKind,
    DeviceState,
    RingBuffer,
    SampleArray,
    StateListener,
)
from drivers.simulation.motions import G
from drivers.simulation.patient import SimulatedPatient

PUMP_PERIOD_S = 0.005
"""How often the real-time thread produces samples (5 ms: small, regular batches)."""


class _SimulatedDevice:
    """Shared state machine, thread and pumping of the simulated devices."""

    kind: DeviceKind
    dtype: np.dtype[Any]
    label = "device"
    model = "DorsiLab simulated device"
    _stream_id = 0

    def __init__(
        self, patient: SimulatedPatient, rate_hz: float, capacity_s: float = 120.0
    ) -> None:
        if not 1.0 <= rate_hz <= 5000.0:
            raise ValueError(f"rate_hz must be 1–5000 Hz, not {rate_hz}")
        self.patient = patient
        self.clock = patient.clock
        self.rate_hz = float(rate_hz)
        self.buffer = RingBuffer(self.dtype, max(16, int(capacity_s * rate_hz)))
        self._rng = np.random.default_rng([patient.seed, self._stream_id])
        self._state = DeviceState.DISCONNECTED
        self._last_error = ""
        self._lost = 0
        self._listeners: list[StateListener] = []
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._t_start = 0.0
        self._next_k = 0
        self._dropout_until = -math.inf
        self._info = DeviceInfo(
            kind=self.kind,
            protocol="simulated",
            port=f"sim://{self.kind.value}",
            model=self.model,
            firmware="simulation",
            serial_number=f"SIM-{self.kind.value[:4].upper()}-{patient.seed:04d}",
            nominal_rate_hz=self.rate_hz,
        )

    # ------------------------------------------------------------------ Device API
    @property
    def state(self) -> DeviceState:
        """Current connection state."""
        return self._state

    @property
    def info(self) -> DeviceInfo:
        """Identity and configuration (``protocol="simulated"``)."""
        return self._info

    @property
    def last_error(self) -> str:
        """The last problem in words ("" when none)."""
        return self._last_error

    @property
    def lost_samples(self) -> int:
        """Samples not delivered during a simulated dropout."""
        return self._lost

    @property
    def streaming(self) -> bool:
        """True between :meth:`start` and :meth:`stop` (also while a dropout lasts)."""
        return self._state in (DeviceState.STREAMING, DeviceState.LOST, DeviceState.RECONNECTING)

    def add_state_listener(self, listener: StateListener) -> None:
        """Register ``listener(state, message)`` (called from the caller's or the sim thread)."""
        self._listeners.append(listener)

    def open(self) -> None:
        """Connect (instantly: there is no port)."""
        if self._state is DeviceState.DISCONNECTED or self._state is DeviceState.ERROR:
            self._set_state(DeviceState.CONNECTED, f"Simulated {self.label} connected.")

    def close(self) -> None:
        """Stop streaming and disconnect (idempotent)."""
        self.stop()
        if self._state is not DeviceState.DISCONNECTED:
            self._set_state(DeviceState.DISCONNECTED, f"Simulated {self.label} disconnected.")

    def start(self) -> None:
        """Start producing samples into :attr:`buffer` (opens the device if needed)."""
        with self._lock:
            if self.streaming:
                return
            self.open()
            self._t_start = self.clock.now()
            self._next_k = 0
            self._set_state(DeviceState.STREAMING, f"Simulated {self.label} streaming.")
            if self.clock.realtime:
                self._halt.clear()
                self._thread = threading.Thread(
                    target=self._run, name=f"sim-{self.kind.value}", daemon=True
                )
                self._thread.start()
            else:
                self.clock.attach(self.pump)

    def stop(self) -> None:
        """Stop producing samples (stays connected)."""
        with self._lock:
            if not self.streaming:
                return
            thread, self._thread = self._thread, None
            self._halt.set()
            if not self.clock.realtime:
                self.clock.detach(self.pump)
            self._set_state(DeviceState.CONNECTED, f"Simulated {self.label} stopped.")
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    # ------------------------------------------------------------------ faults
    def simulate_dropout(self, seconds: float = 2.0) -> None:
        """Pretend the link is lost for ``seconds``: samples in between are lost and counted.

        The state goes to LOST, then RECONNECTING, then back to STREAMING by itself, as a real
        device does when its cable is pulled and plugged back in.
        """
        with self._lock:
            if not self.streaming:
                raise DeviceError(f"The simulated {self.label} is not streaming.")
            self._dropout_until = self.clock.now() + seconds
            self._set_state(
                DeviceState.LOST, f"Simulated {self.label}: connection lost (simulated unplug)."
            )

    # ------------------------------------------------------------------ pumping
    def _run(self) -> None:
        while not self._halt.wait(PUMP_PERIOD_S):
            self.pump()

    def pump(self) -> None:
        """Append every sample due up to the clock's current time (called by thread/clock)."""
        with self._lock:
            if not self.streaming:
                return
            now = self.clock.now()
            due = math.floor((now - self._t_start) * self.rate_hz + 1e-9) + 1
            n = due - self._next_k
            if n <= 0:
                return
            k = np.arange(self._next_k, due, dtype=np.int64)
            self._next_k = due
            t = self._t_start + k / self.rate_hz
            batch = self._generate(k, t)
            if self._state is not DeviceState.STREAMING:
                keep = t >= self._dropout_until
                self._lost += int(np.count_nonzero(~keep))
                batch = batch[keep]
                if self._state is DeviceState.LOST and now >= self._dropout_until - 0.5:
                    self._set_state(
                        DeviceState.RECONNECTING, f"Simulated {self.label}: reconnecting…"
                    )
                if now >= self._dropout_until:
                    self._set_state(DeviceState.STREAMING, f"Simulated {self.label} is back.")
        self.buffer.append(batch)

    def _generate(self, k: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> SampleArray:
        raise NotImplementedError

    def _set_state(self, state: DeviceState, message: str) -> None:
        self._state = state
        if state in (DeviceState.LOST, DeviceState.ERROR):
            self._last_error = message
        for listener in list(self._listeners):
            listener(state, message)


class SimulatedInclinometer(_SimulatedDevice):
    """A shin-mounted inclinometer (default 100 Hz) fed by the simulated patient.

    ``angle_x_deg`` is the sagittal tilt of the shin (the tibial inclination), ``angle_y_deg``
    the frontal tilt (knee tracking), ``angle_z_deg`` the heading (slow drift);
    ``tibia_deg = angle_x_deg``. The sensor has a small mounting/zero bias (0.5–2°, seeded)
    until :meth:`zero` is called.
    """

    kind = DeviceKind.INCLINOMETER
    dtype = INCLINOMETER_DTYPE
    label = "inclinometer"
    model = "DorsiLab simulated inclinometer"
    _stream_id = 1

    def __init__(
        self, patient: SimulatedPatient, rate_hz: float = 100.0, noise_deg: float = 0.02
    ) -> None:
        super().__init__(patient, rate_hz)
        self.noise_deg = float(noise_deg)
        bias_rng = np.random.default_rng([patient.seed, 11])
        self.bias_deg = float(bias_rng.choice([-1, 1]) * bias_rng.uniform(0.5, 2.0))
        self.zero_offset_deg = 0.0

    def zero(self, samples: int = 50) -> float:
        """Zero the sensor as if it lay on a level surface; returns the removed offset (°).

        The simulated sensor is taken off the shin for this: it averages ``samples``
        readings of a level surface (its bias plus noise) and subtracts that from now on.
        """
        level = self.bias_deg + self.noise_deg * self._rng.standard_normal(samples)
        self.zero_offset_deg = float(level.mean())
        return self.zero_offset_deg

    def _generate(self, k: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> SampleArray:
        pose = self.patient.pose(t)
        # Sample-major draws: the noise stream does not depend on the batch sizes.
        noise = self.noise_deg * self._rng.standard_normal((len(k), 3)).T
        out = np.empty(len(k), dtype=INCLINOMETER_DTYPE)
        out["t_host_s"] = t
        out["seq"] = k
        out["t_dev_s"] = k / self.rate_hz
        pitch = pose.tibia_deg + self.bias_deg - self.zero_offset_deg + noise[0]
        out["angle_x_deg"] = pitch
        out["angle_y_deg"] = pose.roll_deg + noise[1]
        out["angle_z_deg"] = 0.02 * (t - self._t_start) + noise[2]
        out["tibia_deg"] = pitch
        return out


class SimulatedForcePlate(_SimulatedDevice):
    """A four-cell force plate (default 1 kHz) under the simulated patient's foot.

    Signal chain per cell (TR, BR, TL, BL): true load from the patient's Fz and COP
    (bilinear share between the four corners) plus any test mass → ``raw = gain · load +
    offset + noise`` (gains 1 ± 3 %, offsets ±15 N, seeded: an uncalibrated, untared plate)
    → reported ``scale · (raw − tare)``. Fz is the sum of the four cells; the COP follows
    clinical.md §2.3(a) and is NaN below :attr:`min_load_n`.

    Parameters
    ----------
    width_mm, length_mm : float
        Cell spacing, centre to centre, along x (left–right) and y (heel–toe).
    """

    kind = DeviceKind.FORCE_PLATE
    dtype = PLATE_DTYPE
    label = "force plate"
    model = "DorsiLab simulated 4-cell plate"
    _stream_id = 2
    CELLS = ("tr_n", "br_n", "tl_n", "bl_n")
    CELL_X = np.array([1.0, 1.0, -1.0, -1.0])
    CELL_Y = np.array([1.0, -1.0, 1.0, -1.0])

    def __init__(
        self,
        patient: SimulatedPatient,
        rate_hz: float = 1000.0,
        *,
        width_mm: float = 400.0,
        length_mm: float = 400.0,
        noise_n: float = 0.4,
        min_load_n: float = 20.0,
    ) -> None:
        super().__init__(patient, rate_hz)
        self.width_mm = float(width_mm)
        self.length_mm = float(length_mm)
        self.noise_n = float(noise_n)
        self.min_load_n = float(min_load_n)
        cal_rng = np.random.default_rng([patient.seed, 22])
        self.true_gain = cal_rng.uniform(0.97, 1.03, 4)
        self.true_offset_n = cal_rng.uniform(-15.0, 15.0, 4)
        self.tare_n = np.zeros(4)
        self.scale = np.ones(4)
        self._test_mass: tuple[float, float, float] | None = None
        self._raw_recent = np.zeros((max(16, int(rate_hz)), 4))
        self._raw_count = 0
        self._info = replace(self._info, extra={"width_mm": width_mm, "length_mm": length_mm})

    # ------------------------------------------------------------------ calibration
    @property
    def cell_positions_mm(self) -> np.ndarray[Any, Any]:
        """(4, 2) x, y of the cells TR, BR, TL, BL in mm."""
        return np.column_stack((self.CELL_X * self.width_mm / 2, self.CELL_Y * self.length_mm / 2))

    def place_test_mass(self, mass_kg: float, x_mm: float = 0.0, y_mm: float = 0.0) -> None:
        """Put a known mass on the simulated plate at (x, y) mm (calibration wizard)."""
        self._test_mass = (float(mass_kg), float(x_mm), float(y_mm))

    def remove_test_mass(self) -> None:
        """Take the test mass off again."""
        self._test_mass = None

    def raw_cells(self, seconds: float = 0.5) -> np.ndarray[Any, Any]:
        """Mean tared but unscaled cell readings (TR, BR, TL, BL) over the last ``seconds``.

        Raises
        ------
        DeviceError
            When the plate is not streaming or has not produced that much data yet.
        """
        n = max(1, round(seconds * self.rate_hz))
        with self._lock:
            if not self.streaming or self._raw_count < n:
                raise DeviceError(
                    "The simulated force plate has no recent readings; start it and wait a moment."
                )
            n = min(n, len(self._raw_recent))
            idx = (self._raw_count - n + np.arange(n)) % len(self._raw_recent)
            mean: np.ndarray[Any, Any] = self._raw_recent[idx].mean(axis=0) - self.tare_n
            return mean

    def tare(self, seconds: float = 0.5) -> np.ndarray[Any, Any]:
        """Take the current (unloaded) reading of each cell as its zero; returns it (N)."""
        self.tare_n = self.tare_n + self.raw_cells(seconds)
        return self.tare_n.copy()

    def set_cell_scales(self, scales: np.ndarray[Any, Any] | list[float]) -> None:
        """Per-cell scale factors (TR, BR, TL, BL), e.g. from a known-mass calibration."""
        arr = np.asarray(scales, dtype=np.float64)
        if arr.shape != (4,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError("four positive, finite cell scale factors are needed")
        self.scale = arr.copy()

    # ------------------------------------------------------------------ samples
    def _generate(self, k: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> SampleArray:
        pose = self.patient.pose(t)
        fx = np.clip(pose.cop_x_mm / self.width_mm, -0.5, 0.5)
        fy = np.clip(pose.cop_y_mm / self.length_mm, -0.5, 0.5)
        share = (0.5 + np.outer(fx, self.CELL_X)) * (0.5 + np.outer(fy, self.CELL_Y))
        load = share * pose.fz_n[:, None]
        if self._test_mass is not None:
            mass, x, y = self._test_mass
            s = (0.5 + self.CELL_X * x / self.width_mm) * (0.5 + self.CELL_Y * y / self.length_mm)
            load = load + mass * G * s
        noise = self.noise_n * self._rng.standard_normal((len(k), 4))
        raw = load * self.true_gain + self.true_offset_n + noise
        self._remember(raw)
        cells = (raw - self.tare_n) * self.scale
        fz = cells.sum(axis=1)
        ok = fz >= self.min_load_n
        safe = np.where(ok, fz, 1.0)
        out = np.empty(len(k), dtype=PLATE_DTYPE)
        out["t_host_s"] = t
        out["seq"] = k
        out["t_dev_s"] = k / self.rate_hz
        out["fz_n"] = fz
        out["cop_x_mm"] = np.where(ok, (self.width_mm / 2) * (cells @ self.CELL_X) / safe, np.nan)
        out["cop_y_mm"] = np.where(ok, (self.length_mm / 2) * (cells @ self.CELL_Y) / safe, np.nan)
        for i, name in enumerate(self.CELLS):
            out[name] = cells[:, i]
        return out

    def _remember(self, raw: np.ndarray[Any, Any]) -> None:
        size = len(self._raw_recent)
        tail = raw[-size:]
        idx = (self._raw_count + len(raw) - len(tail) + np.arange(len(tail))) % size
        self._raw_recent[idx] = tail
        self._raw_count += len(raw)
