"""Another program holding the database's write lock: the app cannot write until it lets go."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
conn.close()
"""


@contextlib.contextmanager
def write_locked(db_path: Path) -> Iterator[None]:
    """Hold an exclusive write transaction on ``db_path`` in a child process.

    In WAL mode readers carry on; every writer waits for its busy timeout and then fails
    with "database is locked", as when a backup or database tool keeps the file busy.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "locked"
        yield
    finally:
        child.stdin.write("\n")
        child.stdin.close()
        child.wait(30)
        child.stdout.close()
