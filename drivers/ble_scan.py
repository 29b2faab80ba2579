"""Finding Bluetooth LE sensors: ``devices list --ble`` and the Connect dialog.

:func:`scan` listens to advertisements for a few seconds (bleak's ``BleakScanner``) and
returns every device seen, with the product its advertised name belongs to
(:func:`drivers.codecs.witmotion_ble.product_for`) so that only inclinometers are offered.
A computer without a usable adapter (none fitted, switched off, no BlueZ/D-Bus on Linux) is
a :class:`~drivers.base.DeviceError` saying so in words.

:data:`CLIENT_BACKEND` and :data:`SCANNER_BACKEND` select bleak backends for every BLE
device the application creates; None is the platform's. Tests point them at the fake
peripheral of :mod:`drivers.emulators.witmotion_ble`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from drivers.base import DeviceError
from drivers.codecs.witmotion_ble import Product, product_for

CLIENT_BACKEND: Any = None
SCANNER_BACKEND: Any = None


@dataclass(frozen=True)
class BleSensor:
    """One advertising device.

    Attributes
    ----------
    address : str
        What to connect to (a UUID on macOS).
    name : str
        Advertised name ("" when none).
    rssi : int
        Signal strength, dBm.
    product : Product or None
        What the name says it is (None: not a WitMotion BLE sensor).
    """

    address: str
    name: str
    rssi: int
    product: Product | None

    @property
    def supported(self) -> bool:
        """A WitMotion BLE inclinometer DorsiLab can use."""
        return self.product is not None and self.product.inclinometer

    @property
    def description(self) -> str:
        """The product in words, or why it is not offered."""
        if self.product is None:
            return "not a WitMotion sensor"
        return self.product.name if self.supported else f"not usable: {self.product.note}"


def scan(timeout_s: float = 5.0) -> list[BleSensor]:
    """Advertising BLE devices, strongest signal first.

    Raises
    ------
    DeviceError
        Bluetooth is not available on this computer.
    """
    from bleak import BleakScanner
    from bleak.exc import BleakError

    async def discover() -> dict[str, Any]:
        found: dict[str, Any] = await BleakScanner.discover(
            timeout_s, return_adv=True, backend=SCANNER_BACKEND
        )
        return found

    try:
        found = asyncio.run(discover())
    except (BleakError, OSError) as exc:
        raise DeviceError(
            "Bluetooth is not available on this computer "
            f"({exc or type(exc).__name__}): check that an adapter is fitted and switched on"
            " (on Linux, that the bluetooth service is running)."
        ) from exc
    sensors = [
        BleSensor(address, adv.local_name or device.name or "", int(adv.rssi), None)
        for address, (device, adv) in found.items()
    ]
    sensors = [BleSensor(s.address, s.name, s.rssi, product_for(s.name)) for s in sensors]
    return sorted(sensors, key=lambda s: (not s.supported, -s.rssi))
