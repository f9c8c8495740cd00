"""Every mapped model, imported once so that Alembic and the app see the whole schema."""

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, AssessmentResponse, CompetenceResult, ScoreOutbox
from bridge.audit.models import AuditEvent
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from bridge.catalog.models import Training, TrainingCompetence
from bridge.recommendations.models import Recommendation
from config.database import Base
from lti.models import Deployment, Platform, ToolKey
from sync.models import LmsConnection, OutboxOperation, SchedulerHeartbeat, SyncLock, SyncRun

metadata = Base.metadata

__all__ = [
    "Agent",
    "Assessment",
    "AssessmentResponse",
    "AuditEvent",
    "Campaign",
    "CampaignMember",
    "CompetenceResult",
    "Deployment",
    "Directorate",
    "LmsConnection",
    "OutboxOperation",
    "Platform",
    "Recommendation",
    "SchedulerHeartbeat",
    "ScoreOutbox",
    "SyncLock",
    "SyncRun",
    "ToolKey",
    "Training",
    "TrainingCompetence",
    "metadata",
]
