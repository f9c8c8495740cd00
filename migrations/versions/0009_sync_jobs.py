"""Sync jobs: job locks, scheduler heartbeat, APScheduler job store.

``apscheduler_jobs`` has exactly the schema APScheduler 3's SQLAlchemyJobStore defines (id Unicode(191),
next_run_time Float(25) indexed, job_state LargeBinary): the scheduler finds it here and never creates
tables at runtime.

Revision ID: 0009_sync_jobs
Revises: 0008_lti
Create Date: 2026-11-29 06:04:43.836922
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0009_sync_jobs"
down_revision: str | None = "0008_lti"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_apscheduler_jobs_next_run_time"), ["next_run_time"], unique=False
        )

    op.create_table(
        "sync_lock",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("acquired_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sync_lock")),
    )
    op.create_table(
        "sync_scheduler",
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_runs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_sync_scheduler")),
    )


def downgrade() -> None:
    op.drop_table("sync_scheduler")
    op.drop_table("sync_lock")
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apscheduler_jobs_next_run_time"))

    op.drop_table("apscheduler_jobs")
