"""Line-protocol force plate over a real pty: identity, forces, COP, gaps, clock, calibration."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from drivers.base import DeviceError, DeviceState
from drivers.calibration import (
    STANDARD_GRAVITY,
    WII_BALANCE_BOARD,
    CalibrationStore,
    PlateCalibration,
    PlateGeometry,
    centre_of_pressure,
)
from drivers.emulators.lineplate import LinePlateEmulator
from drivers.lineplate import LinePlateDevice
from tests.drivers.helpers import wait_for

CELL_COLUMNS = ("tr_n", "br_n", "tl_n", "bl_n")


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[LinePlateEmulator]:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=500) as emulator:
        yield emulator


def _stream(device: LinePlateDevice, count: int) -> np.ndarray:
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= count)
    finally:
        device.close()
    return device.buffer.latest(device.buffer.total)


def test_identifies_the_plate(emu: LinePlateEmulator, tmp_path: Path) -> None:
    device = LinePlateDevice(emu.port, rate_hz=250, calibration_dir=tmp_path)
    device.open()
    try:
        info = device.info
    finally:
        device.close()
    assert (info.model, info.firmware, info.serial_number) == (
        "DorsiLab-FP4",
        "1.2.0",
        "FP-000123",
    )
    assert info.nominal_rate_hz == 250.0 and emu.rate_hz == 250
    assert info.extra["units"] == "g" and info.extra["calibrated"] is False


def test_forces_and_cop_match_what_the_plate_sent(emu: LinePlateEmulator) -> None:
    got = _stream(LinePlateDevice(emu.port), 300)
    sent = np.array(emu.sent, dtype=np.int64)
    index = np.searchsorted(sent[:, 0], got["seq"] % (1 << 32))
    assert np.array_equal(sent[index, 0], got["seq"])
    grams = sent[index, 2:6].astype(np.float64)
    cells = grams * STANDARD_GRAVITY / 1000.0
    np.testing.assert_allclose(np.column_stack([got[c] for c in CELL_COLUMNS]), cells)
    # Independent evaluation of the 4-cell COP formula (clinical.md §2.3(a)), 400 × 400 mm.
    tr, br, tl, bl = cells.T
    fz = cells.sum(axis=1)
    np.testing.assert_allclose(got["fz_n"], fz)
    np.testing.assert_allclose(got["cop_x_mm"], 200.0 * ((tr + br) - (tl + bl)) / fz)
    np.testing.assert_allclose(got["cop_y_mm"], 200.0 * ((tr + tl) - (br + bl)) / fz)
    assert got["fz_n"].mean() == pytest.approx(70 * STANDARD_GRAVITY, rel=0.01)
    np.testing.assert_allclose(got["t_dev_s"], sent[index, 1] / 1e6)
    assert device_lost(got) == 0


def device_lost(got: np.ndarray) -> int:
    return int((np.diff(got["seq"]) - 1).sum())


def test_cop_is_undefined_below_the_minimum_load(emu: LinePlateEmulator) -> None:
    emu.mass_kg = 1.5  # ≈ 14.7 N < 20 N
    got = _stream(LinePlateDevice(emu.port), 50)
    assert np.all(got["fz_n"] < 20.0)
    assert np.isnan(got["cop_x_mm"]).all() and np.isnan(got["cop_y_mm"]).all()
    fz, cop_x, _ = centre_of_pressure(np.array([[5.0, 5.0, 5.0, 5.1]]), WII_BALANCE_BOARD)
    assert fz[0] == pytest.approx(20.1) and np.isfinite(cop_x[0])


def test_sequence_gaps_are_lost_samples(emu: LinePlateEmulator) -> None:
    device = LinePlateDevice(emu.port)
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 50)
        emu.skip(7)
        total = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= total + 50)
        assert device.lost_samples == 7
    finally:
        device.close()
    assert device_lost(device.buffer.latest(device.buffer.total)) == 7


def test_device_clock_and_seq_unwrap_past_two_to_the_32(tmp_path: Path) -> None:
    with LinePlateEmulator(
        link=tmp_path / "ttyW", rate_hz=1000, t_us_start=(1 << 32) - 150_000
    ) as emu:
        emu._seq = (1 << 32) - 100  # the board has been running for 50 days
        got = _stream(LinePlateDevice(emu.port), 400)
    assert got["t_dev_s"][-1] > (1 << 32) / 1e6
    assert np.all(np.diff(got["t_dev_s"]) > 0)
    assert got["seq"][-1] >= 1 << 32
    assert np.all(np.diff(got["seq"]) == 1)


def test_tare_zeroes_the_load(emu: LinePlateEmulator) -> None:
    device = LinePlateDevice(emu.port)
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 10)
        emu.sway_mm = (0.0, 0.0)
        device.tare()
        cursor = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= cursor + 50)
        after, _, _ = device.buffer.read_new(cursor)
        assert abs(float(np.median(after["fz_n"]))) < 2.0
        assert np.isnan(after["cop_x_mm"]).all()
        assert np.abs(device.cell_values(0.05)).max() < 100  # grams
    finally:
        device.close()


def test_known_mass_calibration_per_cell_is_stored_by_serial(tmp_path: Path) -> None:
    spacing = 400.0
    corners = [(spacing / 2, spacing / 2), (spacing / 2, -spacing / 2)]
    corners += [(-spacing / 2, spacing / 2), (-spacing / 2, -spacing / 2)]
    with LinePlateEmulator(
        link=tmp_path / "ttyCAL", rate_hz=500, units="counts", sway_mm=(0.0, 0.0), noise_n=0.0
    ) as emu:
        device = LinePlateDevice(emu.port, calibration_dir=tmp_path)
        device.open()
        try:
            assert "not been calibrated" in device.last_error
            device.start()
            emu.mass_kg = 0.0
            assert wait_for(lambda: device.buffer.total >= 10)
            device.tare()
            for cell, (x, y) in enumerate(corners):
                emu.mass_kg, emu.cop_mm = 10.0, (x, y)
                time.sleep(0.15)
                device.calibrate_cell(cell, 10.0, seconds=0.05)
        finally:
            device.close()
        expected = 1.0 / emu.counts_per_n
        np.testing.assert_allclose(device.calibration.scales, expected, rtol=1e-3)
        stored = CalibrationStore(tmp_path).load("FP-000123")
        assert stored is not None and stored.is_calibrated and stored.unit == "counts"
        # A new session with the same plate uses the stored calibration: 70 kg in newtons.
        emu.mass_kg, emu.cop_mm, emu.sway_mm = 70.0, (0.0, 0.0), (5.0, 5.0)
        again = LinePlateDevice(emu.port, calibration_dir=tmp_path)
        got = _stream(again, 50)
    assert again.info.extra["calibrated"] is True
    assert got["fz_n"].mean() == pytest.approx(70 * STANDARD_GRAVITY, rel=0.002)


def test_calibration_store_round_trip_and_damaged_file(tmp_path: Path) -> None:
    store = CalibrationStore(tmp_path)
    assert store.load("X") is None
    cal = PlateCalibration("X", "counts", [0.05, 0.048, 0.047, 0.051], WII_BALANCE_BOARD)
    cal.calibrate_cell(0, 20.0, 4000.0)
    store.save(cal)
    loaded = store.load("X")
    assert loaded is not None
    assert loaded.scales[0] == pytest.approx(20.0 * STANDARD_GRAVITY / 4000.0)
    assert loaded.geometry.spacing_x_mm == 433.0 and loaded.masses_kg[0] == 20.0
    assert json.loads(store.path.read_text())["version"] == 1
    store.path.write_text('{"plates": {"X": ')
    with pytest.raises(DeviceError, match="line 1, column"):
        store.load("X")
    with pytest.raises(ValueError, match="positive"):
        PlateGeometry(0.0, 238.0)
    with pytest.raises(DeviceError, match="did not respond"):
        cal.calibrate_cell(1, 10.0, 0.0)
    with pytest.raises(DeviceError, match="wired the wrong way"):
        cal.calibrate_cell(1, 10.0, -2000.0)


def test_geometry_preset_changes_the_cop_scale(emu: LinePlateEmulator, tmp_path: Path) -> None:
    emu.geometry = WII_BALANCE_BOARD  # the plate spreads load like a WBB
    device = LinePlateDevice(emu.port, calibration_dir=tmp_path, geometry=WII_BALANCE_BOARD)
    got = _stream(device, 100)
    assert device.geometry == WII_BALANCE_BOARD
    assert device.info.extra["spacing_x_mm"] == 433.0
    np.testing.assert_allclose(
        got["cop_x_mm"],
        216.5 * ((got["tr_n"] + got["br_n"]) - (got["tl_n"] + got["bl_n"])) / got["fz_n"],
    )


def test_refused_command_and_not_a_plate(emu: LinePlateEmulator) -> None:
    device = LinePlateDevice(emu.port)
    device.open()
    try:
        with pytest.raises(ValueError, match="1-1000"):
            device.set_rate(5000)
        device.set_rate(100)
        assert emu.rate_hz == 100 and device.info.nominal_rate_hz == 100.0
    finally:
        device.close()
    emu.faults.ignore_commands = True
    with pytest.raises(DeviceError, match="No DorsiLab force plate"):
        LinePlateDevice(emu.port).open()
    assert DeviceState.ERROR.describe() == "error"


def test_open_async_close_twice_and_start_before_open(emu: LinePlateEmulator) -> None:
    device = LinePlateDevice(emu.port)
    with pytest.raises(DeviceError, match="not open"):
        device.start()
    results: list[DeviceError | None] = []
    device.open_async(results.append).join(10)
    assert results == [None] and device.state is DeviceState.CONNECTED
    device.close()
    device.close()
    assert device.state is DeviceState.DISCONNECTED
    failed: list[DeviceError | None] = []
    LinePlateDevice(emu.port + ".missing").open_async(failed.append).join(10)
    assert isinstance(failed[0], DeviceError) and "no port" in str(failed[0]).lower()


def test_a_1_khz_stream_is_read_in_batches_without_losing_a_sample(tmp_path: Path) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyFAST", rate_hz=1000) as emulator:
        device = LinePlateDevice(emulator.port, rate_hz=1000)
        sizes: list[int] = []
        decode = device._decode

        def counting(data: bytes, t_host: float) -> tuple[Any, list[Any]]:
            samples, replies = decode(data, t_host)
            if samples is not None:
                sizes.append(len(samples))
            return samples, replies

        device._decode = counting  # type: ignore[method-assign]
        samples = _stream(device, 600)
    seq = samples["seq"]
    assert np.array_equal(seq, np.arange(seq[0], seq[0] + len(seq)))  # none lost
    assert device.lost_samples == 0
    # Reads at least coalesce_s apart: several lines per decode call, not one per wake-up.
    assert len(sizes) < len(seq) / 2
    assert np.median(sizes) >= 3
