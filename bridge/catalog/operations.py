"""Catalogue operations: create, update, (de)activate, upsert by code, look-ups and filtered lists.

Callers commit. Invalid data raises CatalogValidationError carrying every FieldError, and nothing is
changed in the session.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, selectinload

from bridge.catalog.models import Training, TrainingCompetence
from bridge.catalog.schema import CompetenceWindow, FieldError, TrainingData, validate_training
from sync.models import LmsConnection

log = logging.getLogger(__name__)


class CatalogValidationError(ValueError):
    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


class TrainingNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class TrainingFilter:
    competence: str | None = None
    modality: str | None = None
    active: bool | None = None
    text: str | None = None


def to_data(training: Training) -> TrainingData:
    """The plain-data view of a stored training (what export writes and the edit form shows)."""
    return TrainingData(
        code=training.code,
        title=training.title,
        description=training.description,
        modality=training.modality,
        duration_minutes=training.duration_minutes,
        language=training.language,
        theme=training.theme,
        lms_connection_id=training.lms_connection_id,
        moodle_course_id=training.moodle_course_id,
        moodle_course_shortname=training.moodle_course_shortname,
        place=training.place,
        starts_at=training.starts_at,
        ends_at=training.ends_at,
        capacity=training.capacity,
        registration_deadline=training.registration_deadline,
        active=training.active,
        competences=[
            CompetenceWindow(c.competence, c.prerequisite_level, c.goal_level, c.target_level)
            for c in sorted(training.competences, key=lambda c: c.competence)
        ],
    )


def check(session: Session, data: TrainingData, existing: Training | None = None) -> list[FieldError]:
    """Rules of the data itself plus those that need the database (connection, code, seats taken)."""
    errors = validate_training(data)
    if data.lms_connection_id is not None and session.get(LmsConnection, data.lms_connection_id) is None:
        errors.append(FieldError("lms_connection", _("connexion LMS inconnue")))
    other = session.scalar(select(Training.id).where(Training.code == data.code))
    if other is not None and (existing is None or other != existing.id):
        errors.append(FieldError("code", _("ce code est déjà utilisé par une autre formation")))
    if existing is not None and data.capacity is not None and data.capacity < existing.seats_taken:
        errors.append(
            FieldError(
                "capacity",
                _(
                    "%(taken)d places sont déjà prises : la capacité ne peut pas être inférieure",
                    taken=existing.seats_taken,
                ),
            )
        )
    return errors


def _apply(training: Training, data: TrainingData) -> None:
    training.code = data.code
    training.title = data.title.strip()
    training.description = data.description.strip()
    training.modality = data.modality
    training.duration_minutes = data.duration_minutes
    training.language = data.language
    training.theme = data.theme
    training.lms_connection_id = data.lms_connection_id
    training.moodle_course_id = data.moodle_course_id
    training.moodle_course_shortname = data.moodle_course_shortname or None
    training.place = data.place or None
    training.starts_at = data.starts_at
    training.ends_at = data.ends_at
    training.capacity = data.capacity
    training.registration_deadline = data.registration_deadline
    training.active = data.active
    current = {c.competence: c for c in training.competences}
    wanted = {w.competence: w for w in data.competences}
    for code, row in current.items():
        if code not in wanted:
            training.competences.remove(row)
    for code, window in wanted.items():
        row = current.get(code) or TrainingCompetence(competence=code, target_level=window.target)
        if code not in current:
            training.competences.append(row)
        row.prerequisite_level = window.prerequisite
        row.goal_level = window.goal
        row.target_level = window.target


def create_training(session: Session, data: TrainingData) -> Training:
    errors = check(session, data)
    if errors:
        raise CatalogValidationError(errors)
    training = Training(seats_taken=0)
    _apply(training, data)
    session.add(training)
    session.flush()
    log.debug("training %s created", training.code)
    return training


def update_training(session: Session, training: Training, data: TrainingData) -> Training:
    errors = check(session, data, existing=training)
    if errors:
        raise CatalogValidationError(errors)
    _apply(training, data)
    session.flush()
    log.debug("training %s updated", training.code)
    return training


def upsert_training(session: Session, data: TrainingData) -> tuple[Training, bool]:
    """Create or update the training with this code. Returns (training, created)."""
    existing = get_by_code(session, data.code)
    if existing is None:
        return create_training(session, data), True
    return update_training(session, existing, data), False


def set_active(session: Session, training: Training, active: bool) -> Training:
    """Deactivate (no longer recommended; decisions already taken stay) or reactivate a training."""
    training.active = active
    session.flush()
    log.info("training %s %s", training.code, "reactivated" if active else "deactivated")
    return training


def get_training(session: Session, training_id: int) -> Training:
    training = session.get(Training, training_id, options=[selectinload(Training.competences)])
    if training is None:
        raise TrainingNotFoundError(training_id)
    return training


def get_by_code(session: Session, code: str) -> Training | None:
    stmt = select(Training).where(Training.code == code).options(selectinload(Training.competences))
    return session.scalar(stmt)


def _filtered(flt: TrainingFilter) -> Select[Training]:
    stmt = select(Training).options(selectinload(Training.competences))
    if flt.competence:
        served = select(TrainingCompetence.id).where(
            TrainingCompetence.training_id == Training.id, TrainingCompetence.competence == flt.competence
        )
        stmt = stmt.where(exists(served))
    if flt.modality:
        stmt = stmt.where(Training.modality == flt.modality)
    if flt.active is not None:
        stmt = stmt.where(Training.active.is_(flt.active))
    if flt.text:
        pattern = f"%{flt.text.strip()}%"
        stmt = stmt.where(Training.title.ilike(pattern) | Training.code.ilike(pattern))
    return stmt


def list_trainings(session: Session, flt: TrainingFilter | None = None) -> list[Training]:
    stmt = _filtered(flt or TrainingFilter()).order_by(Training.code)
    return list(session.scalars(stmt))
