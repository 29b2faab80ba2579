"""The line-protocol plate emulator itself, driven with bare pyserial and the codec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from drivers.codecs import lineplate_wire as wire
from drivers.codecs.lineplate import LinePlateCodec
from drivers.emulators.lineplate import LinePlateEmulator
from tests.drivers.helpers import ask


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[LinePlateEmulator]:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=200, streaming=False) as emulator:
        yield emulator


def test_commands_and_replies(emu: LinePlateEmulator) -> None:
    codec = LinePlateCodec()
    with serial.Serial(emu.port, 115200, timeout=0.01) as port:
        info = codec.feed(ask(port, wire.cmd_query())).messages[0].info()
        assert info == wire.PlateInfo("DorsiLab-FP4", "1.2.0", 200.0, "g", 1, "FP-000123", 200.0)
        ok = codec.feed(ask(port, wire.cmd_rate(100))).messages
        assert [(m.kind, m.fields) for m in ok] == [("OK", ("R", "100"))]
        err = codec.feed(ask(port, b"R0\r\nX\r\n")).messages
        assert [(m.kind, m.fields[0]) for m in err] == [("ERR", "2"), ("ERR", "1")]
        go = codec.feed(ask(port, wire.cmd_go(), 0.3))
        assert 20 <= len(go.samples) <= 40
        codec.feed(ask(port, wire.cmd_stop(), 0.05))
        assert len(codec.feed(ask(port, b"", 0.1)).samples) == 0


def test_tare_and_the_scripted_load(emu: LinePlateEmulator) -> None:
    codec = LinePlateCodec()
    emu.streaming = True
    with serial.Serial(emu.port, 115200, timeout=0.01) as port:
        loaded = codec.feed(ask(port, b"", 0.2)).samples
        grams = sum(loaded[c].astype(float) for c in ("tr", "br", "tl", "bl"))
        assert grams.mean() == pytest.approx(70_000, rel=0.01)
        emu.sway_mm = (0.0, 0.0)
        codec.feed(ask(port, wire.cmd_tare(), 0.05))
        tared = codec.feed(ask(port, b"", 0.1)).samples
    grams = sum(tared[c].astype(float) for c in ("tr", "br", "tl", "bl"))
    assert abs(grams.mean()) < 200


def test_skipped_samples_show_as_a_sequence_gap(emu: LinePlateEmulator) -> None:
    codec = LinePlateCodec()
    with serial.Serial(emu.port, 115200, timeout=0.01) as port:
        codec.feed(ask(port, wire.cmd_go(), 0.1))
        emu.skip(4)
        codec.feed(ask(port, b"", 0.1))
    assert codec.seq_gaps == 4


def test_runs_as_a_process_for_manual_use(tmp_path: Path) -> None:
    import subprocess
    import sys

    from drivers.transport import probe_port
    from tests.conftest import REPO_ROOT

    link = tmp_path / "ttyV0"
    command = [sys.executable, "-m", "drivers.emulators.lineplate", "--link", str(link)]
    proc = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert f"on {link}" in proc.stdout.readline()
        result = probe_port(str(link))
        assert (result.protocol, result.baudrate) == ("lineplate", 115200)
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert not link.exists()
