"""Logins: add, list, disable; passwords never reach the server's log; connection errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.server.conftest import PASSWORD, ServerDb

psycopg = pytest.importorskip("psycopg")

from clinic_app.errors import UserError  # noqa: E402
from clinic_app.storage.server import connect  # noqa: E402
from clinic_app.storage.server.errors import (  # noqa: E402
    AuthenticationFailedError,
    DatabaseMissingError,
    LoginDisabledError,
    LoginTakenError,
    NoSuchLoginError,
    NotAllowedError,
    PasswordRequiredError,
    SchemaError,
    ServerConnectionError,
    ServerUnreachableError,
    mask_url,
)
from clinic_app.storage.server.users import add_user, disable_user, list_users  # noqa: E402


def test_add_list_and_sign_in(server_db: ServerDb) -> None:
    su = server_db.connect()
    names = {role: server_db.server.unique_login(f"u_{role}") for role in ("admin", "assistant")}
    for role, login in names.items():
        add_user(su, login, role, PASSWORD)
    listed = {u.login: u for u in list_users(su)}
    for role, login in names.items():
        assert listed[login].role == role and listed[login].enabled
        assert listed[login].valid_until is None
    with connect(server_db.url_for(names["assistant"])) as conn:
        row = conn.execute("SELECT session_user, pg_has_role('dorsilab_clinician', 'MEMBER')")
        assert row.fetchone() == (names["assistant"], False)
    attributes = su.execute(
        "SELECT rolname, rolcreaterole, rolsuper, rolpassword LIKE 'SCRAM-SHA-256$%%' "
        "FROM pg_authid WHERE rolname = ANY(%s) ORDER BY rolname",
        (list(names.values()),),
    ).fetchall()
    assert attributes == sorted(
        [(names["admin"], True, False, True), (names["assistant"], False, False, True)]
    )


def test_an_admin_adds_and_disables_logins_a_clinician_may_not(server_db: ServerDb) -> None:
    admin = server_db.add_login("admin")
    clinician = server_db.add_login("clinician")
    as_admin = server_db.connect(server_db.url_for(admin))
    second_admin = server_db.server.unique_login("admin")
    add_user(as_admin, second_admin, "admin", PASSWORD)  # admins may make admins
    newcomer = server_db.server.unique_login("assistant")
    add_user(as_admin, newcomer, "assistant", PASSWORD)
    as_clinician = server_db.connect(server_db.url_for(clinician))
    with pytest.raises(NotAllowedError, match="sign in as a DorsiLab admin"):
        add_user(as_clinician, server_db.server.unique_login("x"), "assistant", PASSWORD)
    with pytest.raises(NotAllowedError, match="sign in as a DorsiLab admin"):
        disable_user(as_clinician, newcomer)
    result = disable_user(as_admin, newcomer)
    assert result.was_enabled and result.sessions_ended == result.sessions_left == 0
    assert not {u.login: u for u in list_users(as_clinician)}[newcomer].enabled
    with pytest.raises(NotAllowedError, match="signed in with"):
        disable_user(as_admin, admin)


def test_a_disabled_login_cannot_connect_and_its_sessions_end(server_db: ServerDb) -> None:
    login = server_db.add_login("clinician")
    open_conn = server_db.connect(server_db.url_for(login))
    result = disable_user(server_db.connect(), login)  # the superuser may end sessions
    assert (result.sessions_ended, result.sessions_left) == (1, 0)
    with pytest.raises(psycopg.OperationalError):
        open_conn.execute("SELECT 1")
    with pytest.raises(LoginDisabledError, match=f"the login {login} is disabled"):
        connect(server_db.url_for(login))
    again = disable_user(server_db.connect(), login)
    assert not again.was_enabled


def test_an_admin_without_signal_rights_reports_sessions_left(server_db: ServerDb) -> None:
    admin = server_db.add_login("admin")
    login = server_db.add_login("assistant")
    open_conn = server_db.connect(server_db.url_for(login))
    result = disable_user(server_db.connect(server_db.url_for(admin)), login)
    assert (result.sessions_ended, result.sessions_left) == (0, 1)
    assert open_conn.execute("SELECT 1").fetchone() == (1,)


def test_user_errors_in_words(server_db: ServerDb) -> None:
    su = server_db.connect()
    login = server_db.add_login("assistant")
    with pytest.raises(LoginTakenError, match="is taken"):
        add_user(su, login, "clinician", PASSWORD)
    with pytest.raises(LoginTakenError):
        add_user(su, "postgres", "clinician", PASSWORD)
    with pytest.raises(NoSuchLoginError, match="no DorsiLab login 'nobody_here'"):
        disable_user(su, "nobody_here")
    with pytest.raises(NoSuchLoginError):
        disable_user(su, "postgres")  # a role, but not a DorsiLab login
    for bad in ("", "bob smith", 'x"; DROP TABLE patients; --', "pg_monitor2", "a" * 64,
                "dorsilab_admin", "zoë"):  # fmt: skip
        with pytest.raises(UserError):
            add_user(su, bad, "assistant", PASSWORD)
    with pytest.raises(UserError, match="at least 8"):
        add_user(su, server_db.server.unique_login("short"), "assistant", "1234567")
    with pytest.raises(UserError, match="not a role"):
        add_user(su, server_db.server.unique_login("r"), "superuser", PASSWORD)


def test_logins_need_server_init(server_db: ServerDb, monkeypatch: pytest.MonkeyPatch) -> None:
    # The groups are cluster-wide and another test made them: pretend they are missing.
    from clinic_app.storage.server import roles

    monkeypatch.setattr(roles, "GROUPS", {r: f"dorsilab_{r}_absent" for r in roles.ROLES})
    with pytest.raises(SchemaError, match="server init"):
        add_user(server_db.connect(), server_db.server.unique_login("x"), "assistant", PASSWORD)


def test_mixed_case_and_dotted_logins_are_kept_exactly(server_db: ServerDb) -> None:
    login = server_db.server.unique_login("Dr.Jane-O_")
    add_user(server_db.connect(), login, "clinician", PASSWORD)
    with connect(server_db.url_for(login)) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (login,)


def test_list_shows_valid_until(server_db: ServerDb) -> None:
    su = server_db.connect()
    expired = server_db.add_login("assistant")
    forever = server_db.add_login("assistant")
    su.execute(f"ALTER ROLE {expired} VALID UNTIL '2001-02-03 04:05:06+00'")
    su.execute(f"ALTER ROLE {forever} VALID UNTIL 'infinity'")
    listed = {u.login: u for u in list_users(su)}
    assert listed[expired].valid_until is not None
    assert listed[expired].valid_until.year == 2001
    assert listed[forever].valid_until is None


def test_the_password_never_reaches_the_server_log(server_db: ServerDb) -> None:
    secret = "Unforgettable-Secret-4711"
    login = server_db.server.unique_login("logcheck")
    add_user(server_db.connect(), login, "clinician", secret)
    with connect(server_db.url_for(login, secret)) as conn:
        conn.execute("SELECT 1")
    log = server_db.server.log_path.read_text(encoding="utf-8", errors="replace")
    statement = [line for line in log.splitlines() if f'CREATE ROLE "{login}"' in line]
    assert statement, "log_statement=all should have logged the CREATE ROLE"
    assert "SCRAM-SHA-256$4096:" in statement[0]  # only the verifier travelled
    assert secret not in log


def test_connection_errors_in_words(
    server_db: ServerDb, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    login = server_db.add_login("assistant")
    wrong = "Wrong-Password-99"
    with pytest.raises(AuthenticationFailedError, match="did not accept the login") as auth:
        connect(server_db.url_for(login, wrong))
    assert wrong not in str(auth.value)
    with pytest.raises(PasswordRequiredError, match="PGPASSWORD"):
        connect(server_db.url_for(login, None))
    missing = server_db.server.url_for(login, PASSWORD, "no_such_database")
    with pytest.raises(DatabaseMissingError, match="no database no_such_database"):
        connect(missing)
    nowhere = server_db.url_for(login).replace("%2Ftmp%2F", "%2Fnonexistent%2F")
    with pytest.raises(ServerUnreachableError, match="cannot be reached") as unreachable:
        connect(nowhere)
    assert PASSWORD not in str(unreachable.value)


def test_libpq_conventions_supply_the_password(
    server_db: ServerDb, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login = server_db.add_login("clinician")
    url = server_db.url_for(login, None)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with connect(url) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (login,)
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:{login}:{PASSWORD}\n", encoding="utf-8")
    os.chmod(pgpass, 0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with connect(url) as conn:
        assert conn.execute("SELECT current_setting('application_name')").fetchone() == (
            "DorsiLab",
        )


def test_a_stopped_server_is_unreachable_then_back(server_db: ServerDb) -> None:
    conn = server_db.connect()
    server_db.server.stop()
    try:
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
        with pytest.raises(ServerUnreachableError, match="cannot be reached"):
            connect(server_db.url)
    finally:
        server_db.server.start()
    with connect(server_db.url) as again:
        assert again.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://alice:s3cret@db/clinic", "postgresql://alice:***@db/clinic"),
        ("postgresql://alice:p@ss/w:rd@db:5433/clinic?sslmode=require",
         "postgresql://alice:***@db:5433/clinic?sslmode=require"),
        ("postgresql://db/clinic?user=al&password=s3cret&sslmode=verify-full",
         "postgresql://db/clinic?user=al&password=***&sslmode=verify-full"),
        ("postgresql://alice@db/clinic", "postgresql://alice@db/clinic"),
        ("postgres://db:5432/clinic", "postgres://db:5432/clinic"),
        ("host=db password='a b\\'c' user=x", "host=db password=*** user=x"),
    ],
)  # fmt: skip
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    ("message", "kind", "words"),
    [
        ('connection to server at "db.clinic" (10.0.0.5), port 5432 failed: FATAL:  no '
         'pg_hba.conf entry for host "10.0.0.9", user "skim", database "dorsilab", no encryption',
         AuthenticationFailedError, "pg_hba.conf"),
        ('connection to server at "db.clinic" (10.0.0.5), port 5432 failed: FATAL:  '
         'permission denied for database "dorsilab"\nDETAIL:  User does not have CONNECT '
         "privilege.", AuthenticationFailedError, "may not use"),
        ('connection to server at "db.clinic" (10.0.0.5), port 5432 failed: FATAL:  the '
         "database system is starting up", ServerUnreachableError, "try again in a moment"),
        ('connection to server at "db.clinic" (10.0.0.5), port 5432 failed: FATAL:  sorry, '
         "too many clients already", ServerUnreachableError, "no free connection"),
        ('connection to server at "db.clinic" (10.0.0.5), port 5432 failed: FATAL:  remaining '
         "connection slots are reserved for superusers", ServerUnreachableError, "no free"),
        ('connection to server at "ssl.clinic" (10.0.0.5), port 5432 failed: Connection '
         "refused", ServerUnreachableError, "(Connection refused)"),
        ('connection to server at "db.clinic" (10.0.0.5), port 5432 failed: SSL error: '
         "certificate verify failed", ServerConnectionError, "secure connection"),
    ],
)  # fmt: skip
def test_connection_errors_are_classified(message: str, kind: type, words: str) -> None:
    from clinic_app.storage.server import connection_error

    params = {"host": "db.clinic", "port": "5432", "dbname": "dorsilab", "user": "skim"}
    error = connection_error(psycopg.OperationalError(message), params)
    assert type(error) is kind
    assert words in str(error)
    assert "the server db.clinic:5432, database dorsilab" in str(error)
