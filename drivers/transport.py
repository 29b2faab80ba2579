"""Opening serial ports by URL, listing them, and finding the same device again.

Every device opens its port through :func:`open_port`, which wraps
:func:`serial.serial_for_url` with ``exclusive=True``, so ``loop://``, ``spy://``,
``socket://``, pseudo-terminals and real ports all work, and a second program holding the
port is reported instead of silently sharing it. pyserial's errors become
:class:`drivers.base.DeviceError` subclasses whose messages say what to do.

Port discovery (:func:`list_ports`) reads :func:`serial.tools.list_ports.comports`; the
lister is injectable because pseudo-terminals never appear there. :func:`probe_port` tells
which protocol a port speaks (WitMotion frames, a Rion reply, the line protocol's
``$INFO``), because generic USB bridges (CH340, CP210x, FTDI) say nothing about the
device behind them.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import serial
from serial.tools import list_ports as _list_ports

from drivers.base import DeviceError, PortBusyError, PortNotFoundError

__all__ = [
    "TRANSPORT_ERRORS",
    "LinkLost",
    "PortIdentity",
    "PortInfo",
    "PortLister",
    "ProbeResult",
    "find_port",
    "list_ports",
    "map_serial_error",
    "open_port",
    "probe_port",
]


try:  # termios exists on POSIX only; a pty raises termios.error on some settings.
    import termios

    _TermiosError: type[Exception] = termios.error
except ImportError:  # pragma: no cover - Windows
    _TermiosError = OSError

TRANSPORT_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError, _TermiosError)
"""Exceptions that mean "the link is gone" (USB unplug, Bluetooth drop, pty closed)."""


class LinkLost(Exception):
    """Raised inside a device worker when the transport failed or the device went silent."""


@dataclass(frozen=True)
class PortInfo:
    """One serial port as the operating system describes it.

    Attributes
    ----------
    device : str
        Path or name to open (``/dev/ttyUSB0``, ``COM3``, a pty path or a URL).
    vid, pid : int or None
        USB vendor and product id of the bridge (None for non-USB ports).
    serial_number, location, description, manufacturer : str
        As reported by the USB stack ("" when unknown). ``location`` is the USB
        bus path (e.g. ``1-1.2:1.0``); it is stable while the cable stays in the same socket.
    """

    device: str
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""
    location: str = ""
    description: str = ""
    manufacturer: str = ""

    @property
    def vid_pid(self) -> str:
        """``"1A86:7523"`` style identifier, or "" for non-USB ports."""
        if self.vid is None or self.pid is None:
            return ""
        return f"{self.vid:04X}:{self.pid:04X}"


PortLister = Callable[[], Sequence[PortInfo]]
"""A callable returning the ports currently present (injectable for tests)."""


def _from_pyserial(port: Any) -> PortInfo:
    return PortInfo(
        device=str(port.device),
        vid=port.vid,
        pid=port.pid,
        serial_number=port.serial_number or "",
        location=port.location or "",
        description=port.description if port.description not in (None, "n/a") else "",
        manufacturer=port.manufacturer or "",
    )


def system_ports() -> list[PortInfo]:
    """Ports known to the operating system (:func:`serial.tools.list_ports.comports`).

    On macOS only the ``/dev/cu.*`` call-out devices are listed: opening the matching
    ``/dev/tty.*`` blocks until the carrier-detect line is raised, which USB bridges
    never do.
    """
    ports = [_from_pyserial(p) for p in _list_ports.comports()]
    if sys.platform == "darwin":
        ports = [p for p in ports if not p.device.startswith("/dev/tty.")]
    return ports


def list_ports(lister: PortLister | None = None) -> list[PortInfo]:
    """Serial ports present now, sorted by device name.

    Parameters
    ----------
    lister : callable, optional
        Source of ports; :func:`system_ports` when None. Tests pass a lister that
        returns their pseudo-terminals, which the operating system never lists.
    """
    ports = list((lister or system_ports)())
    return sorted(ports, key=lambda p: p.device)


@dataclass(frozen=True)
class PortIdentity:
    """What makes "the same physical device" when it comes back after an unplug.

    A USB device is matched by serial number, else by USB location (same socket); a
    port without either (a pty, a built-in UART, a URL) is matched by its path.
    """

    device: str
    serial_number: str = ""
    location: str = ""

    @classmethod
    def of(cls, device: str, ports: Iterable[PortInfo]) -> PortIdentity:
        """The identity of ``device`` as currently listed (path only if not listed)."""
        for port in ports:
            if port.device == device:
                return cls(device, port.serial_number, port.location)
        return cls(device)


def find_port(identity: PortIdentity, ports: Iterable[PortInfo]) -> str | None:
    """The path under which the device of ``identity`` is present now, or None.

    A USB device re-enumerates under a new name after an unplug (``ttyUSB0`` →
    ``ttyUSB1``), so serial number and location come before the path.
    """
    listed = list(ports)
    if identity.serial_number:
        for port in listed:
            if port.serial_number == identity.serial_number:
                return port.device
        return None
    if identity.location:
        for port in listed:
            if port.location == identity.location:
                return port.device
        return None
    if any(p.device == identity.device for p in listed):
        return identity.device
    if "://" in identity.device or os.path.exists(identity.device):
        return identity.device
    return None


def map_serial_error(exc: BaseException, port: str) -> DeviceError:
    """Turn a pyserial/OS error from opening ``port`` into a message a clinician can act on."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if isinstance(exc, ValueError) and "protocol" in text:
        return PortNotFoundError(f"'{port}' is not a port name or a supported port URL ({text}).")
    if code == errno.ENOENT or "No such file" in text or "FileNotFoundError" in text:
        return PortNotFoundError(
            f"There is no port {port}. Check that the device is plugged in and pick it "
            "again from the list of ports."
        )
    if code in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK) or "exclusively lock" in text:
        return PortBusyError(
            f"Port {port} is in use by another program. Close the other program "
            "(or another DorsiLab window) and try again."
        )
    if code in (errno.EACCES, errno.EPERM) or "PermissionError" in text:
        if sys.platform.startswith("linux"):
            hint = (
                "Add your user to the 'dialout' group (sudo usermod -aG dialout $USER), "
                "then log out and back in."
            )
        else:
            hint = "Another program may hold it, or your account lacks access to it."
        return PortBusyError(f"Permission denied when opening port {port}. {hint}")
    return DeviceError(f"Could not open port {port}: {text}")


def open_port(
    url: str,
    baudrate: int = 115200,
    timeout: float = 0.05,
    write_timeout: float | None = 1.0,
) -> serial.SerialBase:
    """Open a port or pyserial URL for exclusive use.

    Parameters
    ----------
    url : str
        A device path (``/dev/ttyUSB0``, ``COM3``, a pty) or a pyserial URL
        (``loop://``, ``spy://…``, ``socket://host:port``).
    baudrate : int
        Bits per second (8N1, no flow control).
    timeout : float
        Read timeout in seconds; short, so reader threads notice a stop request quickly.
    write_timeout : float or None
        Write timeout in seconds.

    Raises
    ------
    PortNotFoundError, PortBusyError, DeviceError
        With a message that says what to do.
    """
    try:
        port = serial.serial_for_url(
            url,
            baudrate=baudrate,
            timeout=timeout,
            write_timeout=write_timeout,
            exclusive=True,
        )
    except (serial.SerialException, OSError, ValueError) as exc:
        raise map_serial_error(exc, url) from exc
    return port


# ---------------------------------------------------------------------- probing
PROBE_BAUDS: tuple[int, ...] = (115200, 9600)
"""Rates probed: the enclosed-WitMotion/line-plate default first, then 9600 (WitMotion TTL
boards, Rion)."""


@dataclass(frozen=True)
class ProbeResult:
    """Which protocol a port speaks.

    Attributes
    ----------
    port : str
    protocol : str or None
        ``"witmotion"``, ``"rion"``, ``"lineplate"``, or None when nothing answered.
    baudrate : int or None
        The rate it answered at.
    detail : str
        What was seen, or why probing failed, in words.
    """

    port: str
    protocol: str | None
    baudrate: int | None
    detail: str


def _read_for(port: serial.SerialBase, seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    chunks = []
    while time.monotonic() < deadline:
        chunk = port.read(max(1, port.in_waiting))
        if chunk:
            chunks.append(chunk)
    return b"".join(chunks)


def _identify(data: bytes) -> tuple[str | None, str]:
    from drivers.codecs import lineplate, rion, witmotion

    wit = witmotion.decode_frames(data)
    if len(wit) >= 3:
        return "witmotion", f"{len(wit)} WitMotion frames"
    plate = lineplate.LinePlateCodec().feed(data)
    info = next((m.info() for m in plate.messages if m.kind == "INFO"), None)
    if info is not None:
        return "lineplate", f"{info.model} {info.firmware}, serial {info.serial or '?'}"
    if len(plate.samples) >= 2:
        return "lineplate", f"{len(plate.samples)} $FP lines"
    replies = [f for f in rion.decode_frames(data) if f.command & 0x80]
    if replies:
        return "rion", "Rion 0x68 reply"
    return None, ""


def probe_port(url: str, listen_s: float = 0.5, bauds: Sequence[int] = PROBE_BAUDS) -> ProbeResult:
    """Find out which protocol ``url`` speaks (about 1 s per baud rate tried).

    At each rate: listen for WitMotion frames or ``$FP`` lines, then ask ``?`` (line
    protocol ``$INFO``), then send the Rion poll ``68 04 00 04 08``. None of these
    requests changes any device's settings.
    """
    from drivers.codecs import lineplate_wire, rion_wire

    try:
        port = open_port(url, bauds[0], timeout=0.05)
    except DeviceError as exc:
        return ProbeResult(url, None, None, str(exc))
    try:
        for baud in bauds:
            port.baudrate = baud
            port.reset_input_buffer()
            for request in (b"", lineplate_wire.cmd_query(), rion_wire.req_read_angles()):
                if request:
                    port.write(request)
                data = _read_for(port, listen_s if not request else 0.3)
                protocol, detail = _identify(data)
                if protocol is not None:
                    return ProbeResult(url, protocol, baud, detail)
    except (serial.SerialException, OSError) as exc:
        return ProbeResult(url, None, None, f"the port failed while probing ({exc})")
    finally:
        port.close()
    rates = " and ".join(str(b) for b in bauds)
    return ProbeResult(url, None, None, f"no known protocol at {rates} baud")
