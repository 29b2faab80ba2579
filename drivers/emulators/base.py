"""Device emulators on the master side of a real pseudo-terminal, with fault injection.

An emulator owns a pty pair (:func:`os.openpty`). The host side (the driver under test,
the CLI, the GUI) opens :attr:`PtyEmulator.port` with pyserial exactly like a USB serial
adapter; the emulator runs in a thread, answers commands and streams frames from the
master side. :attr:`PtyEmulator.port` is a symlink when ``link`` is given, so that after
:meth:`PtyEmulator.unplug` and :meth:`PtyEmulator.replug` "the same device" comes back
at the same path on a *new* pty, as a USB device does.

What real hardware does that the emulator reproduces:

* Partial reads: frames may be written in arbitrary chunks
  (:attr:`~drivers.emulators.faults.Faults.chunk_size`).
* Corruption: garbage between frames, single bit flips
  (:class:`~drivers.emulators.faults.Faults`).
* Wrong baud: the emulator reads the speed the host set on the slave back from the
  master (``termios.tcgetattr``) and scrambles its output when it differs from the
  device's own rate (:attr:`PtyEmulator.device_baud`); commands at the wrong speed are
  ignored.
* Unplug: the master is closed; the host's next ``read()`` raises ``SerialException``.
* Silence: :meth:`PtyEmulator.pause` stops output for a while.
* TX-only wiring: with ``faults.ignore_commands`` the device never sees what the host sends
  (its RX pin is not connected), but the bytes are still on the wire.
* Nobody listening: output is produced only while the host has the port open (the
  master reports a hang-up otherwise), like a USB bridge that drops bytes nobody reads.

Every byte the host writes is kept in :attr:`PtyEmulator.received` (also the bytes the device
ignores), so a test can prove what a driver sent - e.g. that streaming sent nothing but reads.

Every emitted sample is logged with the :func:`time.monotonic` time of the ``write()``
that completed it (:meth:`PtyEmulator.write_times`), so a benchmark can measure the
sensor-to-buffer latency of the driver.

Running as a process over a socat pair is also supported (``fd`` mode, see
:func:`open_tty`); then wrong-baud detection and hang-up detection are unavailable.
"""

from __future__ import annotations

import abc
import contextlib
import os
import random
import select
import termios
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np
import numpy.typing as npt

from drivers.emulators.faults import Faults

BAUD_CONSTANTS: dict[int, int] = {
    rate: getattr(termios, f"B{rate}")
    for rate in (2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
    if hasattr(termios, f"B{rate}")
}
"""Baud rate in bits/s → termios speed constant."""


def scripted_lunge_deg(t: float, peak_deg: float, ramp_s: float, hold_s: float) -> float:
    """Tibia inclination (degrees) of the emulators' scripted lunge at ``t`` seconds.

    Ramps from 0 to ``peak_deg`` in ``ramp_s``, holds ``hold_s``, ramps back to 0 in
    ``ramp_s``, holds ``hold_s``, and repeats.
    """
    period = 2 * (ramp_s + hold_s)
    phase = t % period
    if phase < ramp_s:
        return peak_deg * phase / ramp_s
    if phase < ramp_s + hold_s:
        return peak_deg
    if phase < 2 * ramp_s + hold_s:
        return peak_deg * (1 - (phase - ramp_s - hold_s) / ramp_s)
    return 0.0


def open_tty(path: str) -> int:
    """Open an existing tty (e.g. one end of a socat pair) raw, for ``fd`` mode."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    return fd


class PtyEmulator(abc.ABC):
    """Base class: pty management, the emulator thread, faults and the write log.

    Subclasses implement :meth:`on_host_bytes` (commands from the host) and
    :meth:`produce` (frames due now).

    Parameters
    ----------
    link : str or Path, optional
        Symlink to create for the slave (the port the host opens). Without it the
        port is the pty's own name (``/dev/pts/N``).
    device_baud : int
        The rate the emulated device talks at; output is scrambled when the host's
        port is set to another rate.
    tty_path : str, optional
        ``fd`` mode: drive this existing tty (a socat end) instead of creating a pty.
    seed : int
        Random seed for faults and signal noise (reproducible tests).
    """

    name = "device"

    def __init__(
        self,
        *,
        link: str | Path | None = None,
        device_baud: int = 115200,
        tty_path: str | None = None,
        seed: int = 1,
    ) -> None:
        self.link = Path(link) if link is not None else None
        self.device_baud = device_baud
        self.faults = Faults()
        self.rng = random.Random(seed)
        self._tty_path = tty_path
        self._master: int | None = None
        self._slave_name = ""
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._pause_until = 0.0
        self._inject: list[bytes] = []
        self._frame_counter = 0
        self._write_times: list[float] = []
        self._write_counts: list[int] = []
        self.host_connected = False
        self.commands_received = 0
        self.received = bytearray()
        """Every byte the host wrote, in order (whether the device acted on it or not)."""
        self._open_pty()

    # ------------------------------------------------------------------ public
    @property
    def port(self) -> str:
        """What the host opens: the symlink, or the pty's slave name."""
        if self._tty_path is not None:
            return self._tty_path
        return str(self.link) if self.link is not None else self._slave_name

    @property
    def plugged(self) -> bool:
        """True while the pty exists."""
        return self._master is not None

    def start(self) -> Self:
        """Start the emulator thread (returns self for chaining)."""
        if self._thread is None:
            self._running.set()
            self._thread = threading.Thread(
                target=self._loop, name=f"emu-{self.name}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread, close the pty and remove the symlink."""
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self.unplug()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def unplug(self) -> None:
        """Pull the cable: close the master (the host's next read fails) and drop the link."""
        with self._lock:
            if self._master is not None:
                with contextlib.suppress(OSError):
                    os.close(self._master)
                self._master = None
            self.host_connected = False
            if self.link is not None and self.link.is_symlink():
                self.link.unlink()

    def replug(self) -> None:
        """Plug back in: a new pty appears at the same symlink path."""
        with self._lock:
            if self._master is None:
                self._open_pty()
                self.on_replug()

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (samples due meanwhile are skipped, not queued)."""
        self._pause_until = time.monotonic() + seconds

    def inject(self, data: bytes) -> None:
        """Send ``data`` raw, as soon as possible (before the next frames)."""
        with self._lock:
            self._inject.append(data)

    def host_speed(self) -> int | None:
        """The termios speed constant the host configured (None in ``fd`` mode)."""
        if self._master is None or self._tty_path is not None:
            return None
        try:
            return int(termios.tcgetattr(self._master)[5])
        except termios.error:
            return None

    def baud_matches(self) -> bool:
        """Whether the host's port speed equals the device's (always True in ``fd`` mode)."""
        speed = self.host_speed()
        return speed is None or speed == BAUD_CONSTANTS.get(self.device_baud)

    def write_times(self) -> npt.NDArray[np.float64]:
        """Monotonic time of the write that completed each emitted sample, in order."""
        with self._lock:
            times = np.asarray(self._write_times, dtype=np.float64)
            counts = np.asarray(self._write_counts, dtype=np.int64)
        return np.repeat(times, counts)

    @property
    def samples_emitted(self) -> int:
        """Samples completely written to the host so far."""
        with self._lock:
            return int(sum(self._write_counts))

    # ------------------------------------------------------------------ subclasses
    @abc.abstractmethod
    def on_host_bytes(self, data: bytes, now: float) -> None:
        """Handle bytes from the host (commands); use :meth:`reply` to answer."""

    @abc.abstractmethod
    def produce(self, now: float) -> list[tuple[bytes, int]]:
        """Frames due at ``now``: ``(frame_bytes, samples_completed_by_this_frame)``."""

    def next_due(self, now: float) -> float:
        """When :meth:`produce` next has something (the loop sleeps until then)."""
        return now + 0.005

    def on_replug(self) -> None:
        """The device powered up again (reset RAM settings here)."""
        return None

    def on_host_connected(self, now: float) -> None:
        """The host opened the port."""
        return None

    def reply(self, data: bytes) -> None:
        """Send a command reply (subject to the same faults as frames)."""
        self._send([(data, 0)])

    # ------------------------------------------------------------------ internals
    def _open_pty(self) -> None:
        if self._tty_path is not None:
            self._master = open_tty(self._tty_path)
            return
        master, slave = os.openpty()
        self._slave_name = os.ttyname(slave)
        tty.setraw(slave)
        # Only the host holds the slave open, so the master sees a hang-up while the host
        # has the port closed (output then waits, like a bridge nobody reads).
        os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        if self.link is not None:
            tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self._slave_name)
            os.replace(tmp, self.link)

    def _loop(self) -> None:
        poller = select.poll()
        registered: int | None = None
        while self._running.is_set():
            master = self._master
            if master is None:
                time.sleep(0.01)
                continue
            if registered != master:
                if registered is not None:
                    with contextlib.suppress(KeyError, ValueError):
                        poller.unregister(registered)
                poller.register(master, select.POLLIN)
                registered = master
            now = time.monotonic()
            wait_ms = max(0.0, min(self.next_due(now) - now, 0.01)) * 1000.0
            try:
                events = poller.poll(wait_ms)
            except OSError:
                continue
            hangup = any(
                ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, ev in events
            )
            readable = any(ev & select.POLLIN for _, ev in events)
            now = time.monotonic()
            if hangup and not readable and self._tty_path is None:
                self.host_connected = False
                time.sleep(0.01)  # nobody has the port open
                continue
            if not self.host_connected:
                self.host_connected = True
                self.on_host_connected(now)
            if readable:
                self._read_host(now)
            self._flush_injected()
            if now < self._pause_until or self.faults.mute:
                self.produce(now)  # keep the device's clock running; drop the output
                continue
            frames = self.produce(now)
            if frames:
                self._send(frames)

    def _read_host(self, now: float) -> None:
        master = self._master
        if master is None:
            return
        try:
            data = os.read(master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.host_connected = False
            return
        with self._lock:
            self.received += data
        if not data or self.faults.ignore_commands or not self.baud_matches():
            return
        self.commands_received += 1
        self.on_host_bytes(data, now)

    def _flush_injected(self) -> None:
        with self._lock:
            pending, self._inject = self._inject, []
        for data in pending:
            self._write_raw(data)

    def _send(self, frames: list[tuple[bytes, int]]) -> None:
        faults = self.faults
        parts: list[bytes] = []
        for frame, _ in frames:
            self._frame_counter += 1
            if faults.garbage_every and self._frame_counter % faults.garbage_every == 0:
                parts.append(faults.garbage or self.rng.randbytes(faults.garbage_len))
            if faults.bit_flip_every and self._frame_counter % faults.bit_flip_every == 0:
                flipped = bytearray(frame)
                flipped[self.rng.randrange(len(flipped))] ^= 1 << self.rng.randrange(8)
                frame = bytes(flipped)
            parts.append(frame)
        data = b"".join(parts)
        if not self.baud_matches():
            data = bytes((b ^ 0xA5) for b in data)  # what a receiver at the wrong rate sees
        count = sum(n for _, n in frames)
        if faults.chunk_size <= 0:
            self._write_raw(data, count)
            return
        for start in range(0, len(data), faults.chunk_size):
            last = start + faults.chunk_size >= len(data)
            self._write_raw(data[start : start + faults.chunk_size], count if last else 0)
            if faults.chunk_gap_s and not last:
                time.sleep(faults.chunk_gap_s)

    def _write_raw(self, data: bytes, samples: int = 0) -> None:
        master = self._master
        if master is None or not data:
            return
        view = memoryview(data)
        deadline = time.monotonic() + 0.2
        while view:
            try:
                written = os.write(master, view)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return  # nobody reads: the rest is lost, as on a real bridge
                time.sleep(0.0005)
                continue
            except OSError:
                return
            view = view[written:]
        if samples:
            t = time.monotonic()
            with self._lock:
                self._write_times.append(t)
                self._write_counts.append(samples)


@contextlib.contextmanager
def running(emulator: PtyEmulator) -> Iterator[PtyEmulator]:
    """``with running(WitEmulator(...)) as emu:`` — start, yield, always stop."""
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
