"""Every mapped model, imported once so that Alembic and the app see the whole schema."""

from bridge.agents.models import Agent
from bridge.api.models import ApiToken
from bridge.assessment.models import (
    Assessment,
    AssessmentItem,
    AssessmentResponse,
    CompetenceResult,
    ScoreOutbox,
)
from bridge.audit.models import AuditEvent
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from bridge.catalog.models import Training, TrainingCompetence
from bridge.recommendations.models import Recommendation
from bridge.tracker.models import CompetenceStat, DailyStat, StatRefresh
from config.database import Base
from lti.models import Deployment, Platform, ToolKey
from sync.models import LmsConnection, OutboxOperation, SyncRun

metadata = Base.metadata

__all__ = [
    "Agent",
    "ApiToken",
    "Assessment",
    "AssessmentItem",
    "AssessmentResponse",
    "AuditEvent",
    "Campaign",
    "CampaignMember",
    "CompetenceResult",
    "CompetenceStat",
    "DailyStat",
    "Deployment",
    "Directorate",
    "LmsConnection",
    "OutboxOperation",
    "Platform",
    "Recommendation",
    "ScoreOutbox",
    "StatRefresh",
    "SyncRun",
    "ToolKey",
    "Training",
    "TrainingCompetence",
    "metadata",
]
