"""ContinuityTrack: the vectorised path decides exactly like the frame-by-frame rule."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs.plausibility import ContinuityTrack


def step_within_one(previous: np.ndarray, rows: np.ndarray) -> np.ndarray:
    ok: np.ndarray = np.abs(rows[:, 0] - previous[:, 0]) <= 1.0
    return ok


def run_reference(track: ContinuityTrack, values: list[float], fine: list[bool]) -> list[bool]:
    """The documented rule, one frame at a time, through the per-frame (slow) path."""
    out = []
    for value, ok in zip(values, fine, strict=True):
        result = track._filter_slow(np.array([[value]]), np.array([ok]))
        out.append(bool(result.accepted[0]))
    return out


batches = st.lists(
    st.lists(
        st.tuples(st.sampled_from([0.0, 0.5, 1.0, 1.5, 5.0, 5.5, 20.0]), st.booleans()),
        max_size=12,
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(batches, st.integers(1, 3), st.integers(1, 3))
def test_batched_filter_equals_frame_by_frame(
    parts: list[list[tuple[float, bool]]], lock_count: int, relock_after: int
) -> None:
    fast = ContinuityTrack(step_within_one, lock_count, relock_after)
    slow = copy.deepcopy(fast)
    got: list[bool] = []
    expected: list[bool] = []
    rejected = withheld = 0
    for part in parts:
        values = [v for v, _ in part]
        fine = [f for _, f in part]
        result = fast.filter(np.array(values).reshape(-1, 1), np.array(fine, dtype=bool))
        got += result.accepted.tolist()
        rejected += result.rejected
        withheld += result.withheld
        expected += run_reference(slow, values, fine)
    assert got == expected
    assert rejected + withheld + sum(got) == sum(len(p) for p in parts)
    assert fast.locked == slow.locked


def test_single_garbage_frame_never_starts_a_track_and_a_real_jump_relocks() -> None:
    track = ContinuityTrack(step_within_one, lock_count=3, relock_after=2)
    first = track.filter(np.array([[50.0], [0.0], [0.5], [1.0], [1.2]]))
    assert first.accepted.tolist() == [False, False, False, True, True]
    # 50 starts a run that 0.0 breaks; 0.0, 0.5 and 1.0 are three consistent frames.
    assert (first.withheld, first.rejected) == (3, 0)
    jump = track.filter(np.array([[9.0], [9.2], [9.4], [9.6], [9.8]]))
    # Two rejections (9.0, 9.2) unlock; 9.2 starts the new run, 9.4 and 9.6 confirm it.
    assert jump.accepted.tolist() == [False, False, False, True, True]
