"""Imports cannot poison the database: the whole file is checked against the written
schema before anything is written, errors name the JSON path, a refused file leaves the
database byte-for-byte unchanged, and files or recordings over the documented limits are
refused before they are read whole."""

from __future__ import annotations

import base64
import copy
import json
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clinic_app.cli import main
from clinic_app.exchange.collect import collect_patient
from clinic_app.exchange.json_format import (
    LIMITS,
    ImportFormatError,
    export_document,
    read_document,
    validate_document,
)
from clinic_app.storage import Database

Mutation = Callable[[dict[str, Any]], None]


def _trial(doc: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return doc["patients"][0]["sessions"][0]["trials"][index]  # type: ignore[no-any-return]


def _set(path: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        target: Any = doc
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        target[int(last) if last.isdigit() else last] = value

    return mutate


# Each case: a mutation of a valid export and the words the refusal must contain.
CASES: list[tuple[str, Mutation, str]] = [
    ("a string where a date belongs", _set("patients.0.birth_date", "last spring"),
     "patients[0].birth_date: not an ISO date"),
    ("a string result", _set("patients.0.sessions.0.trials.0.result", "a string"),
     "patients[0].sessions[0].trials[0].result: not an object"),
    ("angle NaN", _set("patients.0.sessions.0.trials.5.result.angle_deg", float("nan")),
     "patients[0].sessions[0].trials[5].result.angle_deg: not a finite number"),
    ("a string plan", _set("patients.0.sessions.1.plans.0.plan", "do some stretches"),
     "patients[0].sessions[1].plans[0].plan: not an object"),
    ("a plan missing its phases", lambda d: d["patients"][0]["sessions"][0]["plans"][0]["plan"]
     .pop("phases"), "patients[0].sessions[0].plans[0].plan.phases: missing"),
    ("an unknown side", _set("patients.0.sessions.0.trials.0.side", "middle"),
     "patients[0].sessions[0].trials[0].side: input should be 'left' or 'right'"),
    ("an unknown protocol", _set("patients.0.sessions.0.trials.0.protocol", "hop"),
     "trials[0].protocol"),
    ("an unknown status", _set("patients.0.sessions.0.status", "paused"),
     "patients[0].sessions[0].status"),
    ("a negative duration", _set("patients.0.sessions.0.trials.3.result.completed_s", -4.0),
     "trials[3].result.completed_s: input should be greater than or equal to 0"),
    ("an impossible body mass", _set("patients.0.mass_kg", 4000),
     "patients[0].mass_kg: input should be less than or equal to 300"),
    ("a boolean number", _set("patients.0.sessions.0.trials.0.attempt", True),
     "trials[0].attempt: not a whole number"),
    ("a time without zone", _set("patients.0.sessions.0.started_at", "2026-09-01T09:00:00"),
     "patients[0].sessions[0].started_at"),
    ("an unknown field", _set("patients.0.favourite_colour", "blue"),
     "patients[0].favourite_colour: unknown field"),
    ("a missing field", lambda d: d["patients"][0].pop("last_name"),
     "patients[0].last_name: missing"),
    ("a birth date in the future", _set("patients.0.birth_date", "2999-01-01"),
     "patients[0].birth_date: Birth date cannot be in the future"),
    ("a test plan that is not one", _set("patients.0.sessions.1.test_plan", {"schema": 1}),
     "patients[0].sessions[1].test_plan"),
    ("a recording shorter than declared",
     _set("patients.0.sessions.0.trials.0.recordings.inclinometer.n_samples", 301),
     "trials[0].recordings.inclinometer: data: does not hold the 301 samples"),
    ("a recording of the wrong layout",
     _set("patients.0.sessions.0.trials.0.recordings.inclinometer.dtype", [["a", "<f8"]]),
     "recordings.inclinometer: dtype: not the inclinometer sample layout"),
    ("a recording that is not base64",
     _set("patients.0.sessions.0.trials.0.recordings.inclinometer.data", "%%%"),
     "recordings.inclinometer: data: not base64"),
    ("a balance trial with a lunge result",
     _set("patients.0.sessions.0.trials.3.result", {"angle_deg": 40.0}),
     "trials[3].result.angle_deg: unknown field"),
    ("a finished visit without an end", _set("patients.0.sessions.0.ended_at", None),
     "patients[0].sessions[0]: a visit that is complete has an ended_at"),
    ("the same uid twice", lambda d: d["patients"][0]["sessions"][1].update(
        uid=d["patients"][0]["sessions"][0]["uid"]), "sessions[1].uid: the same uid appears"),
    ("a name with a control character", _set("patients.0.first_name", "Zo\x00ë"),
     "patients[0].first_name: contains a line break or control character"),
]  # fmt: skip


@pytest.fixture()
def valid_document(clinic_db: tuple[Database, int]) -> dict[str, Any]:
    db, patient_id = clinic_db
    return json.loads(json.dumps(export_document([collect_patient(db, patient_id)])))


def test_the_valid_export_passes(valid_document: dict[str, Any]) -> None:
    validate_document(valid_document)


@pytest.mark.parametrize(("name", "mutate", "words"), CASES, ids=[c[0] for c in CASES])
def test_a_malformed_file_is_refused_naming_the_json_path(
    valid_document: dict[str, Any], name: str, mutate: Mutation, words: str
) -> None:
    document = copy.deepcopy(valid_document)
    mutate(document)
    with pytest.raises(ImportFormatError) as error:
        validate_document(document)
    assert words in str(error.value)
    assert "Zoë" not in str(error.value) and "Núñez" not in str(error.value)


def test_refused_import_leaves_the_database_byte_for_byte_unchanged(
    valid_document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target.sqlite3"
    with Database.open(target) as db:
        db.create_patient({"first_name": "Ann", "last_name": "Other", "birth_date": "1980-01-01"})
    before = target.read_bytes()
    for _, mutate, words in CASES:
        document = copy.deepcopy(valid_document)
        mutate(document)
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(document), encoding="utf-8")  # NaN written as NaN
        assert main(["--db", str(target), "import", str(path)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert words in err and "nothing was imported" in err
        assert target.read_bytes() == before
        assert not Path(f"{target}-wal").exists() or Path(f"{target}-wal").stat().st_size == 0


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # a sparse file: nothing is really written
        handle.truncate(LIMITS.max_file_bytes + 1)
    tracemalloc.start()
    with pytest.raises(ImportFormatError, match="larger than an import may be"):
        read_document(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000


def _bomb(raw_bytes: int) -> str:
    """zlib data that inflates to ``raw_bytes`` zero bytes (made without holding them)."""
    deflater = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [deflater.compress(chunk) for _ in range(raw_bytes >> 20)]
    parts.append(deflater.flush())
    return base64.b64encode(b"".join(parts)).decode("ascii")


def test_a_decompression_bomb_is_stopped_early(valid_document: dict[str, Any]) -> None:
    """1 GiB of zeros in ~1 MB of zlib, declared as a 300-sample recording."""
    recording = _trial(valid_document)["recordings"]["inclinometer"]
    recording["data"] = _bomb(1 << 30)
    assert len(recording["data"]) < 2_000_000
    tracemalloc.start()
    with pytest.raises(ImportFormatError, match="does not hold the 300 samples"):
        validate_document(valid_document)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50_000_000  # never inflated beyond the declared size


def test_a_recording_declared_over_the_limit_is_refused_unread(
    valid_document: dict[str, Any],
) -> None:
    recording = _trial(valid_document)["recordings"]["inclinometer"]
    recording["n_samples"] = 10_000_000  # 640 MB of samples
    with pytest.raises(ImportFormatError, match="more than a recording may hold"):
        validate_document(valid_document)


def test_json_parse_errors_give_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"format": "dorsilab-export",\n "patients": [}')
    with pytest.raises(ImportFormatError, match="line 2, column"):
        read_document(path)


def test_a_file_with_a_byte_order_mark_imports(
    valid_document: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(valid_document).encode())
    assert read_document(path)["format"] == "dorsilab-export"


def test_the_documented_limits_are_the_ones_enforced() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "exchange.md").read_text(encoding="utf-8")
    for number in (LIMITS.max_file_bytes >> 20, LIMITS.max_recording_bytes >> 20):
        assert f"{number} MiB" in doc
    for count in (LIMITS.max_patients, LIMITS.max_trials_per_session, LIMITS.max_trials):
        assert f"{count:,}" in doc
