"""repositories.hook_secret: the (encrypted) secret of a repository's inbound GitHub hooks

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 20:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hook_secret", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("repositories", schema=None) as batch_op:
        batch_op.drop_column("hook_secret")
