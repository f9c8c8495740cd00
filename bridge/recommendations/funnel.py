"""Campaign funnel dates (accepted, enrolled, completed): set the first time only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
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
