"""Delivering queued grades (ScoreOutbox) to the LMS gradebook through LTI AGS.

A grade is tried once right after the sitting ends; if the LMS cannot take it then, the row stays queued
with a growing delay and the sync jobs' ``grades`` run delivers it later. A refusal that retrying cannot
fix (AGS not enabled on the tool, registration removed) marks the row failed for an admin to look at.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.assessment.models import ScoreOutbox
from config.crypto import SecretBox
from config.database import utcnow
from lti.services.client import ScoreToSend, ServiceOptions, send_score
from lti.services.errors import ServiceError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
MAX_DELAY = timedelta(hours=12)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most 12 hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_DELAY)


def _to_send(row: ScoreOutbox) -> ScoreToSend:
    return ScoreToSend(
        platform_id=row.platform_id,
        user_sub=row.user_sub,
        score_given=row.score_given,
        score_maximum=row.score_maximum,
        lineitem_url=row.lineitem_url,
        lineitems_url=row.lineitems_url,
        resource_link_id=row.resource_link_id,
        comment=row.comment,
        timestamp=row.created_at,
    )


def deliver(
    session: Session,
    secret_box: SecretBox,
    row: ScoreOutbox,
    *,
    options: ServiceOptions | None = None,
    now: datetime | None = None,
) -> bool:
    """Send one queued grade and record the outcome on the row (the caller commits)."""
    now = now or utcnow()
    score = _to_send(row)
    try:
        # Nothing is written before the call: the service client may need its own short transactions
        # (signing key, token cache), which a pending write here would block on SQLite.
        send_score(session, secret_box, score, options)
    except ServiceError as exc:
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if exc.retryable and row.attempts < MAX_ATTEMPTS:
            row.status = "pending"
            row.next_attempt_at = now + retry_delay(row.attempts)
        else:
            row.status = "failed"
        log.warning("grade %s not delivered (attempt %s): %s", row.id, row.attempts, type(exc).__name__)
        return False
    row.attempts += 1
    row.status = "sent"
    row.sent_at = now
    row.last_error = None
    return True


def due(session: Session, *, limit: int = 500, now: datetime | None = None) -> list[ScoreOutbox]:
    """Queued grades whose next attempt is due, oldest first."""
    stmt = (
        select(ScoreOutbox)
        .where(ScoreOutbox.status == "pending", ScoreOutbox.next_attempt_at <= (now or utcnow()))
        .order_by(ScoreOutbox.next_attempt_at, ScoreOutbox.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def requeue(session: Session, row_ids: list[int]) -> int:
    """Put failed grades back in the queue (an admin fixed the LMS side)."""
    rows = session.scalars(
        select(ScoreOutbox).where(ScoreOutbox.id.in_(row_ids), ScoreOutbox.status == "failed")
    )
    count = 0
    for row in rows:
        row.status, row.next_attempt_at, row.attempts = "pending", utcnow(), 0
        count += 1
    return count
