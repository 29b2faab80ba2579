"""The demo database's content: fictional patients and their past visits.

Everything here is invented; no real person is described. The visits are measured on
simulated devices by the real analysis code (see :mod:`clinic_app.demo.history`).
"""

from __future__ import annotations

from datetime import date

from clinic_app.storage import Database


def ensure_demo_data(db: Database, *, today: date | None = None) -> None:
    """Seed the demo database on first use (idempotent).

    Parameters
    ----------
    db : Database
    today : date, optional
        Day the demo history is anchored to (default today, UTC).
    """
    from clinic_app.demo.history import EXAMINER, seed_demo_history
    from clinic_app.storage.demo_seed import seed_demo_patients

    seed_demo_patients(db)
    seed_demo_history(db, today=today)
    if not db.get_setting("examiner_name"):  # the demo clinic's examiner signs new visits
        db.set_setting("examiner_name", EXAMINER)
