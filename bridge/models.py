"""Every mapped model, imported once so that Alembic and the app see the whole schema."""

from bridge.audit.models import AuditEvent
from config.database import Base

metadata = Base.metadata

__all__ = ["AuditEvent", "metadata"]
