"""``clinic-app devices list|stream`` against emulators, including over a socat pty pair."""

from __future__ import annotations

import csv
import io
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import drivers.transport
from clinic_app.cli import main
from drivers.calibration import STANDARD_GRAVITY
from drivers.codecs import witmotion_wire as wire
from drivers.emulators.lineplate import LinePlateEmulator
from drivers.emulators.witmotion import WitEmulator
from drivers.emulators.witmotion_variants import WT61Emulator
from drivers.transport import PortInfo
from tests.conftest import REPO_ROOT
from tests.drivers.helpers import wait_for

PLATE_HEADER = ["t_s", "fz_n", "cop_x_mm", "cop_y_mm", "tr_n", "br_n", "tl_n", "bl_n"]
INCLINOMETER_HEADER = ["t_s", "angle_x_deg", "angle_y_deg", "angle_z_deg"]


@pytest.fixture
def socat_pair(tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """Two linked ptys: ``host`` for the app, ``device`` for the emulator."""
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed")
    host, device = tmp_path / "ttyV0", tmp_path / "ttyV1"
    proc = subprocess.Popen(
        [
            "socat",
            f"pty,raw,echo=0,link={host}",
            f"pty,raw,echo=0,link={device}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: host.exists() and device.exists(), 5.0)
    yield str(host), str(device), proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=5)


def _stream(
    port: str, protocol: str, seconds: float, *extra: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "clinic_app", "devices", "stream", "--port", port]
    command += ["--protocol", protocol, "--seconds", str(seconds), "--csv", *extra]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)


def _rows(stdout: str) -> tuple[list[str], np.ndarray]:
    reader = csv.reader(io.StringIO(stdout))
    header = next(reader)
    values = [[float(v) if v else np.nan for v in row] for row in reader]
    return header, np.array(values)


def test_plate_stream_prints_exactly_what_the_plate_sent(
    socat_pair: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    host, device, _ = socat_pair
    with LinePlateEmulator(tty_path=device, rate_hz=200, streaming=False) as emu:
        result = _stream(host, "lineplate", 1.0)
    assert result.returncode == 0, result.stderr
    header, rows = _rows(result.stdout)
    assert header == PLATE_HEADER
    assert len(rows) >= 150
    sent = np.array(emu.sent, dtype=np.float64)[: len(rows)]
    cells = sent[:, 2:6] * STANDARD_GRAVITY / 1000.0  # the plate reports grams
    np.testing.assert_allclose(rows[:, 4:8], cells, atol=1e-6)
    np.testing.assert_allclose(rows[:, 1], cells.sum(axis=1), atol=1e-5)
    tr, br, tl, bl = cells.T
    np.testing.assert_allclose(rows[:, 2], 200 * ((tr + br) - (tl + bl)) / cells.sum(1), atol=1e-5)
    assert np.all(np.diff(rows[:, 0]) >= 0) and rows[0, 0] >= 0
    assert "0 lost" in result.stderr


def test_inclinometer_stream_prints_the_angles_sent(
    socat_pair: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    host, device, _ = socat_pair
    with WitEmulator(tty_path=device, rate_hz=50, ramp_s=1.0, hold_s=0.2) as emu:
        result = _stream(host, "witmotion", 1.0, "--baud", "115200")
    assert result.returncode == 0, result.stderr
    header, rows = _rows(result.stdout)
    assert header == INCLINOMETER_HEADER
    assert len(rows) >= 30
    sent = np.round(np.array(emu.sent_angles), 6)
    # The rows are one contiguous run of the sent samples (the ramp repeats values, so
    # try every place where the first row occurs).
    starts = np.flatnonzero(np.all(np.abs(sent - rows[0, 1:]) < 1e-6, axis=1))
    runs = [sent[j : j + len(rows)] for j in starts if j + len(rows) <= len(sent)]
    assert any(np.allclose(rows[:, 1:], run, atol=1e-6) for run in runs)


def _runs_match(rows: np.ndarray, sent_angles: list[tuple[float, float, float]]) -> bool:
    sent = np.round(np.array(sent_angles), 6)
    starts = np.flatnonzero(np.all(np.abs(sent - rows[0, 1:]) < 1e-6, axis=1))
    runs = [sent[j : j + len(rows)] for j in starts if j + len(rows) <= len(sent)]
    return any(np.allclose(rows[:, 1:], run, atol=1e-6) for run in runs)


def test_listen_only_witmotion_streams_and_receives_nothing_but_reads(
    socat_pair: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    """Issue 16 "done when": a sensor that only sends (TX-only wiring: it never hears the
    host) streams its angles through ``devices stream --csv``, and all the host ever sent
    on the wire were register reads."""
    host, device, _ = socat_pair
    with WitEmulator(tty_path=device, rate_hz=50, ramp_s=1.0, hold_s=0.2) as emu:
        emu.faults.ignore_commands = True
        result = _stream(host, "witmotion", 1.5)
    assert result.returncode == 0, result.stderr
    assert "listen-only (measured 50 Hz)" in result.stderr
    header, rows = _rows(result.stdout)
    assert header == INCLINOMETER_HEADER
    assert len(rows) >= 40
    assert _runs_match(rows, emu.sent_angles)
    commands, stray = wire.host_commands(bytes(emu.received))
    assert stray == 0 and {register for register, _ in commands} == {wire.REG_READ}
    assert emu.accepted_writes == [] and emu.flash == emu.registers


def test_legacy_wt61_streams_and_receives_not_one_byte(tmp_path: Path) -> None:
    with WT61Emulator(link=tmp_path / "ttyWT61", ramp_s=1.0, hold_s=0.2) as emu:
        result = _stream(emu.port, "witmotion", 1.0)
    assert result.returncode == 0, result.stderr
    _header, rows = _rows(result.stdout)
    assert len(rows) >= 60 and _runs_match(rows, emu.sent_angles)
    assert bytes(emu.received) == b""


def test_stream_refuses_to_change_a_witmotion_rate(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT") as emu:
        result = _stream(emu.port, "witmotion", 1.0, "--rate", "100")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "devices configure --port" in result.stderr and "--rate 100" in result.stderr
    assert bytes(emu.received) == b""


def _configure(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "clinic_app", "devices", "configure", *args]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)


def test_configure_shows_plans_applies_verifies_and_logs(
    tmp_path: Path, dorsilab_home: Path
) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=10) as emu:
        shown = _configure("--port", emu.port)
        assert shown.returncode == 0, shown.stderr
        assert "10 Hz; acceleration, angular rate, angle, magnetic field; 115200 baud" in (
            shown.stdout
        )
        dry = _configure(
            "--port", emu.port, "--rate", "100", "--content", "acc,angle", "--dry-run"
        )
        assert dry.returncode == 0, dry.stderr
        assert "output rate 10 Hz → 100 Hz" in dry.stdout and "nothing was changed" in dry.stdout
        assert emu.accepted_writes == []
        done = _configure("--port", emu.port, "--rate", "100", "--content", "acc,angle")
        assert done.returncode == 0, done.stderr
        assert "verified by reading the registers back" in done.stdout
        assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[100.0]
        assert emu.flash[wire.REG_RSW] == 0b1010
        again = _configure("--port", emu.port, "--rate", "100")
        assert "Nothing to change" in again.stdout
        bad = _configure("--port", emu.port, "--rate", "33")
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not one of" in bad.stderr
        bad = _configure("--port", emu.port, "--content", "acc,banana")
        assert bad.returncode == 2 and "banana" in bad.stderr
    logs = "".join(p.read_text() for p in dorsilab_home.rglob("*.log*"))
    assert "configured: output" in logs and "output rate 10 Hz → 100 Hz" in logs


def test_configure_refuses_a_listen_only_sensor_in_words(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT") as emu:
        emu.faults.ignore_commands = True
        result = _configure("--port", emu.port, "--rate", "100")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "only sends" in result.stderr
    assert emu.accepted_writes == []


def test_killing_socat_is_an_unplug_reported_in_words(
    socat_pair: tuple[str, str, subprocess.Popen[bytes]],
) -> None:
    host, device, proc = socat_pair
    with LinePlateEmulator(tty_path=device, rate_hz=200, streaming=False) as emu:
        command = [sys.executable, "-m", "clinic_app", "devices", "stream", "--port", host]
        command += ["--protocol", "lineplate", "--seconds", "4", "--csv"]
        cli = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        wait_for(lambda: emu.samples_emitted >= 100, 30.0)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = cli.communicate(timeout=30)
    assert cli.returncode == 0
    assert "stopped answering" in stderr
    assert len(stdout.splitlines()) > 50  # the samples before the unplug were printed


def test_unknown_port_or_protocol_is_one_clear_line(tmp_path: Path) -> None:
    result = _stream(str(tmp_path / "ttyNONE"), "lineplate", 1.0)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "There is no port" in result.stderr
    assert result.stdout == ""
    result = _stream(str(tmp_path / "ttyNONE"), "modbus", 1.0)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "invalid choice" in result.stderr


def test_a_port_that_speaks_another_protocol(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT"):
        result = _stream(str(tmp_path / "ttyWIT"), "lineplate", 1.0)
    assert result.returncode == 2
    assert "No DorsiLab force plate answers" in result.stderr


def test_list_shows_ids_and_the_protocol_each_port_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyACM0", streaming=False) as emu:
        ports = [PortInfo(emu.port, 0x2341, 0x0043, "85736323", "1-1.2:1.0", "Arduino Uno")]
        monkeypatch.setattr(drivers.transport, "system_ports", lambda: ports)
        assert main(["devices", "list"]) == 0
        probed = capsys.readouterr().out
        assert main(["devices", "list", "--no-probe"]) == 0
        quick = capsys.readouterr().out
    header, line = probed.splitlines()
    assert header.split() == ["port", "vid:pid", "serial", "description", "protocol"]
    assert "2341:0043" in line and "85736323" in line and "Arduino Uno" in line
    assert line.rstrip().endswith("lineplate @ 115200")
    assert "protocol" not in quick.splitlines()[0]
