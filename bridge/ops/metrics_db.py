"""Metrics read from the database at scrape time: exact whatever the number of workers or nodes.

Each scrape runs a handful of grouped counts on indexed columns (sync runs, outboxes, item bank,
assessments). When the database does not answer, only ``bridge_database_up 0`` is exported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bridge.assessment.models import Assessment, AssessmentItem, ScoreOutbox
from config.database import Database, utcnow
from sync.models import OutboxOperation, SyncRun

log = logging.getLogger(__name__)

SYNC_STATUSES = ("running", "ok", "partial", "failed")
LMS_OUTBOX_OPEN = ("pending", "sending", "failed")
AGS_OUTBOX_OPEN = ("pending", "failed")


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then else 0.0


def latest_runs(session: Session) -> list[SyncRun]:
    """The latest run of every job (by start time)."""
    jobs = session.scalars(select(SyncRun.job).distinct()).all()
    runs = []
    for job in sorted(jobs):
        run = session.scalars(
            select(SyncRun).where(SyncRun.job == job).order_by(SyncRun.started_at.desc()).limit(1)
        ).first()
        if run is not None:
            runs.append(run)
    return runs


def _sync_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    duration = GaugeMetricFamily(
        "bridge_sync_last_run_duration_seconds",
        "Duration of the latest finished run of each sync job.",
        labels=["job"],
    )
    finished = GaugeMetricFamily(
        "bridge_sync_last_run_finished_timestamp_seconds",
        "When the latest finished run of each sync job ended (Unix time).",
        labels=["job"],
    )
    status = GaugeMetricFamily(
        "bridge_sync_last_run_status",
        "Status of the latest run of each sync job (1 for its status, 0 for the others).",
        labels=["job", "status"],
    )
    heartbeat = GaugeMetricFamily(
        "bridge_sync_running_heartbeat_age_seconds",
        "Seconds since the heartbeat of each running sync run (its start when it has none yet).",
        labels=["job", "run_id"],
    )
    latest = latest_runs(session)
    for run in latest:
        for name in SYNC_STATUSES:
            status.add_metric([run.job, name], 1.0 if run.status == name else 0.0)
        last_done = session.scalars(
            select(SyncRun)
            .where(SyncRun.job == run.job, SyncRun.finished_at.is_not(None))
            .order_by(SyncRun.started_at.desc())
            .limit(1)
        ).first()
        if last_done is not None and last_done.finished_at is not None:
            duration.add_metric([run.job], (last_done.finished_at - last_done.started_at).total_seconds())
            finished.add_metric([run.job], last_done.finished_at.timestamp())
    for run in session.scalars(select(SyncRun).where(SyncRun.status == "running")):
        heartbeat.add_metric([run.job, str(run.id)], _age(now, run.heartbeat_at or run.started_at))

    since = now - timedelta(hours=24)
    failures = GaugeMetricFamily(
        "bridge_sync_failures_last_24h", "Failed sync runs started in the last 24 hours.", labels=["job"]
    )
    runs_24h = GaugeMetricFamily(
        "bridge_sync_runs_last_24h",
        "Sync runs started in the last 24 hours, by status.",
        labels=["job", "status"],
    )
    rows = session.execute(
        select(SyncRun.job, SyncRun.status, func.count())
        .where(SyncRun.started_at >= since)
        .group_by(SyncRun.job, SyncRun.status)
    ).all()
    failed_by_job = {run.job: 0 for run in latest}
    for job, run_status, count in rows:
        runs_24h.add_metric([job, run_status], float(count))
        if run_status == "failed":
            failed_by_job[job] = count
    for job, count in sorted(failed_by_job.items()):
        failures.add_metric([job], float(count))
    yield from (duration, finished, status, heartbeat, failures, runs_24h)


def _outbox_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    lms = GaugeMetricFamily(
        "bridge_lms_outbox_rows",
        "LMS operations waiting or failed in the outbox, by status.",
        labels=["status"],
    )
    counts = dict(
        session.execute(
            select(OutboxOperation.status, func.count())
            .where(OutboxOperation.status.in_(LMS_OUTBOX_OPEN))
            .group_by(OutboxOperation.status)
        ).all()
    )
    for name in LMS_OUTBOX_OPEN:
        lms.add_metric([name], float(counts.get(name, 0)))
    oldest = session.scalar(
        select(func.min(OutboxOperation.created_at)).where(OutboxOperation.status == "pending")
    )
    lms_age = GaugeMetricFamily(
        "bridge_lms_outbox_oldest_pending_age_seconds", "Age of the oldest pending LMS operation (0: none)."
    )
    lms_age.add_metric([], _age(now, oldest))

    ags = GaugeMetricFamily(
        "bridge_ags_outbox_rows", "Gradebook scores (AGS) waiting or failed, by status.", labels=["status"]
    )
    counts = dict(
        session.execute(
            select(ScoreOutbox.status, func.count())
            .where(ScoreOutbox.status.in_(AGS_OUTBOX_OPEN))
            .group_by(ScoreOutbox.status)
        ).all()
    )
    for name in AGS_OUTBOX_OPEN:
        ags.add_metric([name], float(counts.get(name, 0)))
    oldest = session.scalar(select(func.min(ScoreOutbox.created_at)).where(ScoreOutbox.status == "pending"))
    ags_age = GaugeMetricFamily(
        "bridge_ags_outbox_oldest_pending_age_seconds", "Age of the oldest pending gradebook score (0: none)."
    )
    ags_age.add_metric([], _age(now, oldest))
    yield from (lms, lms_age, ags, ags_age)


def _assessment_metrics(session: Session) -> Iterator[Metric]:
    bank = GaugeMetricFamily(
        "bridge_item_bank_items", "Active items of the item bank, by competence.", labels=["competence"]
    )
    for competence, count in session.execute(
        select(AssessmentItem.competence, func.count())
        .where(AssessmentItem.active.is_(True))
        .group_by(AssessmentItem.competence)
        .order_by(AssessmentItem.competence)
    ):
        bank.add_metric([competence], float(count))
    by_status = dict(
        session.execute(select(Assessment.status, func.count()).group_by(Assessment.status)).all()
    )
    started = CounterMetricFamily("bridge_assessments_started", "Assessment sittings started (all time).")
    started.add_metric([], float(sum(by_status.values())))
    completed = CounterMetricFamily(
        "bridge_assessments_completed", "Assessment sittings finished (all time)."
    )
    completed.add_metric([], float(by_status.get("finished", 0)))
    in_progress = GaugeMetricFamily("bridge_assessments_in_progress", "Assessment sittings in progress.")
    in_progress.add_metric([], float(by_status.get("in_progress", 0)))
    yield from (bank, started, completed, in_progress)


class DatabaseCollector(Collector):
    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("bridge_database_up", "1 when the database answered this scrape.")
        now = utcnow()
        try:
            with self.database.sessionmaker() as session:
                families = [
                    *_sync_metrics(session, now),
                    *_outbox_metrics(session, now),
                    *_assessment_metrics(session),
                ]
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreachable (%s)", type(exc).__name__)
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        yield up
        yield from families
