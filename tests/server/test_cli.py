"""``clinic-app --db URL server init`` and ``users add|list|disable``, end to end.

The main flows run ``python -m clinic_app`` in a subprocess, as a DBA would; the refusals
run :func:`clinic_app.cli.main` in this process (each must be one line on stderr, exit 2,
and never show a password or the URL that carries it).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import PASSWORD, ServerDb

pytest.importorskip("psycopg")

from clinic_app.cli import main
from clinic_app.storage.server.schema import SERVER_SCHEMA_VERSION


def _cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin if stdin is not None else "",
        env={**os.environ, **(env or {})},
    )


def test_server_init_then_again(fresh_db: ServerDb) -> None:
    first = _cli("--db", fresh_db.url, "server", "init")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("server: PostgreSQL ")
    assert lines[0].endswith(f", database {fresh_db.name}, signed in as postgres")
    assert f"schema: version {SERVER_SCHEMA_VERSION} created" in lines
    assert "privileges: grants and row-level security policies set" in lines
    assert lines[-1].startswith("next: add the first admin")
    assert first.stderr == ""
    again = _cli("--db", fresh_db.url, "server", "init")
    assert again.returncode == 0, again.stderr
    assert f"schema: version {SERVER_SCHEMA_VERSION}, up to date" in again.stdout.splitlines()
    assert again.stdout.splitlines()[-1] == "nothing changed: the server was already set up"


def test_users_add_list_disable(server_db: ServerDb, tmp_path: Path) -> None:
    admin = server_db.add_login("admin")
    # The admin's own password from PGPASSWORD, as libpq does: none in the URL.
    as_admin = {"PGPASSWORD": PASSWORD}
    url = server_db.url_for(admin, None)
    secret = "Brand-New-Secret-31"
    password_file = tmp_path / "pw.txt"
    password_file.write_text(secret + "\nsecond line ignored\n", encoding="utf-8")
    login = server_db.server.unique_login("nurse.kim")
    added = _cli("--db", url, "users", "add", login, "--role", "assistant",
                 "--password-file", str(password_file), env=as_admin)  # fmt: skip
    assert (added.returncode, added.stdout, added.stderr) == (
        0, f"login {login} added as assistant\n", ""
    )  # fmt: skip
    clinician = server_db.server.unique_login("dr.lee")
    piped = _cli("--db", url, "users", "add", clinician, "--role", "clinician",
                 "--password-file", "-", stdin=secret + "\n", env=as_admin)  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    server_db.connect().execute(f"ALTER ROLE \"{clinician}\" VALID UNTIL '2001-01-01'")
    listed = _cli("--db", url, "users", "list", env=as_admin)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert f"{login}: assistant, enabled" in lines
    assert f"{admin}: admin, enabled" in lines
    assert (
        f"{clinician}: clinician, enabled, password valid until 2001-01-01 00:00 UTC (expired)"
        in lines
    )
    with server_db.connect(server_db.url_for(login, secret)) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (login,)
    disabled = _cli("--db", url, "users", "disable", login, env=as_admin)
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.splitlines() == [f"login {login} disabled"]
    listed = _cli("--db", url, "users", "list", env=as_admin)
    assert f"{login}: assistant, disabled" in listed.stdout.splitlines()
    # Neither the server's statement log nor the app's own log holds the password.
    assert secret not in server_db.server.log_path.read_text(encoding="utf-8", errors="replace")
    home = Path(os.environ["DORSILAB_HOME"])
    for path in home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def _one_line_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status = main(list(argv))
    captured = capsys.readouterr()
    assert status == 2, captured
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("clinic-app: error: ")
    return captured.err


def test_refusals_are_one_line(
    server_db: ServerDb,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    # Without --db, users means the logins of this computer's database file.
    assert "no DorsiLab database" in _one_line_error(capsys, "users", "list")
    assert "give --db postgresql://" in _one_line_error(
        capsys, "--db", str(tmp_path / "x.sqlite3"), "server", "init"
    )
    wrong = "Not-The-Password-77"
    bad_url = server_db.server.url_for("postgres", wrong, server_db.name)
    err = _one_line_error(capsys, "--db", bad_url, "server", "init")
    assert "did not accept the login postgres" in err
    assert wrong not in err and "postgresql://" not in err
    err = _one_line_error(capsys, "--db", server_db.url_for("postgres", None), "users", "list")
    assert "asks for the password of postgres" in err
    nowhere = server_db.url.replace("%2Ftmp%2F", "%2Fnowhere%2F")
    assert "cannot be reached" in _one_line_error(capsys, "--db", nowhere, "users", "list")
    url = server_db.url
    assert "not a login name" in _one_line_error(
        capsys, "--db", url, "users", "add", "bad name", "--role", "admin"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: no prompt
    assert "--password-file" in _one_line_error(
        capsys, "--db", url, "users", "add", "okname", "--role", "admin"
    )
    assert "no DorsiLab login 'ghost'" in _one_line_error(
        capsys, "--db", url, "users", "disable", "ghost"
    )
    assert "first line is empty" in _one_line_error(
        capsys, "--db", url, "users", "add", "okname", "--role", "admin",
        "--password-file", os.devnull,
    )  # fmt: skip
    clinician = server_db.add_login("clinician")
    password_file = tmp_path / "pw"
    password_file.write_text("Long-Enough-Password\n", encoding="utf-8")
    err = _one_line_error(
        capsys, "--db", server_db.url_for(clinician), "users", "add", "okname2",
        "--role", "assistant", "--password-file", str(password_file),
    )  # fmt: skip
    assert "not allowed to add logins" in err
