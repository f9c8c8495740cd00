"""Trainings and the competences they serve.

A training is online (a Moodle course on an LMS connection), in person (a session with a place, dates
and seats) or blended (both). PIX-style triggers: the training fits an agent when, for every competence
it serves, ``prerequisite_level <= level <= goal_level`` (the level window; None = open).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.database import Base, utcnow

MODALITIES = ("online", "in_person", "blended")
THEMES = ("culture_numerique", "creativite", "multimedia", "securite", "bureautique", "collaboration")


class Training(Base):
    __tablename__ = "training"
    __table_args__ = (Index("ix_training_active", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # stable key for import/export
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    modality: Mapped[str] = mapped_column(String(20))  # online | in_person | blended
    duration_minutes: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(10), default="fr")
    theme: Mapped[str] = mapped_column(String(50), default="culture_numerique")
    # Online part: a Moodle course on an LMS connection.
    lms_connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_connection.id", ondelete="SET NULL")
    )
    moodle_course_id: Mapped[int | None] = mapped_column(default=None)
    moodle_course_shortname: Mapped[str | None] = mapped_column(String(255), default=None)
    # In-person part: one session (IGPDE style).
    place: Mapped[str | None] = mapped_column(String(300), default=None)
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    capacity: Mapped[int | None] = mapped_column(default=None)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    registration_deadline: Mapped[datetime | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    competences: Mapped[list[TrainingCompetence]] = relationship(
        back_populates="training", cascade="all, delete-orphan", order_by="TrainingCompetence.competence"
    )


class TrainingCompetence(Base):
    """A competence a training serves, with its trigger thresholds on the agent's level."""

    __tablename__ = "training_competence"
    __table_args__ = (UniqueConstraint("training_id", "competence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id", ondelete="CASCADE"))
    competence: Mapped[str] = mapped_column(String(10))  # "4.1"
    # prerequisite: fires when the agent's level >= this; goal: fires when the level <= this.
    prerequisite_level: Mapped[int | None] = mapped_column(default=None)
    goal_level: Mapped[int | None] = mapped_column(default=None)
    # The level the training brings an agent to (used to rank by gap closed).
    target_level: Mapped[int] = mapped_column(Integer)

    training: Mapped[Training] = relationship(back_populates="competences")
