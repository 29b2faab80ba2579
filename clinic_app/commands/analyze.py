"""``clinic-app analyze FILE [--format {auto,bds,csv,c3d}] [--json]``: sway metrics of a file."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.commands._args import non_negative_number, positive_int, positive_number
from clinic_app.errors import UserError
from clinic_app.output_paths import check_input

# (key, label, format) for the readable table; units are in the labels. Six significant
# figures, so the published reference values can be read off directly.
_ROWS = (
    ("path_length_cm", "path length (cm)", ".6g"),
    ("mean_velocity_cm_s", "mean velocity (cm/s)", ".6g"),
    ("mean_velocity_ap_cm_s", "mean velocity AP (cm/s)", ".6g"),
    ("mean_velocity_ml_cm_s", "mean velocity ML (cm/s)", ".6g"),
    ("mean_distance_cm", "mean distance (cm)", ".6g"),
    ("rms_distance_cm", "RMS distance (cm)", ".6g"),
    ("range_ap_cm", "range AP (cm)", ".6g"),
    ("range_ml_cm", "range ML (cm)", ".6g"),
    ("range_cm", "range, resultant (cm)", ".6g"),
    ("ellipse_area_95_cm2", "95 % prediction ellipse area (cm²)", ".6g"),
    ("ellipse_angle_deg", "ellipse orientation (° from ML)", ".6g"),
    ("confidence_circle_area_95_cm2", "95 % confidence circle area (cm²)", ".6g"),
    ("sway_area_cm2_s", "sway area (cm²/s)", ".6g"),
    ("mean_frequency_hz", "mean frequency (Hz)", ".6g"),
    ("mean_power_frequency_hz", "mean power frequency (Hz)", ".6g"),
    ("median_power_frequency_hz", "median power frequency (Hz)", ".6g"),
    ("power_frequency_95_hz", "95 % power frequency (Hz)", ".6g"),
    ("total_power_cm2", "total power (cm²)", ".6g"),
)


def register(subparsers: Any) -> None:
    """Add the ``analyze`` command."""
    parser = subparsers.add_parser(
        "analyze",
        help="sway metrics of a force-plate recording",
        description=(
            "Prieto sway metrics of a force-plate recording (balance data set TSV, CSV or C3D). "
            "The file must hold a balance trial: a steady single-leg load for at least the "
            "protocol's trial length; its stance (without stepping on and off) is analysed "
            "as recorded, with no extra filter unless asked."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="recording to analyse")
    parser.add_argument(
        "--format", choices=("auto", "bds", "csv", "c3d"), default="auto", help="file format"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--fs",
        type=float,
        metavar="HZ",
        help="sampling rate of a CSV without a time column",
    )
    parser.add_argument(
        "--lowpass",
        type=positive_number,
        metavar="HZ",
        help="zero-lag Butterworth low-pass (e.g. 10)",
    )
    parser.add_argument(
        "--order",
        type=positive_int,
        default=4,
        metavar="N",
        help="effective filter order (default 4)",
    )
    parser.add_argument(
        "--trim",
        type=non_negative_number,
        nargs=2,
        default=(0.0, 0.0),
        metavar=("START_S", "END_S"),
        help="seconds to drop at the start and the end",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Read the file, compute the metrics, print them."""
    from clinic_app.analysis.pipeline import sway_from_cop
    from clinic_app.analysis.preprocess import SignalError
    from clinic_app.exchange.recordings import RecordingError, read_balance_trial

    if args.fs is not None and not (math.isfinite(args.fs) and args.fs > 0):
        raise UserError(f"--fs must be a positive rate in Hz, got {args.fs:g}")
    check_input(args.file)  # a pipe or device would block the read
    try:
        recording = read_balance_trial(args.file, args.format, fs_hz=args.fs)
        metrics = sway_from_cop(
            recording.cop_ap_cm,
            recording.cop_ml_cm,
            fs_hz=recording.fs_hz,
            t_s=recording.t_s,
            uniform=recording.uniform,
            lowpass_hz=args.lowpass,
            filter_order=args.order,
            trim_s=(args.trim[0], args.trim[1]),
        )
    except RecordingError as exc:
        raise UserError(str(exc)) from None
    except SignalError as exc:
        raise UserError(f"{args.file.name}: {exc}") from None
    processing = metrics.processing
    if args.json:
        payload: dict[str, Any] = dict(metrics.to_json())
        payload["processing"] = processing.to_dict() if processing else None
        payload["source"] = {"file": recording.source, "format": recording.format}
        print(json.dumps(payload, indent=2))
        return 0
    values = metrics.to_json()
    print(f"{recording.source}  ({recording.format}, {recording.n} samples)")
    print(
        f"  analysed: {metrics.n} samples at {metrics.fs_hz:g} Hz = {metrics.duration_s:.2f} s"
        f"; filter: {processing.filter_text if processing else 'none'}"
        f"; trim: {args.trim[0]:g} s / {args.trim[1]:g} s"
        + ("; resampled by window averaging" if processing and processing.resampled else "")
    )
    for note in recording.notes:
        print(f"  note: {note}")
    width = max(len(label) for _, label, _ in _ROWS)
    for key, label, spec in _ROWS:
        print(f"  {label:<{width}}  {format(values[key], spec)}")
    return 0
