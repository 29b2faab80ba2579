"""De-identification for exports: no names, no birth dates, ids replaced by salted hashes.

The salt is the clinic's own secret (stored in the settings as ``export_salt`` on first
use), so the same patient gets the same pseudonym in every de-identified export of this
clinic — exports can be linked by the clinic but not reversed by anyone without the salt.
Free-text notes are dropped too, because clinicians write names into them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from clinic_app.storage import Database

SALT_SETTING = "export_salt"
DROPPED_PATIENT_FIELDS = ("first_name", "last_name", "birth_date", "record_number", "notes")


class Pseudonymizer:
    """Maps record ids to stable salted hashes (HMAC-SHA256, first 16 hex digits).

    Parameters
    ----------
    salt : bytes
        The clinic's secret; at least 16 bytes.
    """

    def __init__(self, salt: bytes) -> None:
        if len(salt) < 16:
            raise ValueError("the de-identification salt must be at least 16 bytes")
        self._salt = salt

    def pseudonym(self, kind: str, record_id: int) -> str:
        """``kind`` (patient, session, trial) and id → e.g. ``"p-3f9c…"``."""
        digest = hmac.new(self._salt, f"{kind}:{record_id}".encode(), hashlib.sha256)
        return f"{kind[0]}-{digest.hexdigest()[:16]}"

    @classmethod
    def for_clinic(cls, db: Database) -> Pseudonymizer:
        """The clinic's pseudonymizer, creating and storing its salt on first use."""
        salt_hex = db.get_setting(SALT_SETTING)
        if not isinstance(salt_hex, str) or len(salt_hex) < 32:
            salt_hex = secrets.token_hex(32)
            db.set_setting(SALT_SETTING, salt_hex)
        return cls(bytes.fromhex(salt_hex))
