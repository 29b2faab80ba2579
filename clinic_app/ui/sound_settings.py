"""The "Sound cues" group of the settings dialog: mute, volume, and a button to hear them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider

from clinic_app.ui.sounds import CuePlayer


class SoundCueBox(QGroupBox):
    """Volume (0–100 %) and mute of the assessment's sound cues; :meth:`save` keeps them."""

    def __init__(self, player: CuePlayer | None = None) -> None:
        super().__init__("Sound cues during trials")
        self.setObjectName("soundCues")
        self.player = player or CuePlayer.from_settings()
        self.mute = QCheckBox("&Mute")
        self.mute.setChecked(self.player.muted)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setObjectName("cueVolume")
        self.volume.setRange(0, 100)
        self.volume.setSingleStep(5)
        self.volume.setPageStep(10)
        self.volume.setValue(self.player.volume)
        self.volume.setAccessibleName("Volume of the sound cues")
        self.level = QLabel()
        self.level.setMinimumWidth(self.level.fontMetrics().horizontalAdvance("100 %"))
        self.test = QPushButton("Play the cues")
        self.test.setToolTip("Start (rising), end (falling) and failure (low buzz)")
        row = QHBoxLayout(self)
        row.addWidget(self.mute)
        row.addWidget(QLabel("Volume"))
        row.addWidget(self.volume, 1)
        row.addWidget(self.level)
        row.addWidget(self.test)
        self.volume.valueChanged.connect(self._changed)
        self.mute.toggled.connect(self._changed)
        self.test.clicked.connect(self.play_cues)
        self._changed()

    def _changed(self, *_args: object) -> None:
        self.player.volume = self.volume.value()
        self.player.muted = self.mute.isChecked()
        self.level.setText(f"{self.volume.value()} %")
        self.volume.setEnabled(not self.mute.isChecked())

    def play_cues(self) -> None:
        """Play start, end and failure one after another, as set now."""
        from PySide6.QtCore import QTimer

        for delay_ms, cue in ((0, "start"), (700, "end"), (1400, "failure")):
            QTimer.singleShot(delay_ms, lambda cue=cue: self.player.play(cue))

    def save(self) -> None:
        """Keep the choice for the assessment screen and the next start."""
        self.player.save()
