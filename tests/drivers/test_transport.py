"""Opening ports, error messages, port identity after an unplug, and protocol probing."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import pytest
import serial

from drivers.base import DeviceError, PortBusyError, PortNotFoundError
from drivers.emulators.lineplate import LinePlateEmulator
from drivers.emulators.rion import RionEmulator
from drivers.emulators.witmotion import WitEmulator
from drivers.transport import (
    PortIdentity,
    PortInfo,
    find_port,
    list_ports,
    map_serial_error,
    open_port,
    probe_port,
)


def test_missing_port_says_to_plug_it_in(tmp_path: Path) -> None:
    with pytest.raises(PortNotFoundError, match="plugged in"):
        open_port(str(tmp_path / "ttyUSB9"))


def test_second_open_of_a_port_is_reported_busy(tmp_path: Path) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyV0") as emu:
        first = open_port(emu.port)
        try:
            with pytest.raises(PortBusyError, match="in use by another program"):
                open_port(emu.port)
        finally:
            first.close()


def test_permission_denied_mentions_dialout_on_linux() -> None:
    error = map_serial_error(
        serial.SerialException(errno.EACCES, "could not open port /dev/ttyUSB0: Permission"),
        "/dev/ttyUSB0",
    )
    assert isinstance(error, DeviceError)
    if sys.platform.startswith("linux"):
        assert "dialout" in str(error)


def test_url_handlers_open_and_unknown_schemes_are_explained() -> None:
    port = open_port("loop://")
    try:
        port.write(b"abc")
        assert port.read(3) == b"abc"
    finally:
        port.close()
    with pytest.raises(PortNotFoundError, match="not a port name"):
        open_port("nosuch://x")


def test_listing_is_injectable_and_sorted() -> None:
    ports = [
        PortInfo("/dev/ttyUSB1", 0x1A86, 0x7523, "A1", "1-1.2:1.0", "USB Serial"),
        PortInfo("/dev/ttyACM0", 0x2341, 0x0043, "", "1-1.3:1.0", "Arduino Uno"),
    ]
    listed = list_ports(lambda: ports)
    assert [p.device for p in listed] == ["/dev/ttyACM0", "/dev/ttyUSB1"]
    assert listed[1].vid_pid == "1A86:7523"
    assert PortInfo("/dev/ttyS0").vid_pid == ""


def test_same_device_is_found_by_serial_then_location_then_path(tmp_path: Path) -> None:
    before = [PortInfo("/dev/ttyUSB0", 0x1A86, 0x7523, "SN1", "1-1.2:1.0")]
    identity = PortIdentity.of("/dev/ttyUSB0", before)
    assert identity == PortIdentity("/dev/ttyUSB0", "SN1", "1-1.2:1.0")
    # Re-enumerated under another name after an unplug: found by serial number.
    after = [
        PortInfo("/dev/ttyUSB0", 0x10C4, 0xEA60, "OTHER", "1-1.4:1.0"),
        PortInfo("/dev/ttyUSB1", 0x1A86, 0x7523, "SN1", "1-1.3:1.0"),
    ]
    assert find_port(identity, after) == "/dev/ttyUSB1"
    assert find_port(identity, after[:1]) is None
    # No serial number: the same USB socket.
    by_socket = PortIdentity("/dev/ttyUSB0", "", "1-1.2:1.0")
    assert find_port(by_socket, [PortInfo("/dev/ttyUSB3", location="1-1.2:1.0")]) == (
        "/dev/ttyUSB3"
    )
    # A pty (never listed): the same path, when it exists again.
    link = tmp_path / "ttyV0"
    pty_identity = PortIdentity.of(str(link), [])
    assert find_port(pty_identity, []) is None
    with LinePlateEmulator(link=link):
        assert find_port(pty_identity, []) == str(link)


@pytest.mark.parametrize(
    ("factory", "protocol", "baud"),
    [
        (lambda p: WitEmulator(link=p, device_baud=9600, rate_hz=20), "witmotion", 9600),
        (lambda p: RionEmulator(link=p), "rion", 9600),
        (lambda p: LinePlateEmulator(link=p, streaming=False), "lineplate", 115200),
    ],
)
def test_probe_tells_the_protocol(tmp_path: Path, factory, protocol: str, baud: int) -> None:  # type: ignore[no-untyped-def]
    with factory(tmp_path / "ttyP") as emu:
        result = probe_port(emu.port)
    assert (result.protocol, result.baudrate) == (protocol, baud)
    assert result.detail


def test_probe_of_a_silent_or_missing_port(tmp_path: Path) -> None:
    missing = probe_port(str(tmp_path / "nothing"))
    assert missing.protocol is None and "no port" in missing.detail.lower()
    with WitEmulator(link=tmp_path / "ttyQ") as emu:
        emu.faults.mute = True
        emu.faults.ignore_commands = True
        silent = probe_port(emu.port, listen_s=0.2)
    assert silent.protocol is None and "no known protocol" in silent.detail
