"""The wireless shin sensor (issue 16 §2): BLE codec and the device behind bleak's interface.

No adapter exists here, so the device runs the real ``BleakClient``/``BleakScanner`` on the
fake backends of :mod:`drivers.emulators.witmotion_ble`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from drivers import ble_scan
from drivers.base import DeviceError, DeviceState
from drivers.codecs import witmotion_ble as ble
from drivers.emulators.witmotion_ble import (
    PERIPHERALS,
    FakeBleakClient,
    FakeBleakScanner,
    FakeWitPeripheral,
)
from drivers.witmotion_ble import WitMotionBleDevice
from tests.drivers.helpers import assert_contiguous_run, hx, wait_for

REAL = hx("55 61 77 02 A8 FE 92 FE 06 02 30 FE CD FF F8 F0 53 FC AB C4")
"""A WT901BLECL notification (devices.md §1.9)."""


def _codec(rate: float = 10.0, lock: int = 1) -> ble.WitBleCodec:
    codec = ble.WitBleCodec(output_rate_hz=rate)
    codec._angle.lock_count = lock
    return codec


# ---------------------------------------------------------------------- codec
def test_a_real_notification_decodes_to_the_documented_values() -> None:
    samples = _codec().feed(REAL, 3.0).samples
    assert len(samples) == 1
    np.testing.assert_allclose(
        [samples["angle_x_deg"][0], samples["angle_y_deg"][0], samples["angle_z_deg"][0]],
        [-21.14, -5.17, -83.44],
        atol=0.01,
    )
    assert samples["t_host_s"][0] == 3.0 and samples["seq"][0] == -1


def test_register_reply_of_the_manual() -> None:
    reply = hx("55 71 3A 00 68 01 69 00 7A 00 00 00 00 00 00 00 00 00 00 00")
    batch = _codec().feed(reply)
    assert batch.registers == [(0x3A, (360, 105, 122, 0, 0, 0, 0, 0))]
    assert len(batch.samples) == 0


def test_truncated_split_packed_and_garbage_notifications() -> None:
    codec = _codec()
    assert len(codec.feed(REAL[:12]).samples) == 0  # truncated: waits for the rest
    assert len(codec.feed(REAL[12:]).samples) == 1  # completed by the next notification
    assert len(codec.feed(REAL + REAL).samples) == 2  # a larger MTU packs two
    before = codec.garbage_bytes
    assert len(codec.feed(b"\x00\x13garbage!").samples) == 0
    assert codec.garbage_bytes == before + 10
    assert len(codec.feed(b"\x99" + REAL).samples) == 1  # resync after a stray byte


def test_the_vibration_sensors_28_byte_0x61_layout_is_refused() -> None:
    codec = _codec()
    assert len(codec.feed(bytes((0x55, 0x61)) + bytes(26)).samples) == 0
    assert codec.foreign_layout == 1
    assert ble.product_for("WTVB01-BT50").inclinometer is False
    assert ble.product_for("WT901BLE68").inclinometer is True
    assert ble.product_for("Fitbit") is None


def test_impossible_frames_are_rejected_without_a_checksum() -> None:
    codec = _codec(rate=50.0, lock=3)
    level = [ble.encode_data([0, 0, 1], [0, 0, 0], [0.0, -60.0 + 0.1 * i, 0]) for i in range(6)]
    assert sum(len(codec.feed(n).samples) for n in level) == 4  # two withheld while locking
    spike = ble.encode_data([0, 0, 1], [0, 0, 0], [0.0, 30.0, 0])  # 90° in 20 ms
    heavy = ble.encode_data([12, 0, 0], [0, 0, 0], [0.0, -59.3, 0])  # 12 g while still
    assert len(codec.feed(spike).samples) == 0 and len(codec.feed(heavy).samples) == 0
    assert codec.implausible == 2


def test_noise_soak_never_yields_a_sample() -> None:
    rng = np.random.default_rng(16)
    codec = ble.WitBleCodec(output_rate_hz=50.0)
    produced = 0
    for _ in range(5000):
        body = rng.integers(0, 256, 18, dtype=np.uint8).tobytes()
        produced += len(codec.feed(bytes((0x55, 0x61)) + body).samples)
        produced += len(codec.feed(rng.integers(0, 256, 20, dtype=np.uint8).tobytes()).samples)
    assert produced == 0
    assert codec.implausible + codec.unconfirmed > 0


# ---------------------------------------------------------------------- device
@pytest.fixture
def sensor() -> Iterator[FakeWitPeripheral]:
    peripheral = FakeWitPeripheral(rate_hz=50.0).register()
    yield peripheral
    peripheral.unregister()


def _device(address: str, **kwargs: object) -> WitMotionBleDevice:
    return WitMotionBleDevice(
        address, client_backend=FakeBleakClient, scanner_backend=FakeBleakScanner, **kwargs
    )


def test_scan_connect_identify_and_stream(sensor: FakeWitPeripheral) -> None:
    device = _device(sensor.address)
    device.open()
    try:
        info = device.info
        assert info.model == "WT901BLE68" and info.firmware == "0x2021"
        assert info.nominal_rate_hz == 50.0 and info.measured_rate_hz == 50.0
        assert info.battery == "80 %" and not info.listen_only
        device.start()
        assert device.state is DeviceState.STREAMING
        assert wait_for(lambda: device.buffer.total >= 40)
    finally:
        device.close()
    assert device.state is DeviceState.DISCONNECTED
    got = device.buffer.latest(device.buffer.total)
    received = np.column_stack((got["angle_x_deg"], got["angle_y_deg"], got["angle_z_deg"]))
    assert_contiguous_run(received, np.array(sensor.sent_angles), atol=1e-9)
    assert got["tibia_deg"].min() >= 0.0 and got["tibia_deg"].max() <= 40.1
    # Looking never writes: only register reads went to the sensor.
    assert sensor.written and all(w[:3] == b"\xff\xaa\x27" for w in sensor.written)


def test_a_drop_is_reported_and_the_sensor_reconnects_by_itself(
    sensor: FakeWitPeripheral,
) -> None:
    device = _device(sensor.address)
    states: list[DeviceState] = []
    device.add_state_listener(lambda state, _message: states.append(state))
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 10)
        sensor.drop()
        assert wait_for(lambda: device.state is DeviceState.RECONNECTING)
        assert "out of range" in device.last_error
        kept = device.buffer.total
        time.sleep(0.3)
        sensor.come_back()
        assert wait_for(lambda: device.state is DeviceState.STREAMING, 10.0)
        assert wait_for(lambda: device.buffer.total >= kept + 20)
        assert sensor.connections == 2
        sensor.mute()  # switched off without a disconnect: silence is a loss too
        assert wait_for(lambda: DeviceState.LOST in states[states.index(DeviceState.LOST) + 1 :])
        sensor.mute(False)
        assert wait_for(lambda: device.state is DeviceState.STREAMING, 10.0)
    finally:
        device.close()
    assert states.count(DeviceState.LOST) == 2


def test_zero_pause_and_resume(sensor: FakeWitPeripheral) -> None:
    sensor.peak_deg, sensor.ramp_s, sensor.hold_s = 91.2, 0.001, 1e6  # lying flat
    device = _device(sensor.address)
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 5)
        offsets = device.zero(seconds=0.3)
        assert offsets.tibia_deg == pytest.approx(1.2, abs=0.05)
        device.pause()
        assert device.state is DeviceState.CONNECTED
        time.sleep(0.2)
        total = device.buffer.total
        time.sleep(0.4)
        assert device.buffer.total == total
        device.resume()
        assert wait_for(lambda: device.buffer.total >= total + 10)
        after = device.buffer.latest(5)
        np.testing.assert_allclose(after["tibia_deg"], 90.0, atol=0.05)
    finally:
        device.close()


def test_products_and_firmware_without_read_back() -> None:
    vibration = FakeWitPeripheral("C0:FF:EE:00:00:02", name="WTVB01-BT50").register()
    disguised = FakeWitPeripheral(
        "C0:FF:EE:00:00:03", name="WT901BLE67", vibration_layout=True
    ).register()
    quiet = FakeWitPeripheral(
        "C0:FF:EE:00:00:04", answers_reads=False, battery_percent=None, rate_hz=20.0
    ).register()
    try:
        with pytest.raises(DeviceError, match="vibration sensor"):
            _device(vibration.address).open()
        with pytest.raises(DeviceError, match="28-byte"):
            _device(disguised.address).open()
        device = _device(quiet.address)
        device.open()
        try:
            assert device.info.listen_only and device.info.firmware == ""
            assert device.info.measured_rate_hz == 20.0 and device.info.battery == ""
        finally:
            device.close()
        with pytest.raises(DeviceError, match="No Bluetooth sensor"):
            _device("C0:FF:EE:00:00:99").open()
    finally:
        for peripheral in (vibration, disguised, quiet):
            peripheral.unregister()


def test_scan_lists_inclinometers_first_and_says_what_the_others_are(
    sensor: FakeWitPeripheral, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = FakeWitPeripheral("C0:FF:EE:00:00:05", name="WTVB01-BT50").register()
    monkeypatch.setattr(ble_scan, "SCANNER_BACKEND", FakeBleakScanner)
    try:
        found = ble_scan.scan(0.3)
    finally:
        other.unregister()
    assert [s.address for s in found] == [sensor.address, other.address]
    assert found[0].supported and "not usable: a vibration sensor" in found[1].description


class _NoAdapter(FakeBleakScanner):
    async def start(self) -> None:
        raise FileNotFoundError(2, "No such file or directory")  # no BlueZ D-Bus socket


def test_no_adapter_is_said_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not PERIPHERALS
    monkeypatch.setattr(ble_scan, "SCANNER_BACKEND", _NoAdapter)
    with pytest.raises(DeviceError, match="Bluetooth is not available on this computer"):
        ble_scan.scan(0.2)
