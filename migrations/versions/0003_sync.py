"""Sync: LMS connections, outbox of LMS operations, run history.

Revision ID: 0003_sync
Revises: 0002_lti_agents
Create Date: 2026-11-29 06:00:42.470151
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0003_sync"
down_revision: str | None = "0002_lti_agents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=50), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_start", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_end", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pushed", sa.Integer(), nullable=False),
        sa.Column("pulled", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("heartbeat_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_run")),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.create_index("ix_sync_run_job_started", ["job", "started_at"], unique=False)

    op.create_table(
        "lms_connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=1000), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("enrol_strategy", sa.String(length=20), nullable=False),
        sa.Column("student_role_id", sa.Integer(), nullable=False),
        sa.Column("completion_strategy", sa.String(length=20), nullable=False),
        sa.Column("max_parallel", sa.Integer(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("moodle_release", sa.String(length=100), nullable=True),
        sa.Column("missing_functions", sa.JSON(), nullable=False),
        sa.Column("checked_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_full_reconciliation_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_incremental_pull_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lms_connection_platform_id_lti_platform"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_connection")),
        sa.UniqueConstraint("platform_id", name=op.f("uq_lms_connection_platform_id")),
    )
    op.create_table(
        "lms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=50), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("source_table", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["lms_connection.id"],
            name=op.f("fk_lms_outbox_connection_id_lms_connection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_lms_outbox_idempotency_key")),
    )
    with op.batch_alter_table("lms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_lms_outbox_source", ["source_table", "source_id"], unique=False)
        batch_op.create_index("ix_lms_outbox_status_connection", ["status", "connection_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_lms_outbox_status_connection")
        batch_op.drop_index("ix_lms_outbox_source")

    op.drop_table("lms_outbox")
    op.drop_table("lms_connection")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_run_job_started")

    op.drop_table("sync_run")
