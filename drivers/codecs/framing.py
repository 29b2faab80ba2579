"""Vectorised greedy framing shared by the binary codecs.

The binary protocols (WitMotion 0x55, Rion 0x68) are parsed with the byte-by-byte rule of
devices.md §1.5: look at the first byte of the buffer; if a valid frame starts there, emit
it and drop its length, otherwise drop ONE byte; stop when the remaining bytes might still
be the beginning of a frame. A Python loop over every byte is far too slow (the target is
≥ 1,000,000 frames/s), so the codecs compute, with numpy, every position where a complete
valid frame starts ("candidates") and every position where the rule would wait for more
data ("wait positions"), and this module reproduces the rule's choice among them:

* A candidate is taken when the rule's read pointer reaches it. The pointer visits every
  position except those strictly inside a taken frame, so the taken frames are the greedy
  non-overlapping choice of candidates in stream order.
* A candidate whose start is not covered by any earlier candidate (its start is at or after
  the running maximum of the earlier candidates' ends) is always taken; only clusters of
  overlapping candidates - rare on clean streams - need a short Python loop.
* The rule stops at the first visited wait position; what follows stays buffered.

The equivalence with the byte-by-byte rule is tested against reference implementations
(``tests/drivers/test_codec_*.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


def select_greedy(starts: IntArray, lengths: IntArray) -> BoolArray:
    """Which candidate frames the byte-by-byte rule takes.

    Parameters
    ----------
    starts : ndarray of intp
        Start offsets of complete, valid frames, strictly increasing.
    lengths : ndarray of intp
        Their lengths in bytes (> 0).

    Returns
    -------
    ndarray of bool
        True for the candidates that are taken.
    """
    count = len(starts)
    taken = np.ones(count, dtype=np.bool_)
    if count < 2:
        return taken
    ends = starts + lengths
    reach = np.maximum.accumulate(ends)
    overlapped = np.zeros(count, dtype=np.bool_)
    overlapped[1:] = starts[1:] < reach[:-1]
    if not overlapped.any():
        return taken
    # Only candidates overlapping an earlier one need the sequential rule; any other
    # candidate is taken because nothing before it reaches its start.
    start_list = starts.tolist()
    end_list = ends.tolist()
    over_list = overlapped.tolist()
    last_end = 0
    for k in np.flatnonzero(overlapped).tolist():
        if not over_list[k - 1]:
            last_end = end_list[k - 1]
        if start_list[k] >= last_end:
            last_end = end_list[k]
        else:
            taken[k] = False
    return taken


def visited(positions: IntArray, frame_starts: IntArray, frame_ends: IntArray) -> BoolArray:
    """Whether the read pointer visits each position (it skips the inside of taken frames).

    Parameters
    ----------
    positions : ndarray of intp
        Byte offsets (any order).
    frame_starts, frame_ends : ndarray of intp
        Taken frames, increasing and non-overlapping (``end`` exclusive).
    """
    if len(frame_starts) == 0:
        return np.ones(len(positions), dtype=np.bool_)
    k = np.searchsorted(frame_starts, positions, side="right") - 1
    safe = np.maximum(k, 0)
    inside = (k >= 0) & (positions > frame_starts[safe]) & (positions < frame_ends[safe])
    result: BoolArray = ~inside
    return result


def first_stop(
    wait_positions: IntArray, frame_starts: IntArray, frame_ends: IntArray, default: int
) -> int:
    """The first visited wait position (``default`` when none is visited)."""
    if len(wait_positions) == 0:
        return default
    seen = visited(wait_positions, frame_starts, frame_ends)
    hits = np.flatnonzero(seen)
    return int(wait_positions[hits[0]]) if len(hits) else default


def gather_rows(buf: npt.NDArray[np.uint8], starts: IntArray, width: int) -> npt.NDArray[Any]:
    """``buf[start:start + width]`` for every start, as a ``(len(starts), width)`` array."""
    index = starts[:, None] + np.arange(width, dtype=np.intp)[None, :]
    rows: npt.NDArray[Any] = buf[index]
    return rows
