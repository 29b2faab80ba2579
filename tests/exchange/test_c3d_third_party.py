"""Real C3D files from other laboratories' systems: ``pyomeca/ezc3d-testFiles``.

Those files are GPL-3.0, so they are not part of this MIT project. To run this check, put a
copy of the repository's files in a folder and point ``DORSILAB_EZC3D_TESTFILES`` at it (by
default ``ezc3d-testFiles`` beside this repository)::

    git clone https://github.com/pyomeca/ezc3d-testFiles ../ezc3d-testFiles
    python -m pytest -q tests/exchange/test_c3d_third_party.py
    python -m tests.exchange.test_c3d_third_party ../ezc3d-testFiles   # the table

Without the folder the tests are skipped. For each file: the plates found, the vertical
axis, the agreement of DorsiLab's centre of pressure with ezc3d's own force-platform filter
on every loaded frame, and what ``analyze`` makes of it (none of them is a balance trial:
they are walking trials, a Kistler sit-and-stand file, device examples and marker files).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import ezc3d
import numpy as np
import pytest

from clinic_app.exchange.recordings import RecordingError, read_balance_trial
from clinic_app.exchange.recordings.c3d import analog_channels, open_c3d
from clinic_app.exchange.recordings.c3d_platforms import platform_data, read_platforms
from tests.conftest import REPO_ROOT

FOLDER = Path(os.environ.get("DORSILAB_EZC3D_TESTFILES", REPO_ROOT.parent / "ezc3d-testFiles"))
MIN_LOAD_N = 20.0


@dataclass(frozen=True)
class FileResult:
    """What DorsiLab reads in one file."""

    file: str
    plates: int  # FORCE_PLATFORM:USED
    readable: list[int]  # plate numbers DorsiLab reads
    types: list[int]
    vertical: list[str]
    compared_frames: int
    max_cop_difference_mm: float  # DorsiLab vs ezc3d, loaded frames (NaN: nothing to compare)
    verdict: str


def examine(path: Path) -> FileResult:
    """Read ``path`` with DorsiLab and with ezc3d's filter; compare; run the trial check."""
    try:
        c3d = open_c3d(path)
    except RecordingError as exc:  # refused before any reading (cut short, damaged)
        return FileResult(path.name, 0, [], [], [], 0, float("nan"), str(exc))
    analogs, _, units = analog_channels(c3d)
    used = np.ravel(c3d["parameters"].get("FORCE_PLATFORM", {}).get("USED", {}).get("value", [0]))
    plates, _, to_mm = read_platforms(path.name, c3d["parameters"], analogs.shape[0])
    compared, worst = 0, float("nan")
    if plates:
        filtered = ezc3d.c3d(str(path), extract_forceplat_data=True)["data"]["platform"]
        for plate in plates:
            # Type 1 gives the COP itself, defined on every frame; the others divide by the
            # load, which is noise on an empty plate.
            gate = 0.0 if plate.type == 1 else MIN_LOAD_N
            ours = platform_data(plate, analogs, units, to_mm, gate)
            theirs = np.asarray(filtered[plate.number - 1]["center_of_pressure"]) * to_mm
            loaded = np.isfinite(ours.cop_plate_mm[0])
            if loaded.any():
                diff = np.abs(ours.cop_lab_mm[:, loaded] - theirs[:, loaded]).max()
                worst = float(diff) if np.isnan(worst) else max(worst, float(diff))
                compared += int(loaded.sum())
    try:
        rec = read_balance_trial(path)
        verdict = f"accepted: {rec.n} samples on {rec.plate}"
    except RecordingError as exc:
        verdict = str(exc)
    return FileResult(
        file=path.name,
        plates=int(used[0]) if used.size else 0,
        readable=[p.number for p in plates],
        types=[p.type for p in plates],
        vertical=sorted({p.axes.vertical for p in plates}),
        compared_frames=compared,
        max_cop_difference_mm=worst,
        verdict=verdict,
    )


# What each file is, and what DorsiLab must make of it:
# (FORCE_PLATFORM:USED, plates read, vertical axis, words of the verdict).
NO_PLATE: tuple[int, list[int], list[str], str] = (0, [], [], "has no force platform")
EXPECTED: dict[str, tuple[int, list[int], list[str], str]] = {
    "BTS.c3d": (6, [1, 2, 3, 4, 5, 6], ["+Y"],
                "the longest load in the file lasts 0.59 s (plate 4 of 6"),
    "Kistler.c3d": (2, [1, 2], ["+Y"], "plate 2 of 2 carries a load for 19.7 s"),
    "Qualisys.c3d": (2, [1, 2], ["+Z"],
                     "the longest load in the file lasts 0.58 s (plate 2 of 2"),
    "FP_Type1.c3d": (4, [1], ["+Y"], "no force plate carries a load: the largest vertical"),
    "FP_Type3.c3d": (2, [1, 2], ["+Z"], "the longest load in the file lasts 0.008 s"),
    "Vicon.c3d": NO_PLATE,
    # 28,640 bytes of the 996,320 its header describes: ezc3d fills the rest with zeros.
    "Optotrak.c3d": (0, [], [], "is cut short: it has 28,640 bytes of the 996,320"),
    "C3DRotationExample.c3d": NO_PLATE,
    "read_NOTworking2.c3d": NO_PLATE,
}  # fmt: skip


@pytest.mark.skipif(not FOLDER.is_dir(), reason=f"no ezc3d-testFiles at {FOLDER}")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_third_party_file(name: str) -> None:
    path = FOLDER / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {FOLDER}")
    result = examine(path)
    plates, readable, vertical, verdict = EXPECTED[name]
    assert (result.plates, result.readable, result.vertical) == (plates, readable, vertical)
    assert verdict in result.verdict
    assert result.verdict.startswith(f"{name}: ")  # every refusal names the file
    if result.compared_frames:
        assert result.max_cop_difference_mm < 1e-9


@pytest.mark.skipif(not FOLDER.is_dir(), reason=f"no ezc3d-testFiles at {FOLDER}")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_third_party_file_cut_short_is_refused_in_one_line(name: str, tmp_path: Path) -> None:
    """An interrupted copy of any of these files: one line and exit 2, never a C++ abort
    (``C3DRotationExample.c3d`` cut anywhere in its data aborted the process)."""
    path = FOLDER / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {FOLDER}")
    data = path.read_bytes()
    for fraction in (0.5, 0.9):
        cut = tmp_path / f"cut-{name}"
        cut.write_bytes(data[: int(len(data) * fraction)])
        done = subprocess.run(
            [sys.executable, "-m", "clinic_app", "--db", str(tmp_path / "db.sqlite3"),
             "analyze", str(cut)],
            capture_output=True, text=True, timeout=120,
            env=dict(os.environ, DORSILAB_HOME=str(tmp_path / "home")),
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and f"cut-{name}: " in done.stderr


def main(argv: list[str]) -> int:
    """Print one line per C3D file of the folder (default: ``FOLDER``)."""
    folder = Path(argv[0]) if argv else FOLDER
    print("file | plates (read) | types | vertical | loaded frames | max |COP − ezc3d| | verdict")
    for path in sorted(folder.glob("*.c3d")):
        r = examine(path)
        print(
            f"{r.file} | {r.plates} ({len(r.readable)}) | {r.types} | {','.join(r.vertical)} | "
            f"{r.compared_frames} | {r.max_cop_difference_mm:.2g} mm | {r.verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
