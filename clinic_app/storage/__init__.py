"""The patient database: one SQLite file through sqlite-utils, trusted by the clinic.

Open it with :meth:`Database.open`; see ``clinic_app/storage/README.md`` for the API and
``docs/data-model.md`` for the schema.
"""

from clinic_app.storage._base import AUDIT_ACTIONS, AUDIT_ENTITIES, AuditEntry
from clinic_app.storage.backups import BackupInfo, list_backups, newest_backup, restore_backup
from clinic_app.storage.database import Database
from clinic_app.storage.errors import (
    BackupCheckError,
    ConcurrentChangeError,
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseOpenError,
    DatabaseTooNewError,
    DuplicateRecordNumberError,
    ForeignDatabaseError,
    NotADatabaseError,
    NotFoundError,
    PermissionDeniedError,
    ServerUnavailableError,
    StorageError,
    ValidationError,
)
from clinic_app.storage.migrations import MIGRATIONS, SCHEMA_VERSION, Migration
from clinic_app.storage.patients import Patient, PatientInput
from clinic_app.storage.plans import StoredPlan
from clinic_app.storage.recordings import DEVICES
from clinic_app.storage.sessions import (
    BALANCE_CONDITIONS,
    PROTOCOLS,
    SESSION_STATUSES,
    SIDES,
    TRIAL_STATUSES,
    Session,
    SessionHistory,
    Trial,
)
from clinic_app.storage.settings import DEFAULT_SETTINGS
from clinic_app.storage.validation import CHOICES, LABELS, PATIENT_FIELDS, validate_patient

__all__ = [
    "AUDIT_ACTIONS",
    "AUDIT_ENTITIES",
    "BALANCE_CONDITIONS",
    "CHOICES",
    "DEFAULT_SETTINGS",
    "DEVICES",
    "LABELS",
    "MIGRATIONS",
    "PATIENT_FIELDS",
    "PROTOCOLS",
    "SCHEMA_VERSION",
    "SESSION_STATUSES",
    "SIDES",
    "TRIAL_STATUSES",
    "AuditEntry",
    "BackupCheckError",
    "BackupInfo",
    "ConcurrentChangeError",
    "Database",
    "DatabaseBusyError",
    "DatabaseCorruptError",
    "DatabaseOpenError",
    "DatabaseTooNewError",
    "DuplicateRecordNumberError",
    "ForeignDatabaseError",
    "Migration",
    "NotADatabaseError",
    "NotFoundError",
    "Patient",
    "PatientInput",
    "PermissionDeniedError",
    "ServerUnavailableError",
    "Session",
    "SessionHistory",
    "StorageError",
    "StoredPlan",
    "Trial",
    "ValidationError",
    "list_backups",
    "newest_backup",
    "restore_backup",
    "validate_patient",
]
