"""Reader for the public balance data set's TSV files (Santos & Duarte 2016, ``BDSnnnnn.txt``).

Format: one tab-separated header line
``Time[s] Fx[N] Fy[N] Fz[N] Mx[Nm] My[Nm] Mz[Nm] COPx[cm] COPy[cm]`` then one row per sample
(100 Hz). The plate origin is at its surface: ``COPx = −My/Fz``, ``COPy = Mx/Fz`` (×100 for cm).
In this data set x runs antero-posterior and y medio-lateral; resultant metrics (path,
velocity, ellipse area, distances) do not depend on that assignment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clinic_app.analysis.cop import DEFAULT_MIN_LOAD_N
from clinic_app.exchange.recordings.base import (
    ForceRecording,
    RecordingError,
    check_times,
    is_uniform,
)
from clinic_app.exchange.recordings.table import parse_table, read_text
from clinic_app.numbers import counted

REQUIRED = ("Time[s]", "Fz[N]", "COPx[cm]", "COPy[cm]")
HEADER_PREFIX = "Time[s]\tFx[N]"


def looks_like_bds(text_head: str) -> bool:
    """True when the first line is the data set's header."""
    return text_head.lstrip("\ufeff").startswith(HEADER_PREFIX)


def read_bds(path: Path, min_load_n: float = DEFAULT_MIN_LOAD_N) -> ForceRecording:
    """Read one ``BDSnnnnn.txt`` recording.

    Parameters
    ----------
    path : Path
    min_load_n : float
        Rows with less vertical load (N) are reported in the notes; the data set's own COP
        columns are still used, as for its published metrics.

    Raises
    ------
    RecordingError
        Naming the file, line and column of the first problem.
    """
    name = path.name
    table = parse_table(name, read_text(path), delimiter="\t")
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        raise RecordingError(
            name,
            "is not a balance data set file: missing "
            + ("column " if len(missing) == 1 else "columns ")
            + ", ".join(missing),
            line=1,
        )
    idx = {c: table.header.index(c) for c in REQUIRED}
    for column in REQUIRED:  # the columns used must be complete
        table.finite_column(name, idx[column])
    t = table.column(idx["Time[s]"])
    check_times(name, t, table.lines[0], "'Time[s]'")
    fz = table.column(idx["Fz[N]"])
    notes = ["balance data set TSV: COPx → antero-posterior, COPy → medio-lateral (cm)"]
    low = np.flatnonzero(fz < min_load_n)
    if low.size:
        # The data set publishes its metrics over the whole recording from these COP
        # columns, so light rows are kept (and said) rather than refused.
        notes.append(
            f"{counted(int(low.size), 'row')} {'carries' if low.size == 1 else 'carry'} "
            f"less than {min_load_n:g} N (first at line "
            f"{table.lines[int(low[0])]}); their COP is used as published"
        )
    fs = round(1.0 / float(np.median(np.diff(t))), 6) if t.size > 1 else 0.0
    return ForceRecording(
        source=name,
        format="bds",
        t_s=t - t[0],
        cop_ap_cm=table.column(idx["COPx[cm]"]),
        cop_ml_cm=table.column(idx["COPy[cm]"]),
        fz_n=fz,
        fs_hz=fs,
        uniform=is_uniform(t),
        notes=tuple(notes),
    )
