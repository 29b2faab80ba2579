"""Raw recordings export: one CSV per trial and device, and one C3D per force-plate trial.

File names say what is inside:
``session-<sid>/trial-<tid>-<protocol>-<side>[-<condition>]-<device>.csv`` (and ``.c3d``).
CSV columns are the sample fields of ``drivers.base`` (``t_host_s``, ``seq``, ``t_dev_s``,
then angles in degrees or forces in N and COP in mm).

C3D: one type-2 force platform with its ``FORCE_PLATFORM`` parameters, so other tools see a
plate (:mod:`clinic_app.exchange.c3d_writer` describes the frame and the channels).
"""

from __future__ import annotations

from pathlib import Path

from clinic_app.exchange.c3d_writer import write_plate_c3d
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
