"""Admin console: local admin accounts and the console hand-off tokens already used.

Revision ID: 0010_admin
Revises: 0009_sync_jobs
Create Date: 2026-11-29 06:08:48.619478
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0010_admin"
down_revision: str | None = "0009_sync_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_handoff_use",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("used_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_admin_handoff_use")),
    )
    with op.batch_alter_table("admin_handoff_use", schema=None) as batch_op:
        batch_op.create_index("ix_admin_handoff_use_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "admin_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_user")),
        sa.UniqueConstraint("username", name=op.f("uq_admin_user_username")),
    )


def downgrade() -> None:
    op.drop_table("admin_user")
    with op.batch_alter_table("admin_handoff_use", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_handoff_use_expires_at")

    op.drop_table("admin_handoff_use")
