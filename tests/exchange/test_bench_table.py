"""The table bench reads what it writes, and both parsing paths give the same table."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clinic_app.bench import table as bench
from clinic_app.exchange.recordings import read_balance_trial
from clinic_app.exchange.recordings.table import parse_table, read_text


def test_the_300_s_recording_is_read_as_a_balance_trial_by_both_paths(tmp_path: Path) -> None:
    path = tmp_path / "trial.csv"
    bench.write_recording(path)
    text = read_text(path)
    fast = parse_table(path.name, text)
    slow = parse_table(path.name, text, fast=False)
    assert fast.data.shape == (300_000, 4)
    assert np.array_equal(fast.data, slow.data) and list(fast.lines) == list(slow.lines)
    recording = read_balance_trial(path)
    assert recording.n == 300_000 and recording.fs_hz == bench.FS_HZ
