"""The Rion pty emulator itself, driven with bare pyserial and the codec."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from drivers.codecs import rion_wire as wire
from drivers.codecs.rion import decode_frames
from drivers.emulators.rion import TRUNCATED_CAPTURE, RionEmulator
from tests.drivers.helpers import ask, read_for


def answer_of(port: serial.Serial, request: bytes, size: int = 1) -> bytes:
    """Send ``request`` and read until ``size`` bytes or whole frames have come (at most 2 s).

    A fixed 100 ms window is too short when the machine is busy (the emulator's thread may
    not run for longer than that); a negative check still uses :func:`ask`'s window.
    """
    port.write(request)
    reply = b""
    for _ in range(200):
        reply += read_for(port, 0.01)
        if len(reply) >= size and (size > 1 or decode_frames(reply)):
            return reply
    return reply


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[RionEmulator]:
    with RionEmulator(link=tmp_path / "ttyRION", reply_delay_s=0.015) as emulator:
        yield emulator


def test_poll_reply_after_a_delay(emu: RionEmulator) -> None:
    with serial.Serial(emu.port, 9600, timeout=0.01) as port:
        port.write(wire.req_read_angles())
        assert port.read(20) == b""  # nothing yet: the device takes ~15 ms
        reply = ask(port, b"", 0.1)
    frames = decode_frames(reply)
    assert [f.command for f in frames] == [0x84]
    assert len(frames[0].data) == 6  # X and Y, 3 BCD bytes each
    assert emu.polls == 1


def test_zero_mode_and_faults(emu: RionEmulator) -> None:
    with serial.Serial(emu.port, 9600, timeout=0.01) as port:
        ack = decode_frames(answer_of(port, wire.req_set_zero(relative=True)))
        assert [(f.command, f.data) for f in ack] == [(0x85, b"\x00")]
        emu.truncate_next = True
        assert answer_of(port, wire.req_read_angles(), len(TRUNCATED_CAPTURE)) == TRUNCATED_CAPTURE
        emu.bad_checksum_next = True
        assert decode_frames(ask(port, wire.req_read_angles())) == []
        ask(port, wire.req_output_mode(auto=True), 0.01)
        # Until ten frames came (a loaded machine streams them later, not fewer of them).
        received = b""
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            received += port.read(4096)
            if sum(f.command == 0x84 for f in decode_frames(received)) >= 10:
                break
    assert sum(f.command == 0x84 for f in decode_frames(received)) >= 10


def test_baud_change_takes_effect_after_the_ack(emu: RionEmulator) -> None:
    with serial.Serial(emu.port, 9600, timeout=0.01) as port:
        ack = decode_frames(answer_of(port, wire.req_baud(19200)))
        assert [f.command for f in ack] == [0x8B]
        assert emu.device_baud == 19200
        assert decode_frames(ask(port, wire.req_read_angles())) == []  # wrong baud now
        port.baudrate = 19200
        assert len(decode_frames(answer_of(port, wire.req_read_angles()))) == 1
