"""A C3D file that is cut short or that makes the C3D library abort is refused in words.

ezc3d reads a file cut short without complaint, filling the missing frames with zeros (a
cut balance trial would be analysed as a shorter one), and on some real files
(``C3DRotationExample.c3d`` of ``pyomeca/ezc3d-testFiles`` cut anywhere in its data) it
aborts the whole process from C++. The real third-party files are checked in
``test_c3d_third_party``; here the same checks run on files written with ezc3d.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_app.exchange.recordings import c3d_probe
from clinic_app.exchange.recordings.base import RecordingError
from clinic_app.exchange.recordings.c3d import read_c3d
from clinic_app.exchange.recordings.c3d_size import expected_size
from tests.exchange.c3d_fixtures import stance, write_lab_c3d


@pytest.mark.parametrize("markers", [True, False])
def test_the_header_describes_exactly_the_file_ezc3d_writes(tmp_path: Path, markers: bool) -> None:
    path = write_lab_c3d(tmp_path / "whole.c3d", [stance(12000)], markers=markers)
    data = path.read_bytes()
    needed = expected_size(data[: 512 * 256])
    assert needed is not None
    assert 0 <= len(data) - needed <= 512  # ezc3d pads the end with up to one block
    assert read_c3d(path).n > 0


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.99])
def test_a_file_cut_short_is_refused_not_read_as_zeros(tmp_path: Path, fraction: float) -> None:
    whole = write_lab_c3d(tmp_path / "whole.c3d", [stance(12000)]).read_bytes()
    cut = tmp_path / "cut.c3d"
    cut.write_bytes(whole[: int(len(whole) * fraction)])
    with pytest.raises(RecordingError, match=r"cut\.c3d: is cut short: it has [\d,]+ bytes of"):
        read_c3d(cut)


def _abort(path: str) -> None:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    os.abort()  # what std::terminate does to the process


def test_a_reader_that_ends_its_process_is_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_lab_c3d(tmp_path / "trial.c3d", [stance(12000)])
    c3d_probe.probe(path)  # the real reader in the child: a whole file passes
    monkeypatch.setattr(c3d_probe, "_read", _abort)
    with pytest.raises(RecordingError, match=r"trial\.c3d: is damaged: the C3D reader stopped"):
        c3d_probe.probe(path)


def test_the_command_line_says_one_line_for_a_cut_file(tmp_path: Path) -> None:
    whole = write_lab_c3d(tmp_path / "whole.c3d", [stance(12000)]).read_bytes()
    cut = tmp_path / "cut.c3d"
    cut.write_bytes(whole[: len(whole) // 2])
    env = dict(os.environ, DORSILAB_HOME=str(tmp_path / "home"))
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", str(tmp_path / "db.sqlite3"), "analyze",
         str(cut)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "is cut short" in done.stderr
