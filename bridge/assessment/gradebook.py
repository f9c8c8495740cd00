"""Delivering queued grades (ScoreOutbox) to the LMS gradebook through LTI AGS.

One sender serves both paths: the web app tries a grade once right after the sitting ends; if the LMS
cannot take it then, the row stays queued (same backoff as the sync jobs) and the ``grades`` sync run
delivers it later through the same sender. A refusal that retrying cannot fix (AGS not enabled on the
tool, registration removed) marks the row failed for an admin to look at and retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from bridge.assessment.models import ScoreOutbox
from config.crypto import SecretBox
from config.database import Database, utcnow
from config.settings import Settings
from lti.services.client import ScoreToSend, ServiceOptions, send_score
from lti.services.errors import ServiceError
from lti.storage import LaunchStorage
from sync.jobs.grades import retry_at
from sync.ports import ScoreRef, ScoreSendError

log = logging.getLogger(__name__)

ScoreSender = Callable[[ScoreRef], None]


def score_ref(row: ScoreOutbox) -> ScoreRef:
    return ScoreRef(
        row.id,
        row.platform_id,
        row.lineitem_url,
        row.lineitems_url,
        row.resource_link_id,
        row.user_sub,
        row.score_given,
        row.score_maximum,
        row.comment,
        row.attempts,
    )


def make_score_sender(
    database: Database, secret_box: SecretBox, storage: LaunchStorage, *, timeout: float
) -> ScoreSender:
    """A sender posting one score with the LTI AGS client, in its own short session (the service client
    writes its token cache and, on first use, the tool key)."""

    def send(score: ScoreRef) -> None:
        to_send = ScoreToSend(
            platform_id=score.platform_id,
            user_sub=score.user_sub,
            score_given=score.score_given,
            score_maximum=score.score_maximum,
            lineitem_url=score.lineitem_url,
            lineitems_url=score.lineitems_url,
            resource_link_id=score.resource_link_id,
            comment=score.comment,
        )
        with database.sessionmaker() as session:
            try:
                send_score(session, secret_box, to_send, ServiceOptions(storage=storage, timeout=timeout))
                session.commit()
            except ServiceError as exc:
                session.rollback()
                raise ScoreSendError(f"{type(exc).__name__}: {exc}", retryable=exc.retryable) from exc

    return send


def deliver_now(session: Session, sender: ScoreSender, row: ScoreOutbox, settings: Settings) -> bool:
    """Try one queued grade now and record the outcome on the row (the caller commits)."""
    now = utcnow()
    try:
        sender(score_ref(row))
    except ScoreSendError as exc:
        row.attempts += 1
        row.last_error = str(exc)[:2000]
        if exc.retryable and row.attempts < settings.sync_ags_max_attempts:
            row.next_attempt_at = retry_at(settings.sync_ags_backoff_seconds, row.attempts, now)
        else:
            row.status = "failed"
        log.warning("grade %s not delivered yet (attempt %s)", row.id, row.attempts)
        return False
    row.attempts += 1
    row.status, row.sent_at, row.last_error = "sent", now, None
    return True
