"""The min/max envelope the live time plots draw (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from clinic_app.ui.plots.peak_envelope import PeakEnvelope


def _brute_force(t: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    out_t, out_y = [], []
    for start in range(0, len(t), k):
        rows_t, rows_y = t[start : start + k], y[start : start + k]
        if np.isnan(rows_y).all():
            out_t += [rows_t[0], rows_t[0]]
            out_y += [np.nan, np.nan]
            continue
        lo, hi = int(np.nanargmin(rows_y)), int(np.nanargmax(rows_y))
        for i in sorted((lo, hi)):
            out_t.append(rows_t[i])
            out_y.append(rows_y[i])
    return np.array(out_t), np.array(out_y)


def test_batches_of_any_size_give_the_bins_of_the_whole_trace() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(5003) / 1000.0
    y = rng.normal(size=t.size)
    y[1234:1300] = np.nan  # a gap of two bins and part of a third
    envelope = PeakEnvelope(samples_per_bin=40, capacity_bins=1000)
    cuts = np.sort(rng.choice(np.arange(1, t.size), size=300, replace=False))
    for part_t, part_y in zip(np.split(t, cuts), np.split(y, cuts), strict=True):
        envelope.extend(part_t, part_y)
    got_t, got_y = envelope.view()
    want_t, want_y = _brute_force(t, y, 40)
    np.testing.assert_array_equal(got_t, want_t)
    np.testing.assert_array_equal(got_y, want_y)
    assert envelope.last_t == t[-1]


def test_a_one_sample_spike_is_drawn() -> None:
    t = np.arange(30_000) / 1000.0
    y = np.full(t.size, 600.0)
    y[12_345] = 1800.0
    envelope = PeakEnvelope(samples_per_bin=40, capacity_bins=1000)
    envelope.extend(t, y)
    got_t, got_y = envelope.view()
    assert got_y.max() == 1800.0
    assert got_t[got_y.argmax()] == t[12_345]
    assert len(got_t) == 2 * 750  # two points per bin, not 30,000


def test_the_newest_sample_is_drawn_before_its_bin_is_full() -> None:
    envelope = PeakEnvelope(samples_per_bin=40, capacity_bins=10)
    envelope.extend([0.0, 0.001, 0.002], [1.0, 5.0, 3.0])
    t, y = envelope.view()
    assert list(t) == [0.0, 0.001]
    assert list(y) == [1.0, 5.0]
    assert envelope.last_t == 0.002


def test_old_bins_leave_the_window() -> None:
    envelope = PeakEnvelope(samples_per_bin=2, capacity_bins=3)
    envelope.extend(np.arange(10.0), np.arange(10.0))
    t, _ = envelope.view()
    assert list(t) == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    envelope.clear()
    assert len(envelope.view()[0]) == 0


def test_one_sample_per_bin_keeps_every_sample_once() -> None:
    envelope = PeakEnvelope(samples_per_bin=1, capacity_bins=5)
    envelope.extend([0.0, 0.1, 0.2], [3.0, 1.0, 2.0])
    t, y = envelope.view()
    assert list(t) == [0.0, 0.1, 0.2]
    assert list(y) == [3.0, 1.0, 2.0]


def test_bin_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="samples_per_bin"):
        PeakEnvelope(samples_per_bin=0, capacity_bins=5)


def test_the_provisional_points_match_the_finished_bin() -> None:
    rng = np.random.default_rng(3)
    y = np.round(rng.normal(size=40), 1)  # ties included
    y[5] = np.nan
    t = np.arange(40) / 1000.0
    for split in range(2, 40):
        growing = PeakEnvelope(samples_per_bin=40, capacity_bins=4)
        growing.extend(t[:split], y[:split])
        whole = PeakEnvelope(samples_per_bin=split, capacity_bins=4)
        whole.extend(t[:split], y[:split])
        np.testing.assert_array_equal(growing.view()[1], whole.view()[1][-2:])
