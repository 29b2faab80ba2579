"""``clinic-app devices list|stream|configure``: ports, their protocols, live samples, settings.

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
``--csv`` a short human-readable line is printed twice a second instead. Streaming only
listens: it never changes a sensor's stored settings (for a WitMotion it sends nothing but
register reads), so ``--rate`` is refused for WitMotion; the line-protocol plate's rate is
a run-time setting of our own firmware and the Rion's is the host's poll rate.

``devices configure --port PORT [--rate HZ] [--content LIST] [--set-baud N] [--dry-run]``
changes a WitMotion sensor's stored settings - the one command that does. It prints each
change ("output rate 10 Hz → 100 Hz"), applies them (unlock → write → save), verifies them
by reading the registers back and records them in the application log. Without a change
option it prints the current settings; ``--dry-run`` prints what would change.
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
from drivers.base import Device, DeviceError, DeviceState, SampleArray
from drivers.lineplate import LinePlateDevice
from drivers.rion import RionDevice
from drivers.transport import list_ports, probe_port
from drivers.witmotion import WitMotionDevice

PROTOCOLS = ("witmotion", "witmotion-ble", "rion", "lineplate")
CONTENT_CHOICES = {
    "time": 0x50,
    "acc": 0x51,
    "gyro": 0x52,
    "angle": 0x53,
    "mag": 0x54,
    "port": 0x55,
    "pressure": 0x56,
    "gps": 0x57,
    "gps-speed": 0x58,
    "quaternion": 0x59,
    "gps-accuracy": 0x5A,
}
"""``--content`` names → WitMotion frame types."""
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
    listing.add_argument(
        "--ble", action="store_true", help="also scan for Bluetooth LE sensors (5 s)"
    )
    listing.set_defaults(func=run)
    stream = actions.add_parser("stream", help="decoded samples of one device")
    stream.add_argument(
        "--port", required=True, help="port path or pyserial URL (Bluetooth: the address)"
    )
    stream.add_argument("--protocol", required=True, choices=PROTOCOLS)
    stream.add_argument("--baud", type=int, default=None, help="baud rate (default per protocol)")
    stream.add_argument("--rate", type=float, default=None, help="output/poll rate to set, Hz")
    stream.add_argument(
        "--seconds", type=float, default=None, help="stop after S seconds (default: Ctrl+C)"
    )
    stream.add_argument("--csv", action="store_true", help="CSV on stdout (one row per sample)")
    stream.set_defaults(func=run)
    configure = actions.add_parser(
        "configure", help="change a WitMotion sensor's stored rate, output or baud rate"
    )
    configure.add_argument("--port", required=True, help="port path or pyserial URL")
    configure.add_argument("--protocol", default="witmotion", choices=("witmotion",))
    configure.add_argument("--baud", type=int, default=None, help="baud rate it talks at now")
    configure.add_argument("--rate", type=float, default=None, help="output rate to store, Hz")
    configure.add_argument(
        "--content",
        default=None,
        help="frame types to send, comma-separated: " + ", ".join(CONTENT_CHOICES),
    )
    configure.add_argument("--set-baud", type=int, default=None, help="new baud rate to store")
    configure.add_argument(
        "--dry-run", action="store_true", help="print what would change, change nothing"
    )
    configure.set_defaults(func=run)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Dispatch to ``list`` or ``stream``."""
    if args.action == "list":
        code = _list(probe=not args.no_probe, out=sys.stdout)
        return _list_ble(sys.stdout) if args.ble else code
    if args.action == "configure":
        return _configure(args, sys.stdout)
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


def _list_ble(out: TextIO) -> int:
    from drivers import ble_scan

    out.write("Scanning for Bluetooth LE sensors (5 s)…\n")
    out.flush()
    try:
        sensors = ble_scan.scan()
    except DeviceError as exc:
        raise UserError(str(exc)) from exc
    if not sensors:
        out.write("No Bluetooth LE sensor found. Switch it on and keep it within a few metres.\n")
        return 0
    rows = [["address", "name", "rssi", "protocol"]] + [
        [
            s.address,
            s.name or "-",
            f"{s.rssi} dBm",
            "witmotion-ble" if s.supported else f"- ({s.description})",
        ]
        for s in sensors
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    return 0


def make_device(
    protocol: str, port: str, baud: int | None = None, rate: float | None = None
) -> Device:
    """The device class for ``protocol`` on ``port`` (rate/baud None = its defaults)."""
    if protocol == "witmotion":
        if rate is not None:
            raise ValueError(
                "streaming only listens and never changes the sensor; to store a new output "
                f"rate use: clinic-app devices configure --port {port} --rate {rate:g}"
            )
        return WitMotionDevice(port, baudrate=baud or 115200)
    if protocol == "witmotion-ble":
        if rate is not None:
            raise ValueError("streaming only listens; a Bluetooth sensor's rate is not changed")
        from drivers.witmotion_ble import WitMotionBleDevice

        return WitMotionBleDevice(port)
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
    if args.rate is not None and not (math.isfinite(args.rate) and args.rate > 0):
        raise UserError("--rate must be a positive number of Hz")
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


def _content(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONTENT_CHOICES]
    if unknown or not names:
        raise UserError(
            f"--content: unknown frame type {', '.join(unknown) or '(none given)'}; "
            f"use a comma-separated list of {', '.join(CONTENT_CHOICES)}"
        )
    return tuple(CONTENT_CHOICES[n] for n in names)


def _configure(args: argparse.Namespace, out: TextIO) -> int:
    from clinic_app.logging_setup import configure as configure_logging

    if args.rate is not None and not (math.isfinite(args.rate) and args.rate > 0):
        raise UserError("--rate must be a positive number of Hz")
    content = _content(args.content)
    asked = args.rate is not None or content is not None or args.set_baud is not None
    configure_logging()
    device = WitMotionDevice(args.port, baudrate=args.baud or 115200, reconnect=False)
    try:
        device.open()
        settings = device.settings
        now = settings.describe() if settings is not None else "unknown (the sensor only sends)"
        if device.legacy:
            now = f"WT61/JY61 legacy firmware, {device.info.measured_rate_hz:g} Hz"
        out.write(f"{device.info.model} on {device.port} at {device.baudrate} baud: {now}\n")
        if not asked:
            return 0
        try:
            changes = device.plan(rate_hz=args.rate, content=content, baud=args.set_baud)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        if not changes:
            out.write("Nothing to change: the sensor already has these settings.\n")
            return 0
        for change in changes:
            out.write(f"  {change}\n")
        if args.dry_run:
            out.write("Dry run: nothing was changed.\n")
            return 0
        device.configure(rate_hz=args.rate, content=content, baud=args.set_baud)
        how = "by listening" if device.legacy else "by reading the registers back"
        out.write(f"Stored in the sensor and verified {how}.\n")
    except DeviceError as exc:
        raise UserError(str(exc)) from exc
    finally:
        device.close()
    return 0
