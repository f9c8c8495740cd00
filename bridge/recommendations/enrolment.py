"""Moodle enrolments of accepted recommendations, through the LMS outbox, and the sync jobs' callbacks.

Contract with the sync jobs (sync/ never imports bridge/; it reads the outbox and calls these back):

- ``queue_enrolment`` adds an ``OutboxOperation(operation="enrol", source_table="recommendation",
  source_id=<recommendation id>)`` on the training's LMS connection (else the agent's platform's one),
  payload ``{"userid": agent.lms_user_id, "courseid": training.moodle_course_id,
  "roleid": connection.student_role_id}``. ``userid`` is None while the agent's Moodle account is not
  matched yet (the sync match step fills it from the agent's username/e-mail/idnumber); ``courseid`` is
  None when only the shortname is known, then ``courseshortname`` is in the payload too.
- The idempotency key is ``enrol:{connection id}:{Moodle user id | agent<id>}:{course id | shortname:<x>}``:
  accepting twice queues one row; a failed or skipped row is put back to pending on a retry.
- After draining: ``mark_enrolled(session, [ids], at)``, ``mark_enrolment_failed(session, id, reason)``,
  ``mark_completed(session, id, at)``. Each is idempotent and dates the campaign funnel the first time.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.catalog.models import Training
from bridge.recommendations import funnel
from bridge.recommendations.models import Recommendation
from config.database import utcnow
from sync.models import LmsConnection, OutboxOperation

log = logging.getLogger(__name__)

ENROL = "enrol"
SOURCE_TABLE = "recommendation"
ONLINE_MODALITIES = frozenset({"online", "blended"})


def connection_for(session: Session, training: Training, agent: Agent) -> LmsConnection | None:
    """The training's LMS connection, else the one of the agent's platform (active ones only)."""
    if training.lms_connection_id is not None:
        connection = session.get(LmsConnection, training.lms_connection_id)
        return connection if connection is not None and connection.active else None
    if agent.platform_id is None:
        return None
    stmt = select(LmsConnection).where(
        LmsConnection.platform_id == agent.platform_id, LmsConnection.active.is_(True)
    )
    return session.scalar(stmt)


def idempotency_key(connection: LmsConnection, training: Training, agent: Agent) -> str:
    user = str(agent.lms_user_id) if agent.lms_user_id is not None else f"agent{agent.id}"
    course = (
        str(training.moodle_course_id)
        if training.moodle_course_id is not None
        else f"shortname:{training.moodle_course_shortname}"
    )
    return f"{ENROL}:{connection.id}:{user}:{course}"


def queue_enrolment(session: Session, recommendation: Recommendation) -> OutboxOperation | None:
    """Queue (or re-queue) the Moodle enrolment; None when no LMS connection can take it yet."""
    training = session.get_one(Training, recommendation.training_id)
    agent = session.get_one(Agent, recommendation.agent_id)
    connection = connection_for(session, training, agent)
    if connection is None:
        log.info("recommendation %d: no active LMS connection yet, enrolment waits", recommendation.id)
        return None
    key = idempotency_key(connection, training, agent)
    payload: dict[str, Any] = {
        "userid": agent.lms_user_id,
        "courseid": training.moodle_course_id,
        "roleid": connection.student_role_id,
    }
    if training.moodle_course_id is None:
        payload["courseshortname"] = training.moodle_course_shortname
    operation = session.scalar(select(OutboxOperation).where(OutboxOperation.idempotency_key == key))
    if operation is None:
        operation = OutboxOperation(
            connection_id=connection.id,
            operation=ENROL,
            idempotency_key=key,
            payload=payload,
            source_table=SOURCE_TABLE,
            source_id=recommendation.id,
        )
        try:
            with session.begin_nested():
                session.add(operation)
        except IntegrityError:  # queued at the same moment by another request
            operation = session.scalars(
                select(OutboxOperation).where(OutboxOperation.idempotency_key == key)
            ).one()
    elif operation.status in ("failed", "skipped"):
        operation.status = "pending"
        operation.last_error = None
        operation.payload = payload
        operation.source_id = recommendation.id
    recommendation.status = "enrolment_pending"
    recommendation.enrolment_error = None
    session.flush()
    return operation


def cancel_queued(session: Session, recommendation: Recommendation) -> bool:
    """Withdraw a queued enrolment that was not sent yet. False when the sync already took it."""
    stmt = select(OutboxOperation).where(
        OutboxOperation.source_table == SOURCE_TABLE,
        OutboxOperation.source_id == recommendation.id,
        OutboxOperation.operation == ENROL,
    )
    operations = list(session.scalars(stmt))
    if any(op.status in ("sending", "done") for op in operations):
        return False
    for op in operations:
        if op.status == "pending":
            op.status = "skipped"
            op.last_error = "withdrawn by the agent"
    return True


def queue_waiting_enrolments(session: Session) -> int:
    """Queue the accepted online trainings that waited for an LMS connection (not the refused ones)."""
    stmt = (
        select(Recommendation)
        .join(Training, Training.id == Recommendation.training_id)
        .where(
            Recommendation.status == "accepted",
            Recommendation.enrolment_error.is_(None),
            Training.modality.in_(ONLINE_MODALITIES),
        )
    )
    return sum(1 for rec in list(session.scalars(stmt)) if queue_enrolment(session, rec) is not None)


def _expire(session: Session, recommendation_ids: Collection[int]) -> None:
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Recommendation) and obj.id in recommendation_ids:
            session.expire(obj)


def mark_enrolled(session: Session, recommendation_ids: Iterable[int], at: datetime | None = None) -> int:
    """The LMS enrolled these agents (set-based: the sync jobs pass whole batches). Returns how many
    recommendations changed."""
    at = at or utcnow()
    ids = set(recommendation_ids)
    if not ids:
        return 0
    result = session.execute(
        update(Recommendation)
        .where(Recommendation.id.in_(ids), Recommendation.status.in_(("enrolment_pending", "accepted")))
        .values(
            status="enrolled",
            enrolled_at=func.coalesce(Recommendation.enrolled_at, at),
            enrolment_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    _expire(session, ids)
    funnel.touch_many(session, ids, "enrolled_at", at)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark_enrolment_failed(session: Session, recommendation_id: int, reason: str) -> bool:
    """The LMS refused the enrolment: back to accepted with the reason; accepting again retries."""
    rec = session.get(Recommendation, recommendation_id)
    if rec is None or rec.status != "enrolment_pending":
        return False
    rec.status = "accepted"
    rec.enrolment_error = reason[:2000]
    session.flush()
    log.warning("recommendation %d: enrolment refused by the LMS", recommendation_id)
    return True


def mark_completed_many(
    session: Session, recommendation_ids: Iterable[int], at: datetime | None = None
) -> int:
    """The agents completed these trainings (course completions pulled from the LMS, or attendance)."""
    at = at or utcnow()
    ids = set(recommendation_ids)
    if not ids:
        return 0
    result = session.execute(
        update(Recommendation)
        .where(
            Recommendation.id.in_(ids),
            Recommendation.status.in_(("enrolled", "enrolment_pending", "accepted")),
        )
        .values(
            status="completed",
            enrolled_at=func.coalesce(Recommendation.enrolled_at, at),
            completed_at=at,
            enrolment_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    _expire(session, ids)
    funnel.touch_many(session, ids, "enrolled_at", at)
    funnel.touch_many(session, ids, "completed_at", at)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark_completed(session: Session, recommendation_id: int, at: datetime | None = None) -> bool:
    """One completion (see mark_completed_many)."""
    return mark_completed_many(session, [recommendation_id], at) == 1
