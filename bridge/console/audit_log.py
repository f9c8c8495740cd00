"""Reading the audit log for the console: filters, newest first, pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from bridge.audit.models import AuditEvent
from bridge.auth.models import AdminUser

PER_PAGE = 50


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filters(action: str, actor: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if action:
        conditions.append(AuditEvent.action == action)
    if actor:
        # "lti:3" finds every person launched from platform 3; "admin:7" only account 7.
        conditions.append(
            or_(AuditEvent.actor == actor, AuditEvent.actor.startswith(actor + ":", autoescape=True))
        )
    return conditions


def search_events(
    session: Session, *, action: str = "", actor: str = "", page: int = 1, per_page: int = PER_PAGE
) -> AuditPage:
    conditions = _filters(action.strip(), actor.strip())
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    page = max(1, page)
    stmt = (
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return AuditPage(list(session.scalars(stmt)), total, page, per_page)


def known_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def admin_usernames(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """``admin:<id>`` -> username, for the local accounts named as actor or target on this page."""
    ids: set[int] = set()
    for event in events:
        for value in (event.actor, event.target):
            prefix, _, rest = value.partition(":")
            if prefix == "admin" and rest.isdigit():
                ids.add(int(rest))
    if not ids:
        return {}
    rows = session.execute(select(AdminUser.id, AdminUser.username).where(AdminUser.id.in_(ids)))
    return {f"admin:{user_id}": username for user_id, username in rows}
