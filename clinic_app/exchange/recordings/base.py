"""The common shape of an imported force-plate recording, and the error for bad files."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.preprocess import is_uniform

FloatArray = npt.NDArray[np.float64]


class RecordingError(ValueError):
    """A recording file cannot be read; the message names the file, line and column.

    Attributes
    ----------
    path : str
    line : int or None
        1-based line number in the file (text formats).
    column : str or None
        Column name or number.
    """

    def __init__(
        self, path: str, problem: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        where = path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.column = column


@dataclass(frozen=True)
class ForceRecording:
    """A force-plate recording ready for sway analysis.

    Attributes
    ----------
    source : str
        File name it came from.
    format : str
        ``"bds"``, ``"csv"`` or ``"c3d"``.
    t_s : ndarray
        Sample times (s) from the start of the recording.
    cop_ap_cm, cop_ml_cm : ndarray
        Centre of pressure, antero-posterior (+forward) and medio-lateral (+right), in cm.
    fz_n : ndarray or None
        Vertical load (N) when the file has it.
    fs_hz : float
        Nominal sampling rate (Hz): declared, given, or 1 / median interval.
    uniform : bool
        False when the intervals vary by more than 5 %; such streams are resampled by
        window averaging before analysis.
    notes : tuple of str
        How columns and units were found (e.g. "units inferred as mm").
    start_s : float
        Time of the first sample in the file (s): readers that leave out frames before it
        (stepping on) say where the recording starts.
    plate : str
        Which force plate of the file, e.g. ``"plate 2 of 6"`` (empty: the file's only one).
    other_loads_n : tuple of (str, ndarray)
        The vertical load (N) on each other plate of the file over the same samples, named
        (``"plate 1"``); empty for files with one plate.
    """

    source: str
    format: str
    t_s: FloatArray
    cop_ap_cm: FloatArray
    cop_ml_cm: FloatArray
    fz_n: FloatArray | None
    fs_hz: float
    uniform: bool = True
    notes: tuple[str, ...] = field(default=())
    start_s: float = 0.0
    plate: str = ""
    other_loads_n: tuple[tuple[str, FloatArray], ...] = field(default=())

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.cop_ap_cm.size)


def check_times(path: str, t_s: FloatArray, first_line: int, column: str) -> None:
    """Raise :class:`RecordingError` at the first time that does not increase."""
    bad = np.flatnonzero(np.diff(t_s) <= 0)
    if bad.size:
        index = int(bad[0]) + 1
        raise RecordingError(
            path,
            f"time {t_s[index]:g} does not increase (previous {t_s[index - 1]:g})",
            line=first_line + index,
            column=column,
        )


__all__ = ["FloatArray", "ForceRecording", "RecordingError", "check_times", "is_uniform"]
