"""Sound cues a clinician can hear while spotting a patient with closed eyes.

Three cues told apart by ear (made by ``tools/make_sound_cues.py``, WAVs in
``clinic_app/resources/sounds/``): **start** (a rising chime) when timing begins,
**end** (a falling chime) when a trial ends valid, **failure** (a low double buzz) when a
trial fails or is invalid, plus a short **tick** for each second of the countdown. The
muted system bell (``QApplication.beep``) of before was not heard in a clinic.

Playback uses miniaudio (PyPI ``miniaudio``: self-contained wheels for Windows, macOS
and Linux, about 0.65 MB, no system library). Volume and mute are user settings
(QSettings, :func:`sound_settings`). Without an audio device (CI, a remote session) a
cue is logged once and skipped; :attr:`CuePlayer.played` records what was asked, so
tests check what is played without needing to hear it.
"""

from __future__ import annotations

import logging
import time
import wave
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings

from clinic_app import paths

log = logging.getLogger(__name__)

CUES = ("start", "end", "failure", "tick")
SOUNDS_DIR = Path(__file__).resolve().parent.parent / "resources" / "sounds"
RETRY_DEVICE_S = 30.0
"""After a failure to open the audio device, try again no sooner than this (s)."""

DEFAULT_VOLUME = 80
"""Percent of the cues' full level."""

Backend = Callable[[np.ndarray, int], None]
"""Plays 16-bit mono samples at a rate (Hz); raises OSError when there is no device."""


def sound_settings() -> QSettings:
    """Where the volume and mute choice live (the per-user config folder)."""
    return QSettings(str(paths.config_dir() / "sound.ini"), QSettings.Format.IniFormat)


def load_cue(name: str, folder: Path = SOUNDS_DIR) -> tuple[np.ndarray, int]:
    """The cue's 16-bit mono samples and rate (Hz)."""
    with wave.open(str(folder / f"{name}.wav"), "rb") as cue:
        if cue.getnchannels() != 1 or cue.getsampwidth() != 2:
            raise ValueError(f"{name}.wav must be 16-bit mono")
        data = np.frombuffer(cue.readframes(cue.getnframes()), dtype="<i2")
        return data, cue.getframerate()


class MiniaudioBackend:
    """Play on the default output device; one device, reopened after a failure."""

    def __init__(self) -> None:
        self._device: Any = None
        self._rate = 0

    def __call__(self, samples: np.ndarray, rate_hz: int) -> None:
        import miniaudio  # imported on first use: start-up stays fast

        try:
            if self._device is None or self._rate != rate_hz:
                self.close()
                self._device = miniaudio.PlaybackDevice(
                    output_format=miniaudio.SampleFormat.SIGNED16,
                    nchannels=1,
                    sample_rate=rate_hz,
                    buffersize_msec=60,
                    app_name="DorsiLab",
                )
                self._rate = rate_hz
            self._device.stop()  # a new cue replaces one still playing
            stream = miniaudio.stream_raw_pcm_memory(samples.tobytes(), 1, 2)
            next(stream)  # prime the generator, as miniaudio expects
            self._device.start(stream)
        except miniaudio.MiniaudioError as exc:
            self.close()
            raise OSError(f"no audio output ({exc})") from exc

    def close(self) -> None:
        """Release the output device."""
        if self._device is not None:
            self._device.close()
            self._device = None


class CuePlayer:
    """Play the cues at the chosen volume unless muted.

    Parameters
    ----------
    backend : callable, optional
        Plays samples (default :class:`MiniaudioBackend`).
    volume : int
        0–100 %.
    muted : bool
    """

    def __init__(self, backend: Backend | None = None, volume: int = DEFAULT_VOLUME,
                 muted: bool = False) -> None:  # fmt: skip
        self.backend: Backend = backend or MiniaudioBackend()
        self.volume = volume
        self.muted = muted
        self.played: deque[str] = deque(maxlen=200)
        self._cues = {name: load_cue(name) for name in CUES}
        self._failed_at: float | None = None

    @classmethod
    def from_settings(cls, backend: Backend | None = None) -> CuePlayer:
        """A player with the user's saved volume and mute choice."""
        settings = sound_settings()
        try:
            volume = int(str(settings.value("cues/volume", DEFAULT_VOLUME)))
        except ValueError:  # a hand-edited file: the default, not a crash
            volume = DEFAULT_VOLUME
        muted = str(settings.value("cues/muted", "false")).lower() == "true"
        return cls(backend, max(0, min(volume, 100)), muted)

    def reload(self) -> None:
        """Take the saved volume and mute choice (changed in the settings dialog)."""
        saved = CuePlayer.from_settings(self.backend)
        self.volume, self.muted = saved.volume, saved.muted

    def save(self) -> None:
        """Remember the volume and mute choice for the next start."""
        settings = sound_settings()
        settings.setValue("cues/volume", int(self.volume))
        settings.setValue("cues/muted", "true" if self.muted else "false")
        settings.sync()

    def play(self, name: str) -> bool:
        """Play cue ``name``; False when muted, silent or no device could play it."""
        if name not in self._cues:
            raise KeyError(f"no sound cue {name!r}; the cues are {', '.join(CUES)}")
        if self.muted or self.volume <= 0:
            return False
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_DEVICE_S:
            return False
        samples, rate = self._cues[name]
        scaled = np.round(samples * (self.volume / 100.0)).astype("<i2")
        try:
            self.backend(scaled, rate)
        except OSError as exc:
            if self._failed_at is None:
                log.warning("sound cue not played: %s", exc)
            self._failed_at = time.monotonic()
            return False
        self._failed_at = None
        self.played.append(name)
        return True
