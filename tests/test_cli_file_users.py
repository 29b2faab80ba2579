"""``users`` on a database file: the first login needs nobody, later ones an admin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clinic_app.storage import Database


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", *args],
        input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_file_gets_logins_that_are_listed_and_guarded(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    Database.open(path).close()
    assert "no logins" in _cli("--db", str(path), "users", "list").stdout
    added = _cli("--db", str(path), "users", "add", "boss", "--role", "admin",
                 "--password-file", "-", stdin="pass word 123\n")  # fmt: skip
    assert added.returncode == 0 and added.stdout.strip() == "login boss added as admin"
    assert _cli("--db", str(path), "users", "list").stdout.strip() == "boss: admin, enabled"
    again = _cli("--db", str(path), "users", "add", "eve", "--role", "admin",
                 "--password-file", "-", stdin="pass word 123\n")  # fmt: skip
    assert again.returncode == 2 and "sign in as an admin" in again.stderr
    short = _cli("--db", str(tmp_path / "other.sqlite3"), "users", "list")
    assert short.returncode == 2 and "no DorsiLab database" in short.stderr
    with Database.open(path) as db:
        assert [u.login for u in db.local_users()] == ["boss"]
        assert "pass word 123" not in str(
            db._rows("SELECT * FROM local_users")[0]["password_hash"]
        )
