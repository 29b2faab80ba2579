"""Issue 12 §8: the line-protocol plate rejects checksum-valid but impossible lines.

Reproductions: cells of ±16,777,215 counts (within the old ±2²⁴ check) streamed as a
329,056 N load with the COP pinned to a corner, and one garbage ``seq`` turned a 10 s stream
into 11 million "lost samples". Both are tests here, on the codec and over a real pty.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from drivers.calibration import STANDARD_GRAVITY
from drivers.codecs import lineplate as lp
from drivers.codecs.lineplate_checks import RELOCK_AFTER, PlateLimits
from drivers.emulators.lineplate import LinePlateEmulator
from drivers.lineplate import LinePlateDevice
from tests.drivers.helpers import wait_for

RATE = 1000
GRAMS = np.full(4, STANDARD_GRAVITY / 1000.0)  # N per unit of a plate reporting grams
LIMITS = PlateLimits(rate_hz=RATE, scales=GRAMS, capacity_n=200 * STANDARD_GRAVITY)
STANDING = [17_500, 17_500, 17_500, 17_500]  # 70 kg in grams over four cells


def _lines(seq: range, cells: list[int] = STANDING, t0_us: int = 0) -> bytes:
    s = np.array(list(seq))
    return lp.encode_fp_lines(s, t0_us + s * (1_000_000 // RATE), np.tile(cells, (len(s), 1)))


def test_full_scale_cells_are_rejected_by_the_plates_rated_range() -> None:
    codec = lp.LinePlateCodec(LIMITS)
    saturated = lp.encode_fp(100, 100_000, 16_777_215, 16_777_215, -16_777_215, 0)
    batch = codec.feed(_lines(range(100)) + saturated + _lines(range(100, 200)))
    assert len(batch.samples) == 200 and codec.implausible == 1
    assert int(batch.samples["tr"].max()) == 17_500
    assert codec.seq_gaps == 0  # seq 100 arrived in the next (good) line


def test_a_garbage_sequence_number_is_rejected_not_counted_as_millions_lost() -> None:
    codec = lp.LinePlateCodec(LIMITS)
    garbage = lp.encode_fp(11_076_336, 3_141_592, *STANDING)
    codec.feed(_lines(range(100)) + garbage + _lines(range(100, 200)))
    assert codec.seq_gaps == 0 and codec.implausible == 1
    # Without limits the clock check alone catches it too (t_us did not move with seq).
    plain = lp.LinePlateCodec()
    plain.feed(_lines(range(100)) + garbage + _lines(range(100, 200)))
    assert plain.seq_gaps == 0 and plain.implausible == 1


def test_an_impossible_jump_is_rejected_a_real_one_is_kept() -> None:
    codec = lp.LinePlateCodec(LIMITS)
    spike = [17_500 + 50_000, 17_500, 17_500, 17_500]  # +490 N on one cell within 1 ms
    landing = [20_000, 20_000, 20_000, 20_000]  # +25 N per cell in 1 ms: a hop landing
    stream = _lines(range(50)) + _lines(range(50, 51), spike) + _lines(range(51, 54))
    stream += _lines(range(54, 55), landing) + _lines(range(55, 60), landing)
    batch = codec.feed(stream)
    assert codec.implausible == 1
    assert batch.samples["seq"].tolist() == [*range(50), *range(51, 60)]


def test_real_gaps_are_counted_and_a_restart_is_a_resync() -> None:
    codec = lp.LinePlateCodec(LIMITS)
    codec.feed(_lines(range(100)) + _lines(range(107, 150)))  # the board missed 7 samples
    assert codec.seq_gaps == 7 and codec.implausible == 0
    restarted = _lines(range(0, 20), t0_us=50)  # board reset: seq and clock from zero
    batch = codec.feed(restarted)
    assert codec.seq_gaps == 7  # a restart loses no counted samples
    assert codec.seq_resets == 1 and codec.implausible == RELOCK_AFTER
    assert batch.samples["seq"].tolist() == list(range(RELOCK_AFTER, 20))


def test_over_a_pty_no_impossible_load_reaches_the_buffer_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=RATE, noise_n=0.0) as emu:
        device = LinePlateDevice(emu.port)
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 200)
            injected = 0
            for k in range(20):
                seq = emu._seq
                emu.inject(lp.encode_fp(seq, 0, 16_777_215, -16_777_215, 16_777_215, 0))
                emu.inject(lp.encode_fp(seq + 11_076_236, 99 * k, *STANDING))
                injected += 2
                total = device.buffer.total
                assert wait_for(lambda total=total: device.buffer.total >= total + 20)
        finally:
            device.close()
    got = device.buffer.latest(device.buffer.total)
    assert float(np.abs(got["fz_n"]).max()) < 1.25 * 200 * STANDARD_GRAVITY
    assert float(got["fz_n"].min()) > 0.9 * 70 * STANDARD_GRAVITY
    assert device.lost_samples == 0
    assert device.codec.implausible == injected
    seq = got["seq"]
    assert np.array_equal(seq, np.arange(seq[0], seq[0] + len(seq)))
