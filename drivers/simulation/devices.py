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
from typing import Any

import numpy as np

from drivers.base import (
    INCLINOMETER_DTYPE,
    DeviceError,
    DeviceInfo,
    DeviceKind,
    DeviceState,
    RingBuffer,
    SampleArray,
)
from drivers.device_status import DeviceStatus
from drivers.simulation.patient import SimulatedPatient

PUMP_PERIOD_S = 0.01
"""How often the real-time thread produces samples: 10 ms batches, like a USB serial
device's reads, keep the live view smooth at 60 frames/s for a few % of one core."""


class _SimulatedDevice(DeviceStatus):
    """Shared state machine, thread and pumping of the simulated devices.

    State, identity, lost samples and listeners are :class:`~drivers.device_status.DeviceStatus`'s;
    the lost samples are those a simulated dropout swallowed.
    """

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
        super().__init__(
            DeviceInfo(
                kind=self.kind,
                protocol="simulated",
                port=f"sim://{self.kind.value}",
                model=self.model,
                firmware="simulation",
                serial_number=f"SIM-{self.kind.value[:4].upper()}-{patient.seed:04d}",
                nominal_rate_hz=float(rate_hz),
            )
        )
        self.patient = patient
        self.clock = patient.clock
        self.rate_hz = float(rate_hz)
        self.buffer = RingBuffer(self.dtype, max(16, int(capacity_s * rate_hz)))
        self._rng = np.random.default_rng([patient.seed, self._stream_id])
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._t_start = 0.0
        self._next_k = 0
        self._dropout_until = -math.inf
        self._paused = False
        self._resume_streaming = False

    # ------------------------------------------------------------------ Device API
    @property
    def streaming(self) -> bool:
        """True between :meth:`start` and :meth:`stop` (also while a dropout lasts)."""
        return self._state in (DeviceState.STREAMING, DeviceState.LOST, DeviceState.RECONNECTING)

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
            if self._paused:  # started while paused: produce on resume()
                self._resume_streaming = True
                return
            self._set_state(DeviceState.STREAMING, f"Simulated {self.label} streaming.")
            self._run_pump()

    def stop(self) -> None:
        """Stop producing samples (stays connected)."""
        with self._lock:
            self._resume_streaming = False
            if not self.streaming:
                return
            thread = self._halt_pump()
            self._set_state(DeviceState.CONNECTED, f"Simulated {self.label} stopped.")
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    def pause(self) -> None:
        """Stop producing samples (no thread runs) until :meth:`resume`."""
        thread = None
        with self._lock:
            if self._paused:
                return
            self._paused = True
            self._resume_streaming = self.streaming
            if self._resume_streaming:
                thread = self._halt_pump()
                self._set_state(
                    DeviceState.CONNECTED,
                    f"Simulated {self.label} connected; paused while no screen needs its data.",
                )
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)  # outside the lock: the thread may be waiting for it

    def resume(self) -> None:
        """Produce samples again from now on (the paused time is skipped, not lost)."""
        with self._lock:
            if not self._paused:
                return
            self._paused = False
            if self._resume_streaming and self._state is DeviceState.CONNECTED:
                due = math.floor((self.clock.now() - self._t_start) * self.rate_hz + 1e-9) + 1
                self._next_k = max(self._next_k, due)
                self._set_state(DeviceState.STREAMING, f"Simulated {self.label} streaming.")
                self._run_pump()

    def _halt_pump(self) -> threading.Thread | None:
        """Stop the pumping; returns the thread to join (after releasing the lock)."""
        thread, self._thread = self._thread, None
        self._halt.set()
        if not self.clock.realtime:
            self.clock.detach(self.pump)
        return thread

    def _run_pump(self) -> None:
        if self.clock.realtime:
            self._halt.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"sim-{self.kind.value}", daemon=True
            )
            self._thread.start()
        else:
            self.clock.attach(self.pump)

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
                self._add_lost(int(np.count_nonzero(~keep)))
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

    def zero(self, seconds: float = 1.0) -> float:
        """Zero the sensor as if it lay on a level surface; returns the removed offset (°).

        The simulated sensor is taken off the shin for this: it averages ``seconds`` worth
        of readings of a level surface (its bias plus noise) and subtracts that from now on.
        A separate generator is used, so zeroing never shifts the streamed noise.
        """
        n = max(3, round(seconds * self.rate_hz))
        zero_rng = np.random.default_rng([self.patient.seed, 12, n])
        level = self.bias_deg + self.noise_deg * zero_rng.standard_normal(n)
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
