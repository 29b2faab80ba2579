"""Let ezc3d read a C3D file in a child process first, so a file that makes it abort from
C++ (``std::terminate``, which Python cannot catch) stops the child, not DorsiLab.

Seen on real files: ``C3DRotationExample.c3d`` of ``pyomeca/ezc3d-testFiles`` cut short
anywhere in its data aborts the process with ``std::out_of_range`` ("Analogs::subframe").
In the window that would end a visit; from the command line, a core dump instead of a line.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from clinic_app.exchange.recordings.base import RecordingError

PROBE_TIMEOUT_S = 60.0
"""Longest a child may take to read a file (s); C3D files of a balance lab read in < 1 s."""


def _read(path: str) -> None:
    import os

    import ezc3d

    # The C++ runtime's last words ("terminate called after …") would break the one-line
    # message the user gets; the parent says what happened instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)

    try:
        ezc3d.c3d(path)
    except Exception:
        return


def probe(path: Path) -> None:
    """Raise :class:`RecordingError` if reading ``path`` with ezc3d ends its process.

    Parameters
    ----------
    path : Path
        The C3D file.
    """
    # spawn, not fork: a forked child of the GUI would inherit Qt's and SQLite's state.
    child = multiprocessing.get_context("spawn").Process(
        target=_read, args=(str(path),), daemon=True
    )
    child.start()
    child.join(PROBE_TIMEOUT_S)
    if child.exitcode is None:
        child.kill()
        child.join()
        raise RecordingError(path.name, f"could not be read within {PROBE_TIMEOUT_S:g} s")
    if child.exitcode != 0:
        raise RecordingError(
            path.name,
            "is damaged: the C3D reader stopped on it (its data do not match its "
            "parameters); export the trial again from the system that recorded it",
        )
