"""LMS-side state: connections to Moodle web services, the outbox of LMS operations, run history.

sync/ never imports bridge/: rows reference the product's records by plain ids and table names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
)
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, utcnow


class LmsConnection(Base):
    """Moodle web services of one platform. The token is encrypted at rest (config.crypto.SecretBox)."""

    __tablename__ = "lms_connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_platform.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    base_url: Mapped[str] = mapped_column(String(1000))
    token_encrypted: Mapped[str] = mapped_column(Text)
    # Enrolment strategy: "manual" (enrol_manual_enrol_users) or "cohort" (cohort-sync per course).
    enrol_strategy: Mapped[str] = mapped_column(String(20), default="manual")
    student_role_id: Mapped[int] = mapped_column(Integer, default=5)
    # Completion pull: "auto" picks per pair / per user / incremental by volume.
    completion_strategy: Mapped[str] = mapped_column(String(20), default="auto")
    max_parallel: Mapped[int] = mapped_column(Integer, default=4)
    batch_size: Mapped[int] = mapped_column(Integer, default=200)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    moodle_release: Mapped[str | None] = mapped_column(String(100), default=None)
    missing_functions: Mapped[list[str]] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_full_reconciliation_at: Mapped[datetime | None] = mapped_column(default=None)
    last_incremental_pull_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxOperation(Base):
    """A pending LMS operation (enrol, cohort add...). The idempotency key makes enqueueing twice a no-op.

    status: pending -> sending -> done | failed (per-row error, kept with Moodle's reason) | skipped.
    """

    __tablename__ = "lms_outbox"
    __table_args__ = (
        Index("ix_lms_outbox_status_connection", "status", "connection_id"),
        Index("ix_lms_outbox_source", "source_table", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("lms_connection.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(50))  # "enrol"
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_table: Mapped[str] = mapped_column(String(50), default="")
    source_id: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncRun(Base):
    """One run of a sync job: what it did, how long it took, how it ended."""

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(50))
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual | schedule | admin
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | partial | failed
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    window_start: Mapped[datetime | None] = mapped_column(default=None)
    window_end: Mapped[datetime | None] = mapped_column(default=None)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncLock(Base):
    """One row per job while it runs: a database lock shared by schedulers, the CLI and the admin pages.

    Taken by an atomic INSERT (or an UPDATE of an expired row), kept alive by heartbeats, deleted at the
    end. A row whose ``expires_at`` has passed (its holder died) is taken over (see sync/locks.py).
    """

    __tablename__ = "sync_lock"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))  # host:pid:random
    run_id: Mapped[int | None] = mapped_column(default=None)
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class SchedulerHeartbeat(Base):
    """A running scheduler process, so health checks can tell whether the nightly jobs will run."""

    __tablename__ = "sync_scheduler"

    owner: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    # job id -> next run time (ISO 8601), as the scheduler sees it.
    next_runs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# APScheduler's SQLAlchemyJobStore table, declared here with exactly the columns APScheduler 3 defines so
# that the migration creates it; at start-up the job store's ``create(checkfirst=True)`` finds it there.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
