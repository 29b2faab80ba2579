"""The wireless shin sensor: a WitMotion BLE 5.0 inclinometer through ``bleak``, as a Device.

No cable to trip over during a lunge. :class:`WitMotionBleDevice` behaves like the serial
inclinometers - same states, same samples (:data:`drivers.base.INCLINOMETER_DTYPE`), same
software zero - so the lunge protocol neither knows nor cares which link it is.

Link (bleak, devices.md §1.7)
    Pair-free: the sensor is found by its address with a scan and connected directly;
    notifications of ``0000ffe4-…`` carry the frames (:mod:`drivers.codecs.witmotion_ble`),
    commands go to ``0000ffe9-…`` *without response*. Connecting sends only register reads
    (``FF AA 27``: rate 0x03, version 0x2E, power 0x64) and reads the standard battery level
    characteristic when there is one; it never writes settings. bleak is asyncio: one event
    loop runs in the device's own thread, and the application's calls wait for it with
    bounded timeouts.
Product
    Dispatch on the advertised name (:func:`~drivers.codecs.witmotion_ble.product_for`), not
    on the type byte alone: a WTVB01 vibration sensor also sends ``0x61`` frames (28 bytes)
    and is refused in words.
Loss and reconnection
    bleak's disconnect callback, or notifications falling silent for ``max(1 s, 5 periods)``
    while streaming, report LOST at once; the device then scans for the same address with a
    growing back-off, reconnects, re-subscribes and resumes streaming (or stays paused).
Quiet when idle
    :meth:`pause` unsubscribes from notifications (the link stays up, and bleak reports a
    drop); :meth:`resume` subscribes again.
Testing
    ``client_backend`` / ``scanner_backend`` are bleak backend classes; tests pass the fake
    peripheral of :mod:`drivers.emulators.witmotion_ble` behind the real ``BleakClient`` and
    ``BleakScanner``. Radio behaviour (range, interference, connection intervals, OS pairing
    dialogs) needs real hardware.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

from drivers.base import (
    INCLINOMETER_DTYPE,
    DeviceError,
    DeviceInfo,
    DeviceKind,
    DeviceState,
    ProtocolMismatchError,
    RingBuffer,
)
from drivers.codecs import witmotion_ble as ble
from drivers.codecs import witmotion_wire as wire
from drivers.device_status import DeviceStatus
from drivers.inclinometer_zero import ZeroOffsets, zero_from_stream
from drivers.loop_thread import LoopThread
from drivers.witmotion_setup import RATE_BY_CODE, snap_rate

log = logging.getLogger(__name__)

SCAN_TIMEOUT_S: Final = 8.0
READ_TIMEOUT_S: Final = 0.6
LISTEN_S: Final = 0.6


class WitMotionBleDevice(DeviceStatus):
    """A WitMotion BLE inclinometer (module docstring).

    Parameters
    ----------
    address : str
        Bluetooth address (a UUID on macOS), as ``devices list --ble`` shows it.
    name : str
        Advertised name when known (the scan finds it otherwise).
    mounting_axis : str
        Sensor axis along the tibia, towards the knee.
    zero_offsets : ZeroOffsets, optional
        A previously measured zero.
    client_backend, scanner_backend : type, optional
        bleak backends (tests); the platform's when None.
    reconnect : bool
        Reconnect after a drop.
    capacity_s : float
        Ring-buffer length in seconds at 200 Hz.
    """

    kind = DeviceKind.INCLINOMETER
    protocol = "witmotion-ble"
    label = "inclinometer"

    def __init__(
        self,
        address: str,
        *,
        name: str = "",
        mounting_axis: str = "x",
        zero_offsets: ZeroOffsets | None = None,
        client_backend: Any = None,
        scanner_backend: Any = None,
        reconnect: bool = True,
        capacity_s: float = 600.0,
    ) -> None:
        super().__init__(DeviceInfo(self.kind, self.protocol, address, model=name))
        self.address = address
        self.name = name
        self.zero_offsets = zero_offsets or ZeroOffsets()
        self.buffer = RingBuffer(INCLINOMETER_DTYPE, int(capacity_s * 200))
        self._codec = ble.WitBleCodec(mounting_axis=mounting_axis)
        self._client_backend = client_backend
        self._scanner_backend = scanner_backend
        self._reconnect = reconnect
        self._worker = LoopThread(f"ble-{address}", "Bluetooth")
        self._client: Any = None
        self._streaming = False
        self._paused = False
        self._closing = False
        self._last_data_t = 0.0
        self._replies: list[tuple[int, tuple[int, ...]]] = []
        self._reply_event: asyncio.Event | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._rate_window: tuple[float, int] | None = None

    # ------------------------------------------------------------------ Device API
    @property
    def codec(self) -> ble.WitBleCodec:
        """The codec (frames, garbage bytes, implausible frames…)."""
        return self._codec

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    def open(self) -> None:
        """Find the sensor, connect and identify it. Raises DeviceError in words."""
        if self._client is not None and self._client.is_connected:
            return
        self._closing = False
        self._set_state(
            DeviceState.CONNECTING, f"Connecting to the Bluetooth sensor {self.address}."
        )
        self._worker.start()
        try:
            self._worker.run(self._connect(), SCAN_TIMEOUT_S + 20.0)
        except DeviceError as exc:
            self._fail(str(exc))
            self._worker.stop()
            raise
        self._set_state(DeviceState.CONNECTED, "Bluetooth inclinometer connected.")

    def close(self) -> None:
        """Disconnect and stop the event loop (idempotent)."""
        self._closing = True
        self._streaming = False
        if self._worker.loop is not None:
            try:
                self._worker.run(self._disconnect(), 5.0)
            except DeviceError:
                log.debug("disconnect failed", exc_info=True)
        self._worker.stop()
        if self._state is not DeviceState.DISCONNECTED:
            self._set_state(DeviceState.DISCONNECTED, "Bluetooth inclinometer disconnected.")

    def start(self) -> None:
        """Deliver samples into :attr:`buffer`."""
        if self._client is None:
            raise DeviceError("Connect the Bluetooth inclinometer first.")
        self._streaming = True
        self._last_data_t = time.monotonic()
        if not self._paused:
            self._set_state(DeviceState.STREAMING, self._streaming_message())

    def stop(self) -> None:
        """Stop delivering samples (stays connected)."""
        self._streaming = False
        self._set_state(DeviceState.CONNECTED, "Bluetooth inclinometer connected, stopped.")

    def pause(self) -> None:
        """Unsubscribe from notifications until :meth:`resume` (non-blocking)."""
        if self._paused:
            return
        self._paused = True
        self._worker.post(self._set_notify(False))
        if self._streaming and self._state is DeviceState.STREAMING:
            self._set_state(
                DeviceState.CONNECTED,
                "Bluetooth inclinometer connected; paused while no screen needs its data.",
            )

    def resume(self) -> None:
        """Subscribe again (non-blocking)."""
        if not self._paused:
            return
        self._paused = False
        self._codec.resync()
        self._last_data_t = time.monotonic()
        self._worker.post(self._set_notify(True))
        if self._streaming and self._state is DeviceState.CONNECTED:
            self._set_state(DeviceState.STREAMING, self._streaming_message())

    def zero(self, seconds: float = 1.0) -> ZeroOffsets:
        """Level-surface zero in software (see :mod:`drivers.witmotion`)."""
        if not self._streaming or self._paused:
            raise DeviceError("Start the inclinometer before zeroing it.")
        self.zero_offsets = zero_from_stream(self.buffer, self.zero_offsets, seconds)
        return self.zero_offsets

    # ------------------------------------------------------------------ event loop
    # ------------------------------------------------------------------ connection
    async def _connect(self) -> None:
        from bleak import BleakClient, BleakScanner

        from drivers import ble_scan

        found = await BleakScanner.find_device_by_address(
            self.address,
            timeout=SCAN_TIMEOUT_S,
            backend=self._scanner_backend or ble_scan.SCANNER_BACKEND,
        )
        if found is None:
            raise DeviceError(
                f"No Bluetooth sensor {self.address} in range. Switch it on (its light "
                "blinks), keep it within a few metres, and make sure no phone app holds it."
            )
        name = found.name or self.name
        product = ble.product_for(name)
        if product is not None and not product.inclinometer:
            raise ProtocolMismatchError(f"{name} is {product.note}; choose an inclinometer.")
        client = BleakClient(
            found,
            disconnected_callback=self._on_disconnect,
            timeout=20.0,
            backend=self._client_backend or ble_scan.CLIENT_BACKEND,
        )
        await client.connect()
        if client.services.get_characteristic(ble.NOTIFY_UUID) is None:
            await client.disconnect()
            raise ProtocolMismatchError(
                f"{name or self.address} has no WitMotion data characteristic; it is not a "
                "WitMotion BLE inclinometer."
            )
        self._client = client
        self._reply_event = asyncio.Event()
        self._codec.reset()
        await client.start_notify(ble.NOTIFY_UUID, self._on_notify)
        await self._identify(name)
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.get_running_loop().create_task(self._watch())
        if self._paused:
            await self._set_notify(False)

    async def _identify(self, name: str) -> None:
        started, frames = time.monotonic(), self._codec.frames
        await asyncio.sleep(LISTEN_S)
        if self._codec.foreign_layout:
            raise ProtocolMismatchError(
                f"{name or self.address} sends another product's layout (28-byte frames: a "
                "WTVB01 vibration sensor?); it is not an inclinometer."
            )
        heard = self._codec.frames - frames
        measured = snap_rate(heard / (time.monotonic() - started)) if heard >= 2 else 0.0
        rate_code = await self._read_register(wire.REG_RRATE)
        version = await self._read_register(wire.REG_VERSION)
        power = await self._read_register(ble.REG_POWER)
        percent = await self._battery_percent()
        nominal = RATE_BY_CODE.get(rate_code, 0.0) if rate_code is not None else 0.0
        self._codec.output_rate_hz = nominal or measured or 10.0
        self._update_info(
            model=name or "WitMotion BLE inclinometer",
            firmware=f"{version:#06x}" if version is not None else "",
            nominal_rate_hz=nominal,
            measured_rate_hz=measured,
            listen_only=rate_code is None,
            battery=ble.battery_text(percent, power),
            extra={**self._info.extra, "link": "Bluetooth LE"},
        )

    async def _read_register(self, register: int) -> int | None:
        """First register of a ``55 71`` reply to ``FF AA 27 <register> 00`` (None: no reply)."""
        client, event = self._client, self._reply_event
        if client is None or event is None:
            return None
        self._replies.clear()
        event.clear()
        await client.write_gatt_char(
            ble.WRITE_UUID, wire.cmd_read_registers(register), response=False
        )
        deadline = time.monotonic() + READ_TIMEOUT_S
        while time.monotonic() < deadline:
            for start, values in self._replies:
                if start == register:
                    return values[0]
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
        return None

    async def _battery_percent(self) -> int | None:
        client = self._client
        if client is None or client.services.get_characteristic(ble.BATTERY_LEVEL_UUID) is None:
            return None
        try:
            value = await client.read_gatt_char(ble.BATTERY_LEVEL_UUID)
        except Exception:  # an optional extra: never a reason to fail
            log.debug("battery read failed", exc_info=True)
            return None
        return int(value[0]) if value else None

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.disconnect()
            except Exception:
                log.debug("BLE disconnect failed", exc_info=True)

    async def _set_notify(self, on: bool) -> None:
        client = self._client
        if client is None or not client.is_connected:
            return
        try:
            if on:
                await client.start_notify(ble.NOTIFY_UUID, self._on_notify)
            else:
                await client.stop_notify(ble.NOTIFY_UUID)
        except Exception as exc:
            log.info("BLE notify %s failed: %s", "on" if on else "off", exc)

    # ------------------------------------------------------------------ data and loss
    def _on_notify(self, _sender: Any, data: bytearray) -> None:
        now = time.monotonic()
        self._last_data_t = now
        batch = self._codec.feed(bytes(data), now)
        if batch.registers:
            self._replies.extend(batch.registers)
            if self._reply_event is not None:
                self._reply_event.set()
        samples = batch.samples
        if not len(samples) or not self._streaming or self._paused:
            return
        z = self.zero_offsets
        if z.angle_x_deg or z.angle_y_deg or z.tibia_deg:
            samples["angle_x_deg"] -= z.angle_x_deg
            samples["angle_y_deg"] -= z.angle_y_deg
            samples["tibia_deg"] -= z.tibia_deg
        self.buffer.append(samples)
        self._track_rate(len(samples), now)

    def _track_rate(self, count: int, now: float) -> None:
        window = self._rate_window
        if window is None:
            self._rate_window = (now, 0)
            return
        started, seen = window[0], window[1] + count
        if now - started < 2.0:
            self._rate_window = (started, seen)
            return
        self._rate_window = (now, 0)
        rate = snap_rate(seen / (now - started))
        if abs(rate - self._info.measured_rate_hz) > 0.03 * rate:
            self._update_info(measured_rate_hz=rate)

    def _on_disconnect(self, _client: Any) -> None:
        if self._closing or self._client is None:
            return
        self._client = None
        self._lost("the Bluetooth link dropped")

    def _lost(self, reason: str) -> None:
        log.info("BLE inclinometer %s lost: %s", self.address, reason)
        self._set_state(
            DeviceState.LOST,
            "The Bluetooth inclinometer stopped answering (out of range, switched off or "
            "battery empty?). The samples so far are kept; DorsiLab reconnects when it is back.",
        )
        loop = self._worker.loop
        if not self._reconnect or loop is None:
            return
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = loop.create_task(self._reconnect_loop())

    async def _watch(self) -> None:
        """Silence while streaming is a loss too (a sensor can stop without a disconnect)."""
        while not self._closing:
            await asyncio.sleep(0.25)
            rate = self._info.rate_hz
            limit = max(1.0, 5.0 / rate) if rate else 2.0
            silent = time.monotonic() - self._last_data_t > limit
            if self._client is not None and self._streaming and not self._paused and silent:
                client, self._client = self._client, None
                try:
                    await client.disconnect()
                except Exception:
                    log.debug("disconnect after silence failed", exc_info=True)
                self._lost(f"no data for {limit:.1f} s")

    async def _reconnect_loop(self) -> None:
        self._set_state(DeviceState.RECONNECTING, "Bluetooth inclinometer lost, reconnecting…")
        delay = 0.2
        while not self._closing:
            try:
                await self._connect()
            except Exception as exc:
                log.debug("BLE reconnect failed: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 1.6, 5.0)
                continue
            self._last_data_t = time.monotonic()
            if self._streaming and not self._paused:
                self._set_state(DeviceState.STREAMING, "Bluetooth inclinometer is back.")
            else:
                self._set_state(DeviceState.CONNECTED, "Bluetooth inclinometer is back.")
            self._last_error = ""
            return

    def _streaming_message(self) -> str:
        rate = self._info.rate_hz
        return f"Streaming {rate:g} Hz over Bluetooth." if rate else "Streaming over Bluetooth."
