"""Figures of the console home page, from simple counts on the existing tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import ScoreOutbox
from bridge.campaigns.models import Campaign
from lti.models import Deployment, Platform
from sync.models import LmsConnection, SyncRun


@dataclass(frozen=True)
class ConsoleFigures:
    platforms: int
    pending_deployments: int
    agents: int
    campaigns: int
    connections: int
    last_sync: SyncRun | None
    ags_pending: int
    ags_failed: int


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(stmt) or 0)


def console_figures(session: Session) -> ConsoleFigures:
    count = func.count()
    return ConsoleFigures(
        platforms=_count(session, select(count).select_from(Platform).where(Platform.active.is_(True))),
        pending_deployments=_count(
            session,
            select(count)
            .select_from(Deployment)
            .where(Deployment.active.is_(False), Deployment.approved_at.is_(None)),
        ),
        agents=_count(session, select(count).select_from(Agent).where(Agent.erased_at.is_(None))),
        campaigns=_count(session, select(count).select_from(Campaign).where(Campaign.active.is_(True))),
        connections=_count(
            session, select(count).select_from(LmsConnection).where(LmsConnection.active.is_(True))
        ),
        last_sync=session.scalar(select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc())),
        ags_pending=_count(
            session, select(count).select_from(ScoreOutbox).where(ScoreOutbox.status == "pending")
        ),
        ags_failed=_count(
            session, select(count).select_from(ScoreOutbox).where(ScoreOutbox.status == "failed")
        ),
    )


def active_campaigns(session: Session) -> list[Campaign]:
    stmt = select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.created_at.desc())
    return list(session.scalars(stmt))
