"""Every command, given bad paths, bad ids, NaN options, unwritable and full outputs (issue 12).

Each case must end as a user error: exit status 2, exactly one line on stderr, no
traceback, and nothing changed: the database byte for byte, its folder (no backup, no
journal left), the output folder, and any file the case pointed at.

The database is a seeded demo database (the one ``--demo`` makes), copied once per
module. Most cases run in this process through :func:`clinic_app.cli.main`; those that
need a process of their own (a file-size limit standing in for a full disk, the
installed entry point) run ``python -m clinic_app``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_app.cli import main
from clinic_app.storage import Database
from tests.conftest import REPO_ROOT, TEST_DATA

BDS = TEST_DATA / "balance" / "BDS00001.txt"
BIG = str(2**70)
NAME_TOO_LONG = "n" * 300 + ".pdf"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with its content digest (FIFOs by name only; a WAL
    index ``-shm`` is SQLite's shared memory, rebuilt by any reader, so by name only)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.name.endswith("-shm"):
            out[str(path.relative_to(folder))] = "shared memory"
        elif path.is_file():
            out[str(path.relative_to(folder))] = _digest(path)
        elif not path.is_dir():
            out[str(path.relative_to(folder))] = "special"
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A seeded demo database with one backup, a JSON export, and odd things to point at."""
    from clinic_app.demo_data import ensure_demo_data

    root = tmp_path_factory.mktemp("sweep")
    db_path = root / "data" / "clinic.sqlite3"
    with Database.open(db_path) as db:  # makes the daily backup, as the app's start does
        ensure_demo_data(db)
    export = root / "in" / "export.json"
    assert main(["--db", str(db_path), "export", "--patient", "1", "--format", "json",
                 "-o", str(export.parent), "--no-recordings"]) == 0  # fmt: skip
    (export.parent / "patient-1.json").rename(export)
    odd = root / "odd"
    odd.mkdir()
    os.mkfifo(odd / "fifo")
    (odd / "a-file.txt").write_text("not a folder\n", encoding="utf-8")
    (odd / "data.json").write_text('{"keep": "me"}\n', encoding="utf-8")
    (odd / "report.pdf").write_bytes(b'{"not": "a pdf"}\n')
    (odd / "not-json.json").write_bytes(b"%PDF-1.4\nnot json\n")
    backup = next((db_path.parent / "backups").iterdir())
    yield {
        "root": root,
        "db": db_path,
        "backup": backup,
        "export": export,
        "odd": odd,
        "out": root / "out",
    }


def _cases(w: dict[str, Path]) -> list[tuple[str, list[str]]]:
    db, odd, out = str(w["db"]), w["odd"], w["out"]
    fifo, pdf = str(odd / "fifo"), str(out / "r.pdf")
    backups = w["backup"].parent
    report = ["report", "--patient", "1", "-o"]
    export = ["export", "--patient", "1", "--format", "json", "-o"]
    rec = ["import-recording", str(BDS), "--side", "left", "--condition", "eo_firm"]
    cases: list[tuple[str, list[str]]] = []
    for bad in (BIG, "-1", "0", "abc", "1.5", "99999"):
        cases += [
            (f"report patient {bad}", ["report", "--patient", bad, "-o", pdf]),
            (f"report session {bad}", ["report", "--patient", "1", "--session", bad, "-o", pdf]),
            (f"export patient {bad}", ["export", "--patient", bad, "--format", "csv", "-o",
                                       str(out)]),
            (f"import-recording patient {bad}", [*rec, "--patient", bad]),
            (f"import-recording session {bad}", [*rec, "--patient", "1", "--session", bad]),
        ]  # fmt: skip
    for option in (
        ["--fs", "nan"],
        ["--fs", "inf"],
        ["--lowpass", "nan"],
        ["--order", "-1"],
        ["--trim", "nan", "0"],
        ["--trim", "0", "inf"],
        ["--trim", "-1", "0"],
    ):
        cases.append((f"analyze {' '.join(option)}", ["analyze", str(BDS), *option]))
    cases += [
        ("import-recording --fs nan", [*rec, "--patient", "1", "--fs", "nan"]),
        ("devices stream --seconds nan", ["devices", "stream", "--port", "loop://",
                                          "--protocol", "witmotion", "--seconds", "nan"]),
        ("report --paper nan", ["report", "--patient", "1", "--paper", "nan", "-o", pdf]),
        ("bench --only nothing", ["bench", "--only", "nothing"]),
        # inputs
        ("analyze missing", ["analyze", str(odd / "missing.csv")]),
        ("analyze folder", ["analyze", str(odd)]),
        ("analyze fifo", ["analyze", fifo]),
        ("analyze device", ["analyze", "/dev/zero"]),
        ("import missing", ["import", str(odd / "missing.json")]),
        ("import folder", ["import", str(odd)]),
        ("import fifo", ["import", fifo]),
        ("import the database", ["import", db]),
        ("import a pdf", ["import", str(odd / "not-json.json")]),
        ("import-recording the database", ["import-recording", db, "--patient", "1",
                                           "--side", "left", "--condition", "eo_firm"]),
        ("import-recording fifo", ["import-recording", fifo, "--patient", "1",
                                   "--side", "left", "--condition", "eo_firm"]),
        # report outputs
        ("report -o the database", [*report, db]),
        ("report -o its WAL", [*report, db + "-wal"]),
        ("report -o its SHM", [*report, db + "-shm"]),
        ("report -o a backup", [*report, str(w["backup"])]),
        ("report -o into backups", [*report, str(backups / "r.pdf")]),
        ("report -o a fifo", [*report, fifo]),
        ("report -o a folder", [*report, str(odd)]),
        ("report -o a device", [*report, "/dev/null"]),
        ("report -o existing JSON", [*report, str(odd / "data.json")]),
        ("report -o JSON named .pdf", [*report, str(odd / "report.pdf")]),
        ("report -o a name too long", [*report, str(out / NAME_TOO_LONG)]),
        ("report -o /proc", [*report, "/proc/dorsilab.pdf"]),
        ("report -o /sys (no permission)", [*report, "/sys/dorsilab.pdf"]),
        ("report -o missing folder", [*report, str(odd / "missing" / "r.pdf")]),
        ("report -o below a file", [*report, str(odd / "a-file.txt" / "r.pdf")]),
        ("report --handout -o the database", ["report", "--patient", "1", "--handout",
                                              "-o", db]),
        # export outputs
        ("export -o a file", [*export, str(odd / "a-file.txt")]),
        ("export -o a fifo", [*export, fifo]),
        ("export -o the database", [*export, db]),
        ("export -o the backups folder", [*export, str(backups)]),
        ("export -o /proc", [*export, "/proc/dorsilab-export"]),
        ("export -o /sys", [*export, "/sys/dorsilab-export"]),
        ("export -o a name too long", [*export, str(out / ("d" * 300))]),
        ("export raw -o below a file", ["export", "--patient", "1", "--format", "raw", "-o",
                                        str(odd / "a-file.txt" / "x")]),
        ("export fhir -o /proc", ["export", "--all", "--format", "fhir", "-o", "/proc/x"]),
        ("export csv over a PDF", ["export", "--patient", "1", "--format", "csv", "-o",
                                   str(odd / "csv-clash")]),
        # the database option
        ("--db missing folder", ["--db", str(odd / "missing" / "x.sqlite3"), *report, pdf]),
        ("--db a folder", ["--db", str(odd), *report, pdf]),
        ("--db a fifo", ["--db", fifo, *report, pdf]),
        ("--db a PDF", ["--db", str(odd / "not-json.json"), *report, pdf]),
        ("--db a name too long", ["--db", str(odd / ("x" * 300)), *report, pdf]),
        ("--db /proc", ["--db", "/proc/dorsilab.sqlite3", *report, pdf]),
        ("--db missing, no import", ["--db", str(odd / "none.sqlite3"), *report, pdf]),
        ("GUI --db a folder", ["--db", str(odd)]),
        ("selftest --db missing folder", ["--db", str(odd / "missing" / "x"), "selftest"]),
    ]  # fmt: skip
    return cases


_KEYS = ("db", "odd", "out", "backup", "export", "root")
_NAMES = [name for name, _ in _cases(dict.fromkeys(_KEYS, Path("/x")))]


def _snapshot(w: dict[str, Path]) -> dict[str, object]:
    return {
        "db": _digest(w["db"]),
        "data": _tree(w["db"].parent),
        "odd": _tree(w["odd"]),
        "out": _tree(w["out"]) if w["out"].exists() else None,
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", _NAMES)
def test_user_error_is_one_line_exit_2_and_changes_nothing(
    name: str, world: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = dict(_cases(world))[name]
    clash = world["odd"] / "csv-clash" / "patient-1-trials.csv"
    clash.parent.mkdir(exist_ok=True)
    clash.write_bytes(b"%PDF-1.4\nsomeone's PDF\n")  # an export name that is not a CSV
    before = _snapshot(world)
    try:
        code = main(["--db", str(world["db"]), *argv])
    except SystemExit as usage:  # argparse: a usage error
        code = usage.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.strip(), err
    assert "Traceback" not in err and "Errno" not in err
    assert _snapshot(world) == before
    assert not list(world["root"].rglob(".dorsilab-writing-*"))


_FULL_DISK = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (49152, 49152))  # files stop growing at 48 KiB
from clinic_app.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--patient", "1", "-o", "{out}/r.pdf"],
        ["report", "--patient", "1", "--handout", "-o", "{out}/h.pdf"],
        ["export", "--patient", "1", "--format", "json", "-o", "{out}/e"],
        ["export", "--all", "--format", "fhir", "-o", "{out}"],
        ["export", "--patient", "1", "--format", "raw", "-o", "{out}/raw"],
    ],
    ids=["report", "handout", "json", "fhir-all", "raw"],
)
def test_a_full_disk_is_a_user_error_that_leaves_nothing(
    argv: list[str], world: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    before = _snapshot(world)
    done = subprocess.run(
        [sys.executable, "-c", _FULL_DISK, "--db", str(world["db"]),
         *(a.format(out=out) for a in argv)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "too large for this disk" in done.stderr
    assert list(out.iterdir()) == []  # no partial file, no staging folder, no new folder
    assert _snapshot(world) == before


@pytest.mark.slow
def test_the_installed_command_refuses_to_overwrite_the_database(world: dict[str, Path]) -> None:
    before = _snapshot(world)
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", str(world["db"]), "report",
         "--patient", "1", "-o", str(world["db"]), "--force"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        f"clinic-app: error: {world['db']} is the patient database (or its journal); "
        "choose another file\n"
    )
    assert _snapshot(world) == before
