"""The clinic server's table names and the constants its SQL shares (no SQL here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from clinic_app.storage.migrations import AUDIT_ACTIONS_V3, AUDIT_ENTITIES_V3
from clinic_app.storage.server_changes import CHANNEL as CHANGES_CHANNEL
from clinic_app.storage.server_changes import NOTIFYING_TABLES

if TYPE_CHECKING:
    import psycopg

Conn: TypeAlias = "psycopg.Connection[Any]"
"""A psycopg connection (any row factory)."""

CLINICAL_TABLES = (
    "patients",
    "sessions",
    "trials",
    "recordings",
    "plans",
    "settings",
    "audit_log",
)
"""Tables under row-level security (every table but ``schema_version``)."""

TABLES = (*CLINICAL_TABLES, "schema_version")
"""Every table of the schema."""

__all__ = [
    "AUDIT_ACTIONS_V3",
    "AUDIT_ENTITIES_V3",
    "CHANGES_CHANNEL",
    "CLINICAL_TABLES",
    "NOTIFYING_TABLES",
    "TABLES",
    "Conn",
]
