"""Compute and store an agent's recommendations; list them for the agent's pages.

Recomputing is idempotent: proposals are updated in place (one row per agent and training), proposals
that no longer fit are withdrawn, and recommendations the agent decided on (accepted, declined, not
relevant, enrolled, completed...) are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bridge.assessment.models import Assessment
from bridge.campaigns.models import Campaign
from bridge.catalog.models import Training
from bridge.catalog.schema import CompetenceWindow
from bridge.recommendations import engine, reasons
from bridge.recommendations.models import Recommendation
from bridge.recommendations.profiles import profile_for
from config.database import utcnow

log = logging.getLogger(__name__)


class RecommendationError(ValueError):
    """The recommendations cannot be computed (unknown or unfinished assessment)."""


@dataclass(frozen=True)
class AgentRecommendation:
    recommendation: Recommendation
    training: Training


def training_options(session: Session) -> list[engine.TrainingOption]:
    """The active catalogue as the engine sees it."""
    stmt = select(Training).where(Training.active.is_(True)).options(selectinload(Training.competences))
    return [
        engine.TrainingOption(
            id=t.id,
            code=t.code,
            modality=t.modality,
            duration_minutes=t.duration_minutes,
            windows=tuple(
                CompetenceWindow(c.competence, c.prerequisite_level, c.goal_level, c.target_level)
                for c in t.competences
            ),
            active=t.active,
            capacity=t.capacity,
            seats_taken=t.seats_taken,
            starts_at=t.starts_at,
            registration_deadline=t.registration_deadline,
        )
        for t in session.scalars(stmt)
    ]


def modality_preference(campaign: Campaign | None, override: Sequence[str] | None = None) -> Sequence[str]:
    if override:
        return override
    configured = (campaign.settings or {}).get("modality_preference") if campaign is not None else None
    if isinstance(configured, list) and all(isinstance(m, str) for m in configured):
        return configured
    return engine.DEFAULT_MODALITY_PREFERENCE


def recommend(
    session: Session,
    agent_id: int,
    levels: Mapping[str, int],
    *,
    campaign: Campaign | None = None,
    assessment_id: int | None = None,
    profile_code: str | None = None,
    preference: Sequence[str] | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[Recommendation]:
    """Rank the catalogue for these levels and store the proposals; returns them best first."""
    now = now or utcnow()
    profile_name, targets = profile_for(campaign, profile_code)
    existing = {
        r.training_id: r
        for r in session.scalars(select(Recommendation).where(Recommendation.agent_id == agent_id))
    }
    decided = {training_id for training_id, r in existing.items() if r.status != "proposed"}
    cap = limit if limit is not None else (campaign.max_recommendations if campaign else engine.DEFAULT_LIMIT)
    proposals = engine.rank(
        levels,
        targets,
        training_options(session),
        now=now,
        exclude=decided,
        modality_preference=modality_preference(campaign, preference),
        limit=cap,
    )
    stored = []
    for rank, proposal in enumerate(proposals, start=1):
        rec = existing.get(proposal.training_id)
        if rec is None:
            rec = Recommendation(
                agent_id=agent_id, training_id=proposal.training_id, status="proposed", proposed_at=now
            )
            session.add(rec)
        data = reasons.reason_data(proposal.gaps, profile_name, proposal.score)
        rec.rank = rank
        rec.reason = reasons.render(data, "fr")
        rec.reason_data = reasons.dumps(data)
        rec.assessment_id = assessment_id
        rec.campaign_id = campaign.id if campaign is not None else None
        stored.append(rec)
    kept = {p.training_id for p in proposals}
    withdrawn = [r for tid, r in existing.items() if r.status == "proposed" and tid not in kept]
    for rec in withdrawn:
        session.delete(rec)
    session.flush()
    log.info("agent %d: %d recommendation(s), %d withdrawn", agent_id, len(stored), len(withdrawn))
    return stored


def recommend_for_assessment(
    session: Session,
    assessment_id: int,
    *,
    profile_code: str | None = None,
    preference: Sequence[str] | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[Recommendation]:
    """Recommendations from the per-competence levels of a finished assessment."""
    assessment = session.get(Assessment, assessment_id, options=[selectinload(Assessment.results)])
    if assessment is None:
        raise RecommendationError(_("évaluation %(id)d introuvable", id=assessment_id))
    if assessment.status != "finished":
        raise RecommendationError(_("l'évaluation %(id)d n'est pas terminée", id=assessment_id))
    levels = {result.competence: result.level for result in assessment.results}
    campaign = session.get(Campaign, assessment.campaign_id) if assessment.campaign_id is not None else None
    return recommend(
        session,
        assessment.agent_id,
        levels,
        campaign=campaign,
        assessment_id=assessment.id,
        profile_code=profile_code,
        preference=preference,
        limit=limit,
        now=now,
    )


STATUS_ORDER = {
    "proposed": 0,
    "accepted": 1,
    "enrolment_pending": 1,
    "waitlisted": 1,
    "enrolled": 1,
    "completed": 2,
    "declined": 3,
    "not_relevant": 3,
}


def list_for_agent(session: Session, agent_id: int) -> list[AgentRecommendation]:
    """The agent's recommendations: proposals by rank, then commitments, completed, set aside."""
    stmt = (
        select(Recommendation, Training)
        .join(Training, Training.id == Recommendation.training_id)
        .where(Recommendation.agent_id == agent_id)
    )
    rows = [AgentRecommendation(rec, training) for rec, training in session.execute(stmt)]
    rows.sort(
        key=lambda r: (STATUS_ORDER.get(r.recommendation.status, 9), r.recommendation.rank, r.training.title)
    )
    return rows
