"""Reader for force platforms in C3D files from any laboratory.

ezc3d reads the file (analog channels already scaled to physical units); the platforms'
force and centre of pressure come from :mod:`.c3d_platforms` (types 1–4, the file's
``FORCE_PLATFORM`` parameters and units). The vertical direction is the plate's own normal
and antero-posterior / medio-lateral follow the file's laboratory frame with X anterior
(:mod:`.lab_axes`), whichever laboratory axis is vertical.

Of a file's plates, the one carrying load longest is read, over the span it is loaded
(frames before and after it are the patient stepping on and off). Whether that span is a
balance trial is :func:`.stance.balance_trial`'s question, not this reader's.

Files without ``FORCE_PLATFORM`` parameters (DorsiLab's earlier raw exports)
are read from analog channels by label: ``COPx``/``COPy`` with ``Fz`` in DorsiLab's plate
frame, or ``Fx Fy Fz Mx My`` (plate origin at the surface, ``COPx = −My/Fz``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clinic_app.analysis.cop import DEFAULT_MIN_LOAD_N, cop_from_six_component
from clinic_app.exchange.recordings.base import FloatArray, ForceRecording, RecordingError
from clinic_app.exchange.recordings.c3d_platforms import (
    PlatformData,
    platform_data,
    read_platforms,
)
from clinic_app.exchange.recordings.c3d_probe import probe
from clinic_app.exchange.recordings.c3d_size import check_whole
from clinic_app.exchange.recordings.stance import SETTLE_S, runs

LENGTH_TO_CM = {"mm": 0.1, "cm": 1.0, "m": 100.0}


def open_c3d(path: Path) -> Any:
    """The file as ezc3d reads it, or a :class:`RecordingError` saying why not."""
    import ezc3d  # imported here: the C++ extension is only needed for C3D files

    if not path.is_file():
        raise RecordingError(str(path), "no such file")
    check_whole(path)
    probe(path)
    try:
        return ezc3d.c3d(str(path))
    except (RuntimeError, ValueError, IndexError, TypeError, OSError, MemoryError) as exc:
        raise RecordingError(path.name, f"is not a readable C3D file ({exc})") from None


def analog_channels(c3d: Any) -> tuple[FloatArray, list[str], list[str]]:
    """Analog data (channels × frames) with each channel's label and unit."""
    group = c3d["parameters"]["ANALOG"]

    def strings(key: str) -> list[str]:
        values: list[str] = []
        for suffix in ("", *(str(i) for i in range(2, 100))):
            entry = group.get(f"{key}{suffix}")
            if entry is None:
                break
            values += [str(v).strip() for v in entry.get("value", [])]
        return values

    analogs = np.asarray(c3d["data"]["analogs"], dtype=np.float64)[0]
    return analogs, strings("LABELS"), strings("UNITS")


def analog_rate(name: str, c3d: Any) -> float:
    """``ANALOG:RATE`` (Hz), or the error that the file has none."""
    values = c3d["parameters"]["ANALOG"].get("RATE", {}).get("value", [])
    rate = float(values[0]) if len(values) else 0.0
    if not rate > 0:
        raise RecordingError(name, "has no analog rate (ANALOG:RATE)")
    return rate


def read_c3d(
    path: Path, platform: int | None = None, min_load_n: float = DEFAULT_MIN_LOAD_N
) -> ForceRecording:
    """Read the centre of pressure on one force platform of a C3D file.

    Parameters
    ----------
    path : Path
    platform : int, optional
        0-based platform index; by default the plate that carries load the longest.
    min_load_n : float
        Below this vertical load (N) a frame is unloaded: the centre of pressure is
        undefined there.

    Raises
    ------
    RecordingError
        For unreadable files, files without a readable plate, or no load on any plate.
    """
    name = path.name
    c3d = open_c3d(path)
    analogs, labels, units = analog_channels(c3d)
    plates, notes, length_mm = read_platforms(name, c3d["parameters"], analogs.shape[0])
    if not plates:
        if notes:
            raise RecordingError(
                name, "has force platforms, but none that DorsiLab can read: " + "; ".join(notes)
            )
        return _from_analog_channels(name, c3d, analogs, labels, units, min_load_n)
    rate = analog_rate(name, c3d)
    data = [platform_data(p, analogs, units, length_mm, min_load_n) for p in plates]
    total = int(np.asarray(c3d["parameters"]["FORCE_PLATFORM"]["USED"]["value"]).ravel()[0])
    if platform is not None:
        data = [d for d in data if d.platform.number == platform + 1]
        if not data:
            raise RecordingError(name, f"has no readable platform {platform + 1}")
    chosen, start, stop = _longest_load(name, data, rate, min_load_n, notes)
    plate = chosen.platform
    label = f"plate {plate.number} of {total}" if total > 1 else "the force plate"
    axes = plate.axes
    ap_mm, ml_mm = chosen.cop_ap_ml_mm(axes)
    width, depth = plate.size_mm
    notes.insert(
        0,
        f"C3D {label} (type {plate.type}, {width:.0f} × {depth:.0f} mm); {axes.describe()}",
    )
    span = slice(start, stop)
    return ForceRecording(
        source=name,
        format="c3d",
        t_s=np.arange(stop - start) / rate,
        cop_ap_cm=np.ascontiguousarray(ap_mm[span] / 10.0),
        cop_ml_cm=np.ascontiguousarray(ml_mm[span] / 10.0),
        fz_n=np.ascontiguousarray(chosen.load_n[span]),
        fs_hz=rate,
        uniform=True,
        notes=tuple(notes),
        start_s=start / rate,
        plate=label,
        other_loads_n=tuple(
            (f"plate {d.platform.number}", np.ascontiguousarray(d.load_n[span]))
            for d in data
            if d is not chosen
        ),
    )


def _longest_load(
    name: str, data: list[PlatformData], rate: float, min_load_n: float, notes: list[str]
) -> tuple[PlatformData, int, int]:
    """The plate and the frames [start, stop) of the longest continuous load."""
    spans = [(b - a, d, a, b) for d in data for a, b in runs(d.load_n >= min_load_n)]
    if not spans:
        peak = max(float(np.nanmax(d.load_n, initial=0.0)) for d in data)
        plates = f"its {len(data)} readable force plates" if len(data) > 1 else "its force plate"
        raise RecordingError(
            name,
            f"no force plate carries a load: the largest vertical force on {plates} is "
            f"{peak:.1f} N, below the {min_load_n:g} N at which a centre of pressure is defined"
            + "".join(f"; {note}" for note in notes),
        )
    _, chosen, start, stop = max(spans, key=lambda s: s[0])
    where = f"on plate {chosen.platform.number} "
    _one_stance(name, runs(chosen.load_n >= min_load_n), (start, stop), rate, min_load_n, where)
    return chosen, start, stop


def _one_stance(
    name: str,
    spans: list[tuple[int, int]],
    chosen: tuple[int, int],
    rate: float,
    min_load_n: float,
    where: str = "",
) -> None:
    """A second long load on the same plate: the patient stepped off and on again."""
    for span in spans:
        if span != chosen and (span[1] - span[0]) / rate >= SETTLE_S:
            first, second = sorted([span, chosen])
            raise RecordingError(
                name,
                f"the load {where}falls below {min_load_n:g} N from {first[1] / rate:.2f} s "
                f"to {second[0] / rate:.2f} s of the recording (the patient stepped off, or "
                "the plate lost its signal), so the file holds more than one stance; export "
                "one trial per file",
            )


def _from_analog_channels(
    name: str,
    c3d: Any,
    analogs: FloatArray,
    labels: list[str],
    units: list[str],
    min_load_n: float,
) -> ForceRecording:
    channel = {label.lower(): i for i, label in enumerate(labels)}

    def unit(label: str) -> str:
        i = channel[label]
        return units[i].lower() if i < len(units) else ""

    has_cop = "copx" in channel and "copy" in channel
    if "fz" not in channel and not has_cop:
        raise RecordingError(
            name, "has no force platform and no analog channel labelled Fz to read a COP from"
        )
    fz = np.abs(analogs[channel["fz"]]) if "fz" in channel else np.full(analogs.shape[1], np.nan)
    notes: list[str] = []
    if has_cop:
        scale = LENGTH_TO_CM.get(unit("copx") or "mm")
        if scale is None:
            raise RecordingError(name, f"COPx is in {unit('copx')!r}; expected mm, cm or m")
        ml, ap = analogs[channel["copx"]] * scale, analogs[channel["copy"]] * scale
        source = "analog channels COPx, COPy (DorsiLab's plate frame)"
    elif all(k in channel for k in ("fx", "fy", "mx", "my")):
        to_nm = 0.001 if unit("mx") in ("nmm", "n.mm", "n·mm") else 1.0
        cop = cop_from_six_component(
            analogs[channel["fx"]], analogs[channel["fy"]], fz,
            analogs[channel["mx"]] * to_nm, analogs[channel["my"]] * to_nm,
            min_load_n=0.0,
        )  # fmt: skip
        ml, ap = cop.cop_ml_mm / 10.0, cop.cop_ap_mm / 10.0
        source = "analog channels Fx Fy Fz Mx My (origin at the surface)"
    else:
        raise RecordingError(name, "has no force platform and no COPx/COPy or Mx/My channels")
    rate = analog_rate(name, c3d)
    measured = bool(np.isfinite(fz).any())  # DorsiLab exports of files that had no force
    loaded = np.isfinite(ml) & np.isfinite(ap) & ((fz >= min_load_n) if measured else True)
    if not measured:
        notes.append("no vertical load recorded (Fz empty): every frame with a COP is used")
    spans = runs(loaded)
    if not spans:
        raise RecordingError(
            name,
            f"the plate carries no load: its largest vertical force is "
            f"{float(np.nanmax(fz, initial=0.0)):.1f} N, below the {min_load_n:g} N at which "
            "a centre of pressure is defined",
        )
    start, stop = max(spans, key=lambda s: s[1] - s[0])
    _one_stance(name, spans, (start, stop), rate, min_load_n)
    span = slice(start, stop)
    return ForceRecording(
        source=name,
        format="c3d",
        t_s=np.arange(stop - start) / rate,
        cop_ap_cm=np.ascontiguousarray(ap[span]),
        cop_ml_cm=np.ascontiguousarray(ml[span]),
        fz_n=np.ascontiguousarray(fz[span]) if measured else None,
        fs_hz=rate,
        uniform=True,
        notes=(f"C3D {source}", *notes),
        start_s=start / rate,
    )
