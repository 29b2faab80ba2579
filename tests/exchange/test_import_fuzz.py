"""Property test: a valid export mutated anywhere (a value replaced, a key removed or
added) is never a traceback. Either it is imported whole and then every command works on
it (report, handout and every export format), or it is refused in words with the
database byte-for-byte unchanged."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from clinic_app.cli import main
from clinic_app.exchange.collect import collect_patient
from clinic_app.exchange.json_format import export_document
from clinic_app.storage import Database

REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "a string", "2026-13-45", "left", "eo_firm", "valid", "0" * 5000,
                     "2026-09-01T09:00:00Z", "1991-03-14", "zlib+base64", "\x00", "=1+1"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["a", "id", "uid"]), st.integers(), max_size=2),
)  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in the document (recording data strings are places too)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


class Base(tuple):  # type: ignore[type-arg]
    """(document, paths, empty database) with a short repr for hypothesis' reports."""

    def __repr__(self) -> str:
        return "<a valid export, its paths and an empty database>"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    from tests.exchange.conftest import add_visit

    folder = tmp_path_factory.mktemp("fuzz")
    with Database.open(folder / "source.sqlite3") as db:
        patient = db.create_patient(
            {"first_name": "Zoë", "last_name": "Núñez", "birth_date": "1991-03-14",
             "record_number": "MRN-0042", "mass_kg": "61.5"}
        )  # fmt: skip
        add_visit(db, patient.id, "2026-09-01T09:00:00Z", 36.0, seed=1)
        document = json.loads(json.dumps(export_document([collect_patient(db, patient.id)])))
    # Keep the example small: one visit's first lunge, one balance and one failed trial.
    session = document["patients"][0]["sessions"][0]
    session["trials"] = [session["trials"][i] for i in (0, 3, 4)]
    empty = folder / "empty.sqlite3"
    with Database.open(empty) as db:
        db.create_patient({"first_name": "Ann", "last_name": "Other", "birth_date": "1980-01-01"})
    paths = [p for p in _paths(document) if p]
    return Base((document, paths, empty))


@settings(
    max_examples=60,
    deadline=None,
    database=None,  # the base export has new uids each run: replaying old examples is moot
    derandomize=True,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mutated_export_is_imported_whole_or_refused_unchanged(
    base: Base,
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document, paths, empty = base
    document = copy.deepcopy(document)
    path = data.draw(st.sampled_from(paths))
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if action == "replace":
        parent[key] = data.draw(REPLACEMENTS)
    elif action == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif isinstance(parent, dict):
        parent["unexpected_" + str(key)] = data.draw(REPLACEMENTS)
    else:
        parent.append(data.draw(REPLACEMENTS))

    folder = tmp_path_factory.mktemp("case")
    db_path = folder / "clinic.sqlite3"
    shutil.copy(empty, db_path)
    before = db_path.read_bytes()
    file = folder / "mutated.json"
    file.write_text(json.dumps(document), encoding="utf-8")
    code = main(["--db", str(db_path), "import", str(file)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    event("refused" if code else "imported")
    if code != 0:
        assert code == 2 and len(captured.err.strip().splitlines()) == 1
        assert db_path.read_bytes() == before
        return
    with Database.open(db_path) as db:
        imported = [p for p in db.search_patients("", limit=None) if p.last_name != "Other"]
        if not imported:  # the mutation emptied the patient list: nothing to work on
            return
        patient = imported[0]
        sessions = db.list_sessions(patient.id)
    for fmt in ("csv", "json", "fhir", "fhir-transaction", "raw"):
        out = folder / fmt
        args = ["--db", str(db_path), "export", "--patient", str(patient.id), "--format", fmt,
                "-o", str(out)]  # fmt: skip
        assert main(args) == 0, capsys.readouterr().err
        assert main([*args, "--deidentify"]) == 0, capsys.readouterr().err
    if sessions:
        event("reported")
        for extra in ([], ["--handout"]):
            pdf = folder / f"r{len(extra)}.pdf"
            args = ["--db", str(db_path), "report", "--patient", str(patient.id), "--session",
                    str(sessions[0].id), "-o", str(pdf), *extra]  # fmt: skip
            assert main(args) == 0, capsys.readouterr().err
    capsys.readouterr()
