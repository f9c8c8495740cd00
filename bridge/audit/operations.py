"""Writing to the audit log. Callers commit with their own unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.audit.models import AuditEvent


def record(session: Session, actor: str, action: str, target: str = "", **details: Any) -> AuditEvent:
    event = AuditEvent(actor=actor, action=action, target=target, details=details)
    session.add(event)
    return event


def recent(session: Session, limit: int = 100, offset: int = 0) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))
