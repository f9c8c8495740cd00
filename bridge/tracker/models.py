"""Per-campaign statistics (competence levels, daily funnel activity), recomputed in SQL by
bridge.tracker.stats.refresh.

A campaign of 40,000 members has 640,000 competence results: aggregating them on every page view is
too slow on SQLite. One row per (campaign, directorate, unit, competence, latest level) keeps the level
distribution and the before/after sums; the dashboard sums a few hundred rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, utcnow


class CompetenceStat(Base):
    __tablename__ = "tracker_competence_stat"
    __table_args__ = (
        Index("ix_tracker_competence_stat_scope", "campaign_id", "by_unit", "unit", "directorate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    # Rows per unit (by_unit) serve the unit filter; rows per directorate (unit "") everything else.
    by_unit: Mapped[bool] = mapped_column(Boolean, default=True)
    directorate: Mapped[str] = mapped_column(String(50), default="")  # "" when unknown
    unit: Mapped[str] = mapped_column(String(200), default="")
    competence: Mapped[str] = mapped_column(String(10))
    level: Mapped[int] = mapped_column(Integer)  # level of the latest finished assessment
    agents: Mapped[int] = mapped_column(Integer)
    # Members assessed at least twice (first != latest), their level sums and how many moved.
    twice: Mapped[int] = mapped_column(Integer, default=0)
    before_sum: Mapped[int] = mapped_column(Integer, default=0)
    after_sum: Mapped[int] = mapped_column(Integer, default=0)
    improved: Mapped[int] = mapped_column(Integer, default=0)
    declined: Mapped[int] = mapped_column(Integer, default=0)


class DailyStat(Base):
    """Members who reached a funnel step on a day (UTC), per campaign and directorate: the progress
    chart sums a few thousand rows instead of bucketing every member's dates."""

    __tablename__ = "tracker_daily_stat"
    __table_args__ = (Index("ix_tracker_daily_stat_scope", "campaign_id", "directorate", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    directorate: Mapped[str] = mapped_column(String(50), default="")
    day: Mapped[date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(20))
    members: Mapped[int] = mapped_column(Integer)


class StatRefresh(Base):
    """When a campaign's statistics were last recomputed."""

    __tablename__ = "tracker_stat_refresh"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
    seconds: Mapped[float] = mapped_column(default=0.0)
