"""Recommendations: a training proposed to an agent, and its path to completion.

status: proposed -> accepted | declined | not_relevant
        accepted -> enrolment_pending (online: queued in the LMS outbox) -> enrolled -> completed
        enrolment_pending -> accepted (with enrolment_error) when the LMS refused it
        accepted (in person) -> enrolled (seat taken) | waitlisted -> enrolled -> completed
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, utcnow

STATUSES = (
    "proposed",
    "accepted",
    "declined",
    "not_relevant",
    "enrolment_pending",
    "waitlisted",
    "enrolled",
    "completed",
)


class Recommendation(Base):
    __tablename__ = "recommendation"
    __table_args__ = (
        UniqueConstraint("agent_id", "training_id"),
        Index("ix_recommendation_status", "status"),
        Index("ix_recommendation_training_status", "training_id", "status"),
        Index("ix_recommendation_campaign_agent_status", "campaign_id", "agent_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id", ondelete="CASCADE"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    rank: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text)  # plain French: "niveau 2 en 4.1, objectif 3"
    reason_data: Mapped[str] = mapped_column(Text, default="")  # JSON of the gaps, for other locales
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    feedback: Mapped[str | None] = mapped_column(Text, default=None)  # "not relevant for me" comment
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    enrolled_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # In-person waiting list position (None when not waitlisted).
    waitlist_position: Mapped[int | None] = mapped_column(default=None)
    # Why the LMS refused the enrolment (set by mark_enrolment_failed, cleared when a retry is queued).
    enrolment_error: Mapped[str | None] = mapped_column(Text, default=None)
