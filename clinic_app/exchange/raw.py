"""Raw recordings export: one CSV per trial and device, and one C3D per force-plate trial.

File names say what is inside:
``session-<sid>/trial-<tid>-<protocol>-<side>[-<condition>]-<device>.csv`` (and ``.c3d``).
CSV columns are the sample fields of ``drivers.base`` (``t_host_s``, ``seq``, ``t_dev_s``,
then angles in degrees or forces in N and COP in mm).

C3D (through ezc3d): analog channels at the plate's nominal rate (the median sample
interval of the recording; DorsiLab's plates sample uniformly, so no resampling is done),
labelled ``Fx Fy Fz Mx My Mz`` in N and N·mm with the moments those of a plate whose origin
is at its surface (``Mx = COPy·Fz``, ``My = −COPx·Fz``; so ``COPx = −My/Fz`` as
``reference/clinical.md`` §2.3(b)), then ``COPx COPy`` in mm and the four cells ``TR BR TL
BL`` in N. Shear forces are not measured by a four-cell plate and are written as 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ezc3d
import numpy as np
import numpy.typing as npt

from clinic_app.exchange.collect import PatientBundle, SessionBundle, TrialBundle
from clinic_app.exchange.csv_format import write_recording_csv
from clinic_app.exchange.deidentify import Pseudonymizer


def write_raw_recordings(
    folder: Path,
    bundle: PatientBundle,
    pseudonymizer: Pseudonymizer | None = None,
    *,
    excel: bool = False,
) -> list[Path]:
    """Write every recording of a patient below ``folder``; return the files written.

    CSVs go through the spreadsheet-safe writer (``excel``: BOM and CRLF).
    """
    written: list[Path] = []
    for session_bundle in bundle.sessions:
        session_dir = folder / _session_dir(session_bundle, pseudonymizer)
        for item in session_bundle.trials:
            for device, samples in item.recordings.items():
                if len(samples) == 0:
                    continue
                session_dir.mkdir(parents=True, exist_ok=True)
                stem = _trial_stem(item, device, pseudonymizer)
                csv_path = session_dir / f"{stem}.csv"
                write_recording_csv(csv_path, samples, excel=excel)
                written.append(csv_path)
                if device == "plate" and len(samples) >= 2:
                    c3d_path = session_dir / f"{stem}.c3d"
                    write_plate_c3d(c3d_path, samples)
                    written.append(c3d_path)
    return written


def nominal_rate_hz(t_s: npt.NDArray[np.float64]) -> float:
    """Sampling rate from the median interval of timestamps in seconds."""
    intervals = np.diff(np.asarray(t_s, dtype=float))
    intervals = intervals[np.isfinite(intervals) & (intervals > 0)]
    if intervals.size == 0:
        raise ValueError("cannot tell the sampling rate: timestamps do not increase")
    return float(1.0 / np.median(intervals))


def write_plate_c3d(path: Path, samples: npt.NDArray[Any]) -> None:
    """Write force-plate samples (``PLATE_DTYPE``) as a C3D file of analog channels."""
    fs = nominal_rate_hz(samples["t_host_s"])
    fz = np.asarray(samples["fz_n"], dtype=float)
    cop_x = np.nan_to_num(np.asarray(samples["cop_x_mm"], dtype=float))
    cop_y = np.nan_to_num(np.asarray(samples["cop_y_mm"], dtype=float))
    zeros = np.zeros_like(fz)
    channels = {
        "Fx": (zeros, "N"),
        "Fy": (zeros, "N"),
        "Fz": (fz, "N"),
        "Mx": (cop_y * fz, "Nmm"),
        "My": (-cop_x * fz, "Nmm"),
        "Mz": (zeros, "Nmm"),
        "COPx": (cop_x, "mm"),
        "COPy": (cop_y, "mm"),
        "TR": (np.asarray(samples["tr_n"], dtype=float), "N"),
        "BR": (np.asarray(samples["br_n"], dtype=float), "N"),
        "TL": (np.asarray(samples["tl_n"], dtype=float), "N"),
        "BL": (np.asarray(samples["bl_n"], dtype=float), "N"),
    }
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [fs]
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [fs]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(channels)
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = tuple(unit for _, unit in channels.values())
    c3d["data"]["points"] = np.zeros((4, 0, len(fz)))
    c3d["data"]["analogs"] = np.vstack([values for values, _ in channels.values()])[np.newaxis]
    tmp = path.with_name(path.name + ".part.c3d")
    c3d.write(str(tmp))
    tmp.replace(path)


def _session_dir(bundle: SessionBundle, pseudo: Pseudonymizer | None) -> str:
    session = bundle.session
    return f"session-{session.id if pseudo is None else pseudo.pseudonym('session', session.uid)}"


def _trial_stem(item: TrialBundle, device: str, pseudo: Pseudonymizer | None) -> str:
    trial = item.trial
    tid = trial.id if pseudo is None else pseudo.pseudonym("trial", trial.uid)
    parts = [f"trial-{tid}", trial.protocol, trial.side]
    if trial.condition:
        parts.append(trial.condition)
    parts.append(device)
    return "-".join(parts)
