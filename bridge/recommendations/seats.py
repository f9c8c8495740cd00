"""Seats of in-person sessions: taken atomically, released, and handed to the waiting list in order.

Lock order (no deadlock between concurrent accepts, cancellations and promotions): the training row
first (``lock_training``: SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers anyway), then
recommendation rows. The seat itself is taken by a conditional UPDATE checked by its row count, so two
agents can never take the same last seat even without the lock.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from bridge.catalog.models import Training
from bridge.recommendations.models import Recommendation

log = logging.getLogger(__name__)

SESSION_MODALITIES = frozenset({"in_person", "blended"})


def lock_training(session: Session, training_id: int) -> None:
    session.execute(select(Training.id).where(Training.id == training_id).with_for_update())


def rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def take_seat(session: Session, training_id: int) -> bool:
    """Take one seat if one is left. True when taken."""
    result = session.execute(
        update(Training)
        .where(
            Training.id == training_id,
            Training.capacity.is_not(None),
            Training.seats_taken < Training.capacity,
        )
        .values(seats_taken=Training.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    _expire(session, training_id)
    return rowcount(result) == 1


def release_seat(session: Session, training_id: int) -> None:
    session.execute(
        update(Training)
        .where(Training.id == training_id, Training.seats_taken > 0)
        .values(seats_taken=Training.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    _expire(session, training_id)


def _expire(session: Session, training_id: int) -> None:
    training = session.identity_map.get(session.identity_key(Training, training_id))
    if training is not None:
        session.expire(training, ["seats_taken"])


def join_waitlist(session: Session, recommendation: Recommendation) -> int:
    """Put the recommendation at the end of its training's waiting list (training row locked)."""
    last = session.scalar(
        select(func.max(Recommendation.waitlist_position)).where(
            Recommendation.training_id == recommendation.training_id, Recommendation.status == "waitlisted"
        )
    )
    recommendation.status = "waitlisted"
    recommendation.waitlist_position = (last or 0) + 1
    session.flush()
    return recommendation.waitlist_position


def leave_waitlist(session: Session, recommendation: Recommendation) -> None:
    """Take the recommendation off the waiting list and move those behind it one place up."""
    position = recommendation.waitlist_position
    recommendation.waitlist_position = None
    session.flush()
    if position is None:
        return
    session.execute(
        update(Recommendation)
        .where(
            Recommendation.training_id == recommendation.training_id,
            Recommendation.status == "waitlisted",
            Recommendation.waitlist_position > position,
        )
        .values(waitlist_position=Recommendation.waitlist_position - 1)
        .execution_options(synchronize_session="fetch")
    )


def first_waitlisted(session: Session, training_id: int) -> Recommendation | None:
    stmt = (
        select(Recommendation)
        .where(Recommendation.training_id == training_id, Recommendation.status == "waitlisted")
        .order_by(Recommendation.waitlist_position, Recommendation.id)
        .limit(1)
    )
    return session.scalar(stmt)


def waitlist_length(session: Session, training_id: int) -> int:
    stmt = select(func.count()).where(
        Recommendation.training_id == training_id, Recommendation.status == "waitlisted"
    )
    return int(session.scalar(stmt) or 0)
