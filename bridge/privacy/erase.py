"""Erasing one agent's identity (GDPR art. 17) while keeping the pseudonymous facts.

What goes: names, e-mail, username, external id, Moodle user id; the LTI ``sub`` becomes a random
pseudonym (unlinkable: it is not derived from the old value); free-text feedback; the LMS outbox
payloads queued for them (Moodle ids) and their idempotency keys; the user id and comment of their
gradebook scores. Pending LMS operations and gradebook scores are cancelled (they could no longer
reach the right person).

What stays: the agent row (id, directorate, unit, dates), campaign memberships and funnel dates,
assessments with answers and results, recommendations and their statuses. The tracker's funnel and
level aggregates are therefore unchanged. Should the person launch the tool again, a new record starts.

Used by ``flask --app wsgi bridge agent erase`` and by the retention job (inactive agents). Idempotent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.audit.models import AuditEvent
from bridge.privacy.agents import audit_target, outbox_rows, records_of, score_rows
from bridge.recommendations.models import Recommendation
from config.database import utcnow

PSEUDONYM_PREFIX = "erased-"
ERASED_NOTE = "agent erased"


@dataclass(frozen=True)
class ErasureSummary:
    agent_id: int
    already_erased: bool
    feedback_removed: int = 0
    outbox_neutralised: int = 0
    scores_neutralised: int = 0

    def describe(self) -> str:
        if self.already_erased:
            return f"agent {self.agent_id} was already erased: nothing to do"
        return (
            f"agent {self.agent_id} erased: identity replaced by a pseudonym, "
            f"{self.feedback_removed} feedback text(s) removed, {self.outbox_neutralised} LMS operation(s) "
            f"and {self.scores_neutralised} gradebook score(s) neutralised"
        )


def _identity(agent: Agent) -> set[str]:
    values = (
        agent.sub,
        agent.external_id,
        agent.username,
        agent.email,
        agent.given_name,
        agent.family_name,
        agent.display_name,
    )
    return {v for v in values if v and len(v) >= 3}  # a 1-2 character value would match anything


def _scrub(value: Any, identity: set[str]) -> Any:
    """Drop every string of ``value`` (JSON) that contains one of the erased identifiers."""
    if isinstance(value, dict):
        return {k: _scrub(v, identity) for k, v in value.items() if not _mentions(v, identity)}
    if isinstance(value, list):
        return [_scrub(v, identity) for v in value if not _mentions(v, identity)]
    return value


def _mentions(value: Any, identity: set[str]) -> bool:
    return isinstance(value, str) and any(i in value for i in identity)


def erase_agent(session: Session, agent: Agent, *, now: datetime | None = None) -> ErasureSummary:
    """Erase the agent's identity in this session (the caller commits)."""
    if agent.erased_at is not None:
        return ErasureSummary(agent.id, already_erased=True)
    now = now or utcnow()
    identity = _identity(agent)
    records = records_of(session, agent)
    pseudonym = PSEUDONYM_PREFIX + secrets.token_hex(12)

    commented = session.scalars(
        select(Recommendation).where(
            Recommendation.agent_id == agent.id, Recommendation.feedback.is_not(None)
        )
    ).all()
    for recommendation in commented:
        recommendation.feedback = None

    outbox = outbox_rows(session, agent, records)
    for row in outbox:
        row.payload = {"erased": True}
        row.idempotency_key = f"erased:{row.id}"
        if row.status in ("pending", "sending", "failed"):
            row.status = "skipped"
            row.last_error = ERASED_NOTE
        elif row.last_error and _mentions(row.last_error, identity):
            row.last_error = ERASED_NOTE

    scores = score_rows(session, records)
    for score in scores:
        score.user_sub = pseudonym
        score.comment = ""
        score.details = {}
        if score.status in ("pending", "failed"):
            score.status = "cancelled"
            score.last_error = ERASED_NOTE

    for event in session.scalars(select(AuditEvent).where(AuditEvent.target == audit_target(agent))):
        event.details = _scrub(event.details, identity)

    agent.sub = pseudonym
    agent.external_id = None
    agent.username = None
    agent.email = None
    agent.given_name = ""
    agent.family_name = ""
    agent.display_name = ""
    agent.lms_user_id = None
    agent.erased_at = now
    session.flush()
    return ErasureSummary(
        agent.id,
        already_erased=False,
        feedback_removed=len(commented),
        outbox_neutralised=len(outbox),
        scores_neutralised=len(scores),
    )
