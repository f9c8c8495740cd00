"""Assessment sittings, their answers and per-competence results, and the AGS score outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.database import Base, utcnow


class AssessmentItem(Base):
    """An item of the bank, as imported from the bank files (``flask --app wsgi bridge items import``).

    ``data`` holds the item in the bank file schema (bridge.assessment.bank.dump_item); the columns beside
    it are what queries and the engine need without parsing it.
    """

    __tablename__ = "assessment_item"
    __table_args__ = (Index("ix_assessment_item_competence_active", "competence", "active"),)

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    competence: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(30))
    level: Mapped[int] = mapped_column(Integer)
    a: Mapped[float] = mapped_column(Float)
    b: Mapped[float] = mapped_column(Float)
    needs_images: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_sound: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assessment(Base):
    """One sitting of the self-assessment. status: in_progress -> finished (or abandoned)."""

    __tablename__ = "assessment"
    __table_args__ = (
        Index("ix_assessment_agent_status", "agent_id", "status"),
        Index("ix_assessment_campaign_finished", "campaign_id", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    seed: Mapped[int] = mapped_column(Integer)
    # The item currently shown (so a reload or relaunch shows the same question).
    current_item_id: Mapped[str | None] = mapped_column(String(50), default=None)
    exclude_accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Launch that started it (AGS line item, resource link) for the grade passback.
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("lti_platform.id", ondelete="SET NULL"))
    resource_link_id: Mapped[str | None] = mapped_column(String(255), default=None)
    ags_lineitem_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    # Summary once finished.
    score_percent: Mapped[float | None] = mapped_column(Float, default=None)
    average_level: Mapped[float | None] = mapped_column(Float, default=None)

    responses: Mapped[list[AssessmentResponse]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="AssessmentResponse.position"
    )
    results: Mapped[list[CompetenceResult]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="CompetenceResult.competence"
    )


class AssessmentResponse(Base):
    __tablename__ = "assessment_response"
    __table_args__ = (
        UniqueConstraint("assessment_id", "position"),
        UniqueConstraint("assessment_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(50))
    competence: Mapped[str] = mapped_column(String(10))
    answer: Mapped[Any] = mapped_column(JSON, nullable=True)  # None = "I don't know"
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    seconds_spent: Mapped[int | None] = mapped_column(default=None)

    assessment: Mapped[Assessment] = relationship(back_populates="responses")


class CompetenceResult(Base):
    __tablename__ = "competence_result"
    __table_args__ = (
        UniqueConstraint("assessment_id", "competence"),
        Index("ix_competence_result_competence_level", "competence", "level"),
        # Covering index of the tracker's level queries (join on assessment, read competence and level).
        Index("ix_competence_result_assessment_level", "assessment_id", "competence", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    competence: Mapped[str] = mapped_column(String(10))
    theta: Mapped[float] = mapped_column(Float)
    se: Mapped[float] = mapped_column(Float)
    level: Mapped[int] = mapped_column(Integer)
    level_low: Mapped[int] = mapped_column(Integer)
    level_high: Mapped[int] = mapped_column(Integer)
    pix: Mapped[int] = mapped_column(Integer)
    items_answered: Mapped[int] = mapped_column(Integer, default=0)

    assessment: Mapped[Assessment] = relationship(back_populates="results")


class ScoreOutbox(Base):
    """An AGS score to send to the LMS gradebook. A failure never blocks the agent: it waits here."""

    __tablename__ = "ags_score_outbox"
    __table_args__ = (Index("ix_ags_score_outbox_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    lineitem_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    lineitems_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    resource_link_id: Mapped[str | None] = mapped_column(String(255), default=None)
    user_sub: Mapped[str] = mapped_column(String(255))
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
