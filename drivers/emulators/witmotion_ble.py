"""A WitMotion BLE 5.0 inclinometer in software, behind bleak's own backend interface.

There is no Bluetooth adapter in a test run, so the radio is replaced where bleak itself
allows it: :class:`FakeBleakClient` and :class:`FakeBleakScanner` implement bleak's
``BaseBleakClient`` / ``BaseBleakScanner`` and are passed as ``backend=`` to the real
``BleakClient`` / ``BleakScanner`` (the driver under test runs bleak's own front-end code).
They talk to :class:`FakeWitPeripheral` objects registered in :data:`PERIPHERALS`:

* notifications of ``0000ffe4-…`` at ``rate_hz`` from the scripted lunge of the serial
  emulator (the same pose, encoded as ``55 61`` frames);
* register reads written to ``0000ffe9-…`` (``FF AA 27 <reg> 00``) answered with ``55 71``
  (rate 0x03, version 0x2E, power 0x64) unless ``answers_reads`` is False; every write is
  kept in ``written``;
* an optional standard Battery Level characteristic (``battery_percent``);
* faults: :meth:`FakeWitPeripheral.drop` (out of range: disconnect callback, no adverts)
  and :meth:`~FakeWitPeripheral.come_back`, :meth:`~FakeWitPeripheral.mute` (notifications
  stop, link up), :meth:`~FakeWitPeripheral.inject` (raw garbage or truncated notifications);
* ``vibration_layout`` makes it a WTVB01 that sends 28-byte ``0x61`` frames.

What this cannot reproduce: radio range and interference, connection intervals and
notification batching by a real controller, OS pairing prompts, adapter power states.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError

from drivers.codecs import witmotion_ble as ble
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.tilt import euler_from_gravity, up_for_tilt
from drivers.emulators.base import scripted_lunge_deg

PERIPHERALS: dict[str, FakeWitPeripheral] = {}
"""Address → peripheral "in range" of the fake adapter."""
BATTERY_SERVICE_UUID = "0000180f-0000-1000-8000-00805f9b34fb"


class FakeWitPeripheral:
    """A WT901BLECL (or WTVB01) without a radio; register it with :meth:`register`."""

    def __init__(
        self,
        address: str = "C0:FF:EE:00:00:01",
        *,
        name: str = "WT901BLE68",
        rate_hz: float = 50.0,
        peak_deg: float = 40.0,
        ramp_s: float = 1.0,
        hold_s: float = 0.5,
        battery_percent: int | None = 80,
        power_register: int = 395,
        version: int = 0x2021,
        answers_reads: bool = True,
        vibration_layout: bool = False,
    ) -> None:
        self.address = address
        self.name = name
        self.rate_hz = rate_hz
        self.peak_deg, self.ramp_s, self.hold_s = peak_deg, ramp_s, hold_s
        self.battery_percent = battery_percent
        self.power_register = power_register
        self.version = version
        self.answers_reads = answers_reads
        self.vibration_layout = vibration_layout
        self.advertising = True
        self.muted = False
        self.written: list[bytes] = []
        self.sent_angles: list[tuple[float, float, float]] = []
        self.connections = 0
        self._client: FakeBleakClient | None = None
        self._lock = threading.Lock()
        self._t0: float | None = None

    def register(self) -> FakeWitPeripheral:
        """Put it "in range" of the fake adapter (returns self)."""
        PERIPHERALS[self.address] = self
        return self

    def unregister(self) -> None:
        """Take it away for good."""
        PERIPHERALS.pop(self.address, None)

    # ------------------------------------------------------------------ faults
    def drop(self) -> None:
        """Out of range: the link drops (bleak's disconnect callback) and adverts stop."""
        self.advertising = False
        client = self._client
        if client is not None:
            client.lose_link()

    def come_back(self) -> None:
        """Back in range: it advertises again."""
        self.advertising = True

    def mute(self, muted: bool = True) -> None:
        """Stop (or restart) sending notifications while the link stays up."""
        self.muted = muted

    def inject(self, payload: bytes) -> None:
        """Send one raw notification (garbage, a truncated frame …)."""
        client = self._client
        if client is not None:
            client.notify(payload)

    # ------------------------------------------------------------------ behaviour
    def frame_at(self, t: float) -> bytes:
        """The notification of the scripted lunge at ``t`` seconds."""
        tilt = scripted_lunge_deg(t, self.peak_deg, self.ramp_s, self.hold_s)
        up = up_for_tilt(tilt, "x", "-z")
        roll, pitch = euler_from_gravity(up)[0]
        angles = np.array([roll, pitch, 12.0])
        if self.vibration_layout:
            return bytes((0x55, 0x61)) + bytes(26)
        raw = np.clip(np.rint(wire.wrap_deg(angles) / 180.0 * 32768), -32768, 32767)
        with self._lock:
            a = raw * 180.0 / 32768
            self.sent_angles.append((float(a[0]), float(a[1]), float(a[2])))
        return ble.encode_data(up[0], np.zeros(3), angles)

    def on_write(self, data: bytes) -> bytes | None:
        """A command written by the host; the reply notification, if any."""
        self.written.append(bytes(data))
        if not self.answers_reads or len(data) != 5 or data[:3] != b"\xff\xaa\x27":
            return None
        register = data[3] | (data[4] << 8)
        values = {
            wire.REG_RRATE: wire.RATE_CODES.get(float(self.rate_hz), 0),
            wire.REG_VERSION: self.version,
            ble.REG_POWER: self.power_register,
        }
        return ble.encode_registers(register, [values.get(register + i, 0) for i in range(8)])

    def services(self) -> BleakGATTServiceCollection:
        """The GATT table: WitMotion service, and the battery service when it has one."""
        collection = BleakGATTServiceCollection()
        service = BleakGATTService(None, 10, ble.SERVICE_UUID)
        collection.add_service(service)
        characteristics: list[tuple[int, str, list[Any]]] = [
            (11, ble.NOTIFY_UUID, ["notify"]),
            (14, ble.WRITE_UUID, ["write-without-response", "write"]),
        ]
        for handle, uuid, props in characteristics:
            collection.add_characteristic(
                BleakGATTCharacteristic(None, handle, uuid, props, lambda: 20, service)
            )
        if self.battery_percent is not None:
            battery = BleakGATTService(None, 20, BATTERY_SERVICE_UUID)
            collection.add_service(battery)
            collection.add_characteristic(
                BleakGATTCharacteristic(
                    None, 21, ble.BATTERY_LEVEL_UUID, ["read"], lambda: 20, battery
                )
            )
        return collection


class FakeBleakClient(BaseBleakClient):
    """bleak client backend connected to a :class:`FakeWitPeripheral` (module docstring)."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._peripheral: FakeWitPeripheral | None = None
        self._connected = False
        self._callback: NotifyCallback | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self._peripheral.name if self._peripheral is not None else self.address

    @property
    def mtu_size(self) -> int:
        return 23

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        peripheral = PERIPHERALS.get(self.address)
        if peripheral is None or not peripheral.advertising:
            raise BleakError(f"Device with address {self.address} was not found.")
        self._peripheral = peripheral
        self._loop = asyncio.get_running_loop()
        self.services = peripheral.services()
        self._connected = True
        peripheral._client = self
        peripheral.connections += 1

    async def disconnect(self) -> None:
        self._stop_stream()
        self._connected = False
        if self._peripheral is not None and self._peripheral._client is self:
            self._peripheral._client = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        peripheral = self._require()
        if (
            characteristic.uuid == ble.BATTERY_LEVEL_UUID
            and peripheral.battery_percent is not None
        ):
            return bytearray((peripheral.battery_percent,))
        raise BleakError(f"characteristic {characteristic.uuid} cannot be read")

    async def read_gatt_descriptor(self, descriptor: Any, **kwargs: Any) -> bytearray:
        raise BleakError("no descriptors")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        reply = self._require().on_write(bytes(data))
        if reply is not None and self._loop is not None:
            self._loop.call_later(0.01, self.notify, reply)

    async def write_gatt_descriptor(self, descriptor: Any, data: Any) -> None:
        raise BleakError("no descriptors")

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        self._require()
        self._callback = callback
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._stream())

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._stop_stream()

    # ------------------------------------------------------------------ fake radio
    def notify(self, payload: bytes) -> None:
        """Deliver a notification in the client's event loop."""
        loop = self._loop
        if loop is None or not self._connected:
            return
        loop.call_soon_threadsafe(self._deliver, payload)

    def _deliver(self, payload: bytes) -> None:
        if self._callback is not None and self._connected:
            self._callback(bytearray(payload))

    def lose_link(self) -> None:
        """The radio link dropped: bleak calls the disconnect callback."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._lost)

    def _lost(self) -> None:
        if not self._connected:
            return
        self._stop_stream()
        self._connected = False
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    def _stop_stream(self) -> None:
        self._callback = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _stream(self) -> None:
        peripheral = self._require()
        loop = asyncio.get_running_loop()
        if peripheral._t0 is None:
            peripheral._t0 = loop.time()
        next_t = loop.time()
        while self._connected:
            next_t += 1.0 / peripheral.rate_hz
            await asyncio.sleep(max(0.0, next_t - loop.time()))
            if not peripheral.muted:
                self._deliver(peripheral.frame_at(loop.time() - peripheral._t0))

    def _require(self) -> FakeWitPeripheral:
        if self._peripheral is None or not self._connected:
            raise BleakError("Not connected")
        return self._peripheral


class FakeBleakScanner(BaseBleakScanner):
    """bleak scanner backend that "hears" the advertising peripherals of :data:`PERIPHERALS`."""

    def __init__(
        self,
        detection_callback: Any,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._advertise())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _advertise(self) -> None:
        while True:
            for peripheral in list(PERIPHERALS.values()):
                if not peripheral.advertising:
                    continue
                adv = AdvertisementData(
                    local_name=peripheral.name,
                    manufacturer_data={},
                    service_data={},
                    service_uuids=[ble.SERVICE_UUID],
                    tx_power=None,
                    rssi=-58,
                    platform_data=(),
                )
                if not self.is_allowed_uuid(adv.service_uuids):
                    continue
                device = self.create_or_update_device(
                    peripheral.address, peripheral.address, peripheral.name, peripheral, adv
                )
                self.call_detection_callbacks(device, adv)
            await asyncio.sleep(0.05)
