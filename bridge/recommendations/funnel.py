"""Campaign funnel dates (accepted, enrolled, completed): set the first time only."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from bridge.campaigns.models import CampaignMember
from bridge.recommendations.models import Recommendation

FUNNEL_COLUMNS = {
    "accepted_at": CampaignMember.accepted_at,
    "enrolled_at": CampaignMember.enrolled_at,
    "completed_at": CampaignMember.completed_at,
}


def touch(session: Session, recommendation: Recommendation, step: str, at: datetime) -> None:
    """Date ``step`` on the membership of the recommendation's campaign (all the agent's memberships when
    the recommendation has no campaign), unless it is already dated."""
    column = FUNNEL_COLUMNS[step]
    stmt = update(CampaignMember).where(CampaignMember.agent_id == recommendation.agent_id, column.is_(None))
    if recommendation.campaign_id is not None:
        stmt = stmt.where(CampaignMember.campaign_id == recommendation.campaign_id)
    session.execute(stmt.values({step: at}).execution_options(synchronize_session=False))
    for member in list(session.identity_map.values()):
        if isinstance(member, CampaignMember) and member.agent_id == recommendation.agent_id:
            session.expire(member, [step])


def touch_many(session: Session, recommendation_ids: Collection[int], step: str, at: datetime) -> None:
    """``touch`` for many recommendations in one statement (the sync jobs handle thousands at once)."""
    if not recommendation_ids:
        return
    column = FUNNEL_COLUMNS[step]
    rec = Recommendation.__table__.alias("rec")
    matching = exists(
        select(rec.c.id).where(
            rec.c.id.in_(recommendation_ids),
            rec.c.agent_id == CampaignMember.agent_id,
            or_(rec.c.campaign_id == CampaignMember.campaign_id, rec.c.campaign_id.is_(None)),
        )
    )
    stmt = update(CampaignMember).where(column.is_(None), matching).values({step: at})
    session.execute(stmt.execution_options(synchronize_session=False))
    for member in list(session.identity_map.values()):
        if isinstance(member, CampaignMember):
            session.expire(member, [step])
