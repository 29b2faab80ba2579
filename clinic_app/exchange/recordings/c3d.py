"""Reader for force platforms in C3D files (ezc3d).

ezc3d computes each platform's forces and centre of pressure from the analog channels and
the ``FORCE_PLATFORM`` parameters (type, corners, origin, channels, calibration). The COP is
in the laboratory frame in ``POINT:UNITS``; DorsiLab reads lab x as medio-lateral and lab y
as antero-posterior (its plate frame). Resultant metrics do not depend on that assignment.

Files without ``FORCE_PLATFORM`` parameters (such as DorsiLab's own raw export) are read
from analog channels by label: ``COPx``/``COPy`` with ``Fz``, or ``Fx Fy Fz Mx My`` (plate
origin at the surface, ``COPx = −My/Fz``). Unloaded frames at the start and end (stepping on
and off) are left out with a note; unloaded frames in between are an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.cop import DEFAULT_MIN_LOAD_N, cop_from_six_component
from clinic_app.exchange.recordings.base import ForceRecording, RecordingError

LENGTH_TO_CM = {"mm": 0.1, "cm": 1.0, "m": 100.0}


def read_c3d(
    path: Path, platform: int | None = None, min_load_n: float = DEFAULT_MIN_LOAD_N
) -> ForceRecording:
    """Read the centre of pressure of one force platform of a C3D file.

    Parameters
    ----------
    path : Path
    platform : int, optional
        0-based platform index; by default the platform that carried the most load.
    min_load_n : float
        Every analog frame must carry at least this vertical load (N).

    Raises
    ------
    RecordingError
        For unreadable files, files without platforms, or frames without load.
    """
    import ezc3d  # imported here: the C++ extension is only needed for C3D files

    name = path.name
    if not path.is_file():
        raise RecordingError(str(path), "no such file")
    try:
        c3d: Any = ezc3d.c3d(str(path), extract_forceplat_data=True)
    except (RuntimeError, ValueError, IndexError, TypeError, OSError) as exc:
        raise RecordingError(name, f"is not a readable C3D file ({exc})") from None
    platforms = c3d["data"].get("platform", [])
    if not platforms:
        return _from_analog_channels(name, c3d, min_load_n)
    loads = [float(np.nanmean(np.abs(p["force"][2]))) for p in platforms]
    index = int(np.argmax(loads)) if platform is None else platform
    if not 0 <= index < len(platforms):
        raise RecordingError(name, f"has no platform {index + 1} (it has {len(platforms)})")
    chosen = platforms[index]
    fz = np.abs(np.asarray(chosen["force"][2], dtype=np.float64))
    cop = np.asarray(chosen["center_of_pressure"], dtype=np.float64)
    units = str(c3d["parameters"]["POINT"].get("UNITS", {}).get("value", ["mm"])[0]).strip()
    scale = LENGTH_TO_CM.get(units.lower())
    if scale is None:
        raise RecordingError(name, f"POINT:UNITS is {units!r}; expected mm, cm or m")
    notes = [
        f"C3D platform {index + 1} of {len(platforms)}; lab x → medio-lateral, "
        "lab y → antero-posterior"
    ]
    return _recording(name, c3d, fz, cop[0] * scale, cop[1] * scale, min_load_n, notes)


def _rate(name: str, c3d: Any) -> float:
    rate = float(c3d["parameters"]["ANALOG"]["RATE"]["value"][0])
    if not rate > 0:
        raise RecordingError(name, "has no analog rate (ANALOG:RATE)")
    return rate


def _from_analog_channels(name: str, c3d: Any, min_load_n: float) -> ForceRecording:
    labels = [str(v).strip() for v in c3d["parameters"]["ANALOG"]["LABELS"]["value"]]
    units = [str(v).strip() for v in c3d["parameters"]["ANALOG"].get("UNITS", {}).get("value", [])]
    analogs = np.asarray(c3d["data"]["analogs"], dtype=np.float64)[0]
    channel = {label.lower(): i for i, label in enumerate(labels)}

    def unit(label: str) -> str:
        i = channel[label]
        return units[i].lower() if i < len(units) else ""

    if "fz" not in channel:
        raise RecordingError(
            name, "has no force platform and no analog channel labelled Fz to read a COP from"
        )
    fz = np.abs(analogs[channel["fz"]])
    if "copx" in channel and "copy" in channel:
        scale = LENGTH_TO_CM.get(unit("copx") or "mm")
        if scale is None:
            raise RecordingError(name, f"COPx is in {unit('copx')!r}; expected mm, cm or m")
        ml, ap = analogs[channel["copx"]] * scale, analogs[channel["copy"]] * scale
        source = "analog channels COPx, COPy"
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
    return _recording(name, c3d, fz, ml, ap, min_load_n, [f"C3D {source}"])


def _recording(
    name: str,
    c3d: Any,
    fz: npt.NDArray[np.float64],
    ml_cm: npt.NDArray[np.float64],
    ap_cm: npt.NDArray[np.float64],
    min_load_n: float,
    notes: list[str],
) -> ForceRecording:
    rate = _rate(name, c3d)
    loaded = (fz >= min_load_n) & np.isfinite(ml_cm) & np.isfinite(ap_cm)
    frames = np.flatnonzero(loaded)
    if frames.size < 2:
        raise RecordingError(
            name, f"no analog frames with at least {min_load_n:g} N on the force platform"
        )
    first, last = int(frames[0]), int(frames[-1])
    gaps = np.flatnonzero(~loaded[first : last + 1])
    if gaps.size:
        frame = first + int(gaps[0])
        raise RecordingError(
            name,
            f"the platform carries {fz[frame]:g} N at analog frame {frame + 1}, below the "
            f"{min_load_n:g} N minimum load, so the centre of pressure is undefined there",
        )
    if first or last < fz.size - 1:
        notes.append(
            f"left out {first} unloaded frame(s) at the start and {fz.size - 1 - last} at the end"
        )
    span = slice(first, last + 1)
    return ForceRecording(
        source=name,
        format="c3d",
        t_s=np.arange(last + 1 - first) / rate,
        cop_ap_cm=np.ascontiguousarray(ap_cm[span]),
        cop_ml_cm=np.ascontiguousarray(ml_cm[span]),
        fz_n=np.ascontiguousarray(fz[span]),
        fs_hz=rate,
        uniform=True,
        notes=tuple(notes),
    )
