"""ISA-L's zlib streams are plain zlib (any reader takes them), and without ISA-L the
standard library does the same work."""

from __future__ import annotations

import importlib
import sys
import zlib

import pytest

from clinic_app.storage import _deflate

DATA = bytes(range(256)) * 400


def test_streams_are_plain_zlib_both_ways() -> None:
    assert zlib.decompress(_deflate.compress(DATA, 1)) == DATA
    assert _deflate.decompress(zlib.compress(DATA, 3)) == DATA
    with pytest.raises(_deflate.error):
        _deflate.decompress(b"not a zlib stream")


def test_without_isal_the_standard_library_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "isal", None)  # as on a platform without its wheel
    fallback = importlib.reload(_deflate)
    try:
        assert fallback._impl is zlib
        assert fallback.decompress(fallback.compress(DATA, 1)) == DATA
    finally:
        monkeypatch.undo()
        importlib.reload(_deflate)
