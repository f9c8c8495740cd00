"""Run a job: take its database lock, record a SyncRun, run it on each connection, close the record.

The same entry point serves the CLI (``sync run``), the scheduler and the admin pages, so the lock guards
all of them alike. A run that finds the lock of a dead holder takes it over and marks the dead run
``interrupted``; its work is finished by this run (see sync/jobs/push.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from config.database import utcnow
from sync import locks
from sync.jobs import grades, match, pull, push, stats
from sync.models import LmsConnection, SyncRun
from sync.moodle.errors import MoodleError, MoodleFatalError
from sync.runs import JobContext, ProgressCallback, Stopwatch
from sync.services import SyncServices

log = logging.getLogger(__name__)

PerConnection = Callable[[JobContext, LmsConnection], None]
Global = Callable[[JobContext], None]

PER_CONNECTION: dict[str, PerConnection] = {"match": match.run, "push": push.run, "pull": pull.run}
GLOBAL: dict[str, Global] = {"grades": grades.run, "stats": stats.run}
JOBS = ("match", "push", "pull", "grades", "stats")  # also the order of "all"


class UnknownConnectionError(LookupError):
    pass


@dataclass(frozen=True)
class RunResult:
    run_id: int
    job: str
    status: str  # ok | partial | failed
    dry_run: bool
    pushed: int
    pulled: int
    skipped: int
    failed: int
    calls: int
    seconds: float
    error: str | None
    progress: dict[str, object]


def run_job(
    services: SyncServices,
    job: str,
    *,
    trigger: str = "manual",
    dry_run: bool = False,
    connection_id: int | None = None,
    on_progress: ProgressCallback | None = None,
    lock: locks.JobLock | None = None,
) -> RunResult:
    """Run ``job`` now. Raises locks.LockBusyError when it is already running somewhere.

    ``lock``: the job's lock, already taken by the caller (the admin pages take it in the request, so
    they can say at once that the job is busy, then run the job in a thread); released at the end.
    """
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}: one of {', '.join(JOBS)}")
    lock = lock or take_lock(services, job)
    try:
        return _run_locked(services, job, lock, trigger, dry_run, connection_id, on_progress)
    finally:
        lock.release(services.database)


def take_lock(services: SyncServices, job: str) -> locks.JobLock:
    return locks.acquire(services.database, job, timedelta(seconds=services.settings.sync_lock_ttl_seconds))


def _run_locked(
    services: SyncServices,
    job: str,
    lock: locks.JobLock,
    trigger: str,
    dry_run: bool,
    connection_id: int | None,
    on_progress: ProgressCallback | None,
) -> RunResult:
    watch = Stopwatch()
    session = services.database.sessionmaker()
    try:
        if lock.previous_run_id is not None:
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == lock.previous_run_id, SyncRun.status == "running")
                .values(status="interrupted", finished_at=utcnow(), error="the process stopped mid-run")
            )
        run = SyncRun(job=job, trigger=trigger, dry_run=dry_run, status="running", heartbeat_at=utcnow())
        run.progress = {}
        session.add(run)
        session.flush()
        ctx = JobContext(services, session, run, lock, on_progress=on_progress)
        ctx.checkpoint()
        error: str | None = None
        fatal = False
        try:
            if job in GLOBAL:
                GLOBAL[job](ctx)
            else:
                connections = ctx.connections(connection_id)
                if connection_id is not None and not connections:
                    raise UnknownConnectionError(f"no LMS connection with id {connection_id}")
                for connection in connections:
                    try:
                        PER_CONNECTION[job](ctx, connection)
                    except MoodleError as exc:
                        session.rollback()
                        fatal = fatal or isinstance(exc, MoodleFatalError)
                        error = _explain(connection, exc)
                        ctx.error(error)
                        ctx.checkpoint()
        except (locks.LockLostError, UnknownConnectionError, grades.ScoresUndeliverableError) as exc:
            session.rollback()
            error, fatal = str(exc), True
        except Exception as exc:
            session.rollback()
            log.exception("%s run %s crashed", job, run.id)
            error, fatal = f"{type(exc).__name__}: {exc}", True
        except BaseException:
            session.rollback()
            _close(run, ctx, "interrupted", "stopped by a signal or an interruption")
            raise
        finally:
            ctx.close_clients()
        status = "failed" if fatal or (error and not (run.pushed or run.pulled)) else "ok"
        if status == "ok" and (run.failed or error or (run.progress or {}).get("errors")):
            status = "partial"
        _close(run, ctx, status, error)
        return RunResult(
            run.id, job, status, dry_run, run.pushed, run.pulled, run.skipped, run.failed, run.calls,
            watch.seconds, error, dict(run.progress or {}),
        )  # fmt: skip
    finally:
        session.close()


def _close(run: SyncRun, ctx: JobContext, status: str, error: str | None) -> None:
    run.status = status
    run.error = error
    run.finished_at = utcnow()
    run.calls = ctx.calls
    run.heartbeat_at = run.finished_at
    ctx.session.commit()


def _explain(connection: LmsConnection, exc: MoodleError) -> str:
    where = f"connection #{connection.id} ({connection.base_url})"
    if isinstance(exc, MoodleFatalError):
        hint = {
            "invalidtoken": "the token is invalid, expired or revoked: make a new one, run `sync connect`",
            "accessexception": "a function is missing from the token's service: run `sync check`",
        }.get(exc.errorcode or "", "check the web-service user's permissions (docs/sync.md)")
        return f"Moodle refused the run on {where}: {exc} - {hint}"
    return f"Moodle failed on {where}: {exc}"


def run_many(
    services: SyncServices,
    jobs: list[str],
    **kwargs: object,
) -> list[RunResult]:
    """Run several jobs one after the other (``all``): a busy job is skipped, the others still run."""
    results = []
    for job in jobs:
        try:
            results.append(run_job(services, job, **kwargs))  # type: ignore[arg-type]
        except locks.LockBusyError as busy:
            log.warning("%s", busy)
    return results
