"""The retention job: delete or pseudonymise what is past its retention period (docs/privacy.md).

Each rule finds the rows past its cutoff and handles them in chunks, one transaction per chunk, so a
run over 130,000 agents never holds a long lock and can be interrupted and started again: every rule
is idempotent (what was handled no longer matches). Periods come from the BRIDGE_RETENTION_* settings.

Other packages add their own rules with ``register`` (the LTI package's launch states and nonces,
whose table it owns), using ``delete_rule`` or their own count/apply functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, AssessmentResponse, ScoreOutbox
from bridge.audit.models import AuditEvent
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.ops.models import RateLimitCounter
from bridge.privacy.erase import erase_agent
from bridge.recommendations.models import Recommendation
from config.database import utcnow
from config.settings import Settings
from sync.models import OutboxOperation, SyncRun

Where = Callable[[datetime], ColumnElement[bool]]


@dataclass(frozen=True)
class RetentionRule:
    name: str
    label: str
    action: str  # "delete" | "pseudonymise"
    cutoff: Callable[[Settings, datetime], datetime]
    count: Callable[[Session, datetime], int]
    # Handle at most `chunk` rows past `cutoff`; returns how many were handled.
    apply: Callable[[Session, datetime, int], int]


def delete_rule(
    name: str,
    label: str,
    id_column: InstrumentedAttribute[Any],
    where: Where,
    cutoff: Callable[[Settings, datetime], datetime],
) -> RetentionRule:
    """A rule deleting the rows of ``id_column``'s table that match ``where(cutoff)``."""

    def count(session: Session, at: datetime) -> int:
        return int(session.scalar(select(func.count()).select_from(id_column.class_).where(where(at))) or 0)

    def apply(session: Session, at: datetime, chunk: int) -> int:
        ids = list(session.scalars(select(id_column).where(where(at)).limit(chunk)))
        if ids:
            session.execute(delete(id_column.class_).where(id_column.in_(ids)))
        return len(ids)

    return RetentionRule(name, label, "delete", cutoff, count, apply)


def _days(attribute: str) -> Callable[[Settings, datetime], datetime]:
    return lambda settings, now: now - timedelta(days=getattr(settings, attribute))


def _now(_settings: Settings, now: datetime) -> datetime:
    return now


def _answers_past(cutoff: datetime) -> ColumnElement[bool]:
    old = select(Assessment.id).where(func.coalesce(Assessment.finished_at, Assessment.started_at) < cutoff)
    return AssessmentResponse.assessment_id.in_(old)


def _inactive_agents(cutoff: datetime) -> ColumnElement[bool]:
    """Not erased, no launch, sitting, recommendation or running campaign since the cutoff."""
    recent_assessment = exists().where(
        Assessment.agent_id == Agent.id,
        or_(Assessment.started_at >= cutoff, Assessment.finished_at >= cutoff),
    )
    recent_recommendation = exists().where(
        Recommendation.agent_id == Agent.id,
        or_(
            Recommendation.proposed_at >= cutoff,
            Recommendation.decided_at >= cutoff,
            Recommendation.enrolled_at >= cutoff,
            Recommendation.completed_at >= cutoff,
        ),
    )
    live_campaign = exists().where(
        CampaignMember.agent_id == Agent.id,
        Campaign.id == CampaignMember.campaign_id,
        or_(
            and_(Campaign.ends_on.is_(None), Campaign.active.is_(True)),
            Campaign.ends_on >= cutoff.date(),
            CampaignMember.completed_at >= cutoff,
        ),
    )
    return and_(
        Agent.erased_at.is_(None),
        func.coalesce(Agent.last_launch_at, Agent.created_at) < cutoff,
        ~recent_assessment,
        ~recent_recommendation,
        ~live_campaign,
    )


def _count_inactive(session: Session, cutoff: datetime) -> int:
    return int(session.scalar(select(func.count()).select_from(Agent).where(_inactive_agents(cutoff))) or 0)


def _pseudonymise_inactive(session: Session, cutoff: datetime, chunk: int) -> int:
    agents = list(
        session.scalars(select(Agent).where(_inactive_agents(cutoff)).order_by(Agent.id).limit(chunk))
    )
    for agent in agents:
        erase_agent(session, agent)
    return len(agents)


BUILTIN_RULES: tuple[RetentionRule, ...] = (
    delete_rule(
        "rate_limit_counters",
        "expired rate-limit counters",
        RateLimitCounter.key,
        lambda at: RateLimitCounter.expires_at < at,
        _now,
    ),
    delete_rule(
        "audit_events",
        "audit events",
        AuditEvent.id,
        lambda at: AuditEvent.at < at,
        _days("retention_days_audit"),
    ),
    delete_rule(
        "assessment_answers",
        "answers of assessments (results are kept)",
        AssessmentResponse.id,
        _answers_past,
        _days("retention_days_answers"),
    ),
    delete_rule(
        "lms_outbox",
        "finished LMS operations (done, skipped, failed)",
        OutboxOperation.id,
        lambda at: and_(
            OutboxOperation.status.in_(("done", "skipped", "failed")), OutboxOperation.updated_at < at
        ),
        _days("retention_days_outbox"),
    ),
    delete_rule(
        "ags_score_outbox",
        "finished gradebook scores (sent, failed, cancelled)",
        ScoreOutbox.id,
        lambda at: and_(
            ScoreOutbox.status.in_(("sent", "failed", "cancelled")),
            func.coalesce(ScoreOutbox.sent_at, ScoreOutbox.created_at) < at,
        ),
        _days("retention_days_outbox"),
    ),
    delete_rule(
        "sync_runs",
        "sync run history",
        SyncRun.id,
        lambda at: and_(SyncRun.status != "running", SyncRun.started_at < at),
        _days("retention_days_sync_runs"),
    ),
    RetentionRule(
        "inactive_agents",
        "inactive agents (identity pseudonymised)",
        "pseudonymise",
        _days("retention_days_inactive_agents"),
        _count_inactive,
        _pseudonymise_inactive,
    ),
)

_extra_rules: list[RetentionRule] = []


def register(rule: RetentionRule) -> None:
    """Add a rule owned by another package (e.g. the LTI launch states). Idempotent by name."""
    if all(existing.name != rule.name for existing in (*BUILTIN_RULES, *_extra_rules)):
        _extra_rules.append(rule)


def rules() -> tuple[RetentionRule, ...]:
    return (*BUILTIN_RULES, *_extra_rules)


def hours_setting(attribute: str) -> Callable[[Settings, datetime], datetime]:
    """Cutoff ``now - settings.<attribute>`` hours, for rules like the launch states'."""
    return lambda settings, now: now - timedelta(hours=getattr(settings, attribute))


@dataclass
class RuleRun:
    rule: RetentionRule
    cutoff: datetime
    found: int
    handled: int = 0


def plan(session: Session, settings: Settings, now: datetime | None = None) -> list[RuleRun]:
    """What each rule would handle now (nothing is changed)."""
    now = now or utcnow()
    runs = []
    for rule in rules():
        cutoff = rule.cutoff(settings, now)
        runs.append(RuleRun(rule, cutoff, rule.count(session, cutoff)))
    return runs


def execute(
    session_factory: Callable[[], Any],
    run: RuleRun,
    *,
    chunk: int = 1000,
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Apply one rule chunk by chunk, each chunk in its own transaction (``session_factory()`` is a
    context manager that commits, such as ``Database.session_scope``)."""
    while True:
        with session_factory() as session:
            handled = run.rule.apply(session, run.cutoff, chunk)
        run.handled += handled
        progress(handled)
        if handled < chunk:
            return run.handled
