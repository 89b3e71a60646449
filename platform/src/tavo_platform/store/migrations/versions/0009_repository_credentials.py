"""repositories.credential_*: credentials (encrypted) for fetching private repositories

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("credential_username", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("credential_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.drop_column("credential_secret")
        batch_op.drop_column("credential_username")
        batch_op.drop_column("credential_kind")
