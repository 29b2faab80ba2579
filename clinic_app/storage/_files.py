"""Owner-only file permissions for the database, its WAL/SHM companions and backups."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

PRIVATE_MODE = 0o600
"""Mode of every database and backup file: readable and writable by the owner only."""

_COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")
_umask_lock = threading.RLock()


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Create files as owner-only (umask 077) inside the block.

    The umask is process-wide, so the block is serialised with a lock and kept short.
    SQLite gives the ``-wal``/``-shm`` files the same mode as the database file.
    """
    with _umask_lock:
        old = os.umask(0o077)
        try:
            yield
        finally:
            os.umask(old)


def companions(db_path: Path) -> list[Path]:
    """The database file and its ``-wal``, ``-shm`` and ``-journal`` files that exist."""
    candidates = [db_path, *(db_path.with_name(db_path.name + s) for s in _COMPANION_SUFFIXES)]
    return [p for p in candidates if p.exists()]


def make_private(db_path: Path) -> None:
    """Set mode 0600 on ``db_path`` and on its companion files where they exist."""
    for path in companions(db_path):
        with contextlib.suppress(FileNotFoundError):  # a -shm may vanish meanwhile
            if path.stat().st_mode & 0o777 != PRIVATE_MODE:
                path.chmod(PRIVATE_MODE)
