"""Force-plate recordings from files: the balance data set's TSV, generic CSV and C3D.

Use :func:`read_recording`; every reader returns a :class:`ForceRecording` (COP in cm,
antero-posterior and medio-lateral) or raises :class:`RecordingError` whose message names
the file, line and column of the first problem. :func:`read_balance_trial` also checks that
the recording is a balance trial (long enough, a load that holds, one leg) and returns its
stance.
"""

from __future__ import annotations

from pathlib import Path

from clinic_app.exchange.recordings.base import ForceRecording, RecordingError
from clinic_app.exchange.recordings.bds import looks_like_bds, read_bds
from clinic_app.exchange.recordings.c3d import read_c3d
from clinic_app.exchange.recordings.csv_table import read_csv_recording
from clinic_app.exchange.recordings.stance import BalanceRules, balance_trial

FORMATS = ("auto", "bds", "csv", "c3d")


def detect_format(path: Path) -> str:
    """``"c3d"`` by extension or magic byte, ``"bds"`` by its header line, else ``"csv"``."""
    if path.suffix.lower() == ".c3d":
        return "c3d"
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise RecordingError(str(path), f"cannot be read ({exc.strerror})") from None
    if len(head) >= 2 and head[1] == 0x50:  # C3D header: byte 2 is always 0x50
        return "c3d"
    if looks_like_bds(head.decode("utf-8", errors="replace")):
        return "bds"
    return "csv"


def read_recording(
    path: Path | str, fmt: str = "auto", *, fs_hz: float | None = None
) -> ForceRecording:
    """Read a force-plate recording.

    Parameters
    ----------
    path : Path or str
    fmt : {"auto", "bds", "csv", "c3d"}
    fs_hz : float, optional
        Sampling rate for CSV files without a time column (Hz).

    Raises
    ------
    RecordingError
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise RecordingError(
            str(path), f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})"
        )
    if not path.exists():
        raise RecordingError(str(path), "no such file")
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "bds":
        return read_bds(path)
    if fmt == "c3d":
        return read_c3d(path)
    return read_csv_recording(path, fs_hz=fs_hz)


def read_balance_trial(
    path: Path | str,
    fmt: str = "auto",
    *,
    fs_hz: float | None = None,
    rules: BalanceRules | None = None,
) -> ForceRecording:
    """Read a recording and return its stance as a balance trial.

    Parameters
    ----------
    path, fmt, fs_hz
        As :func:`read_recording`.
    rules : BalanceRules, optional
        Default: from the bundled ``norms.toml``.

    Raises
    ------
    RecordingError
        The file cannot be read, or it is not a balance trial (the message says why, about
        the file).
    """
    if rules is None:
        from clinic_app.analysis.norms import load_norms

        rules = BalanceRules.from_norms(load_norms())
    return balance_trial(read_recording(path, fmt, fs_hz=fs_hz), rules)


__all__ = [
    "FORMATS",
    "BalanceRules",
    "ForceRecording",
    "RecordingError",
    "detect_format",
    "read_balance_trial",
    "read_recording",
]
