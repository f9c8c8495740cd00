"""Every mapped model, imported once so that Alembic and the app see the whole schema."""

from bridge.agents.models import Agent
from bridge.audit.models import AuditEvent
from config.database import Base
from lti.models import Deployment, Platform, ToolKey

metadata = Base.metadata

__all__ = ["Agent", "AuditEvent", "Deployment", "Platform", "ToolKey", "metadata"]
