"""The agent's decisions on a recommendation: accept, decline (or cancel), "not relevant for me".

Each is idempotent: repeating it changes nothing (accepting twice queues one enrolment, takes one seat).
Callers commit. Errors the agent can act on raise DecisionError with a plain-French message.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import Session

from bridge.catalog.models import Training
from bridge.recommendations import enrolment, funnel, seats
from bridge.recommendations.models import Recommendation
from config.database import utcnow

log = logging.getLogger(__name__)

UNDECIDED = ("proposed", "declined", "not_relevant")
COMMITTED = ("accepted", "enrolment_pending", "waitlisted", "enrolled", "completed")
SET_ASIDE = ("declined", "not_relevant")
MAX_FEEDBACK = 2000


class DecisionError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _load(session: Session, recommendation_id: int, agent_id: int) -> tuple[Recommendation, Training]:
    rec = session.get(Recommendation, recommendation_id)
    if rec is None or rec.agent_id != agent_id:
        raise DecisionError(404, "recommendation_not_found", _("Cette recommandation n'existe pas ou plus."))
    return rec, session.get_one(Training, rec.training_id)


def _claim(
    session: Session, rec: Recommendation, from_statuses: tuple[str, ...], to_status: str, now: datetime
) -> bool:
    """Move the recommendation to ``to_status`` only if it is still in ``from_statuses`` (one winner)."""
    result = session.execute(
        update(Recommendation)
        .where(Recommendation.id == rec.id, Recommendation.status.in_(from_statuses))
        .values(status=to_status, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(rec)
    return seats.rowcount(result) == 1


def holds_seat(training: Training, status: str) -> bool:
    """Whether a recommendation in this status holds one of the session's seats."""
    if training.modality == "in_person":
        return status == "enrolled"
    if training.modality == "blended":
        return status in ("accepted", "enrolment_pending", "enrolled")
    return False


def accept(
    session: Session, recommendation_id: int, agent_id: int, now: datetime | None = None
) -> Recommendation:
    """Accept: online -> enrolment queued; in person -> a seat (enrolled) or the waiting list."""
    now = now or utcnow()
    rec, training = _load(session, recommendation_id, agent_id)
    in_person = training.modality in seats.SESSION_MODALITIES
    if in_person:
        seats.lock_training(session, training.id)
        session.refresh(rec)
    if rec.status == "accepted" and training.modality in enrolment.ONLINE_MODALITIES:
        enrolment.queue_enrolment(session, rec)  # a retry: the LMS refused, or had no connection yet
        return rec
    if rec.status in COMMITTED:
        return rec
    if not training.active or (in_person and not _open(training, now)):
        raise DecisionError(409, "training_closed", _("Les inscriptions à cette formation sont closes."))
    if not _claim(session, rec, UNDECIDED, "accepted", now):
        return rec  # another request decided first
    funnel.touch(session, rec, "accepted_at", now)
    if in_person:
        if not seats.take_seat(session, training.id):
            seats.join_waitlist(session, rec)
            log.info(
                "recommendation %d: session full, waiting list position %s", rec.id, rec.waitlist_position
            )
            return rec
        if training.modality == "in_person":
            _enrol_in_person(session, rec, now)
            return rec
    enrolment.queue_enrolment(session, rec)
    return rec


def _open(training: Training, now: datetime) -> bool:
    closes = training.registration_deadline or training.starts_at
    return closes is None or now <= closes


def _enrol_in_person(session: Session, rec: Recommendation, now: datetime) -> None:
    rec.status = "enrolled"
    rec.enrolled_at = rec.enrolled_at or now
    rec.waitlist_position = None
    funnel.touch(session, rec, "enrolled_at", now)
    session.flush()


def _promote(session: Session, training: Training, now: datetime) -> None:
    """Hand a freed seat to the first agent of the waiting list (training row locked)."""
    waiting = seats.first_waitlisted(session, training.id)
    if waiting is None or not seats.take_seat(session, training.id):
        return
    seats.leave_waitlist(session, waiting)
    if training.modality == "in_person":
        _enrol_in_person(session, waiting, now)
    else:
        enrolment.queue_enrolment(session, waiting)
    log.info("recommendation %d promoted from the waiting list", waiting.id)


def decline(
    session: Session,
    recommendation_id: int,
    agent_id: int,
    *,
    not_relevant: bool = False,
    comment: str | None = None,
    now: datetime | None = None,
) -> Recommendation:
    """Decline (or flag "not relevant for me"), also cancelling a seat, a place on the waiting list or
    an enrolment not sent yet. A freed seat goes to the first agent waiting."""
    now = now or utcnow()
    target = "not_relevant" if not_relevant else "declined"
    rec, training = _load(session, recommendation_id, agent_id)
    in_person = training.modality in seats.SESSION_MODALITIES
    if in_person:
        seats.lock_training(session, training.id)
        session.refresh(rec)
    feedback = (comment or "").strip()[:MAX_FEEDBACK] or None
    if rec.status in SET_ASIDE:
        rec.status = target
        rec.feedback = feedback or rec.feedback
        session.flush()
        return rec
    previous = rec.status
    _check_cancellable(session, rec, training, now)
    if not _claim(session, rec, (previous,), target, now):
        return rec
    rec.feedback = feedback or rec.feedback
    if previous == "waitlisted":
        seats.leave_waitlist(session, rec)
    elif holds_seat(training, previous):
        seats.release_seat(session, training.id)
        _promote(session, training, now)
    session.flush()
    return rec


def _check_cancellable(session: Session, rec: Recommendation, training: Training, now: datetime) -> None:
    if rec.status == "completed":
        raise DecisionError(409, "already_completed", _("Vous avez déjà suivi cette formation."))
    if rec.status == "enrolled" and training.modality != "in_person":
        raise DecisionError(
            409,
            "already_enrolled",
            _("Votre inscription à ce cours est faite ; pour en sortir, contactez son responsable."),
        )
    if rec.status == "enrolled" and training.starts_at is not None and training.starts_at <= now:
        raise DecisionError(
            409, "session_started", _("La session a déjà commencé : elle ne peut plus être annulée.")
        )
    if rec.status == "enrolment_pending" and not enrolment.cancel_queued(session, rec):
        raise DecisionError(
            409,
            "enrolment_in_progress",
            _("Votre inscription est en cours dans la plateforme : réessayez plus tard."),
        )
