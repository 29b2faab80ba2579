"""One device's card on the Devices page: title, identity, state pill, live value, actions."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from clinic_app.ui import theme
from clinic_app.ui.devices.status import DeviceView
from drivers.base import Device, DeviceState


class QuietLabel(QLabel):
    """A label that takes no room while it has nothing to say (the page fits 1366×740)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setVisible(bool(text))

    def setText(self, text: str) -> None:
        """Show the text, or hide the label when the text is empty."""
        super().setText(text)
        self.setVisible(bool(text))


class CardHost(Protocol):
    """What a card needs from its panel (:class:`clinic_app.ui.devices.panel.DevicesPanel`)."""

    def supports(self, device: Device, action: str) -> bool:
        """Whether the device offers the action."""

    def busy(self, role: str) -> bool:
        """True while an action runs on that role's device."""

    def run_action(self, role: str, action: str) -> None:
        """Start an action on the device in ``role``."""


class DeviceCard(QFrame):
    """One device: title, identity, state pill, live value, statistics, actions, messages."""

    def __init__(self, role: str, title: str, empty_text: str, panel: CardHost) -> None:
        super().__init__()
        self.role = role
        self.panel = panel
        self.device: Device | None = None
        self.view: DeviceView | None = None
        self.setObjectName(f"deviceCard_{role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            f"#deviceCard_{role} {{ background:{theme.SURFACE}; border:1px solid {theme.BORDER};"
            f" border-radius:{theme.RADIUS}px; }}"
        )
        grid = QGridLayout(self)
        grid.setContentsMargins(theme.GAP * 2, theme.GAP, theme.GAP * 2, theme.GAP)
        grid.setVerticalSpacing(theme.GAP // 2)
        self.title = QLabel(title)
        theme.set_font(self.title, theme.TITLE_PT, bold=True)
        self.pill = QLabel()
        self.pill.setObjectName(f"statePill_{role}")
        self.identity = QLabel(empty_text)
        self.identity.setObjectName("muted")
        self.identity.setWordWrap(True)
        self.settings = QuietLabel("")
        self.settings.setObjectName("muted")
        self.settings.setWordWrap(True)
        self.settings.setAccessibleName(f"{title} settings")
        self.live = QLabel("—")
        theme.set_font(self.live, theme.HEADLINE_PT, bold=True)
        self.live.setAccessibleName(f"{title} live value")
        self.detail = QuietLabel("")
        self.detail.setObjectName("muted")
        self.stats = QuietLabel("")
        self.message = QuietLabel("")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(f"{title} message")
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.pill, 0, 1)
        grid.addWidget(self.identity, 1, 0, 1, 2)
        grid.addWidget(self.settings, 2, 0, 1, 2)
        grid.addWidget(self.live, 3, 0, 1, 2)
        grid.addWidget(self.detail, 4, 0, 1, 2)
        grid.addWidget(self.stats, 5, 0, 1, 2)
        grid.addWidget(self.message, 6, 0, 1, 2)
        grid.setColumnStretch(0, 1)

        buttons = QHBoxLayout()
        key = "&inclinometer" if role == "inclinometer" else "&plate"
        self.connect_button = QPushButton(f"Connect {key}")
        self.connect_button.clicked.connect(self.toggle_connection)
        buttons.addWidget(self.connect_button)
        self.action_buttons: dict[str, QPushButton] = {}
        if role == "inclinometer":
            self._add_action(
                buttons,
                "zero",
                "&Zero inclinometer",
                "Lay the inclinometer flat on a level surface and keep it still, "
                "then zero it (about one second).",
            )
            self._add_action(
                buttons,
                "configure",
                "Sensor &settings…",
                "See and change the output rate stored in the sensor. Only this button "
                "changes a sensor's settings; connecting and measuring never do.",
            )
        else:
            self._add_action(
                buttons,
                "tare",
                "&Tare plate",
                "Step off the plate and keep it empty, then tare it.",
            )
            self._add_action(
                buttons,
                "calibrate",
                "&Calibrate plate…",
                "Calibrate every load cell with a known mass (about 5 minutes).",
            )
        self._add_action(
            buttons,
            "dropout",
            "Simulate unplug",
            "Simulated device only: pretend the cable is pulled for 3 seconds.",
        )
        buttons.addStretch(1)
        grid.addLayout(buttons, 7, 0, 1, 2)
        self.show_view(None)

    def _add_action(self, layout: QHBoxLayout, name: str, text: str, tip: str) -> None:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
        button.clicked.connect(lambda _checked=False, n=name: self.panel.run_action(self.role, n))
        layout.addWidget(button)
        self.action_buttons[name] = button

    def set_device(self, device: Device | None) -> None:
        """Show this device (None: the role is empty)."""
        self.device = device
        self.message.setText("")

    def show_view(self, view: DeviceView | None) -> None:
        """Update the texts and colours from a fresh :class:`DeviceView`."""
        self.view = view
        device = self.device
        state = view.state if view else "disconnected"
        look = theme.DEVICE_LOOKS.get(state, theme.DEVICE_LOOKS["disconnected"])
        words = view.state_words if view else "not connected"
        self.pill.setText(f"● {words}")
        self.pill.setAccessibleName(f"{self.title.text()} state: {words}")
        self.pill.setStyleSheet(
            f"background:{look.background}; color:{look.foreground}; border-radius:14px;"
            f" padding:4px 14px; font-weight:bold; font-size:{theme.BASE_PT + 1}pt;"
        )
        if view is not None:
            self.identity.setText(view.identity)
            self.settings.setText(view.settings)
            self.settings.setVisible(bool(view.settings))
            self.live.setText(view.live)
            self.detail.setText(view.detail)
            self.stats.setText(view.stats + (f" · {view.error}" if view.error else ""))
        else:
            self.settings.setText("")
            self.settings.setVisible(False)
            self.live.setText("—")
            self.detail.setText("")
            self.stats.setText("")
        connected = device is not None and device.state not in (
            DeviceState.DISCONNECTED,
            DeviceState.ERROR,
        )
        key = "&inclinometer" if self.role == "inclinometer" else "&plate"
        self.connect_button.setText(f"Disconnect {key}" if connected else f"Connect {key}")
        self.connect_button.setEnabled(device is not None and not self.panel.busy(self.role))
        streaming = device is not None and device.state is DeviceState.STREAMING
        ready = streaming or (device is not None and device.state is DeviceState.CONNECTED)
        for name, button in self.action_buttons.items():
            capable = device is not None and self.panel.supports(device, name)
            button.setVisible(capable or name not in ("dropout", "configure"))
            usable = ready if name == "configure" else streaming
            button.setEnabled(capable and usable and not self.panel.busy(self.role))

    def toggle_connection(self) -> None:
        """Connect (open and start streaming) or disconnect the device."""
        device = self.device
        if device is None:
            return
        if device.state in (DeviceState.DISCONNECTED, DeviceState.ERROR):
            self.panel.run_action(self.role, "connect")
        else:
            self.panel.run_action(self.role, "disconnect")
