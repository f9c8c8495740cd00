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
from bridge.auth.models import AdminUser, ConsoleHandoffUse
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from bridge.catalog.models import Training, TrainingCompetence
from bridge.ops.models import RateLimitCounter
from bridge.recommendations.models import Recommendation
from bridge.tracker.models import CompetenceStat, DailyStat, StatRefresh
from config.database import Base
from lti.models import (
    DemoPlatformKey,
    Deployment,
    LaunchState,
    Platform,
    StoredValue,
    ToolKey,
)
from sync.models import LmsConnection, OutboxOperation, SchedulerHeartbeat, SyncLock, SyncRun

metadata = Base.metadata

__all__ = [
    "AdminUser",
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
    "ConsoleHandoffUse",
    "DailyStat",
    "DemoPlatformKey",
    "Deployment",
    "Directorate",
    "LaunchState",
    "LmsConnection",
    "OutboxOperation",
    "Platform",
    "RateLimitCounter",
    "Recommendation",
    "SchedulerHeartbeat",
    "ScoreOutbox",
    "StatRefresh",
    "StoredValue",
    "SyncLock",
    "SyncRun",
    "ToolKey",
    "Training",
    "TrainingCompetence",
    "metadata",
]
