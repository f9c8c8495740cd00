"""Agents: creation and update from an LTI launch.

Matching order: the platform's subject (platform + sub); else an agent imported by a campaign before
their first launch (no sub yet), matched by external id (``lis.person_sourcedid``), then e-mail, then
username. Values the launch does not carry never erase known ones (directorate and unit in particular).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, Update, bindparam, func, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable

from bridge.agents.models import Agent
from bridge.core.i18n import normalise_locale
from config.database import upsert_insert, utcnow
from lti.context import LaunchContext

log = logging.getLogger(__name__)


IMPORTED_MATCH_LIMIT = 50  # more unclaimed agents sharing one identifier than this is not a match anyway
IDENTIFIERS = ("external_id", "email", "username")  # the matching order of imported agents

_AGENT = cast(Table, Agent.__table__)
_agent = _AGENT.c


@dataclass(frozen=True)
class _Found:
    """What the matching reads of an agent (the launch writes the rest without loading it)."""

    id: int
    sub: str | None
    external_id: str | None
    email: str | None
    username: str | None

    def identifier(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value.lower() if value and name == "email" else value


@cache
def _match_statement(identifiers: tuple[str, ...]) -> Select[tuple[Any, ...]]:
    """The matching query for the identifiers a launch carries (built once per combination; the values
    are bound parameters)."""
    columns = {
        "external_id": _agent.external_id,
        "email": func.lower(_agent.email),
        "username": _agent.username,
    }
    by_sub = (_agent.platform_id == bindparam("platform_id")) & (_agent.sub == bindparam("sub"))
    condition = by_sub
    if identifiers:
        condition = by_sub | (
            _agent.sub.is_(None)
            & _agent.erased_at.is_(None)
            & ((_agent.platform_id == bindparam("platform_id")) | _agent.platform_id.is_(None))
            & or_(*(columns[name] == bindparam(name) for name in identifiers))
        )
    matched = (_agent.id, _agent.sub, _agent.external_id, _agent.email, _agent.username)
    return select(*matched).where(condition).order_by(_agent.id).limit(IMPORTED_MATCH_LIMIT + 1)


def _find(session: Session, ctx: LaunchContext) -> _Found | None:
    """The agent of this launch in one query: the one with the platform's subject; else an agent known
    before their first launch (no sub), on this platform or not tied to one, by the first identifier, in
    the order external id, e-mail, username, that matches exactly one of them (indexes on ``(platform_id,
    sub)``, ``external_id``, ``lower(email)`` and ``username``)."""
    carried = {"external_id": ctx.person_sourcedid, "email": ctx.email.lower(), "username": ctx.username}
    wanted = tuple(name for name in IDENTIFIERS if carried[name])
    params = {"platform_id": ctx.platform_id, "sub": ctx.sub, **{name: carried[name] for name in wanted}}
    found = [_Found(*row) for row in session.execute(_match_statement(wanted), params)]
    for agent in found:
        if agent.sub is not None:
            return agent  # the unique (platform_id, sub)
    for name in wanted:
        matches = [agent for agent in found if agent.identifier(name) == carried[name]]
        if len(matches) == 1:
            return matches[0]
    return None


def _values(ctx: LaunchContext, *, external_id: str | None) -> dict[str, Any]:
    """The columns a launch writes: its identity, and what it carries; values it does not carry never
    erase known ones."""
    values: dict[str, Any] = {"platform_id": ctx.platform_id, "sub": ctx.sub, "last_launch_at": utcnow()}
    for attribute, value in (
        ("username", ctx.username),
        ("email", ctx.email),
        ("given_name", ctx.given_name),
        ("family_name", ctx.family_name),
        ("display_name", ctx.name or f"{ctx.given_name} {ctx.family_name}".strip()),
        ("directorate", ctx.custom.get("directorate", "").strip()[:50]),
        ("unit", ctx.custom.get("unit", "").strip()[:200]),
        ("locale", normalise_locale(ctx.locale)),
    ):
        if value:
            values[attribute] = value
    if ctx.person_sourcedid and not external_id:
        values["external_id"] = ctx.person_sourcedid[:100]
    if ctx.product_family.lower() == "moodle" and ctx.sub.isdigit():
        values["lms_user_id"] = int(ctx.sub)
    return values


@cache
def _update_statement(columns: frozenset[str]) -> Update:
    values: dict[str, Any] = {name: bindparam("v_" + name) for name in sorted(columns)}
    return update(_AGENT).where(_agent.id == bindparam("agent_id")).values(values)


# Every column a first launch may set; the ones it does not carry take their defaults.
_INSERTED = (
    "platform_id",
    "sub",
    "last_launch_at",
    "username",
    "email",
    "given_name",
    "family_name",
    "display_name",
    "directorate",
    "unit",
    "locale",
    "external_id",
    "lms_user_id",
    "created_at",
)
_INSERT_DEFAULTS: dict[str, Any] = {"given_name": "", "family_name": "", "display_name": ""}


_INSERTS: dict[str, Executable] = {}


def _insert_statement(dialect: Dialect) -> Executable:
    """``INSERT ... ON CONFLICT (platform_id, sub) DO NOTHING RETURNING id``, built once per backend."""
    stmt = _INSERTS.get(dialect.name)
    if stmt is None:
        insert = upsert_insert(dialect, _AGENT).values({name: bindparam(name) for name in _INSERTED})
        stmt = insert.on_conflict_do_nothing(index_elements=["platform_id", "sub"]).returning(_agent.id)
        _INSERTS[dialect.name] = stmt
    return stmt


def _update(session: Session, found: _Found, ctx: LaunchContext) -> int:
    values = _values(ctx, external_id=found.external_id)
    params = {"agent_id": found.id, **{"v_" + name: value for name, value in values.items()}}
    session.execute(_update_statement(frozenset(values)), params)
    held = session.identity_map.get(session.identity_key(Agent, found.id))
    if held is not None:
        session.expire(held)  # an Agent object the caller already holds reads the new values
    return found.id


def upsert_from_launch(session: Session, ctx: LaunchContext) -> int:
    """The id of this launch's agent, created or updated (the caller commits). Two statements: the match,
    then the update or the insert; an Agent object the session already holds is expired (reloaded on use).
    """
    found = _find(session, ctx)
    if found is not None:
        return _update(session, found, ctx)
    # One statement, no savepoint: when the same person launches twice at once, the other request's
    # row wins and this one updates it.
    values = _values(ctx, external_id=None)
    params = {name: values.get(name, _INSERT_DEFAULTS.get(name)) for name in _INSERTED}
    params["created_at"] = values["last_launch_at"]
    agent_id = session.execute(_insert_statement(session.get_bind().dialect), params).scalar()
    if agent_id is None:
        found = _find(session, ctx)
        if found is None:
            raise RuntimeError("agent neither inserted nor found")  # the unique index guarantees one
        return _update(session, found, ctx)
    log.info("agent %s created from a launch on platform %s", agent_id, ctx.platform_id)
    return int(agent_id)
