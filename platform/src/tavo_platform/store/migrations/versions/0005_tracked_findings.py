"""Findings across scans (tracked findings and their history); scans record their commit,
diff base, upload project and when their findings were tracked

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commit_sha", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("base_ref", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("project", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("tracked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_scans_untracked", ["status", "tracked_at"], unique=False)
    op.create_table(
        "tracked_findings",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("repository_id", sa.String(length=40), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("owasp_llm", sa.String(length=20), nullable=True),
        sa.Column("path", sa.String(length=2048), nullable=False),
        sa.Column("start_line", sa.Integer(), nullable=False),
        sa.Column("detection", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("triage", sa.String(length=20), nullable=True),
        sa.Column("triage_by", sa.String(length=200), nullable=True),
        sa.Column("triage_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("triage_comment", sa.Text(), nullable=True),
        sa.Column("first_seen_scan_id", sa.String(length=40), nullable=False),
        sa.Column("last_seen_scan_id", sa.String(length=40), nullable=False),
        sa.Column("fixed_scan_id", sa.String(length=40), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"]),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
        sa.UniqueConstraint("org_id", "scope", "fingerprint", name="uq_tracked_findings_scope_fp"),
    )
    with op.batch_alter_table("tracked_findings", schema=None) as batch_op:
        batch_op.create_index("ix_tracked_findings_org_seq", ["org_id", "seq"], unique=False)
        batch_op.create_index(
            "ix_tracked_findings_org_status_seq", ["org_id", "status", "seq"], unique=False
        )
        batch_op.create_index(
            "ix_tracked_findings_org_repository_seq",
            ["org_id", "repository_id", "seq"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tracked_findings_scope_triage", ["scope", "triage"], unique=False
        )
    op.create_table(
        "finding_events",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("scan_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["tracked_findings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_finding_events_finding_seq", ["finding_id", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("finding_events", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_events_finding_seq")
    op.drop_table("finding_events")
    with op.batch_alter_table("tracked_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_tracked_findings_scope_triage")
        batch_op.drop_index("ix_tracked_findings_org_repository_seq")
        batch_op.drop_index("ix_tracked_findings_org_status_seq")
        batch_op.drop_index("ix_tracked_findings_org_seq")
    op.drop_table("tracked_findings")
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_untracked")
        batch_op.drop_column("tracked_at")
        batch_op.drop_column("project")
        batch_op.drop_column("base_ref")
        batch_op.drop_column("commit_sha")
