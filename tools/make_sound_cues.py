"""Write the assessment's sound cues (run from the repository root; the WAVs are committed).

    python tools/make_sound_cues.py

Three cues a clinician can tell apart without looking, while spotting a patient with
closed eyes: *start* is a rising two-note chime (660 → 880 Hz), *end* a falling one
(880 → 660 Hz), *failure* a low double buzz (220 Hz with its odd harmonics, twice). A
short *tick* marks each second of the countdown. 44.1 kHz, 16-bit mono, 10-ms fades so
they never click. Tones in the 0.5–1 kHz range are heard well by older ears and over a
laptop speaker; the failure cue is low and rough so it cannot be mistaken for the others.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE_HZ = 44_100
HERE = Path(__file__).resolve().parent.parent / "clinic_app" / "resources" / "sounds"


def tone(freq_hz: float, seconds: float, harmonics: tuple[float, ...] = (1.0,)) -> np.ndarray:
    """A tone with the given odd-harmonic weights, faded in and out (float, ±1)."""
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    wave_ = sum(w * np.sin(2 * np.pi * freq_hz * (2 * k + 1) * t) for k, w in enumerate(harmonics))
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.010)
    return np.asarray(wave_ * fade / sum(harmonics), dtype=np.float64)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE_HZ))


CUES = {
    "start": lambda: np.concatenate([tone(660, 0.12), silence(0.03), tone(880, 0.22)]),
    "end": lambda: np.concatenate([tone(880, 0.12), silence(0.03), tone(660, 0.28)]),
    "failure": lambda: np.concatenate(
        [tone(220, 0.18, (1.0, 0.5, 0.3)), silence(0.07), tone(220, 0.30, (1.0, 0.5, 0.3))]
    ),
    "tick": lambda: tone(1000, 0.06),
}


def write(name: str, samples: np.ndarray, folder: Path = HERE) -> Path:
    """Write ``samples`` (±1) as a 16-bit mono WAV at 80 % of full scale."""
    path = folder / f"{name}.wav"
    pcm = np.round(samples * 0.8 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(pcm.tobytes())
    return path


if __name__ == "__main__":
    for cue, make in CUES.items():
        print(write(cue, make()))
