"""Bench figures of the 'db' group on a clinic server (``bench --db postgresql://…``).

The same fictional clinic as the file's figures (:mod:`clinic_app.bench.db`: 10,000
patients, 100,000 visits, 300,000 trials, the same random seed) is written to the
server with COPY, then the same searches and histories are timed through
:class:`~clinic_app.storage.server_database.ServerDatabase`, so the two pairs of figures
compare like with like.

The database at the URL must be a DorsiLab server database made for the bench, with no
patients: the bench never writes 10,000 fictional patients into a clinic's records.

Figures
-------
db_server_search_ms, db_server_history_ms
    As ``db_search_ms`` and ``db_history_ms``, on the server.
"""

from __future__ import annotations

import random

from clinic_app.bench.db import bench_rows, time_search_and_history
from clinic_app.errors import UserError
from clinic_app.storage.server_database import ServerDatabase

_PATIENT_COLUMNS = (
    "id, record_number, first_name, last_name, birth_date, sex, height_cm, mass_kg, "
    "search_text, sort_name, created_at, updated_at, deleted_at"
)
_SESSION_COLUMNS = "id, patient_id, started_at, ended_at, examiner, status, created_at, updated_at"
_TRIAL_COLUMNS = "session_id, protocol, side, condition, result, started_at, ended_at"


def measure_server(url: str, quick: bool) -> dict[str, float]:
    """Seed the server database at ``url`` and time search and history there.

    Raises
    ------
    UserError
        If the server database already holds patients (it is not a bench database).
    """
    rng = random.Random(20261124)  # the file bench's seed: the same clinic, row for row
    db = ServerDatabase.connect(url)
    try:
        if db.count_patients(include_deleted=True):
            raise UserError(
                f"the server database {db.where} already holds patients; bench --db needs an "
                "empty DorsiLab database made for it (createdb, then server init)"
            )
        patients, sessions, trials, regulars = bench_rows(rng)
        conn = db._pg._live()
        with conn.transaction(), conn.cursor() as cursor:
            for table, columns, rows in (
                ("patients", _PATIENT_COLUMNS, patients),
                ("sessions", _SESSION_COLUMNS, sessions),
                ("trials", _TRIAL_COLUMNS + ", attempt, practice, status", trials),
            ):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        extra = (1, 0, "valid") if table == "trials" else ()
                        copy.write_row((*row, *extra))
        conn.execute("ANALYZE patients")
        conn.execute("ANALYZE sessions")
        conn.execute("ANALYZE trials")
        search_ms, history_ms = time_search_and_history(db, rng, regulars, quick)
    finally:
        db.close()
    return {"db_server_search_ms": search_ms, "db_server_history_ms": history_ms}
