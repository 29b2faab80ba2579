"""``clinic-app devices list|stream``: serial ports, their protocols, and live samples.

``devices list`` prints one line per serial port: path, USB VID:PID, serial number,
description and - unless ``--no-probe`` - the protocol the port answers (probing takes
about a second per port and sends only harmless requests).

``devices stream --port PORT --protocol P [--baud N] [--rate HZ] [--seconds S] --csv``
opens the device, streams, and prints every decoded sample as CSV on stdout:

* inclinometers: ``t_s,angle_x_deg,angle_y_deg,angle_z_deg`` (Z empty where the device
  has none);
* force plates: ``t_s,fz_n,cop_x_mm,cop_y_mm,tr_n,br_n,tl_n,bl_n`` (COP empty below the
  minimum load).

``t_s`` is seconds since the stream started (host clock at read). State changes (lost,
reconnecting…) and a final count of samples and lost samples go to stderr. Without
``--csv`` a short human-readable line is printed twice a second instead.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any, TextIO

from clinic_app import paths
from clinic_app.commands import AppContext
from clinic_app.errors import UserError
from drivers.base import DeviceError, DeviceState, SampleArray
from drivers.lineplate import LinePlateDevice
from drivers.rion import RionDevice
from drivers.serial_device import SerialDevice
from drivers.transport import list_ports, probe_port
from drivers.witmotion import WitMotionDevice

PROTOCOLS = ("witmotion", "rion", "lineplate")
INCLINOMETER_COLUMNS = ("angle_x_deg", "angle_y_deg", "angle_z_deg")
PLATE_COLUMNS = ("fz_n", "cop_x_mm", "cop_y_mm", "tr_n", "br_n", "tl_n", "bl_n")


def register(subparsers: Any) -> None:
    """Add the ``devices`` command and its ``list`` and ``stream`` actions."""
    parser = subparsers.add_parser("devices", help="list serial devices or stream samples")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="serial ports and the protocol each one answers")
    listing.add_argument(
        "--no-probe", action="store_true", help="do not probe the ports (faster, no protocol)"
    )
    listing.set_defaults(func=run)
    stream = actions.add_parser("stream", help="decoded samples of one device")
    stream.add_argument("--port", required=True, help="port path or pyserial URL")
    stream.add_argument("--protocol", required=True, choices=PROTOCOLS)
    stream.add_argument("--baud", type=int, default=None, help="baud rate (default per protocol)")
    stream.add_argument("--rate", type=float, default=None, help="output/poll rate to set, Hz")
    stream.add_argument(
        "--seconds", type=float, default=None, help="stop after S seconds (default: Ctrl+C)"
    )
    stream.add_argument("--csv", action="store_true", help="CSV on stdout (one row per sample)")
    stream.set_defaults(func=run)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Dispatch to ``list`` or ``stream``."""
    if args.action == "list":
        return _list(probe=not args.no_probe, out=sys.stdout)
    return _stream(args, sys.stdout)


def _list(probe: bool, out: TextIO) -> int:
    ports = list_ports()
    if not ports:
        out.write("No serial ports found. Plug the device in (and pair it, for Bluetooth).\n")
        return 0
    header = ["port", "vid:pid", "serial", "description"] + (["protocol"] if probe else [])
    rows = []
    for port in ports:
        row = [port.device, port.vid_pid or "-", port.serial_number or "-", port.description]
        if probe:
            result = probe_port(port.device)
            row.append(f"{result.protocol} @ {result.baudrate}" if result.protocol else "-")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")
    return 0


def make_device(
    protocol: str, port: str, baud: int | None = None, rate: float | None = None
) -> SerialDevice:
    """The device class for ``protocol`` on ``port`` (rate/baud None = its defaults)."""
    if protocol == "witmotion":
        return WitMotionDevice(port, baudrate=baud or 115200, rate_hz=rate)
    if protocol == "rion":
        return RionDevice(port, baudrate=baud or 9600, rate_hz=rate or 20.0)
    if protocol == "lineplate":
        return LinePlateDevice(
            port,
            baudrate=baud or 115200,
            rate_hz=int(rate) if rate else None,
            calibration_dir=paths.config_dir(),
        )
    raise UserError(f"unknown protocol '{protocol}'; use one of {', '.join(PROTOCOLS)}")


def _cell(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.6f}"


def _stream(args: argparse.Namespace, out: TextIO) -> int:
    if args.seconds is not None and not args.seconds > 0:
        raise UserError("--seconds must be a positive number")
    try:
        device = make_device(args.protocol, args.port, args.baud, args.rate)
    except ValueError as exc:
        raise UserError(f"--rate: {exc}") from exc

    def on_state(state: DeviceState, message: str) -> None:
        if state in (DeviceState.LOST, DeviceState.RECONNECTING, DeviceState.STREAMING):
            sys.stderr.write(f"{args.protocol}: {message}\n")

    try:
        device.open()
    except DeviceError as exc:
        raise UserError(str(exc)) from exc
    columns = PLATE_COLUMNS if args.protocol == "lineplate" else INCLINOMETER_COLUMNS
    if args.csv:
        out.write("t_s," + ",".join(columns) + "\n")
    count = 0
    try:
        device.add_state_listener(on_state)
        t0 = time.monotonic()
        device.start()
        cursor, last_print = 0, 0.0
        end = t0 + args.seconds if args.seconds is not None else math.inf
        while True:
            now = time.monotonic()
            if now >= end:
                break
            time.sleep(min(0.05, max(0.0, end - now)))
            samples, cursor, _ = device.buffer.read_new(cursor)
            count += len(samples)
            if args.csv:
                _write_rows(out, samples, columns, t0)
            elif len(samples) and now - last_print >= 0.5:
                last = samples[-1]
                values = "  ".join(f"{c}={_cell(float(last[c]))}" for c in columns)
                out.write(f"t={last['t_host_s'] - t0:8.3f} s  {values}\n")
                last_print = now
            out.flush()
    except DeviceError as exc:
        raise UserError(str(exc)) from exc
    except BrokenPipeError:
        # The reader (e.g. ``| head``) is gone: stop quietly, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        device.close()
    sys.stderr.write(f"{args.protocol}: {count} samples, {device.lost_samples} lost\n")
    return 0


def _write_rows(out: TextIO, samples: SampleArray, columns: tuple[str, ...], t0: float) -> None:
    if len(samples) == 0:
        return
    t = samples["t_host_s"] - t0
    cols = [samples[c] for c in columns]
    lines = []
    for i in range(len(samples)):
        lines.append(",".join([f"{t[i]:.6f}", *(_cell(float(col[i])) for col in cols)]))
    out.write("\n".join(lines) + "\n")
