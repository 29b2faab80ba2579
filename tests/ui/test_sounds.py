"""Distinct start, end and failure cues, with volume and mute; no audio device needed.

What is played is checked (which cue, at what level), not that it is heard: the backend
that would hand the samples to the sound card is replaced by one that keeps them.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from clinic_app.storage import Database
from clinic_app.ui.assessment.page import cue_for
from clinic_app.ui.settings_dialog import SettingsDialog
from clinic_app.ui.sounds import CUES, SOUNDS_DIR, CuePlayer, load_cue
from tests.conftest import REPO_ROOT
from tests.ui.assessment_rig import close_assessment, open_assessment


class Speaker:
    """A backend that keeps what it was given."""

    def __init__(self) -> None:
        self.heard: list[tuple[np.ndarray, int]] = []

    def __call__(self, samples: np.ndarray, rate_hz: int) -> None:
        self.heard.append((samples.copy(), rate_hz))


def _pitch(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(float)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def test_the_cues_are_distinct_and_are_what_the_committed_script_makes(tmp_path: Path) -> None:
    start, rate = load_cue("start")
    end, _ = load_cue("end")
    failure, _ = load_cue("failure")
    half = len(start) // 2
    assert _pitch(start[:half], rate) < _pitch(start[half:], rate)  # rising
    assert _pitch(end[:half], rate) > _pitch(end[half:], rate)  # falling
    assert _pitch(failure, rate) < 300  # low buzz
    assert all(0.05 < len(load_cue(c)[0]) / rate < 1.0 for c in CUES)  # short
    spec = importlib.util.spec_from_file_location(
        "make_sound_cues", REPO_ROOT / "tools" / "make_sound_cues.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for cue in CUES:
        made = script.write(cue, script.CUES[cue](), tmp_path)
        assert made.read_bytes() == (SOUNDS_DIR / f"{cue}.wav").read_bytes(), cue


def test_volume_and_mute_decide_what_is_played() -> None:
    speaker = Speaker()
    player = CuePlayer(speaker, volume=50)
    assert player.play("start")
    full, _ = load_cue("start")
    played, rate = speaker.heard[-1]
    assert rate == 44_100
    assert np.abs(played).max() == pytest.approx(np.abs(full).max() / 2, abs=1)
    player.muted = True
    assert not player.play("end")
    player.muted, player.volume = False, 0
    assert not player.play("end")
    assert list(player.played) == ["start"]
    with pytest.raises(KeyError):
        player.play("fanfare")


def test_no_audio_device_is_logged_once_and_never_stops_a_trial(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def no_device(samples: np.ndarray, rate: int) -> None:
        raise OSError("no audio output (failed to init device)")

    player = CuePlayer(no_device)
    with caplog.at_level(logging.WARNING):
        assert not player.play("start")
        assert not player.play("failure")
    assert [r.getMessage() for r in caplog.records].count(
        "sound cue not played: no audio output (failed to init device)"
    ) == 1


def test_the_settings_keep_volume_and_mute(qtbot: Any, db: Database) -> None:
    dialog = SettingsDialog(db)
    qtbot.addWidget(dialog)
    box = dialog.sound_box
    box.volume.setValue(35)
    box.mute.setChecked(True)
    assert not box.volume.isEnabled()
    dialog.save()
    saved = CuePlayer.from_settings(Speaker())
    assert (saved.volume, saved.muted) == (35, True)


@pytest.fixture
def balance_rig(make_window: Any, db: Database) -> Iterator[dict[str, Any]]:
    rig = open_assessment(make_window, db, lunge=False, beep=True)
    rig["page"].sounds = CuePlayer(Speaker())
    yield rig
    close_assessment(rig)


def test_a_balance_trial_ticks_starts_and_ends_and_a_touchdown_sounds_a_failure(
    balance_rig: dict[str, Any],
) -> None:
    page, visit, patient = balance_rig["page"], balance_rig["visit"], balance_rig["patient"]
    run = page.run
    visit.until(lambda: patient.idle)
    QTest.keyClick(page, Qt.Key.Key_Space)
    visit.until(lambda: len(run.protocol.outcomes) == 1)
    assert list(page.sounds.played) == ["tick", "tick", "tick", "start", "end"]
    page.sounds.played.clear()
    visit.until(lambda: run.protocol.phase == "live")
    patient.touchdown("off_plate", delay_s=1.0)
    visit.until(lambda: len(run.protocol.outcomes) == 2)
    assert run.protocol.outcomes[-1].status == "failed"
    assert list(page.sounds.played)[-1] == "failure"
    assert "end" not in page.sounds.played


def test_a_trial_the_clinician_stops_is_silent() -> None:
    from clinic_app.protocols.events import ProtocolEvent, TrialOutcome

    stopped = TrialOutcome("balance", "left", "eo_firm", False, "incomplete", {}, "stopped")
    assert cue_for(ProtocolEvent("invalid", 0.0, "", {"outcome": stopped})) is None
