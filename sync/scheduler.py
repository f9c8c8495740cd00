"""The scheduler process: `flask --app wsgi sync scheduler` (APScheduler 3, BlockingScheduler).

- Cron times come from the settings (BRIDGE_SYNC_PUSH_CRON, _PULL_CRON, _GRADES_CRON) in
  BRIDGE_TIMEZONE; the jobs live in the bridge database (SQLAlchemyJobStore on ``apscheduler_jobs``, a
  table created by the migrations, never at runtime), so a restart keeps the next run times and a run
  missed while the process was down still happens within BRIDGE_SYNC_MISFIRE_GRACE_SECONDS (coalesced
  into one run).
- ``max_instances=1`` within a process; across processes (two schedulers, a CLI or admin run) the jobs'
  database lock (sync/locks.py) makes sure one job never runs twice at once: the loser logs and skips.
- A heartbeat row (``sync_scheduler``) is written every minute with the next run times, for health checks.
- It is never started inside web workers: only this command starts it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from datetime import UTC, datetime
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import update

from config.database import utcnow
from sync import locks, runner
from sync.models import SchedulerHeartbeat
from sync.services import SyncServices

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
HEARTBEAT_SECONDS = 60
SCHEDULE = (
    ("push", "sync_push_cron"),
    ("pull", "sync_pull_cron"),
    ("grades", "sync_grades_cron"),
    ("stats", "sync_stats_cron"),
)

# The services of this scheduler process, set by serve(): the job store keeps only a reference to
# scheduled_run and the job name, so the function finds what it runs with here.
_services: SyncServices | None = None


def scheduled_run(job: str) -> None:
    """Run one job for the scheduler; a job already running elsewhere is skipped."""
    if _services is None:
        raise RuntimeError(
            "the scheduler's services are not set: start it with `flask --app wsgi sync scheduler`"
        )
    try:
        result = runner.run_job(_services, job, trigger="schedule")
    except locks.LockBusyError as busy:
        log.info("scheduled %s skipped: %s", job, busy)
        return
    log.info(
        "scheduled %s run %s: %s (pushed %s, pulled %s, skipped %s, failed %s, %s calls, %.0f s)",
        job, result.run_id, result.status, result.pushed, result.pulled, result.skipped, result.failed,
        result.calls, result.seconds,
    )  # fmt: skip


def build_scheduler(services: SyncServices, scheduler: BaseScheduler | None = None) -> BaseScheduler:
    settings = services.settings
    zone = ZoneInfo(settings.timezone)
    scheduler = scheduler or BlockingScheduler()
    scheduler.configure(
        jobstores={
            "default": SQLAlchemyJobStore(engine=services.database.engine, tablename=JOBSTORE_TABLE),
            "local": MemoryJobStore(),
        },
        executors={"default": ThreadPoolExecutor(max_workers=len(SCHEDULE) + 1)},
        job_defaults={
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": settings.sync_misfire_grace_seconds,
        },
        timezone=zone,
    )
    for job, setting in SCHEDULE:
        scheduler.add_job(
            scheduled_run,
            CronTrigger.from_crontab(getattr(settings, setting), timezone=zone),
            args=[job],
            id=f"sync-{job}",
            name=f"sync {job}",
            replace_existing=True,
        )
    return scheduler


class Heartbeat:
    """The ``sync_scheduler`` row of this process."""

    def __init__(self, services: SyncServices, scheduler: BaseScheduler) -> None:
        self.services, self.scheduler = services, scheduler
        self.owner = locks.make_owner()

    def beat(self) -> None:
        next_runs = {
            job.id: job.next_run_time.astimezone(UTC).isoformat()
            for job in self.scheduler.get_jobs(jobstore="default")
            if job.next_run_time is not None
        }
        with self.services.database.session_scope() as session:
            row = session.get(SchedulerHeartbeat, self.owner)
            if row is None:
                row = SchedulerHeartbeat(owner=self.owner, hostname=socket.gethostname(), pid=os.getpid())
                session.add(row)
            row.beat_at = utcnow()
            row.next_runs = next_runs

    def stopped(self) -> None:
        with self.services.database.session_scope() as session:
            session.execute(
                update(SchedulerHeartbeat)
                .where(SchedulerHeartbeat.owner == self.owner)
                .values(stopped_at=utcnow())
            )

    def install(self) -> None:
        self.scheduler.add_job(
            self.beat, "interval", seconds=HEARTBEAT_SECONDS, id="heartbeat", jobstore="local",
            next_run_time=datetime.now(UTC), replace_existing=True,
        )  # fmt: skip


def serve(services: SyncServices) -> None:
    """Run the scheduler until SIGTERM / SIGINT (a running job finishes first)."""
    global _services
    _services = services
    scheduler = build_scheduler(services)
    heartbeat = Heartbeat(services, scheduler)
    heartbeat.install()

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("scheduler stopping (signal %s); a running job finishes first", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduler %s started", heartbeat.owner)
    try:
        scheduler.start()
    finally:
        heartbeat.stopped()
        log.info("scheduler %s stopped", heartbeat.owner)
