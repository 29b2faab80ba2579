"""Schema version 4 of a clinic server: the SQL that creates it (see :mod:`.schema`).

SQLite's tables and columns at its v4, in PostgreSQL: CHECK helpers, the triggers that
keep ``row_version``/``updated_by``, the audit user and the append-only audit log, the
change notifications, the indexes (a pg_trgm index where it can be had), and row-level
security switched on and forced. Kept apart from the migration runner because it is
long and, once released, never edited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg
from psycopg import sql

from clinic_app.storage.server.tables import (
    AUDIT_ACTIONS_V3,
    AUDIT_ENTITIES_V3,
    CHANGES_CHANNEL,
    CLINICAL_TABLES,
    NOTIFYING_TABLES,
    Conn,
)

log = logging.getLogger(__name__)


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


_V4_FUNCTIONS = (
    # CHECK helpers that answer false (a check violation naming the constraint) rather
    # than raising a parse error. The parse is read-only, so the exception block's
    # subtransaction never takes a transaction id, even in a bulk insert.
    """CREATE FUNCTION public.dorsilab_is_json(value text) RETURNS boolean
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog
    AS $$
    BEGIN
        PERFORM value::json;
        RETURN true;
    EXCEPTION WHEN data_exception THEN
        RETURN false;
    END
    $$""",
    # SQLite: date(birth_date) IS birth_date, i.e. a real calendar date written YYYY-MM-DD.
    """CREATE FUNCTION public.dorsilab_is_iso_date(value text) RETURNS boolean
        LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog
    AS $$
    BEGIN
        RETURN value ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
            AND to_char(value::date, 'YYYY-MM-DD') = value;
    EXCEPTION WHEN data_exception THEN
        RETURN false;
    END
    $$""",
    # SQLite fills a NULL uid in a trigger; the column default covers an omitted one.
    """CREATE FUNCTION public.dorsilab_fill_uid() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    BEGIN
        IF NEW.uid IS NULL THEN
            NEW.uid := gen_random_uuid()::text;
        END IF;
        RETURN NEW;
    END
    $$""",
    # Optimistic concurrency and "changed by whom": the server, not the client, counts
    # versions and names the login. Soft delete/restore and voiding are clinical acts an
    # assistant may not do; the check is here (not only in row-level security) so that a
    # refused restore is an error rather than an UPDATE that silently matched no row.
    """CREATE FUNCTION public.dorsilab_row_written() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.uid IS NULL THEN
                NEW.uid := gen_random_uuid()::text;
            END IF;
            NEW.row_version := 1;
        ELSE
            NEW.row_version := OLD.row_version + 1;
            IF TG_TABLE_NAME = 'patients' THEN
                IF NEW.deleted_at IS DISTINCT FROM OLD.deleted_at
                        AND NOT pg_has_role(current_user, 'dorsilab_clinician', 'USAGE') THEN
                    RAISE EXCEPTION
                        'deleting or restoring a patient needs a clinician or admin login'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            ELSIF NEW.voided_at IS DISTINCT FROM OLD.voided_at
                    AND NOT pg_has_role(current_user, 'dorsilab_clinician', 'USAGE') THEN
                RAISE EXCEPTION 'voiding a visit or undoing it needs a clinician or admin login'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
        NEW.updated_by := session_user;
        RETURN NEW;
    END
    $$""",
    # session_user is the login that connected: SET ROLE and SECURITY DEFINER functions
    # change current_user, not this. One exception: an administrator moving a clinic's
    # file onto the server (migrate-to-server sets dorsilab.migrating for its transaction)
    # keeps the names its audit rows were written with; admins are trusted with users.
    """CREATE FUNCTION public.dorsilab_audit_user() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    BEGIN
        IF current_setting('dorsilab.migrating', true) = 'on'
                AND pg_has_role(session_user, 'dorsilab_admin', 'MEMBER')
                AND coalesce(NEW."user", '') <> '' THEN
            RETURN NEW;
        END IF;
        NEW."user" := session_user;
        RETURN NEW;
    END
    $$""",
    """CREATE FUNCTION public.dorsilab_append_only() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only'
            USING ERRCODE = 'insufficient_privilege';
    END
    $$""",
    # Only ids leave through NOTIFY: any connected login can LISTEN, and payloads may end
    # up in logs.
    f"""CREATE FUNCTION public.dorsilab_notify_change() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
    DECLARE
        patient bigint;
    BEGIN
        IF TG_TABLE_NAME = 'patients' THEN
            patient := NEW.id;
        ELSIF TG_TABLE_NAME = 'sessions' THEN
            patient := NEW.patient_id;
        ELSE
            SELECT s.patient_id INTO patient FROM public.sessions s WHERE s.id = NEW.session_id;
        END IF;
        PERFORM pg_notify('{CHANGES_CHANNEL}', json_build_object(
            'table', TG_TABLE_NAME, 'id', NEW.id, 'patient_id', patient)::text);
        RETURN NULL;
    END
    $$""",
)

_ROW_TRACKING = """
        row_version integer NOT NULL DEFAULT 1 CHECK (row_version >= 1),
        updated_by text"""
_UID = "uid text NOT NULL UNIQUE DEFAULT gen_random_uuid()::text"

_V4_TABLES = (
    f"""CREATE TABLE public.patients (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        record_number text UNIQUE,
        first_name text NOT NULL CHECK (length(trim(first_name)) > 0),
        last_name text NOT NULL CHECK (length(trim(last_name)) > 0),
        birth_date text NOT NULL CHECK (public.dorsilab_is_iso_date(birth_date)),
        sex text NOT NULL DEFAULT 'unspecified'
            CHECK (sex IN ('female', 'male', 'other', 'unspecified')),
        height_cm double precision,
        mass_kg double precision,
        dominant_leg text NOT NULL DEFAULT 'unknown'
            CHECK (dominant_leg IN ('left', 'right', 'unknown')),
        involved_side text NOT NULL DEFAULT 'none'
            CHECK (involved_side IN ('left', 'right', 'both', 'none')),
        weekly_km double precision,
        years_running double precision,
        notes text NOT NULL DEFAULT '',
        search_text text NOT NULL DEFAULT '',
        sort_name text COLLATE "C" NOT NULL DEFAULT '',
        created_at text NOT NULL,
        updated_at text NOT NULL,
        deleted_at text,
        {_UID},{_ROW_TRACKING}
    )""",
    f"""CREATE TABLE public.sessions (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        patient_id bigint NOT NULL REFERENCES public.patients (id) ON DELETE RESTRICT,
        started_at text NOT NULL,
        ended_at text,
        examiner text NOT NULL DEFAULT '',
        status text NOT NULL DEFAULT 'in_progress'
            CHECK (status IN ('in_progress', 'complete', 'abandoned')),
        inclinometer_site text NOT NULL DEFAULT 'tibial_crest_15cm',
        notes text NOT NULL DEFAULT '',
        created_at text NOT NULL,
        updated_at text NOT NULL,
        test_plan text CHECK (test_plan IS NULL OR public.dorsilab_is_json(test_plan)),
        {_UID},
        mass_kg double precision,
        height_cm double precision,
        voided_at text,
        void_reason text NOT NULL DEFAULT '',{_ROW_TRACKING}
    )""",
    f"""CREATE TABLE public.trials (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        session_id bigint NOT NULL REFERENCES public.sessions (id) ON DELETE RESTRICT,
        protocol text NOT NULL CHECK (protocol IN ('lunge', 'balance')),
        side text NOT NULL CHECK (side IN ('left', 'right')),
        condition text CHECK (condition IS NULL
            OR condition IN ('eo_firm', 'ec_firm', 'eo_foam', 'ec_foam')),
        attempt integer NOT NULL CHECK (attempt >= 1),
        practice integer NOT NULL DEFAULT 0 CHECK (practice IN (0, 1)),
        status text NOT NULL DEFAULT 'incomplete'
            CHECK (status IN ('valid', 'invalid', 'failed', 'incomplete')),
        invalid_reason text,
        result text CHECK (result IS NULL OR public.dorsilab_is_json(result)),
        started_at text NOT NULL,
        ended_at text,
        {_UID}
    )""",
    """CREATE TABLE public.recordings (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        trial_id bigint NOT NULL REFERENCES public.trials (id) ON DELETE CASCADE,
        device text NOT NULL CHECK (device IN ('inclinometer', 'plate')),
        chunk integer NOT NULL CHECK (chunk >= 0),
        dtype text NOT NULL CHECK (public.dorsilab_is_json(dtype)),
        n_samples bigint NOT NULL CHECK (n_samples >= 0),
        data bytea NOT NULL,
        created_at text NOT NULL,
        UNIQUE (trial_id, device, chunk)
    )""",
    # The chunks are zlib-compressed already: stored out of line as they are, without
    # TOAST trying (and failing) to compress them again on every write.
    "ALTER TABLE public.recordings ALTER COLUMN data SET STORAGE EXTERNAL",
    """CREATE TABLE public.plans (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        session_id bigint NOT NULL REFERENCES public.sessions (id) ON DELETE RESTRICT,
        version integer NOT NULL CHECK (version >= 1),
        plan text NOT NULL CHECK (public.dorsilab_is_json(plan)),
        edited_by text NOT NULL DEFAULT '',
        created_at text NOT NULL,
        UNIQUE (session_id, version)
    )""",
    """CREATE TABLE public.settings (
        key text PRIMARY KEY,
        value text NOT NULL CHECK (public.dorsilab_is_json(value))
    )""",
    f"""CREATE TABLE public.audit_log (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at text NOT NULL,
        action text NOT NULL CHECK (action IN ({_quoted(AUDIT_ACTIONS_V3)})),
        entity text NOT NULL CHECK (entity IN ({_quoted(AUDIT_ENTITIES_V3)})),
        entity_id bigint,
        details text NOT NULL DEFAULT '{{}}' CHECK (public.dorsilab_is_json(details)),
        "user" text NOT NULL DEFAULT ''
    )""",
)

_V4_INDEXES = (
    # Search as you type reads this index in list order (ORDER BY sort_name, id) and
    # tests search_text from the index itself. SQLite's COLLATE NOCASE name indexes have
    # no counterpart: no query orders or filters by name case-insensitively.
    "CREATE INDEX idx_patients_active_name ON public.patients (sort_name, id) "
    "INCLUDE (search_text) WHERE deleted_at IS NULL",
    "CREATE INDEX idx_patients_birth_date ON public.patients (birth_date)",
    "CREATE INDEX idx_patients_deleted ON public.patients (deleted_at) "
    "WHERE deleted_at IS NOT NULL",
    "CREATE INDEX idx_sessions_patient_date ON public.sessions (patient_id, started_at)",
    "CREATE INDEX idx_sessions_started ON public.sessions (started_at)",
    "CREATE INDEX idx_sessions_unfinished ON public.sessions (status) "
    "WHERE status = 'in_progress'",
    "CREATE INDEX idx_trials_session ON public.trials (session_id)",
    "CREATE INDEX idx_audit_entity ON public.audit_log (entity, entity_id)",
)

_V4_TRIGGERS = (
    *(
        f"CREATE TRIGGER {t}_written BEFORE INSERT OR UPDATE ON public.{t} "
        "FOR EACH ROW EXECUTE FUNCTION public.dorsilab_row_written()"
        for t in ("patients", "sessions")
    ),
    "CREATE TRIGGER trials_uid BEFORE INSERT ON public.trials "
    "FOR EACH ROW EXECUTE FUNCTION public.dorsilab_fill_uid()",
    "CREATE TRIGGER audit_log_user BEFORE INSERT ON public.audit_log "
    "FOR EACH ROW EXECUTE FUNCTION public.dorsilab_audit_user()",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON public.audit_log "
    "FOR EACH ROW EXECUTE FUNCTION public.dorsilab_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION public.dorsilab_append_only()",
    *(
        f"CREATE TRIGGER {t}_notify AFTER INSERT OR UPDATE ON public.{t} "
        "FOR EACH ROW EXECUTE FUNCTION public.dorsilab_notify_change()"
        for t in NOTIFYING_TABLES
    ),
)


def _trigram_index(conn: Conn) -> None:
    """A pg_trgm index for LIKE '% word%' on search_text, where pg_trgm can be had.

    Optional: the search works without it (the partial name index above), and a server
    without the contrib package, or a runner who may not create the extension, still
    gets a working schema.
    """
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).fetchone()
    if available is None:
        log.info("pg_trgm is not available: no trigram index on patients.search_text")
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except psycopg.Error as exc:
        log.info("pg_trgm cannot be created (%s): no trigram index", type(exc).__name__)
        return
    row = conn.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).fetchone()
    assert row is not None
    conn.execute(
        sql.SQL(
            "CREATE INDEX idx_patients_search_trgm ON public.patients "
            "USING gin (search_text {}.gin_trgm_ops)"
        ).format(sql.Identifier(str(row[0])))
    )


def apply(conn: Conn) -> None:
    """Create schema v4 (inside the migration's transaction)."""
    for statement in (*_V4_FUNCTIONS, *_V4_TABLES, *_V4_INDEXES, *_V4_TRIGGERS):
        conn.execute(statement)
    _trigram_index(conn)
    for table in CLINICAL_TABLES:
        # FORCE: the owner of the tables is held to the policies too, unless superuser.
        conn.execute(
            sql.SQL("ALTER TABLE public.{} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY")
            .format(sql.Identifier(table))
        )  # fmt: skip
