"""read notifications: on PostgreSQL, triggers that announce changes to scans, findings and
tracked findings on the channel `tavo_reads`, so an API process's read cache learns of every
change without asking (store/freshness.py). Nothing on SQLite (data_version does it there).

Payloads: "s:<scan id>" (a scan's row changed or went), "f:<scan id>" (its findings),
"t:<org id>:<scope>" (a tracked finding, so the triage, of that scope). PostgreSQL delivers
them when the transaction commits, once per distinct payload. Findings are written a whole
scan at a time, so their triggers run once per statement, over its transition table.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_FUNCTIONS = (
    """
    CREATE OR REPLACE FUNCTION tavo_scans_notify_reads() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM pg_notify('tavo_reads', 's:' || NEW.id);
        ELSE
            PERFORM pg_notify('tavo_reads', 's:' || OLD.id);
            IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
                PERFORM pg_notify('tavo_reads', 's:' || NEW.id);
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION tavo_findings_notify_reads() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        changed text;
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            FOR changed IN SELECT DISTINCT scan_id FROM new_rows LOOP
                PERFORM pg_notify('tavo_reads', 'f:' || changed);
            END LOOP;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            FOR changed IN SELECT DISTINCT scan_id FROM old_rows LOOP
                PERFORM pg_notify('tavo_reads', 'f:' || changed);
            END LOOP;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION tavo_tracked_findings_notify_reads() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM pg_notify('tavo_reads', 't:' || NEW.org_id || ':' || NEW.scope);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            PERFORM pg_notify('tavo_reads', 't:' || OLD.org_id || ':' || OLD.scope);
        END IF;
        RETURN NULL;
    END $$
    """,
)

_TRIGGERS = (
    "CREATE TRIGGER tavo_scans_notify_reads AFTER INSERT OR UPDATE OR DELETE ON scans "
    "FOR EACH ROW EXECUTE FUNCTION tavo_scans_notify_reads()",
    "CREATE TRIGGER tavo_findings_insert_notify_reads AFTER INSERT ON findings "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION tavo_findings_notify_reads()",
    "CREATE TRIGGER tavo_findings_update_notify_reads AFTER UPDATE ON findings "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION tavo_findings_notify_reads()",
    "CREATE TRIGGER tavo_findings_delete_notify_reads AFTER DELETE ON findings "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION tavo_findings_notify_reads()",
    "CREATE TRIGGER tavo_tracked_findings_notify_reads AFTER INSERT OR UPDATE OR DELETE "
    "ON tracked_findings FOR EACH ROW EXECUTE FUNCTION tavo_tracked_findings_notify_reads()",
)

_DROPS = (
    "DROP TRIGGER IF EXISTS tavo_tracked_findings_notify_reads ON tracked_findings",
    "DROP TRIGGER IF EXISTS tavo_findings_delete_notify_reads ON findings",
    "DROP TRIGGER IF EXISTS tavo_findings_update_notify_reads ON findings",
    "DROP TRIGGER IF EXISTS tavo_findings_insert_notify_reads ON findings",
    "DROP TRIGGER IF EXISTS tavo_scans_notify_reads ON scans",
    "DROP FUNCTION IF EXISTS tavo_tracked_findings_notify_reads()",
    "DROP FUNCTION IF EXISTS tavo_findings_notify_reads()",
    "DROP FUNCTION IF EXISTS tavo_scans_notify_reads()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (*_FUNCTIONS, *_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _DROPS:
        op.execute(statement)
