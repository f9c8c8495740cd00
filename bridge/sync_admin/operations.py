"""What the sync admin pages show and do; views only parse, authorise and render."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.assessment.models import ScoreOutbox
from bridge.audit import operations as audit
from config.database import utcnow
from sync import runner
from sync.models import LmsConnection, OutboxOperation, SchedulerHeartbeat, SyncRun
from sync.services import SyncServices

log = logging.getLogger(__name__)

LIST_LIMIT = 50


@dataclass(frozen=True)
class Dashboard:
    connections: list[LmsConnection]
    running: list[SyncRun]
    runs: list[SyncRun]
    outbox_counts: dict[str, int]
    outbox_problems: list[OutboxOperation]
    score_counts: dict[str, int]
    score_queue: list[ScoreOutbox]
    scheduler: SchedulerHeartbeat | None


def _counts(session: Session, column: object) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).group_by(column))  # type: ignore[call-overload]
    return {str(status): int(n) for status, n in rows}


def dashboard(session: Session) -> Dashboard:
    return Dashboard(
        connections=list(session.scalars(select(LmsConnection).order_by(LmsConnection.id))),
        running=list(
            session.scalars(select(SyncRun).where(SyncRun.status == "running").order_by(SyncRun.id))
        ),
        runs=list(
            session.scalars(select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(20))
        ),
        outbox_counts=_counts(session, OutboxOperation.status),
        outbox_problems=list(
            session.scalars(
                select(OutboxOperation)
                .where(OutboxOperation.status.in_(("failed", "skipped")))
                .order_by(OutboxOperation.updated_at.desc(), OutboxOperation.id.desc())
                .limit(LIST_LIMIT)
            )
        ),
        score_counts=_counts(session, ScoreOutbox.status),
        score_queue=list(
            session.scalars(
                select(ScoreOutbox)
                .where(ScoreOutbox.status.in_(("pending", "failed")))
                .order_by(ScoreOutbox.next_attempt_at, ScoreOutbox.id)
                .limit(LIST_LIMIT)
            )
        ),
        scheduler=session.scalars(
            select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.beat_at.desc())
        ).first(),
    )


def retry_outbox_row(session: Session, row_id: int, actor: str) -> bool:
    """Put a failed or skipped enrolment back in the queue (sent by the next push). False if not retryable."""
    row = session.get(OutboxOperation, row_id)
    if row is None or row.status not in ("failed", "skipped"):
        return False
    row.status, row.last_error = "pending", None
    audit.record(session, actor, "outbox_retry", f"lms_outbox:{row_id}")
    return True


def retry_score(session: Session, score_id: int, actor: str, now: datetime | None = None) -> bool:
    """Make a queued or failed AGS score due now (sent by the next grades run)."""
    row = session.get(ScoreOutbox, score_id)
    if row is None or row.status not in ("pending", "failed"):
        return False
    row.status, row.next_attempt_at = "pending", now or utcnow()
    audit.record(session, actor, "score_retry", f"ags_score_outbox:{score_id}")
    return True


def start_run(services: SyncServices, job: str) -> threading.Thread:
    """Take the job's lock now (raises LockBusyError) and run the job in a background thread.

    Fine for the short jobs an admin starts by hand; long runs belong to the scheduler or the CLI (a web
    worker restart would stop the thread; the next run then finishes the work).
    """
    lock = runner.take_lock(services, job)

    def work() -> None:
        try:
            runner.run_job(services, job, trigger="admin", lock=lock)
        except Exception:
            log.exception("admin-triggered %s run failed", job)

    thread = threading.Thread(target=work, name=f"sync-{job}-admin", daemon=True)
    thread.start()
    return thread
