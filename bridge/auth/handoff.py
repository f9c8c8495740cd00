"""One-time hand-off from an LTI launch (inside the LMS iframe) to the console (a new, first-party window).

Inside a Moodle iframe the browser may block the tool's cookies, so the console cannot rely on the
launch session. The staff page signs a short-lived token naming the person and their role, opens
``/admin/entree?jeton=<token>`` in a new window, and that endpoint exchanges the token for a console
session. The token is signed with the app's secret key (salt ``pacnum-console``), lives 120 seconds and
works once: its ``jti`` is recorded when used.

Usage in a view of a launched staff member::

    role = console_role_for(launch.roles)  # None for learners: show no console link
    token = make_console_handoff(agent.id, role, platform.id, [context_id])
    url = url_for("admin_auth.enter", jeton=token, _external=True)
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.auth.models import ConsoleHandoffUse
from lti.models import Platform

SALT = "pacnum-console"
MAX_AGE_SECONDS = 120
HANDOFF_ROLES = ("full", "read")
RefusalReason = Literal["expired", "invalid", "replayed", "platform_inactive", "unknown_agent"]


LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
ADMINISTRATOR_ROLES = frozenset(
    {
        LIS + "institution/person#Administrator",
        LIS + "system/person#Administrator",
        LIS + "system/person#SysAdmin",
        LIS + "membership#Administrator",
    }
)
INSTRUCTOR_ROLES = frozenset({LIS + "membership#Instructor", LIS + "membership#ContentDeveloper"})


def console_role_for(lti_roles: Iterable[str]) -> Literal["full", "read"] | None:
    """The console role of a launch: ``full`` for administrators, ``read`` for instructors (and their
    sub-roles such as teaching assistants), None for everyone else."""
    roles = set(lti_roles)
    if roles & ADMINISTRATOR_ROLES:
        return "full"
    if roles & INSTRUCTOR_ROLES or any(r.startswith(LIS + "membership/Instructor#") for r in roles):
        return "read"
    return None


class HandoffRefused(Exception):
    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(reason)
        self.reason: RefusalReason = reason


@dataclass(frozen=True)
class ConsoleHandoff:
    jti: str
    agent_id: int
    role: Literal["full", "read"]
    platform_id: int
    context_ids: frozenset[str]
    issued_at: datetime
    display_name: str


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer with an injectable clock (tests move time, not code)."""

    def __init__(self, *args: Any, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


def _serializer(clock: Callable[[], float] | None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=SALT,
        signer=_ClockSigner,
        signer_kwargs={"clock": clock or time.time},
    )


def make_console_handoff(
    agent_id: int,
    role: str,
    platform_id: int,
    context_ids: Iterable[str],
    *,
    clock: Callable[[], float] | None = None,
) -> str:
    """A signed, single-use token opening the console for a launched staff member (valid 120 s).

    ``role``: ``"full"`` for the platform's administrators, ``"read"`` for instructors (the tracker of
    the campaigns of ``context_ids``, the LMS contexts -- courses -- they teach in). Needs an app context.
    """
    if role not in HANDOFF_ROLES:
        raise ValueError(f"role must be one of {HANDOFF_ROLES}, not {role!r}")
    payload = {
        "jti": secrets.token_urlsafe(18),
        "agent_id": int(agent_id),
        "role": role,
        "platform_id": int(platform_id),
        "context_ids": sorted({str(c) for c in context_ids}),
    }
    token: str = _serializer(clock).dumps(payload)
    return token


def redeem_console_handoff(
    session: Session, token: str, *, clock: Callable[[], float] | None = None
) -> ConsoleHandoff:
    """Check a hand-off token and mark it used. Raises HandoffRefused; on "replayed" the session is
    rolled back (the caller may write its audit event and commit afterwards)."""
    try:
        data, signed_at = _serializer(clock).loads(token, max_age=MAX_AGE_SECONDS, return_timestamp=True)
    except SignatureExpired:
        raise HandoffRefused("expired") from None
    except BadData:
        raise HandoffRefused("invalid") from None
    handoff = _parse(data, signed_at)
    platform = session.get(Platform, handoff.platform_id)
    if platform is None or not platform.active:
        raise HandoffRefused("platform_inactive")
    agent = session.get(Agent, handoff.agent_id)
    if agent is None or agent.erased_at is not None or agent.platform_id != handoff.platform_id:
        raise HandoffRefused("unknown_agent")
    _mark_used(session, handoff)
    display_name = agent.display_name or f"{agent.given_name} {agent.family_name}".strip()
    return replace(handoff, display_name=display_name)


def _parse(data: Any, signed_at: datetime) -> ConsoleHandoff:
    if not isinstance(data, Mapping):
        raise HandoffRefused("invalid")
    jti, agent_id, role = data.get("jti"), data.get("agent_id"), data.get("role")
    platform_id, contexts = data.get("platform_id"), data.get("context_ids")
    valid = (
        isinstance(jti, str)
        and 0 < len(jti) <= 64
        and isinstance(agent_id, int)
        and isinstance(platform_id, int)
        and role in HANDOFF_ROLES
        and isinstance(contexts, list)
        and all(isinstance(c, str) for c in contexts)
    )
    if not valid:
        raise HandoffRefused("invalid")
    return ConsoleHandoff(
        jti=cast(str, jti),
        agent_id=cast(int, agent_id),
        role=cast(Literal["full", "read"], role),
        platform_id=cast(int, platform_id),
        context_ids=frozenset(cast(list[str], contexts)),
        issued_at=signed_at.astimezone(UTC),
        display_name="",
    )


def _mark_used(session: Session, handoff: ConsoleHandoff) -> None:
    now = datetime.now(UTC)
    session.execute(delete(ConsoleHandoffUse).where(ConsoleHandoffUse.expires_at < now))
    if session.scalar(select(ConsoleHandoffUse.jti).where(ConsoleHandoffUse.jti == handoff.jti)):
        raise HandoffRefused("replayed")
    expires_at = handoff.issued_at + timedelta(seconds=MAX_AGE_SECONDS + 60)
    session.add(ConsoleHandoffUse(jti=handoff.jti, used_at=now, expires_at=expires_at))
    try:
        session.flush()
    except IntegrityError:  # the same token redeemed at the same instant by another request
        session.rollback()
        raise HandoffRefused("replayed") from None
