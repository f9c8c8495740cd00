"""A small known data set for the privacy tests: two agents with a full history, and what the tracker
counts from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import String, Text, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, AssessmentResponse, CompetenceResult, ScoreOutbox
from bridge.audit.models import AuditEvent
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from bridge.catalog.models import Training
from bridge.recommendations.models import Recommendation
from config.database import Base, utcnow
from lti.models import Platform
from sync.models import LmsConnection, OutboxOperation

ISSUER = "https://moodle.example.gouv.fr"
CAMILLE = {
    "sub": "moodle-user-4242",
    "external_id": "DGFIP-000123",
    "username": "cmartin",
    "email": "camille.martin@dgfip.finances.gouv.fr",
    "given_name": "Camille",
    "family_name": "Martinez",
    "display_name": "Camille Martinez",
    "lms_user_id": 4242,
    "directorate": "DGFIP",
    "unit": "SIP Lyon 3",
}


@dataclass
class DataSet:
    platform: Platform
    camille: Agent
    dominique: Agent
    campaign: Campaign


def _agent_history(session: Session, agent: Agent, campaign: Campaign, training: Training, n: int) -> None:
    now = utcnow()
    connection = session.scalars(select(LmsConnection)).one()
    session.add(
        CampaignMember(
            campaign_id=campaign.id,
            agent_id=agent.id,
            source="csv",
            first_launch_at=now - timedelta(days=20),
            assessed_at=now - timedelta(days=19),
            accepted_at=now - timedelta(days=18),
        )
    )
    assessment = Assessment(
        agent_id=agent.id,
        campaign_id=campaign.id,
        seed=n,
        status="finished",
        started_at=now - timedelta(days=19, minutes=30),
        finished_at=now - timedelta(days=19),
        platform_id=agent.platform_id,
        score_percent=55.0,
        average_level=2.5,
    )
    session.add(assessment)
    session.flush()
    for position, (item, competence, correct) in enumerate([("1.1-a", "1.1", True), ("4.1-b", "4.1", False)]):
        session.add(
            AssessmentResponse(
                assessment_id=assessment.id,
                position=position,
                item_id=item,
                competence=competence,
                answer=["a"],
                correct=correct,
            )
        )
    for competence, level in (("1.1", 3), ("4.1", 1 + n)):
        session.add(
            CompetenceResult(
                assessment_id=assessment.id,
                competence=competence,
                theta=0.1,
                se=0.5,
                level=level,
                level_low=level - 1,
                level_high=level + 1,
                pix=level * 8,
                items_answered=1,
            )
        )
    session.add(
        ScoreOutbox(
            assessment_id=assessment.id,
            platform_id=agent.platform_id,
            user_sub=agent.sub,
            score_given=55,
            score_maximum=100,
            comment=f"Résultat de {agent.display_name}",
            status="pending",
        )
    )
    recommendation = Recommendation(
        agent_id=agent.id,
        training_id=training.id,
        assessment_id=assessment.id,
        campaign_id=campaign.id,
        reason="niveau 1 en 4.1, objectif 3",
        status="enrolment_pending",
        feedback=f"{agent.given_name} : déjà suivie l'an dernier",
    )
    session.add(recommendation)
    session.flush()
    session.add(
        OutboxOperation(
            connection_id=connection.id,
            operation="enrol",
            idempotency_key=f"enrol:{connection.id}:{agent.lms_user_id}:77",
            payload={"userid": agent.lms_user_id, "courseid": 77, "username": agent.username},
            source_table="recommendation",
            source_id=recommendation.id,
            status="pending",
        )
    )
    session.add(
        AuditEvent(
            actor="admin:1",
            action="agent.update",
            target=f"agent:{agent.id}",
            details={"field": "email", "old": agent.email, "by": "admin:1"},
        )
    )


def seed(session: Session) -> DataSet:
    platform = Platform(
        issuer=ISSUER,
        client_id="pacnum",
        name="Moodle DGFIP",
        auth_login_url=f"{ISSUER}/mod/lti/auth.php",
        auth_token_url=f"{ISSUER}/mod/lti/token.php",
        key_set_url=f"{ISSUER}/mod/lti/certs.php",
    )
    session.add(platform)
    # The migrations seed the four directorates; a test that runs first on a new database finds them.
    if session.scalar(select(Directorate).where(Directorate.code == "DGFIP")) is None:
        session.add(Directorate(code="DGFIP", name="Finances publiques"))
    session.flush()
    session.add(LmsConnection(platform_id=platform.id, base_url=ISSUER, token_encrypted="x"))
    campaign = Campaign(
        code="dgfip-1", name="DGFIP vague 1", directorate_code="DGFIP", starts_on=date(2026, 1, 5)
    )
    training = Training(code="t-4-1", title="Sécurité numérique", modality="online", duration_minutes=60)
    session.add_all([campaign, training])
    session.flush()
    camille = Agent(platform_id=platform.id, **CAMILLE)
    dominique = Agent(
        platform_id=platform.id,
        sub="moodle-user-5151",
        external_id="DGFIP-000456",
        username="dpetit",
        email="dominique.petit@dgfip.finances.gouv.fr",
        given_name="Dominique",
        family_name="Petit",
        display_name="Dominique Petit",
        lms_user_id=5151,
        directorate="DGFIP",
        unit="SIP Lyon 3",
    )
    session.add_all([camille, dominique])
    session.flush()
    _agent_history(session, camille, campaign, training, 0)
    _agent_history(session, dominique, campaign, training, 1)
    session.commit()
    return DataSet(platform, camille, dominique, campaign)


def tracker_figures(session: Session) -> dict[str, Any]:
    """What the campaign tracker counts: funnel per campaign/directorate/unit, levels, statuses."""
    funnel = session.execute(
        select(
            CampaignMember.campaign_id,
            Agent.directorate,
            Agent.unit,
            func.count(),
            func.count(CampaignMember.first_launch_at),
            func.count(CampaignMember.assessed_at),
            func.count(CampaignMember.accepted_at),
            func.count(CampaignMember.enrolled_at),
            func.count(CampaignMember.completed_at),
        )
        .join(Agent, Agent.id == CampaignMember.agent_id)
        .group_by(CampaignMember.campaign_id, Agent.directorate, Agent.unit)
    ).all()
    levels = session.execute(
        select(Agent.directorate, CompetenceResult.competence, CompetenceResult.level, func.count())
        .join(Assessment, Assessment.id == CompetenceResult.assessment_id)
        .join(Agent, Agent.id == Assessment.agent_id)
        .group_by(Agent.directorate, CompetenceResult.competence, CompetenceResult.level)
    ).all()
    recommendations = session.execute(
        select(Recommendation.status, func.count()).group_by(Recommendation.status)
    ).all()
    assessments = session.execute(
        select(Assessment.status, func.count(), func.avg(Assessment.score_percent)).group_by(
            Assessment.status
        )
    ).all()
    return {
        "funnel": sorted(tuple(r) for r in funnel),
        "levels": sorted(tuple(r) for r in levels),
        "recommendations": sorted(tuple(r) for r in recommendations),
        "assessments": sorted(tuple(r) for r in assessments),
    }


def text_occurrences(session: Session, needle: str) -> list[str]:
    """Every table.column (text or JSON) of the whole schema whose value contains ``needle``."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            hits = session.scalar(
                select(func.count()).select_from(table).where(cast(column, Text).like(f"%{needle}%"))
            )
            if hits:
                found.append(f"{table.name}.{column.name}")
    return found
