"""Both versions of the line-plate codec's small-batch path, for tests that run against each.

:data:`IMPLEMENTATIONS` parametrizes a test over ``"python"`` and ``"c"`` (skipped where the
extension was not built; on CI it must be, see ``test_codec_lineplate_compiled.py``), and
:func:`using` makes the codec call that version for the duration of a ``with`` block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from drivers.codecs import lineplate_fast as fast

COMPILED = fast._compiled
IMPLEMENTATIONS = [
    "python",
    pytest.param(
        "c",
        marks=pytest.mark.skipif(
            COMPILED is None, reason="drivers.codecs._lineplate_c was not built (no compiler)"
        ),
    ),
]


def feed_of(implementation: str) -> Any:
    """The ``feed`` function of one version."""
    if implementation == "python":
        return fast.feed_python
    assert COMPILED is not None
    return COMPILED.feed


@contextmanager
def using(implementation: str) -> Iterator[None]:
    """Let :class:`~drivers.codecs.lineplate.LinePlateCodec` call one version (it looks up
    ``lineplate_fast.feed`` at every call)."""
    saved = fast.feed, fast.IMPLEMENTATION
    fast.feed, fast.IMPLEMENTATION = feed_of(implementation), implementation
    try:
        yield
    finally:
        fast.feed, fast.IMPLEMENTATION = saved
