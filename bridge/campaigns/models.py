"""Campaigns and their target populations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, utcnow


class Directorate(Base):
    """A directorate of the ministry (DGFIP, Douane, DGCCRF, Trésor...). Admins can add more."""

    __tablename__ = "directorate"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    directorate_code: Mapped[str | None] = mapped_column(ForeignKey("directorate.code", ondelete="SET NULL"))
    wave: Mapped[int] = mapped_column(Integer, default=1)
    starts_on: Mapped[date | None] = mapped_column(Date, default=None)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    # Target profile: competence code -> target level (e.g. a front-desk agent profile).
    target_profile: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    retake_delay_days: Mapped[int] = mapped_column(Integer, default=4)
    max_recommendations: Mapped[int] = mapped_column(Integer, default=5)
    level_cap: Mapped[int] = mapped_column(Integer, default=5)
    # LMS context ids whose instructors may read this campaign's tracker.
    lms_context_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignMember(Base):
    """An agent targeted by (or launched into) a campaign, with the funnel dates of the tracker."""

    __tablename__ = "campaign_member"
    __table_args__ = (
        UniqueConstraint("campaign_id", "agent_id"),
        Index("ix_campaign_member_agent", "agent_id"),
        Index("ix_campaign_member_latest_assessment", "latest_assessment_id"),
        # Covers the tracker's funnel: one index-only scan counts every step, grouped by directorate/unit.
        Index(
            "ix_campaign_member_tracker",
            "campaign_id",
            "directorate",
            "unit",
            "targeted_at",
            "first_launch_at",
            "assessed_at",
            "accepted_at",
            "enrolled_at",
            "completed_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20), default="launch")  # csv | roster | launch
    # The agent's directorate and unit when targeted (from the population file, else the agent's):
    # the tracker groups by them without joining the agent table.
    directorate: Mapped[str | None] = mapped_column(String(50), default=None)
    unit: Mapped[str | None] = mapped_column(String(200), default=None)
    targeted_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_launch_at: Mapped[datetime | None] = mapped_column(default=None)
    assessed_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    enrolled_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The member's first and latest finished assessments counted for this campaign (kept by
    # bridge.campaigns.assessments on every finished sitting): the tracker's levels and before/after.
    first_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL"), default=None
    )
    latest_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL"), default=None
    )
