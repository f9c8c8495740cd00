"""Finding one agent for an export or an erasure, and what belongs to them across the schema."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, ScoreOutbox
from bridge.campaigns.models import CampaignMember
from bridge.recommendations.models import Recommendation
from lti.models import Platform
from sync.models import OutboxOperation


class AgentLookupError(Exception):
    """No agent, or several, match what was asked. The message says how to narrow it down."""


def find_agent(
    session: Session,
    *,
    issuer: str | None = None,
    sub: str | None = None,
    client_id: str | None = None,
    external_id: str | None = None,
) -> Agent:
    """The one agent matching (issuer [+ client_id], sub) or external_id [+ issuer]."""
    stmt = select(Agent)
    if issuer is not None:
        platforms = select(Platform.id).where(Platform.issuer.in_({issuer, issuer.rstrip("/")}))
        if client_id is not None:
            platforms = platforms.where(Platform.client_id == client_id)
        stmt = stmt.where(Agent.platform_id.in_(platforms))
    if sub is not None:
        stmt = stmt.where(Agent.sub == sub)
    if external_id is not None:
        stmt = stmt.where(Agent.external_id == external_id)
    if sub is None and external_id is None:
        raise AgentLookupError("give --sub (with --platform) or --external-id")
    found = list(session.scalars(stmt.limit(3)))
    if not found:
        raise AgentLookupError("no agent matches: check the platform issuer, the sub or the external id")
    if len(found) > 1:
        hint = "add --client-id" if sub is not None else "add --platform ISSUER"
        raise AgentLookupError(f"several agents match: {hint} to choose one")
    return found[0]


@dataclass(frozen=True)
class AgentRecords:
    """Ids of the rows that belong to one agent (used by export and erasure)."""

    assessment_ids: list[int]
    recommendation_ids: list[int]
    member_ids: list[int]

    def outbox_filter(self, agent_id: int):  # type: ignore[no-untyped-def]
        """LMS outbox rows that were queued for this agent (they point to their source row)."""
        sources = [
            ("agent", [agent_id]),
            ("recommendation", self.recommendation_ids),
            ("campaign_member", self.member_ids),
            ("assessment", self.assessment_ids),
        ]
        return or_(
            *(
                (OutboxOperation.source_table == table) & OutboxOperation.source_id.in_(ids)
                for table, ids in sources
                if ids
            )
        )


def records_of(session: Session, agent: Agent) -> AgentRecords:
    return AgentRecords(
        assessment_ids=list(session.scalars(select(Assessment.id).where(Assessment.agent_id == agent.id))),
        recommendation_ids=list(
            session.scalars(select(Recommendation.id).where(Recommendation.agent_id == agent.id))
        ),
        member_ids=list(
            session.scalars(select(CampaignMember.id).where(CampaignMember.agent_id == agent.id))
        ),
    )


def outbox_rows(session: Session, agent: Agent, records: AgentRecords) -> list[OutboxOperation]:
    return list(
        session.scalars(
            select(OutboxOperation).where(records.outbox_filter(agent.id)).order_by(OutboxOperation.id)
        )
    )


def score_rows(session: Session, records: AgentRecords) -> list[ScoreOutbox]:
    if not records.assessment_ids:
        return []
    return list(
        session.scalars(
            select(ScoreOutbox)
            .where(ScoreOutbox.assessment_id.in_(records.assessment_ids))
            .order_by(ScoreOutbox.id)
        )
    )


def audit_target(agent: Agent) -> str:
    """How audit events name an agent (ids only, never a name or an e-mail)."""
    return f"agent:{agent.id}"
