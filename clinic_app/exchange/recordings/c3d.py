"""Reader for force platforms in C3D files (ezc3d).

ezc3d computes each platform's forces and centre of pressure from the analog channels and
the ``FORCE_PLATFORM`` parameters (type, corners, origin, channels, calibration). The COP is
in the laboratory frame in ``POINT:UNITS``; DorsiLab reads lab x as medio-lateral and lab y
as antero-posterior (its plate frame). Resultant metrics do not depend on that assignment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clinic_app.analysis.cop import DEFAULT_MIN_LOAD_N
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
        raise RecordingError(name, "has no force platform (FORCE_PLATFORM:USED is 0)")
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
    rate = float(c3d["parameters"]["ANALOG"]["RATE"]["value"][0])
    if not rate > 0 or fz.size < 2:
        raise RecordingError(name, "has no analog samples for its force platform")
    low = np.flatnonzero(~(fz >= min_load_n))
    if low.size:
        frame = int(low[0])
        raise RecordingError(
            name,
            f"platform {index + 1} carries {fz[frame]:g} N at analog frame {frame + 1}, below the "
            f"{min_load_n:g} N minimum load, so the centre of pressure is undefined there",
        )
    return ForceRecording(
        source=name,
        format="c3d",
        t_s=np.arange(fz.size) / rate,
        cop_ap_cm=np.ascontiguousarray(cop[1] * scale),
        cop_ml_cm=np.ascontiguousarray(cop[0] * scale),
        fz_n=fz,
        fs_hz=rate,
        uniform=True,
        notes=(
            f"C3D platform {index + 1} of {len(platforms)}; lab x → medio-lateral, "
            "lab y → antero-posterior",
        ),
    )
