"""Every mapped model, imported once so that Alembic and the app see the whole schema."""

from bridge.agents.models import Agent
from bridge.audit.models import AuditEvent
from config.database import Base
from lti.models import Deployment, Platform, ToolKey
from sync.models import LmsConnection, OutboxOperation, SyncRun

metadata = Base.metadata

__all__ = [
    "Agent",
    "AuditEvent",
    "Deployment",
    "LmsConnection",
    "OutboxOperation",
    "Platform",
    "SyncRun",
    "ToolKey",
    "metadata",
]
