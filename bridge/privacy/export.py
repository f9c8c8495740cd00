"""Everything stored about one agent, as a JSON-ready dict (GDPR art. 15 and 20).

Rows are exported column by column (every column of the model, so a column added later is exported
too), with the campaign and training they point to named, and dates in ISO 8601 (UTC).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment
from bridge.audit.models import AuditEvent
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.catalog.models import Training
from bridge.privacy.agents import audit_target, outbox_rows, records_of, score_rows
from bridge.recommendations.models import Recommendation
from config.database import utcnow
from lti.models import Platform

FORMAT = "pacnum-bridge/agent-export/1"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row(obj: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every mapped column of ``obj`` (ORM instance) as JSON-ready values."""
    mapper = inspect(obj).mapper
    return {
        attr.key: _plain(getattr(obj, attr.key)) for attr in mapper.column_attrs if attr.key not in exclude
    }


def export_agent(session: Session, agent: Agent) -> dict[str, Any]:
    records = records_of(session, agent)
    platform = session.get(Platform, agent.platform_id) if agent.platform_id else None

    memberships = []
    for member, campaign in session.execute(
        select(CampaignMember, Campaign)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.agent_id == agent.id)
        .order_by(CampaignMember.targeted_at)
    ):
        memberships.append(
            {
                **row(member),
                "campaign": {
                    "code": campaign.code,
                    "name": campaign.name,
                    "directorate": campaign.directorate_code,
                },
            }
        )

    assessments = []
    for assessment in session.scalars(
        select(Assessment).where(Assessment.agent_id == agent.id).order_by(Assessment.started_at)
    ):
        assessments.append(
            {
                **row(assessment),
                "responses": [row(r) for r in assessment.responses],
                "results": [row(r) for r in assessment.results],
            }
        )

    recommendations = []
    for recommendation, training in session.execute(
        select(Recommendation, Training)
        .join(Training, Training.id == Recommendation.training_id)
        .where(Recommendation.agent_id == agent.id)
        .order_by(Recommendation.rank, Recommendation.id)
    ):
        recommendations.append(
            {
                **row(recommendation),
                "training": {"code": training.code, "title": training.title, "modality": training.modality},
            }
        )

    audit = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target == audit_target(agent))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "agent": {
            **row(agent),
            "platform": {"issuer": platform.issuer, "client_id": platform.client_id, "name": platform.name}
            if platform
            else None,
        },
        "campaign_memberships": memberships,
        "assessments": assessments,
        "recommendations": recommendations,
        "lms_outbox": [row(o) for o in outbox_rows(session, agent, records)],
        "gradebook_scores": [row(s) for s in score_rows(session, records)],
        "audit_events": [row(e) for e in audit],
    }
