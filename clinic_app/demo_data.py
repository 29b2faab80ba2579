"""The demo database's content: fictional patients (and, as features land, their visits).

Everything here is invented; no real person is described.
"""

from __future__ import annotations

from clinic_app.storage import Database


def ensure_demo_data(db: Database) -> None:
    """Seed the demo database on first use (idempotent)."""
    from clinic_app.storage.demo_seed import seed_demo_patients

    seed_demo_patients(db)
