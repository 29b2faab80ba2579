"""DorsiLab's force-plate trials as C3D files that other tools open with a force plate.

Laboratory frame (ISB/Vicon): X anterior, Y left, Z up, lengths in mm; the plate's centre
is at the origin, its surface at Z = 0. The plate is a type-2 platform (``FORCE_PLATFORM``:
``TYPE`` 2, ``CORNERS``, ``ORIGIN`` 0, ``CHANNEL`` 1–6, ``ZERO`` 0 0 because the signals are
already tared) whose own axes are DorsiLab's plate frame: x to the patient's right, y
forward, z up. Its corners are the load-cell rectangle (``plate.wbb_spacing_ml_mm`` ×
``plate.wbb_spacing_ap_mm`` in ``norms.toml``), listed so that corner 1 − corner 2 is +x and
corner 1 − corner 4 is +y, as the C3D standard defines a plate's axes.

Analog channels at the plate's nominal rate (the median sample interval of the recording;
DorsiLab's plates sample uniformly, so nothing is resampled):

- ``Fx Fy Fz`` (N): the force the plate exerts on the patient (z up, so Fz is the positive
  body load); a four-cell plate measures no shear, written as 0;
- ``Mx My Mz`` (N·mm) about the centre of the surface: ``Mx = COPy·Fz``, ``My = −COPx·Fz``,
  so ``COPx = −My/Fz`` (``reference/clinical.md`` §2.3(b)) in the plate frame;
- ``COPx COPy`` (mm, DorsiLab's plate frame: x right, y forward) and the four cells
  ``TR BR TL BL`` (N), for readers of the analog channels alone.

Tools that compute the plate's COP from ``FORCE_PLATFORM`` (ezc3d, Mokka, Visual3D) get
lab X = COPy (anterior) and lab Y = −COPx (left); DorsiLab reads it back as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app._version import __version__

CHANNELS = ("Fx", "Fy", "Fz", "Mx", "My", "Mz", "COPx", "COPy", "TR", "BR", "TL", "BL")
UNITS = ("N", "N", "N", "Nmm", "Nmm", "Nmm", "mm", "mm", "N", "N", "N", "N")


def nominal_rate_hz(t_s: npt.NDArray[np.float64]) -> float:
    """Sampling rate from the median interval of timestamps in seconds."""
    intervals = np.diff(np.asarray(t_s, dtype=float))
    intervals = intervals[np.isfinite(intervals) & (intervals > 0)]
    if intervals.size == 0:
        raise ValueError("cannot tell the sampling rate: timestamps do not increase")
    return float(1.0 / np.median(intervals))


def plate_corners_mm(width_ml_mm: float, depth_ap_mm: float) -> npt.NDArray[np.float64]:
    """Corners 1–4 in the laboratory (shape (3, 4), mm): right-front, left-front, left-back,
    right-back, so that the plate's x (1 − 2) is the patient's right (lab −Y) and its y
    (1 − 4) is forward (lab +X)."""
    x, y = depth_ap_mm / 2.0, width_ml_mm / 2.0
    return np.array([[x, x, -x, -x], [-y, y, y, -y], [0.0, 0.0, 0.0, 0.0]])


def _plate_size_mm() -> tuple[float, float]:
    from clinic_app.analysis.norms import load_norms

    norms = load_norms()
    return norms.value("plate.wbb_spacing_ml_mm"), norms.value("plate.wbb_spacing_ap_mm")


def write_plate_c3d(path: Path, samples: npt.NDArray[Any]) -> None:
    """Write force-plate samples (``drivers.base.PLATE_DTYPE``) as a C3D file with one
    type-2 force platform; the file appears whole or not at all."""
    import ezc3d  # imported here: the C++ extension is only needed for C3D files

    fs = nominal_rate_hz(samples["t_host_s"])
    fz = np.asarray(samples["fz_n"], dtype=float)
    cop_x = np.nan_to_num(np.asarray(samples["cop_x_mm"], dtype=float))
    cop_y = np.nan_to_num(np.asarray(samples["cop_y_mm"], dtype=float))
    zeros = np.zeros_like(fz)
    values = [zeros, zeros, fz, cop_y * fz, -cop_x * fz, zeros, cop_x, cop_y]
    values += [np.asarray(samples[cell], dtype=float) for cell in ("tr_n", "br_n", "tl_n", "bl_n")]
    c3d = ezc3d.c3d()
    params = c3d["parameters"]
    params["POINT"]["RATE"]["value"] = [fs]
    params["POINT"]["UNITS"]["value"] = ["mm"]
    params["ANALOG"]["RATE"]["value"] = [fs]
    params["ANALOG"]["LABELS"]["value"] = list(CHANNELS)
    params["ANALOG"]["UNITS"]["value"] = list(UNITS)
    if np.isfinite(fz).any():  # without a measured load there is no plate to describe
        platform = params["FORCE_PLATFORM"]
        platform["USED"]["value"] = np.array([1])
        # (1, 1): ezc3d writes a one-element array as a scalar, which readers that expect
        # TYPE to be an array of one type per plate (the c3d package) cannot index.
        platform["TYPE"]["value"] = np.array([[2]])
        platform["ZERO"]["value"] = np.array([0, 0])
        platform["CORNERS"]["value"] = plate_corners_mm(*_plate_size_mm()).reshape(3, 4, 1)
        platform["ORIGIN"]["value"] = np.zeros((3, 1))
        platform["CHANNEL"]["value"] = np.arange(1, 7).reshape(6, 1)
    c3d.add_parameter("POINT", "X_SCREEN", ["+X"])
    c3d.add_parameter("POINT", "Y_SCREEN", ["+Z"])
    c3d.add_parameter("MANUFACTURER", "COMPANY", ["DorsiLab"])
    c3d.add_parameter("MANUFACTURER", "SOFTWARE", ["DorsiLab"])
    c3d.add_parameter("MANUFACTURER", "VERSION_LABEL", [__version__])
    c3d["data"]["points"] = np.zeros((4, 0, len(fz)))
    c3d["data"]["analogs"] = np.vstack(values)[np.newaxis]
    tmp = path.with_name(path.name + ".part.c3d")
    c3d.write(str(tmp))
    tmp.replace(path)
