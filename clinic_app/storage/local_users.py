"""Optional sign-in for a database file, and the roles the app enforces.

A file used by several people can have logins (``local_users``: login, role, Argon2id
hash through argon2-cffi, never the password). Once one exists the window asks who is
working and locks when idle, and the app refuses each role what a clinic server's
row-level security refuses it (:data:`FORBIDDEN`). This is a lock of the app, not of the
file: anyone who can read the file can read the records, which only the operating
system's permissions and disk encryption protect (the README says so).

On a clinic server the server itself enforces the same table; the app's check there only
gives the refusal in words before the server's.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clinic_app.storage._base import StoreBase
from clinic_app.storage._util import utc_now
from clinic_app.storage.errors import NotFoundError, PermissionDeniedError, StorageError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

log = logging.getLogger(__name__)

ROLES = ("admin", "clinician", "assistant")
LOGIN = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")

FORBIDDEN: dict[str, frozenset[str]] = {
    "assistant": frozenset(
        {"edit_plan", "delete", "restore", "void", "export", "import", "settings", "users"}
    ),
    "clinician": frozenset({"settings", "users"}),
    "admin": frozenset(),
}
"""What each role may not do (the server's row-level security refuses the same)."""

_WORDS = {
    "edit_plan": "edit a plan",
    "delete": "delete a patient",
    "restore": "restore a patient or a visit",
    "void": "void a visit",
    "export": "export records",
    "import": "import records",
    "settings": "change the clinic's settings",
    "users": "manage users",
}


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2-cffi's defaults: Argon2id, 64 MiB, 3 passes


@dataclass(frozen=True, slots=True)
class LocalUser:
    """A login of a database file (no hash: it stays in the store)."""

    login: str
    role: str
    created_at: str
    disabled_at: str | None

    @property
    def enabled(self) -> bool:
        """True unless disabled."""
        return self.disabled_at is None


class LocalUserStore(StoreBase):
    """Local logins and the role checks of :class:`~clinic_app.storage.Database`."""

    def require(self, action: str) -> None:
        """Refuse ``action`` (a key of :data:`_WORDS`) if the signed-in role may not do it.

        Raises
        ------
        PermissionDeniedError
            In words, naming who is signed in and their role.
        """
        if self.role is None or action not in FORBIDDEN.get(self.role, frozenset()):
            return
        article = "an" if self.role[0] in "aeiou" else "a"
        raise PermissionDeniedError(
            f"{self.signed_in or 'This login'} is signed in as {self.role}; {article} "
            f"{self.role} may not {_WORDS[action]}. Ask a clinician or the administrator."
        )

    def local_users(self) -> list[LocalUser]:
        """Every login of this file, by name."""
        return [
            LocalUser(r["login"], r["role"], r["created_at"], r["disabled_at"])
            for r in self._rows(
                "SELECT login, role, created_at, disabled_at FROM local_users ORDER BY login"
            )
        ]

    def sign_in_required(self) -> bool:
        """True if the file has an enabled login (the window then asks who is working)."""
        row = self._row("SELECT COUNT(*) AS n FROM local_users WHERE disabled_at IS NULL")
        return bool(row and row["n"])

    def add_local_user(self, login: str, role: str, password: str) -> LocalUser:
        """Add a login with its role; the password is stored only as an Argon2id hash.

        Raises
        ------
        StorageError
            An unusable login name or role, an empty password, or a login taken.
        """
        if not LOGIN.match(login):
            raise StorageError(
                f"{login!r} cannot be a login: use 1 to 63 letters, digits, '_', '.' or '-'."
            )
        if role not in ROLES:
            raise StorageError(f"the role is one of {', '.join(ROLES)}, not {role!r}")
        if len(password) < 8:
            raise StorageError("a password needs at least 8 characters")
        self.require("users")
        digest = _hasher().hash(password)
        with self.transaction():
            if self._row("SELECT 1 AS x FROM local_users WHERE login = :l", {"l": login}):
                raise StorageError(f"the login {login} exists already")
            now = utc_now()
            self._execute(
                "INSERT INTO local_users (login, role, password_hash, created_at) "
                "VALUES (:login, :role, :hash, :now)",
                {"login": login, "role": role, "hash": digest, "now": now},
            )
            self.record_audit("create", "settings", None, {"fields": ["local_users"]})
        log.info("local login added (role %s)", role)
        return LocalUser(login, role, now, None)

    def disable_local_user(self, login: str) -> None:
        """Disable a login (it can no longer sign in; its audit rows stay)."""
        self.require("users")
        with self.transaction():
            changed = self._execute(
                "UPDATE local_users SET disabled_at = :now WHERE login = :login "
                "AND disabled_at IS NULL",
                {"now": utc_now(), "login": login},
            )
            if not changed and not self._row(
                "SELECT 1 AS x FROM local_users WHERE login = :l", {"l": login}
            ):
                raise NotFoundError(f"there is no login {login} in this database")
            self.record_audit("update", "settings", None, {"fields": ["local_users"]})

    def check_local_password(self, login: str, password: str) -> str:
        """The role of ``login`` if ``password`` is its password; never says which was wrong.

        Raises
        ------
        PermissionDeniedError
            Unknown login, disabled login or wrong password (one message for all three).
        """
        from argon2.exceptions import InvalidHashError, VerificationError

        row = self._row(
            "SELECT role, password_hash FROM local_users WHERE login = :l AND disabled_at IS NULL",
            {"l": login},
        )
        refused = PermissionDeniedError("The login name or password was not accepted.")
        if row is None:
            _hasher().hash(password)  # the same time as a real check: no login probing
            raise refused
        try:
            _hasher().verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            raise refused from None
        return str(row["role"])

    def sign_in_local(self, login: str, password: str) -> None:
        """Check the password and make ``login`` the signed-in user (audit rows name it)."""
        role = self.check_local_password(login, password)
        self.signed_in, self.role, self.user = login, role, login
        log.info("signed in to the database file (role %s)", role)
