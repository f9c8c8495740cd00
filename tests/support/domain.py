"""Small builders of domain rows for tests (agents, trainings, campaigns, finished assessments)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, CompetenceResult
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.catalog.models import Training, TrainingCompetence
from config.crypto import SecretBox
from sync.models import LmsConnection

_counter = itertools.count(1)
FUTURE = datetime(2099, 3, 16, 9, 30, tzinfo=UTC)


def agent(session: Session, **fields: Any) -> Agent:
    n = next(_counter)
    fields.setdefault("sub", f"sub-{n}")
    fields.setdefault("display_name", f"Agent {n}")
    row = Agent(**fields)
    session.add(row)
    session.flush()
    return row


def training(
    session: Session,
    code: str,
    competences: dict[str, tuple[int | None, int | None, int]],
    *,
    modality: str = "online",
    **fields: Any,
) -> Training:
    """competences: {"4.1": (prerequisite, goal, target)}."""
    fields.setdefault("title", f"Formation {code}")
    fields.setdefault("duration_minutes", 60)
    if modality in ("online", "blended"):
        fields.setdefault("moodle_course_id", 100 + next(_counter))
        fields.setdefault("moodle_course_shortname", code)
    if modality in ("in_person", "blended"):
        fields.setdefault("place", "IGPDE Lyon")
        fields.setdefault("starts_at", FUTURE)
        fields.setdefault("ends_at", FUTURE + timedelta(hours=7))
        fields.setdefault("capacity", 10)
        fields.setdefault("registration_deadline", FUTURE - timedelta(days=14))
    row = Training(code=code, modality=modality, seats_taken=0, **fields)
    for comp, (pre, goal, target) in competences.items():
        row.competences.append(
            TrainingCompetence(competence=comp, prerequisite_level=pre, goal_level=goal, target_level=target)
        )
    session.add(row)
    session.flush()
    return row


def campaign(session: Session, code: str = "DGFIP-1", **fields: Any) -> Campaign:
    fields.setdefault("name", f"Campagne {code}")
    row = Campaign(code=code, **fields)
    session.add(row)
    session.flush()
    return row


def member(session: Session, campaign_row: Campaign, agent_row: Agent) -> CampaignMember:
    row = CampaignMember(campaign_id=campaign_row.id, agent_id=agent_row.id)
    session.add(row)
    session.flush()
    return row


def finished_assessment(
    session: Session, agent_row: Agent, levels: dict[str, int], campaign_row: Campaign | None = None
) -> Assessment:
    row = Assessment(
        agent_id=agent_row.id,
        campaign_id=campaign_row.id if campaign_row else None,
        status="finished",
        seed=1,
        finished_at=datetime.now(UTC),
    )
    for comp, level in levels.items():
        row.results.append(
            CompetenceResult(
                competence=comp,
                theta=0.0,
                se=0.5,
                level=level,
                level_low=level,
                level_high=level,
                pix=level * 8,
            )
        )
    session.add(row)
    session.flush()
    return row


def lms_connection(
    session: Session, box: SecretBox, base_url: str = "http://127.0.0.1:9", **fields: Any
) -> LmsConnection:
    fields.setdefault("name", "Moodle DGFIP")
    row = LmsConnection(
        base_url=base_url, token_encrypted=box.encrypt(fields.pop("token", "WSTOKEN")), **fields
    )
    session.add(row)
    session.flush()
    return row
