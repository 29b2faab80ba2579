"""The three DorsiLab groups, their GRANTs and row-level security: roles the server enforces.

Each clinician signs in as their own PostgreSQL login, a member of one NOLOGIN group:

============================================================  =========  =========  =====
action                                                        assistant  clinician  admin
============================================================  =========  =========  =====
read every table                                              yes        yes        yes
register a patient, edit demographics                         yes        yes        yes
soft-delete or restore a patient, void a visit or undo it     no         yes        yes
run an assessment (sessions, trials, recordings)              yes        yes        yes
store the generated plan (plan version 1)                     yes        yes        yes
store an edited plan (version 2 and later)                    no         yes        yes
audit rows of export, import, delete, restore, void           no         yes        yes
write settings                                                no         no         yes
add and disable logins (CREATEROLE)                           no         no         yes
hard DELETE or TRUNCATE of any row, rewrite a stored plan     no         no         no
============================================================  =========  =========  =====

The groups nest: ``dorsilab_admin`` is a member of ``dorsilab_clinician``, which is a
member of ``dorsilab_assistant``, so each grant and policy is written once for the least
role that may do it and the others inherit it. The server enforces the matrix for any
client, the app or ``psql``: table GRANTs (no DELETE, TRUNCATE, or UPDATE of plans and the
audit log for anyone), row-level security policies (ENABLE and FORCE, so even the table
owner is held to them unless superuser), and the schema's trigger that refuses to change
``deleted_at`` or ``voided_at`` without clinician rights (:mod:`.schema`). Every refusal
is SQLSTATE 42501 (``insufficient_privilege``); none is a silently unchanged row.

Assistants may not export or import: the app writes the audit row of an export or import
before the file is written or the records inserted, and the policy on ``audit_log``
refuses that row. Only ``server init`` (the tables' owner) writes ``migrate`` rows.

Grants and policies are not part of the numbered schema history: :func:`apply_privileges`
sets them to this version's state at every ``server init``, so a database restored from
``pg_dump`` into a new cluster (roles are not in a dump) gets them back. Only policies
named ``dorsilab_…`` are replaced; a DBA's own policies stay.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql

from clinic_app.storage.server.schema import ADVISORY_LOCK_KEY, CLINICAL_TABLES, TABLES, Conn

log = logging.getLogger(__name__)

ROLES = ("assistant", "clinician", "admin")
"""The DorsiLab roles, least privileged first."""

GROUPS = {role: f"dorsilab_{role}" for role in ROLES}
"""Role → its NOLOGIN group (PostgreSQL role)."""

ASSISTANT, CLINICIAN, ADMIN = GROUPS["assistant"], GROUPS["clinician"], GROUPS["admin"]

POLICY_PREFIX = "dorsilab_"

# Assistants may write the audit rows of registering, editing and running a visit, and
# of a report or handout leaving ('disclose'); not those of export, import, delete,
# restore or void (the matrix), nor 'backup' (the server's backups are the DBA's).
_ASSISTANT_AUDIT_ACTIONS = ("create", "update", "disclose")


@dataclass(frozen=True)
class Policy:
    """One row-level security policy (PERMISSIVE: policies for one command are OR-ed)."""

    table: str
    name: str
    command: str  # SELECT, INSERT or UPDATE
    role: str
    using: str | None = None
    check: str | None = None


def _policies() -> tuple[Policy, ...]:
    actions = ", ".join(f"'{a}'" for a in _ASSISTANT_AUDIT_ACTIONS)
    return (
        *(Policy(t, "read", "SELECT", ASSISTANT, using="true") for t in CLINICAL_TABLES),
        # An assistant registers and edits patients that are not deleted, and may not
        # delete one (the trigger also refuses a restore, which no policy can see).
        Policy("patients", "register", "INSERT", ASSISTANT, check="deleted_at IS NULL"),
        Policy("patients", "edit", "UPDATE", ASSISTANT, "true", "deleted_at IS NULL"),
        Policy("patients", "clinical_insert", "INSERT", CLINICIAN, check="true"),
        Policy("patients", "clinical_update", "UPDATE", CLINICIAN, "true", "true"),
        Policy("sessions", "record", "INSERT", ASSISTANT, check="voided_at IS NULL"),
        Policy("sessions", "record_update", "UPDATE", ASSISTANT, "true", "voided_at IS NULL"),
        Policy("sessions", "clinical_insert", "INSERT", CLINICIAN, check="true"),
        Policy("sessions", "clinical_update", "UPDATE", CLINICIAN, "true", "true"),
        *(
            policy
            for t in ("trials", "recordings")
            for policy in (
                Policy(t, "record", "INSERT", ASSISTANT, check="true"),
                Policy(t, "record_update", "UPDATE", ASSISTANT, "true", "true"),
            )
        ),
        Policy("plans", "generated", "INSERT", ASSISTANT, check="version = 1"),
        Policy("plans", "edited", "INSERT", CLINICIAN, check="true"),
        Policy("settings", "manage", "INSERT", ADMIN, check="true"),
        Policy("settings", "manage_update", "UPDATE", ADMIN, "true", "true"),
        Policy("audit_log", "routine", "INSERT", ASSISTANT, check=f"action IN ({actions})"),
        Policy("audit_log", "clinical", "INSERT", CLINICIAN, check="action <> 'migrate'"),
        # migrate-to-server: an administrator moving a clinic's file keeps its history,
        # schema steps included, within the transaction that declares the move.
        Policy(
            "audit_log",
            "moved",
            "INSERT",
            ADMIN,
            check="current_setting('dorsilab.migrating', true) = 'on'",
        ),
    )


POLICIES = _policies()
"""Every policy :func:`apply_privileges` creates (named ``dorsilab_<name>`` on its table)."""

# (privileges, tables, group). Sequences need no grant: an identity column draws its
# next value with the INSERT privilege on its table.
_GRANTS = (
    ("SELECT", TABLES, ASSISTANT),
    ("INSERT, UPDATE", ("patients", "sessions", "trials", "recordings"), ASSISTANT),
    ("INSERT", ("plans", "audit_log"), ASSISTANT),
    ("INSERT, UPDATE", ("settings",), ADMIN),
)


def missing_groups(conn: Conn) -> list[str]:
    """The DorsiLab groups that do not exist on this server (roles are cluster-wide)."""
    rows = conn.execute(
        "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (list(GROUPS.values()),)
    ).fetchall()
    present = {str(r[0]) for r in rows}
    return [g for g in GROUPS.values() if g not in present]


def ensure_roles(conn: Conn) -> list[str]:
    """Create the groups that are missing (NOLOGIN), in one transaction; returns their names.

    A group that exists but may log in (someone's ``ALTER ROLE … LOGIN``) is made NOLOGIN
    again: nobody signs in as a group. Two ``server init`` on two databases of one cluster
    may race to create a group; the loser finds it made.
    """
    created: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        for group in (ASSISTANT, CLINICIAN, ADMIN):
            row = conn.execute(
                "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (group,)
            ).fetchone()
            if row is None:
                try:
                    with conn.transaction():
                        conn.execute(
                            sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group))
                        )
                except (pgerrors.DuplicateObject, pgerrors.UniqueViolation):
                    continue
                created.append(group)
            elif row[0]:
                conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(group)))
                log.warning("group role %s could log in; made NOLOGIN", group)
    if created:
        log.info("created the DorsiLab group roles %s", ", ".join(created))
    return created


def _identifiers(names: tuple[str, ...] | list[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def _create_policy(conn: Conn, policy: Policy) -> None:
    statement = sql.SQL("CREATE POLICY {name} ON public.{table} AS PERMISSIVE FOR {cmd} TO {role}")
    parts: list[sql.Composable] = [
        statement.format(
            name=sql.Identifier(POLICY_PREFIX + policy.name),
            table=sql.Identifier(policy.table),
            cmd=sql.SQL(policy.command),
            role=sql.Identifier(policy.role),
        )
    ]
    # The expressions are this module's own constants, never user input.
    if policy.using is not None:
        parts.append(sql.SQL("USING (" + policy.using + ")"))
    if policy.check is not None:
        parts.append(sql.SQL("WITH CHECK (" + policy.check + ")"))
    conn.execute(sql.SQL(" ").join(parts))


def apply_privileges(conn: Conn) -> None:
    """Set memberships, GRANTs and policies to this version's state, in the caller's transaction.

    Run by the tables' owner or a superuser who owns or may administer the database
    (``server init``). Also: only the DorsiLab groups may connect to the database
    (CONNECT is revoked from PUBLIC) and nobody but the owner may create objects in its
    ``public`` schema (the default from PostgreSQL 15 on, made so on 14).
    """
    groups = _identifiers([ASSISTANT, CLINICIAN, ADMIN])
    # Memberships: the nesting, and admins may hand out the two lower groups (needed from
    # PostgreSQL 16 on, where CREATEROLE alone no longer grants membership in any role).
    conn.execute(
        sql.SQL("GRANT {} TO {}").format(sql.Identifier(ASSISTANT), sql.Identifier(CLINICIAN))
    )
    for group in (CLINICIAN, ASSISTANT):
        conn.execute(
            sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(
                sql.Identifier(group), sql.Identifier(ADMIN)
            )
        )
    database = sql.Identifier(_current_database(conn))
    conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database))
    conn.execute(
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            database, sql.Identifier(ASSISTANT)
        )
    )
    owns_public = conn.execute(
        "SELECT pg_has_role(current_user, nspowner, 'USAGE') FROM pg_namespace "
        "WHERE nspname = 'public'"
    ).fetchone()
    if owns_public and owns_public[0]:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(ASSISTANT)))
    tables = sql.SQL(", ").join(sql.SQL("public.{}").format(sql.Identifier(t)) for t in TABLES)
    conn.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(tables, groups))
    for privileges, names, group in _GRANTS:
        conn.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(
                sql.SQL(privileges),
                sql.SQL(", ").join(sql.SQL("public.{}").format(sql.Identifier(t)) for t in names),
                sql.Identifier(group),
            )
        )
    for table in CLINICAL_TABLES:
        conn.execute(
            sql.SQL("ALTER TABLE public.{} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY")
            .format(sql.Identifier(table))
        )  # fmt: skip
    for table, name in conn.execute(
        "SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' "
        "AND tablename = ANY(%s) AND starts_with(policyname, %s)",
        (list(TABLES), POLICY_PREFIX),
    ).fetchall():
        conn.execute(
            sql.SQL("DROP POLICY {} ON public.{}").format(
                sql.Identifier(name), sql.Identifier(table)
            )
        )
    for policy in POLICIES:
        _create_policy(conn, policy)


def _current_database(conn: Conn) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def privilege_state(conn: Conn) -> tuple[Any, ...]:
    """Everything :func:`apply_privileges` sets, as comparable values (ACLs sorted)."""
    queries = (
        "SELECT array(SELECT a::text FROM unnest(datacl) a ORDER BY 1) FROM pg_database "
        "WHERE datname = current_database()",
        "SELECT array(SELECT a::text FROM unnest(nspacl) a ORDER BY 1) FROM pg_namespace "
        "WHERE nspname = 'public'",
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "array(SELECT a::text FROM unnest(c.relacl) a ORDER BY 1) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = ANY(%(tables)s) ORDER BY 1",
        "SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check "
        "FROM pg_policies WHERE schemaname = 'public' AND tablename = ANY(%(tables)s) "
        "AND starts_with(policyname, %(prefix)s) ORDER BY 1, 2",
        "SELECT g.rolname, m.rolname, a.admin_option FROM pg_auth_members a "
        "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
        "WHERE g.rolname = ANY(%(groups)s) AND m.rolname = ANY(%(groups)s) ORDER BY 1, 2, 3",
    )
    params = {"tables": list(TABLES), "prefix": POLICY_PREFIX, "groups": list(GROUPS.values())}
    return tuple(tuple(conn.execute(q, params).fetchall()) for q in queries)


def set_up_privileges(conn: Conn) -> bool:
    """Apply :func:`apply_privileges` in one transaction; True if anything changed.

    When the state afterwards equals the state before, the work is rolled back to a
    savepoint, so an up-to-date server is left exactly as it was (not even rewritten
    with equal values).
    """
    changed = True
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
        before = privilege_state(conn)
        with conn.transaction() as savepoint:
            apply_privileges(conn)
            if privilege_state(conn) == before:
                changed = False
                raise psycopg.Rollback(savepoint)
    if changed:
        log.info("DorsiLab grants and row-level security policies set")
    return changed
