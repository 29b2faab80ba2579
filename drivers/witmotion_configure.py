"""Explicit configuration of a WitMotion sensor: the only code that writes settings.

Called by :meth:`drivers.witmotion.WitMotionDevice.configure` (in the device's worker
thread) and nothing else: connecting and streaming never get here.

WIT-standard sensors (devices.md §1.4): the current settings are read back, the requested
ones compared with them (:func:`drivers.witmotion_setup.plan`); only differing registers
are written, as unlock → write(s) → save with ``command_gap_s`` between commands,
re-unlocking before the 10 s window closes. A baud change is written last; the sensor
switches at once, the host follows and then saves. The registers are read back afterwards:
a mismatch is retried once, then reported, never claimed. Every change is logged.

WT61/JY61 legacy sensors (devices.md §1.6) have two presets only: ``FF AA 63`` (115200 baud,
100 Hz) and ``FF AA 64`` (9600 baud, 20 Hz), kept in flash at once. Without read-back the
result is verified by listening at the new rate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from drivers.base import DeviceError
from drivers.codecs import witmotion_legacy as legacy
from drivers.codecs import witmotion_wire as wire
from drivers.witmotion_setup import (
    RATE_BY_CODE,
    Change,
    Settings,
    bandwidth_bits_per_s,
    content_text,
)
from drivers.witmotion_setup import plan as plan_changes

if TYPE_CHECKING:
    from drivers.witmotion import WitMotionDevice

log = logging.getLogger(__name__)

FAST_BAUD: Final = 115200
"""The rate a sensor is moved to when its output needs more than 80 % of its baud."""
BANDWIDTH_SHARE: Final = 0.8


def listen_only_error(device: WitMotionDevice) -> DeviceError:
    """Why a sensor that does not answer register reads cannot be configured, in words."""
    return DeviceError(
        f"The inclinometer on {device.port} only sends: it does not answer register reads "
        "(wired TX-only, a replayed log, or firmware without read-back), so its settings "
        "cannot be changed or checked from DorsiLab. Change them with the maker's tool."
    )


def plan(
    device: WitMotionDevice,
    *,
    rate_hz: float | None = None,
    content: Sequence[int] | None = None,
    baud: int | None = None,
) -> list[Change]:
    """What :func:`apply_configuration` would change (nothing is sent)."""
    if device.legacy:
        return _legacy_plan(device, rate_hz, content, baud)
    settings = device.settings
    if settings is None:
        raise listen_only_error(device)
    changes = plan_changes(settings, rate_hz=rate_hz, content=content, baud=baud)
    extra = _bandwidth_change(device, settings, changes, auto_baud=True)
    return [*changes, *extra]


def apply_configuration(
    device: WitMotionDevice,
    *,
    rate_hz: float | None,
    content: Sequence[int] | None,
    baud: int | None,
    auto_baud: bool,
) -> list[Change]:
    """Write, store and verify the requested settings (worker thread only)."""
    if device.legacy:
        return _apply_legacy(device, rate_hz, content, baud)
    if device.settings is None:
        raise listen_only_error(device)
    current = _read_settings(device)
    changes = plan_changes(current, rate_hz=rate_hz, content=content, baud=baud)
    changes += _bandwidth_change(device, current, changes, auto_baud)
    if not changes:
        return []
    wanted = {**current.registers(), **{c.register: c.value for c in changes}}
    for attempt in range(2):
        _write_changes(device, [c for c in changes if wanted[c.register] != _now(device, c)])
        after = _read_settings(device)
        if after.registers() == wanted:
            break
        if attempt == 1:
            raise DeviceError(
                f"The inclinometer on {device.port} did not keep its new settings "
                f"(it reads back {after.describe()}). Switch it off and on, then try again."
            )
    log.info(
        "witmotion on %s configured: %s (verified by read-back)",
        device.port,
        "; ".join(str(c) for c in changes),
    )
    device._initialise()  # the stream and the info follow the new settings
    return changes


def _now(device: WitMotionDevice, change: Change) -> int:
    settings = device.settings
    return settings.registers()[change.register] if settings is not None else -1


def _read_settings(device: WitMotionDevice) -> Settings:
    regs = device._read_registers(wire.REG_RSW, 1.5)
    settings = Settings(regs[0], regs[1], regs[2])
    if not settings.plausible:
        raise DeviceError(
            f"The inclinometer on {device.port} answered the settings read with values it "
            f"cannot hold ({regs}); nothing was changed. Try again."
        )
    device._settings = settings
    return settings


def _bandwidth_change(
    device: WitMotionDevice, current: Settings, changes: list[Change], auto_baud: bool
) -> list[Change]:
    """Move to :data:`FAST_BAUD` when the new output does not fit the current baud rate."""
    after = {**current.registers(), **{c.register: c.value for c in changes}}
    baud = next((int(c.after) for c in changes if c.register == wire.REG_BAUD), device.baudrate)
    needed = bandwidth_bits_per_s(after[wire.REG_RSW], after[wire.REG_RRATE])
    if needed <= BANDWIDTH_SHARE * baud:
        return []
    rate = RATE_BY_CODE.get(after[wire.REG_RRATE], 0.0)
    if not auto_baud or baud >= FAST_BAUD:
        raise DeviceError(
            f"{rate:g} Hz of {content_text(after[wire.REG_RSW])} needs {needed:,.0f} bit/s but "
            f"the inclinometer on {device.port} talks at {baud} baud. Choose a lower rate or "
            "fewer outputs."
        )
    return [
        Change("baud rate", str(baud), str(FAST_BAUD), wire.REG_BAUD, wire.BAUD_CODES[FAST_BAUD])
    ]


def _write_changes(device: WitMotionDevice, changes: list[Change]) -> None:
    """unlock → writes → (baud last, host follows) → save."""
    _unlock(device)
    new_baud = None
    for change in changes:
        if change.register == wire.REG_BAUD:
            new_baud = int(change.after)
            continue
        _command(device, wire.encode_command(change.register, change.value))
    if new_baud is not None:
        _command(device, wire.cmd_baud(new_baud))  # the sensor switches at once
        device._reopen(new_baud)
    _command(device, wire.cmd_save())
    device._drain(device.command_gap_s)


def _unlock(device: WitMotionDevice) -> None:
    device._write(wire.cmd_unlock())
    device._unlocked_at = time.monotonic()
    device._drain(device.command_gap_s)


def _command(device: WitMotionDevice, command: bytes) -> None:
    """One write, unlocking again first if it would land late in the unlock window."""
    window = device.unlock_window_s - 2 * device.command_gap_s
    if time.monotonic() - device._unlocked_at > window:
        _unlock(device)
    device._write(command)
    device._drain(device.command_gap_s)


# ---------------------------------------------------------------------- legacy firmware
def _legacy_plan(
    device: WitMotionDevice,
    rate_hz: float | None,
    content: Sequence[int] | None,
    baud: int | None,
) -> list[Change]:
    if content is not None and tuple(sorted(set(content))) != legacy.FRAME_TYPES:
        raise ValueError(
            "a WT61/JY61 sensor always sends acceleration, angular rate and angle; "
            "its output cannot be chosen"
        )
    if rate_hz is None and baud is None:
        return []
    if rate_hz is None:
        rates = [r for b, r in legacy.PRESETS.values() if b == baud]
        if not rates:
            raise ValueError(f"a WT61/JY61 sensor talks at 115200 or 9600 baud, not {baud}")
        rate_hz = rates[0]
    code = legacy.preset_for(rate_hz)
    preset_baud, preset_rate = legacy.PRESETS[code]
    if baud is not None and baud != preset_baud:
        raise ValueError(
            f"a WT61/JY61 sensor runs {preset_rate:g} Hz at {preset_baud} baud only, "
            f"not at {baud} baud"
        )
    measured = device.info.measured_rate_hz
    if device.baudrate == preset_baud and measured == preset_rate:
        return []
    before = (
        f"{measured:g} Hz at {device.baudrate} baud" if measured else f"{device.baudrate} baud"
    )
    return [Change("rate and baud", before, f"{preset_rate:g} Hz at {preset_baud} baud", -1, code)]


def _apply_legacy(
    device: WitMotionDevice,
    rate_hz: float | None,
    content: Sequence[int] | None,
    baud: int | None,
) -> list[Change]:
    changes = _legacy_plan(device, rate_hz, content, baud)
    if not changes:
        return []
    code = changes[0].value
    preset_baud, preset_rate = legacy.PRESETS[code]
    device._write(legacy.command(code))  # stored in flash by the firmware at once
    device._drain(device.command_gap_s)
    device._reopen(preset_baud)
    heard = device._listen(device.listen_s)
    if heard.frames < 3 or heard.rate_hz != preset_rate:
        raise DeviceError(
            f"The inclinometer on {device.port} did not come back at {preset_rate:g} Hz and "
            f"{preset_baud} baud (heard {heard.rate_hz:g} Hz). Switch it off and on, then "
            "connect again."
        )
    log.info(
        "witmotion (legacy) on %s configured: %s (verified by listening)",
        device.port,
        changes[0],
    )
    device._initialise()
    return changes
