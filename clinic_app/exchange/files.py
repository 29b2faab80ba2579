"""Writing export files so that nothing is ever half-written.

Files are written to a temporary name beside the target (``name.part``), created
owner-only (mode 0600: exports hold patient data), and renamed over the target only when
complete; on any error the temporary file is removed and the target is untouched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

PRIVATE_FILE_MODE = 0o600
_BUFFER_BYTES = 1 << 20


def part_path(path: Path) -> Path:
    """The temporary name a file is written under before it is renamed to ``path``."""
    return path.with_name(path.name + ".part")


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[IO[bytes]]:
    """A byte stream that becomes ``path`` only when the ``with`` block succeeds."""
    tmp = part_path(path)
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb", buffering=_BUFFER_BYTES) as stream:
            yield stream
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """A UTF-8 text stream (newlines written as given) that becomes ``path`` only when the
    ``with`` block succeeds."""
    tmp = part_path(path)
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(
            descriptor, "w", encoding="utf-8", newline="", buffering=_BUFFER_BYTES
        ) as stream:
            yield stream
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` through a temporary file beside it, then rename.

    A reader sees either the old file or the whole new one; on any error the temporary
    file is removed and ``path`` is untouched.
    """
    with atomic_text(path) as out:
        out.write(text)
