"""Reader for generic CSV force-plate exports: columns found by header name, units declared
in the header (``cop_x[mm]``, ``cop_x (mm)``, ``cop_x_mm``) or inferred and said so.

Recognised columns (case and punctuation ignored):

- time: ``t``, ``time``, ``timestamp`` (s, or ms when declared ``[ms]``/``_ms``); optional
  when the sampling rate is given;
- COP: ``cop_ap``/``ap`` and ``cop_ml``/``ml``; or ``cop_x``/``x`` (medio-lateral, +right)
  and ``cop_y``/``y`` (antero-posterior, +forward) as in DorsiLab's plate frame and in
  ``clinic-app devices stream --csv``;
- vertical force (optional): ``fz``, ``force_z``, ``fz_n`` (N, or kg when declared).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from clinic_app.analysis.cop import DEFAULT_MIN_LOAD_N
from clinic_app.exchange.recordings.base import (
    FloatArray,
    ForceRecording,
    RecordingError,
    check_times,
    is_uniform,
)
from clinic_app.exchange.recordings.table import Table, parse_table, read_text
from clinic_app.numbers import counted

_UNIT_RE = re.compile(r"^(?P<base>.*?)\s*(?:\[(?P<b>[^\]]*)\]|\((?P<p>[^)]*)\))\s*$")
_SUFFIX_UNITS = ("mm", "cm", "m", "ms", "s", "n", "kg")
LENGTH_TO_CM = {"mm": 0.1, "cm": 1.0, "m": 100.0}
TIME_NAMES = ("t", "time", "timestamp", "tdev", "thost")  # preference order: device clock
# before host read time (DorsiLab's own exports have both; t_dev_s is empty without one)
AP_NAMES = {"copap", "ap", "copyap"}
ML_NAMES = {"copml", "ml", "copxml"}
X_NAMES = {"copx", "x", "cx"}
Y_NAMES = {"copy", "y", "cy"}
FZ_NAMES = {"fz", "forcez", "vertical", "verticalforce"}
G = 9.80665


def split_unit(name: str) -> tuple[str, str | None]:
    """Base name (lower case, letters and digits only) and declared unit, if any.

    ``"cop_x[mm]"`` → ``("copx", "mm")``; ``"COP ML (cm)"`` → ``("copml", "cm")``;
    ``"cop_x_mm"`` → ``("copx", "mm")``; ``"time"`` → ``("time", None)``.
    """
    text = name.strip()
    unit: str | None = None
    match = _UNIT_RE.match(text)
    if match:
        text = match.group("base")
        unit = (match.group("b") or match.group("p") or "").strip().lower() or None
    parts = [p for p in re.split(r"[^0-9a-zA-Z]+", text.lower()) if p]
    if unit is None and len(parts) > 1 and parts[-1] in _SUFFIX_UNITS:
        unit = parts.pop()
    return "".join(parts), unit


def _find(table: Table, names: set[str]) -> tuple[int, str | None] | None:
    for i, column in enumerate(table.header):
        base, unit = split_unit(column)
        if base in names:
            return i, unit
    return None


def _find_time(table: Table) -> tuple[int, str | None] | None:
    """The preferred time column that is complete (all values present)."""
    candidates: list[tuple[int, int, str | None]] = []
    for i, column in enumerate(table.header):
        base, unit = split_unit(column)
        if base in TIME_NAMES:
            candidates.append((TIME_NAMES.index(base), i, unit))
    for _, i, unit in sorted(candidates):
        if np.isfinite(table.data[:, i]).all():
            return i, unit
    return (candidates[0][1], candidates[0][2]) if candidates else None


def _length_cm(
    name: str, column: str, values: FloatArray, unit: str | None, other: FloatArray
) -> tuple[FloatArray, str | None]:
    if unit is not None:
        if unit not in LENGTH_TO_CM:
            raise RecordingError(
                name,
                f"unknown length unit {unit!r} (use mm, cm or m)",
                line=1,
                column=repr(column),
            )
        return values * LENGTH_TO_CM[unit], None
    extent = max(float(np.ptp(values)), float(np.ptp(other)))
    guess = "mm" if extent >= 15.0 else "m" if extent <= 0.15 else "cm"
    note = (
        f"units of {column!r} inferred as {guess} from the size of the sway; declare them in "
        f"the header, e.g. {column}[{guess}]"
    )
    return values * LENGTH_TO_CM[guess], note


def read_csv_recording(
    path: Path, fs_hz: float | None = None, min_load_n: float = DEFAULT_MIN_LOAD_N
) -> ForceRecording:
    """Read a generic CSV (comma, semicolon or tab separated) force-plate recording.

    Parameters
    ----------
    path : Path
    fs_hz : float, optional
        Sampling rate (Hz); required when there is no time column, checked against it
        otherwise (must agree within 5 %).
    min_load_n : float
        With a vertical-force column, the analysed rows must carry at least this load (N);
        unloaded rows at the start and end (stepping on and off) are left out with a note.

    Raises
    ------
    RecordingError
        Naming the file, line and column of the first problem.
    """
    name = path.name
    table = parse_table(name, read_text(path))
    header = table.header
    ap_col = _find(table, AP_NAMES) or _find(table, Y_NAMES)
    ml_col = _find(table, ML_NAMES) or _find(table, X_NAMES)
    if ap_col is None or ml_col is None:
        raise RecordingError(
            name,
            "no centre-of-pressure columns found (expected cop_x and cop_y, or cop_ap and "
            "cop_ml, with units such as cop_x[mm]); the header has: " + ", ".join(header),
            line=table.lines[0] - 1,
        )
    notes: list[str] = []
    fz_col = _find(table, FZ_NAMES)
    fz_scale = G if fz_col is not None and fz_col[1] == "kg" else 1.0
    table = _stance_rows(
        name, table, ap_col[0], ml_col[0], None if fz_col is None else fz_col[0],
        fz_scale, min_load_n, notes,
    )  # fmt: skip
    ap_raw, ml_raw = table.column(ap_col[0]), table.column(ml_col[0])
    ap, note_ap = _length_cm(name, header[ap_col[0]], ap_raw, ap_col[1], ml_raw)
    ml, note_ml = _length_cm(name, header[ml_col[0]], ml_raw, ml_col[1], ap_raw)
    notes += [n for n in (note_ap, note_ml) if n]
    notes.append(
        f"COP antero-posterior from {header[ap_col[0]]!r}, medio-lateral from "
        f"{header[ml_col[0]]!r}"
    )
    t, fs = _time_axis(name, table, fs_hz, notes)
    fz = None if fz_col is None else table.column(fz_col[0]) * fz_scale
    return ForceRecording(
        source=name,
        format="csv",
        t_s=t,
        cop_ap_cm=np.ascontiguousarray(ap),
        cop_ml_cm=np.ascontiguousarray(ml),
        fz_n=fz,
        fs_hz=fs,
        uniform=is_uniform(t),
        notes=tuple(notes),
    )


def _stance_rows(
    name: str,
    table: Table,
    ap_index: int,
    ml_index: int,
    fz_index: int | None,
    fz_scale: float,
    min_load_n: float,
    notes: list[str],
) -> Table:
    """The rows from the first to the last loaded sample; unloaded rows before and after
    (stepping on and off the plate) are left out and said so, gaps in between are errors."""
    data = table.data
    loaded = np.isfinite(data[:, ap_index]) & np.isfinite(data[:, ml_index])
    if fz_index is not None:
        loaded &= data[:, fz_index] * fz_scale >= min_load_n
    rows = np.flatnonzero(loaded)
    if rows.size == 0:
        raise RecordingError(
            name,
            "no row has a defined centre of pressure"
            + (f" with at least {min_load_n:g} N on the plate" if fz_index is not None else ""),
        )
    first, last = int(rows[0]), int(rows[-1])
    gaps = np.flatnonzero(~loaded[first : last + 1])
    if gaps.size:
        r = first + int(gaps[0])
        if fz_index is not None and not data[r, fz_index] * fz_scale >= min_load_n:
            raise RecordingError(
                name,
                f"vertical force {data[r, fz_index] * fz_scale:g} N is below the "
                f"{min_load_n:g} N minimum load in the middle of the recording, so the centre "
                "of pressure is undefined there",
                line=table.lines[r],
                column=repr(table.header[fz_index]),
            )
        column = ap_index if not np.isfinite(data[r, ap_index]) else ml_index
        raise RecordingError(
            name,
            "centre of pressure missing in the middle of the recording",
            line=table.lines[r],
            column=repr(table.header[column]),
        )
    after = data.shape[0] - 1 - last
    if first or after:
        notes.append(
            f"left out {counted(first, 'unloaded row')} at the start and {after} at the end "
            f"(analysed lines {table.lines[first]}–{table.lines[last]})"
        )
        return Table(table.header, data[first : last + 1], table.lines[first : last + 1])
    return table


def _time_axis(
    name: str, table: Table, fs_hz: float | None, notes: list[str]
) -> tuple[FloatArray, float]:
    n = table.data.shape[0]
    found = _find_time(table)
    if found is None:
        if fs_hz is None or not fs_hz > 0:
            raise RecordingError(
                name,
                "has no time column; give the sampling rate with --fs",
                line=table.lines[0] - 1,
            )
        notes.append(f"no time column: {fs_hz:g} Hz as given")
        return np.arange(n) / fs_hz, float(fs_hz)
    index, unit = found
    column = table.header[index]
    t = table.finite_column(name, index)
    check_times(name, t, table.lines[0], repr(column))
    if n < 2:
        raise RecordingError(name, "has fewer than two samples", line=table.lines[0])
    dt = float(np.median(np.diff(t)))
    if unit == "ms" or (unit is None and dt > 0.2):
        if unit is None:
            notes.append(f"time column {column!r} read as milliseconds (intervals of {dt:g})")
        t = t / 1000.0
        dt /= 1000.0
    elif unit not in (None, "s"):
        raise RecordingError(
            name, f"unknown time unit {unit!r} (use s or ms)", line=1, column=repr(column)
        )
    measured = round(1.0 / dt, 6)
    if fs_hz is not None:
        if abs(measured - fs_hz) > 0.05 * fs_hz:
            raise RecordingError(
                name,
                f"the given rate {fs_hz:g} Hz disagrees with the time column (≈ {measured:g} Hz)",
                column=repr(column),
            )
        return t - t[0], float(fs_hz)
    return t - t[0], measured
