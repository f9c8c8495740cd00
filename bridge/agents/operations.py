"""Agents: creation and update from an LTI launch.

Matching order: the platform's subject (platform + sub); else an agent imported by a campaign before
their first launch (no sub yet), matched by external id (``lis.person_sourcedid``), then e-mail, then
username. Values the launch does not carry never erase known ones (directorate and unit in particular).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.core.i18n import normalise_locale
from config.database import upsert_insert, utcnow
from lti.context import LaunchContext

log = logging.getLogger(__name__)


def _identifier(agent: Agent, name: str) -> str | None:
    value: str | None = getattr(agent, name)
    return value.lower() if value and name == "email" else value


IMPORTED_MATCH_LIMIT = 50  # more unclaimed agents sharing one identifier than this is not a match anyway


def _find(session: Session, ctx: LaunchContext) -> Agent | None:
    """The agent of this launch in one query: the one with the platform's subject; else an agent known
    before their first launch (no sub), on this platform or not tied to one, by the first identifier, in
    the order external id, e-mail, username, that matches exactly one of them (indexes on ``(platform_id,
    sub)``, ``external_id``, ``lower(email)`` and ``username``)."""
    candidates = (
        ("external_id", ctx.person_sourcedid, Agent.external_id),
        ("email", ctx.email.lower(), func.lower(Agent.email)),
        ("username", ctx.username, Agent.username),
    )
    wanted = [(name, value, column) for name, value, column in candidates if value]
    by_sub = (Agent.platform_id == ctx.platform_id) & (Agent.sub == ctx.sub)
    condition = by_sub
    if wanted:
        condition = by_sub | (
            Agent.sub.is_(None)
            & Agent.erased_at.is_(None)
            & ((Agent.platform_id == ctx.platform_id) | Agent.platform_id.is_(None))
            & or_(*(column == value for _name, value, column in wanted))
        )
    found = list(
        session.scalars(select(Agent).where(condition).order_by(Agent.id).limit(IMPORTED_MATCH_LIMIT + 1))
    )
    for agent in found:
        if agent.sub is not None:
            return agent  # the unique (platform_id, sub)
    for name, value, _column in wanted:
        matches = [agent for agent in found if _identifier(agent, name) == value]
        if len(matches) == 1:
            return matches[0]
    return None


def _fill(agent: Agent, ctx: LaunchContext) -> None:
    agent.platform_id = ctx.platform_id
    agent.sub = ctx.sub
    for attribute, value in (
        ("username", ctx.username),
        ("email", ctx.email),
        ("given_name", ctx.given_name),
        ("family_name", ctx.family_name),
        ("display_name", ctx.name or f"{ctx.given_name} {ctx.family_name}".strip()),
        ("directorate", ctx.custom.get("directorate", "").strip()[:50]),
        ("unit", ctx.custom.get("unit", "").strip()[:200]),
    ):
        if value:
            setattr(agent, attribute, value)
    if ctx.person_sourcedid and not agent.external_id:
        agent.external_id = ctx.person_sourcedid[:100]
    if ctx.product_family.lower() == "moodle" and ctx.sub.isdigit():
        agent.lms_user_id = int(ctx.sub)
    agent.locale = normalise_locale(ctx.locale) or agent.locale
    agent.last_launch_at = utcnow()


def upsert_from_launch(session: Session, ctx: LaunchContext) -> Agent:
    """The agent of this launch, created or updated (flushed; the caller commits)."""
    agent = _find(session, ctx)
    if agent is not None:
        _fill(agent, ctx)
        session.flush()
        return agent
    draft = Agent(platform_id=ctx.platform_id, sub=ctx.sub)
    _fill(draft, ctx)
    values = {
        column.key: getattr(draft, column.key)
        for column in Agent.__table__.columns
        if getattr(draft, column.key) is not None
    }
    # One statement, no savepoint: when the same person launches twice at once, the other request's
    # row wins and this one updates it.
    insert = upsert_insert(session.get_bind().dialect, Agent).values(values)
    stmt = insert.on_conflict_do_nothing(index_elements=["platform_id", "sub"]).returning(Agent)
    agent = session.scalars(stmt).first()
    if agent is None:
        agent = _find(session, ctx)
        if agent is None:
            raise RuntimeError("agent neither inserted nor found")  # the unique index guarantees one
        _fill(agent, ctx)
        session.flush()
        return agent
    log.info("agent %s created from a launch on platform %s", agent.id, ctx.platform_id)
    return agent
