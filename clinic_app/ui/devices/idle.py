"""Quiet when idle: the window tells the device registry which screens need live samples.

Streaming devices cost CPU even when nothing is drawn (issue 16 §3: a quarter of a core on
the patient list). The main window calls :func:`attach` once and :func:`page_shown` on every
page change; the Devices panel and the calibration wizard say so themselves while they are
visible (:func:`needed_while_visible`). The registry pauses every device when no screen
needs data and resumes them the moment one does (:mod:`drivers.registry`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from drivers.registry import DeviceRegistry, default_registry

PAGES_NEEDING_DATA = frozenset({"assessment", "devices"})
"""Main-window pages that show or record live samples."""


def _owner(widget: QObject, what: str) -> str:
    return f"{what}:{id(widget):x}"


def attach(window: QObject, registry: DeviceRegistry | None = None) -> None:
    """Let ``window`` pause idle devices until it is destroyed (or :func:`detach`)."""
    registry = registry or default_registry()
    owner = _owner(window, "window")
    registry.manage(owner)
    window.destroyed.connect(lambda *_: detach_owner(registry, owner))


def detach(window: QObject, registry: DeviceRegistry | None = None) -> None:
    """The window closes: it no longer decides (its pages no longer need data either)."""
    detach_owner(registry or default_registry(), _owner(window, "window"))


def detach_owner(registry: DeviceRegistry, owner: str) -> None:
    """Withdraw ``owner`` as a manager and as a screen needing data."""
    registry.set_needed(owner, False)
    registry.manage(owner, False)


def page_shown(window: QObject, key: str | None, registry: DeviceRegistry | None = None) -> None:
    """The page ``key`` is now on screen: devices stream only if it needs their data."""
    (registry or default_registry()).set_needed(
        _owner(window, "window"), key in PAGES_NEEDING_DATA
    )


def needed_while_visible(
    widget: QObject, visible: bool, registry: DeviceRegistry | None = None
) -> None:
    """For a widget's show/hide events: it needs live samples while it is visible."""
    (registry or default_registry()).set_needed(_owner(widget, "widget"), visible)
