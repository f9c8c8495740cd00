"""Ops: rate-limit counters shared by every worker when no Redis is configured.

Revision ID: 0007_ops
Revises: 0006_catalog
Create Date: 2026-11-29 06:12:39.852719
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0007_ops"
down_revision: str | None = "0006_catalog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counter")),
    )
    with op.batch_alter_table("rate_limit_counter", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_counter_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_limit_counter", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_counter_expires_at")

    op.drop_table("rate_limit_counter")
