"""The reference firmware, compiled for an Arduino Uno and run in simavr, speaks exactly the
line protocol the codec accepts.

Needs the Debian packages ``arduino-core-avr arduino-mk simavr`` (skipped without them).
With no HX711 attached the simulated data pins read low ("conversion ready") and every
conversion reads 0 counts, so the board streams zero loads at its default 80 Hz.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from drivers.codecs import lineplate as lp
from tests.conftest import REPO_ROOT

ARDUINO_MK = Path("/usr/share/arduino/Arduino.mk")
SKETCH = REPO_ROOT / "drivers" / "firmware" / "dorsilab_plate" / "dorsilab_plate.ino"
MAKEFILE = """\
ARDUINO_DIR = /usr/share/arduino
BOARD_TAG = uno
ARDUINO_LIBS = EEPROM
CPPFLAGS += -Wall -Wextra -DDECIMAL_DIG=17
include /usr/share/arduino/Arduino.mk
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (ARDUINO_MK.exists() and shutil.which("simavr") and shutil.which("make")),
        reason="needs arduino-mk, arduino-core-avr and simavr",
    ),
]


def test_firmware_streams_valid_lines_at_80_hz_in_simavr(tmp_path: Path) -> None:
    sketch_dir = tmp_path / "dorsilab_plate"
    sketch_dir.mkdir()
    shutil.copy(SKETCH, sketch_dir)
    (sketch_dir / "Makefile").write_text(MAKEFILE)
    build = subprocess.run(
        ["make"], cwd=sketch_dir, capture_output=True, text=True, timeout=100, check=False
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    sketch_warnings = [
        line
        for line in build.stderr.splitlines()
        if "dorsilab_plate" in line and "warning" in line
    ]
    assert sketch_warnings == []
    elf = next((sketch_dir / "build-uno").glob("*.elf"))
    try:
        run = subprocess.run(
            ["simavr", "-m", "atmega328p", "-f", "16000000", str(elf)],
            capture_output=True,
            timeout=3,
            check=False,
        )
        output = run.stdout + run.stderr
    except subprocess.TimeoutExpired as stopped:  # the firmware runs forever
        output = (stopped.stdout or b"") + (stopped.stderr or b"")
    # simavr prints each UART line in colour, with CR LF shown as ".." before its newline.
    text = re.sub(rb"\x1b\[[0-9;]*m", b"", output).replace(b"..\n", b"\r\n")
    codec = lp.LinePlateCodec()
    batch = codec.feed(text)
    assert [m.kind for m in batch.messages][:1] == ["INFO"]
    assert batch.messages[0].info() == lp.PlateInfo("DorsiLab-4C", "1.0.0", 80.0, "counts", 1)
    assert len(batch.samples) >= 20
    assert codec.malformed == 0 and codec.checksum_failures == 0 and codec.seq_gaps == 0
    assert batch.samples["seq"].tolist() == list(range(len(batch.samples)))
    for cell in ("tr", "br", "tl", "bl"):
        assert not batch.samples[cell].any()
    period_us = np.diff(batch.samples["t_us"]).mean()
    assert period_us == pytest.approx(12_500, rel=0.02)
