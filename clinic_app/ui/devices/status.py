"""What the Devices panel shows about one device, computed without Qt.

Everything here reads the device's public state and the newest samples of its ring buffer
(:meth:`drivers.base.RingBuffer.latest`), never the whole buffer, so it is cheap enough to run
from a UI timer at 5–10 Hz for every device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from clinic_app.numbers import MINUS, fixed, signed
from drivers.base import Device, DeviceKind, DeviceState
from drivers.calibration import STANDARD_GRAVITY

PROTOCOL_NAMES = {
    "simulated": "Simulated",
    "witmotion": "WitMotion",
    "rion": "Rion",
    "lineplate": "DorsiLab line-protocol plate",
    "wiiboard": "Wii Balance Board",
    "witmotion-ble": "WitMotion Bluetooth",
}

RATE_WINDOW_S = 1.0
"""Samples of the last second give the measured rate."""
LIVE_WINDOW_S = 0.1
"""The live value is the mean of the last 100 ms (steadier to read than one sample)."""


@dataclass(frozen=True)
class DeviceView:
    """One device as the panel shows it.

    Attributes
    ----------
    title : str
        "Inclinometer" or "Force plate".
    identity : str
        Protocol, model, port and serial number in one line.
    state : str
        The :class:`~drivers.base.DeviceState` value (selects the colour).
    state_words : str
        E.g. "streaming 100 Hz", "lost, reconnecting…".
    live : str
        The live value with its unit ("—" when there is none).
    detail : str
        What the live value is (caption), or why there is none.
    rate_hz : float or None
        Measured sample rate over the last second.
    lost_samples : int
    error : str
        The device's last problem in words ("" when none).
    link : str
        Link health of a serial device's codec (checksum failures, dropped bytes), "" when
        the device has no codec counters.
    settings : str
        Firmware and stored settings in words, or what cannot be known about a listen-only
        device ("" when there is nothing to say).
    """

    title: str
    identity: str
    state: str
    state_words: str
    live: str
    detail: str
    rate_hz: float | None
    lost_samples: int
    error: str
    link: str = ""
    settings: str = ""

    @property
    def stats(self) -> str:
        """Measured rate, lost samples and link health in words."""
        rate = "—" if self.rate_hz is None else f"{self.rate_hz:.0f} Hz"
        text = f"Measured rate {rate} · Lost samples {self.lost_samples}"
        return f"{text} · {self.link}" if self.link else text


def measured_rate_hz(samples: np.ndarray[Any, Any]) -> float | None:
    """Samples per second over the last :data:`RATE_WINDOW_S` of ``samples`` (host times).

    Works for uniform and non-uniform (Wii board) sampling; None with fewer than 3 samples.
    """
    if len(samples) < 3:
        return None
    t = samples["t_host_s"]
    recent = t[t >= t[-1] - RATE_WINDOW_S]
    if len(recent) < 3 or recent[-1] <= recent[0]:
        return None
    return float((len(recent) - 1) / (recent[-1] - recent[0]))


def _recent(device: Device) -> np.ndarray[Any, Any]:
    rate = device.info.rate_hz or 200.0
    out: np.ndarray[Any, Any] = device.buffer.latest(int(rate * RATE_WINDOW_S * 1.5) + 10)
    return out


def _signed(value: float, unit: str) -> str:
    """``+12 mm`` / ``−3 mm`` with a true minus sign (easier to read from a distance)."""
    return f"{signed(value, 0, minus=MINUS)} {unit}"


def live_text(kind: DeviceKind, samples: np.ndarray[Any, Any]) -> tuple[str, str]:
    """The live value (big) and its caption: tibial angle, or load and COP.

    Returns
    -------
    value, detail : str
        E.g. ``("37.4°", "tibial angle from vertical")`` or
        ``("686 N · 70.0 kg", "centre of pressure x +3 mm, y −12 mm")``.
    """
    if len(samples) == 0:
        return "—", "no readings yet"
    t = samples["t_host_s"]
    last = samples[t >= t[-1] - LIVE_WINDOW_S]
    if kind is DeviceKind.INCLINOMETER:
        angle = float(np.mean(last["tibia_deg"]))
        return f"{fixed(angle, minus=MINUS)}°", "tibial angle from vertical"
    fz = float(np.mean(last["fz_n"]))
    value = f"{fixed(fz, 0, minus=MINUS)} N · {fixed(fz / STANDARD_GRAVITY, minus=MINUS)} kg"
    x = last["cop_x_mm"]
    if np.all(np.isnan(x)):
        return value, "no centre of pressure: the plate is unloaded"
    cop_x, cop_y = float(np.nanmean(x)), float(np.nanmean(last["cop_y_mm"]))
    return value, f"centre of pressure x {_signed(cop_x, 'mm')}, y {_signed(cop_y, 'mm')}"


def state_words(device: Device, rate_hz: float | None) -> str:
    """State in words, with the rate while streaming ("streaming 100 Hz")."""
    state = device.state
    if state is DeviceState.STREAMING:
        rate = rate_hz if rate_hz is not None else device.info.rate_hz
        return f"streaming {rate:.0f} Hz" if rate else "streaming"
    return state.describe()


def settings_text(device: Device) -> str:
    """Firmware and stored settings, or what a listen-only device cannot tell, in words."""
    info = device.info
    if info.protocol in ("simulated", "wiiboard"):
        return ""
    parts = []
    if info.listen_only:
        measured = f"{info.measured_rate_hz:g} Hz" if info.measured_rate_hz else "not yet"
        parts.append(
            f"Listen-only: firmware unknown, configured rate unknown, measured {measured}"
        )
    else:
        parts.append(f"Firmware {info.firmware or 'unknown'}")
        stored = info.extra.get("settings")
        if stored:
            parts.append(f"stored settings {stored}")
    if info.battery:
        parts.append(f"battery {info.battery}")
    return " · ".join(parts)


def link_text(device: Device) -> str:
    """Checksum failures and dropped bytes of a serial device's codec ("" when none)."""
    codec = getattr(device, "codec", None)
    failures = getattr(codec, "checksum_failures", None)
    dropped = getattr(codec, "dropped_bytes", None)
    if not isinstance(failures, int) or not isinstance(dropped, int):
        return ""
    return f"Checksum failures {failures} · Dropped bytes {dropped}"


def describe(device: Device) -> DeviceView:
    """Everything the panel shows about ``device`` right now."""
    info = device.info
    samples = _recent(device)
    rate = measured_rate_hz(samples) if device.state is DeviceState.STREAMING else None
    parts = [PROTOCOL_NAMES.get(info.protocol, info.protocol)]
    if info.model and info.model not in parts[0]:
        parts.append(info.model)
    if info.port:
        parts.append(info.port)
    if info.serial_number:
        parts.append(f"serial {info.serial_number}")
    streaming = device.state in (DeviceState.STREAMING, DeviceState.RECONNECTING)
    if streaming:
        live, detail = live_text(device.kind, samples)
    elif device.state is DeviceState.LOST:
        live, detail = "—", "no live value until the device is back"
    elif device.state is DeviceState.CONNECTED:
        live, detail = "—", "connected, not streaming"
    else:
        live, detail = "—", "connect it to see live values"
    title = "Inclinometer" if device.kind is DeviceKind.INCLINOMETER else "Force plate"
    error = (
        device.last_error
        if device.state in (DeviceState.LOST, DeviceState.RECONNECTING, DeviceState.ERROR)
        else ""
    )
    return DeviceView(
        title=title,
        identity=" · ".join(parts),
        state=device.state.value,
        state_words=state_words(device, rate),
        live=live,
        detail=detail,
        rate_hz=None if rate is None or not math.isfinite(rate) else rate,
        lost_samples=int(device.lost_samples),
        error=error,
        link=link_text(device),
        settings=settings_text(device),
    )
