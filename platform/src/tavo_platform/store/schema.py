"""Tables, as SQLAlchemy Core metadata (Alembic migrations are written against these)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns timezone-aware UTC, on SQLite (which has no zones) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

organizations = Table(
    "organizations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False, default=""),
    # Only a SHA-256 of the key is kept; the prefix lets people tell keys apart.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("tier", String(20), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("limits", JSON, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
    # What the key may do: full, read-only (GET/HEAD only), scans-only (/scans, /uploads).
    Column("scope", String(20), nullable=False, server_default="full"),
    # A user's key (NULL: the organisation's), the role it acts with (admin, member,
    # viewer; NULL: admin for admin keys, else member), and api or session (a dashboard
    # sign-in with a password).
    Column("user_id", String(40), nullable=True, index=True),
    Column("role", String(20), nullable=True),
    Column("kind", String(20), nullable=False, server_default="api"),
)

# People of an organisation: a role (admin, member, viewer), a password (scrypt; NULL
# until the invitation is accepted) and the digest of a pending invitation's token.
users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("role", String(20), nullable=False),
    Column("tier", String(20), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("invitation_hash", String(64), nullable=True, unique=True),
    Column("invitation_expires_at", UTCDateTime(), nullable=True),
    Column("invited_by", String(40), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("activated_at", UTCDateTime(), nullable=True),
    UniqueConstraint("org_id", "email", name="uq_users_org_email"),
    Index("ix_users_email", "email"),
)

repositories = Table(
    "repositories",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("name", String(300), nullable=False),
    Column("default_branch", String(255), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # The secret inbound hooks (POST /hooks/github) of this repository are signed with,
    # encrypted (encryption.py); NULL: hooks are refused.
    Column("hook_secret", Text, nullable=True),
    # Credentials for fetching a private repository: https_token or ssh_key, the user name
    # a token is sent with, and the token or key (encrypted). Used by clones only.
    Column("credential_kind", String(20), nullable=True),
    Column("credential_username", String(200), nullable=True),
    Column("credential_secret", Text, nullable=True),
    UniqueConstraint("org_id", "url", name="uq_repositories_org_url"),
)

scans = Table(
    "scans",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False),
    Column("repository_id", String(40), ForeignKey("repositories.id"), nullable=True),
    Column("repository_url", String(2048), nullable=True),
    Column("source", String(20), nullable=False),  # git | upload
    Column("upload_path", String(1024), nullable=True),
    Column("branch", String(255), nullable=True),
    Column("scan_type", String(40), nullable=False),
    Column("rules", JSON, nullable=False),
    Column("exclusions", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("error", Text, nullable=True),
    Column("summary", JSON, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(200), nullable=True),
    # A running scan's claim expires unless its worker renews it; then another may take it.
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=0),
    # When the scan was last handed to the task queue (Celery dispatch); the sweeper
    # re-sends a queued scan whose message may have been lost (NULL: since created_at).
    Column("dispatched_at", UTCDateTime(), nullable=True),
    # Workflow (findings across scans, diffs): the commit scanned, the base ref of a
    # diff-aware scan, an upload's project, and when the findings service took the scan's
    # findings into the organisation's tracked findings (NULL: not yet).
    Column("commit_sha", String(64), nullable=True),
    Column("base_ref", String(255), nullable=True),
    Column("project", String(200), nullable=True),
    Column("tracked_at", UTCDateTime(), nullable=True),
    Index("ix_scans_org_created", "org_id", "created_at"),
    Index("ix_scans_status", "status"),
    # A repository's latest scans and finding trend (repositories API).
    Index("ix_scans_repository_created", "repository_id", "created_at"),
    Index("ix_scans_untracked", "status", "tracked_at"),
)

findings = Table(
    "findings",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("scan_id", String(40), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("rule_id", String(100), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("path", String(2048), nullable=False),
    Column("start_line", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("scan_id", "fingerprint", name="uq_findings_scan_fingerprint"),
    Index("ix_findings_scan_seq", "scan_id", "seq"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

custom_rule_files = Table(
    "custom_rule_files",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("rule_ids", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("org_id", "name", name="uq_custom_rules_org_name"),
)

# AI analyses of finished scans: jobs like scans (status, claim, lease), run in the API
# process; the result is one JSON document (see analysis/builtin.py for its shape).
analyses = Table(
    "analyses",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False),
    Column("scan_id", String(40), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("options", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("error", Text, nullable=True),
    Column("summary", JSON, nullable=True),
    # Raw JSON text: large (megabytes for 10,000 findings), so it is encoded and parsed
    # with orjson off the event loop rather than by the JSON column type on it.
    Column("result", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(200), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False, default=0),
    Index("ix_analyses_org_created", "org_id", "created_at"),
    Index("ix_analyses_scan", "scan_id"),
    Index("ix_analyses_status", "status"),
)

# LLM answers per organisation, model and finding fingerprint: re-analysis costs nothing.
analysis_cache = Table(
    "analysis_cache",
    metadata,
    Column("org_id", String(40), ForeignKey("organizations.id"), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),
    Column("answer", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Findings with a life across scans: one row per fingerprint within a scope (a repository,
# or an upload project), carried from scan to scan with its detection state and triage.
# `seq` orders lists newest first and is the keyset of the cursor pagination.
tracked_findings = Table(
    "tracked_findings",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", String(40), nullable=False, unique=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False),
    Column("scope", String(300), nullable=False),
    Column("repository_id", String(40), nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("rule_id", String(100), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("category", String(100), nullable=False),
    Column("owasp_llm", String(20), nullable=True),
    Column("path", String(2048), nullable=False),
    Column("start_line", Integer, nullable=False),
    # open | fixed | reopened, from the scans; `status` is the triage state when there is
    # one, else this (kept as a column of its own so lists filter on an index).
    Column("detection", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("triage", String(20), nullable=True),
    Column("triage_by", String(200), nullable=True),
    Column("triage_at", UTCDateTime(), nullable=True),
    Column("triage_comment", Text, nullable=True),
    Column("first_seen_scan_id", String(40), nullable=False),
    Column("last_seen_scan_id", String(40), nullable=False),
    Column("fixed_scan_id", String(40), nullable=True),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("org_id", "scope", "fingerprint", name="uq_tracked_findings_scope_fp"),
    Index("ix_tracked_findings_org_seq", "org_id", "seq"),
    Index("ix_tracked_findings_org_status_seq", "org_id", "status", "seq"),
    Index("ix_tracked_findings_org_repository_seq", "org_id", "repository_id", "seq"),
    Index("ix_tracked_findings_scope_triage", "scope", "triage"),
)

# What happened to a tracked finding, oldest first: detected, fixed, reopened, triaged.
finding_events = Table(
    "finding_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column(
        "finding_id",
        String(40),
        ForeignKey("tracked_findings.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(20), nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("comment", Text, nullable=True),
    Column("scan_id", String(40), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_finding_events_finding_seq", "finding_id", "seq"),
)

# Outbound webhooks of an organisation: where, for which events, and the signing secret
# (encrypted; see encryption.py).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("url", String(2048), nullable=False),
    Column("events", JSON, nullable=False),
    Column("description", String(500), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("secret", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Each event to send to each webhook: written with the event (the outbox), claimed and sent
# by any API process, retried with exponential backoff until it succeeds or runs out.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    Column(
        "webhook_id", String(40), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
    ),
    Column("org_id", String(40), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_duration_ms", Integer, nullable=True),
    Column("redelivery_of", String(40), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("worker", String(200), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

# Scans on a timetable: a cron expression read in a time zone. `next_run_at` (UTC) is the
# tick to fire next; firing moves it in the same transaction that creates the scan and
# records the run, under a compare-and-set on it, so one tick fires once however many
# processes see it due.
schedules = Table(
    "schedules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("org_id", String(40), ForeignKey("organizations.id"), nullable=False, index=True),
    Column(
        "repository_id",
        String(40),
        ForeignKey("repositories.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("cron", String(120), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("scan_type", String(40), nullable=False),
    Column("ref", String(255), nullable=True),
    Column("next_run_at", UTCDateTime(), nullable=False),
    Column("last_run_at", UTCDateTime(), nullable=True),
    Column("last_scan_id", String(40), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_schedules_next_run", "next_run_at"),
)

# Each tick a schedule fired, once (the unique key makes a second firing impossible).
schedule_runs = Table(
    "schedule_runs",
    metadata,
    Column(
        "schedule_id",
        String(40),
        ForeignKey("schedules.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tick", UTCDateTime(), primary_key=True),
    Column("scan_id", String(40), nullable=False),
    Column("fired_at", UTCDateTime(), nullable=False),
)

# API requests per key and day (UTC), counted in each API process and added here every
# few seconds (server/usage.py).
usage_daily = Table(
    "usage_daily",
    metadata,
    Column("key_id", String(40), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD
    Column("org_id", String(40), nullable=False),
    Column("requests", BigInteger, nullable=False, default=0),
    Index("ix_usage_daily_org_day", "org_id", "day"),
)

# Security-relevant actions, append-only: nothing in Tavo updates or deletes a row.
audit_log = Table(
    "audit_log",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("org_id", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target_type", String(40), nullable=False),
    Column("target_id", String(2048), nullable=True),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The user who acted (NULL: an organisation key), and their e-mail address then.
    Column("actor_user_id", String(40), nullable=True),
    Column("actor_email", String(320), nullable=True),
    Index("ix_audit_log_org_seq", "org_id", "seq"),
)
