"""The reference firmware, compiled for an Arduino Uno and run in simavr, speaks exactly the
line protocol the codec accepts.

Needs the Debian packages ``arduino-core-avr arduino-mk simavr libsimavr-dev`` (skipped
without them). Two set-ups: plain ``simavr`` with nothing attached (the data pins read
low, "ready", and every conversion is 0), and ``drivers/firmware/sim/plate_sim.c``, which
adds four bit-level HX711 models and a scripted host typing commands.
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

HARNESS = REPO_ROOT / "drivers" / "firmware" / "sim" / "plate_sim.c"
SIMAVR_HEADER = Path("/usr/include/simavr/sim_avr.h")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (ARDUINO_MK.exists() and shutil.which("simavr") and shutil.which("make")),
        reason="needs arduino-mk, arduino-core-avr and simavr",
    ),
]


@pytest.fixture(scope="module")
def firmware_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sketch built for an Uno with the Debian Arduino makefile (no warnings allowed)."""
    sketch_dir = tmp_path_factory.mktemp("fw") / "dorsilab_plate"
    sketch_dir.mkdir()
    shutil.copy(SKETCH, sketch_dir)
    (sketch_dir / "Makefile").write_text(MAKEFILE)
    build = subprocess.run(
        ["make"], cwd=sketch_dir, capture_output=True, text=True, timeout=100, check=False
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    lines = build.stderr.splitlines()
    sketch_warnings = [line for line in lines if "dorsilab_plate" in line and "warning" in line]
    assert sketch_warnings == []
    return next((sketch_dir / "build-uno").glob("*.elf"))


def test_firmware_streams_valid_lines_at_80_hz_in_simavr(firmware_elf: Path) -> None:
    elf = firmware_elf
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


SCRIPT = """\
0 load 0 100000
0 load 1 -50000
0 load 2 20000
0 load 3 7
300 send T
1200 send R40
1500 send R500
1600 send X
1700 send S
1800 send ?
1900 send G
2000 load 0 110000
2300 send R12345678901234567890123456789012345
2400 noise 5000
2500 send T
3200 noise 0
3300 silent 3
"""


@pytest.mark.skipif(not SIMAVR_HEADER.exists(), reason="needs libsimavr-dev")
def test_firmware_with_simulated_hx711s_answers_every_command(
    firmware_elf: Path, tmp_path: Path
) -> None:
    harness = tmp_path / "plate_sim"
    compiled = subprocess.run(
        ["cc", "-O2", "-o", str(harness), str(HARNESS), "-lsimavr"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT)
    run = subprocess.run(
        [str(harness), str(firmware_elf), str(script), "3800"],
        capture_output=True,
        timeout=100,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    codec = lp.LinePlateCodec()
    batch = codec.feed(run.stdout)
    assert codec.malformed == 0 and codec.checksum_failures == 0 and codec.seq_gaps == 0
    samples = batch.samples
    cells = np.column_stack([samples[c] for c in ("tr", "br", "tl", "bl")])
    replies = [(m.kind, m.fields, m.after_samples) for m in batch.messages]
    kinds = [(kind, fields[:1]) for kind, fields, _ in replies]
    assert kinds == [
        ("INFO", ("DorsiLab-4C",)),
        ("OK", ("T",)),
        ("OK", ("R",)),
        ("ERR", ("2",)),
        ("ERR", ("1",)),
        ("OK", ("S",)),
        ("INFO", ("DorsiLab-4C",)),
        ("OK", ("G",)),
        ("ERR", ("5",)),
        ("ERR", ("4",)),
        ("ERR", ("3",)),
    ]
    at = {i: after for i, (_, _, after) in enumerate(replies)}
    # Raw loads before the tare, then zero after it (offsets = the unloaded readings).
    np.testing.assert_array_equal(cells[: at[1] - 1], [[100000, -50000, 20000, 7]] * (at[1] - 1))
    np.testing.assert_array_equal(cells[at[1] : at[5]], 0)
    assert replies[2][1] == ("R", "40") and replies[6][1][2] == "40"
    assert replies[3][1][1] == "rate must be 1-80 Hz"
    # 80 Hz before the rate change, 40 Hz after it (t_us from the board clock).
    t_us = samples["t_us"].astype(np.int64)
    assert np.median(np.diff(t_us[: at[2]])) == pytest.approx(12_500, rel=0.05)
    assert np.median(np.diff(t_us[at[2] + 1 : at[5]])) == pytest.approx(25_000, rel=0.05)
    # S stops the stream, G resumes it with seq continuing; nothing in between.
    assert at[5] == at[6] == at[7]
    assert np.all(np.diff(samples["seq"]) == 1)
    assert float(t_us[at[7]] - t_us[at[7] - 1]) > 150_000
    # After G the 40 Hz schedule restarts at the first sample: regular from the start.
    assert np.diff(t_us[at[7] : at[7] + 4]) == pytest.approx([25_000] * 3, rel=0.05)
    # The extra 10 000 counts on TR appear tared; noise makes the second tare fail;
    # a silent amplifier stops the samples.
    after_go = cells[at[7] : at[8], 0]  # G at 1.9 s, +10 000 counts at 2.0 s
    switch = int(np.argmax(after_go == 10_000))
    assert 2 <= switch <= 6
    assert np.all(after_go[:switch] == 0) and np.all(after_go[switch:] == 10_000)
    assert at[10] == len(samples)
