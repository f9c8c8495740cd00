"""Who is using the admin console, and how that is kept in the cookie session.

Two kinds of principal:

- ``local``: an AdminUser who logged in at /admin/connexion. The session keeps only the account id and
  a stamp of its last password change; the account is read again on every request, so deactivating it
  or changing its password ends its sessions at once.
- ``lti``: a person launched from a registered LMS platform and handed over to the console through a
  one-time token (bridge.auth.handoff). The session keeps a small dict: agent id, platform id, role and
  the LMS context ids (courses) they teach in.

Roles: ``full`` (platform administrators and local full admins), ``read`` (instructors and local
read-only accounts: the tracker of their own contexts' campaigns), ``learner`` (anyone else: refused).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from flask import session

Kind = Literal["local", "lti"]
Role = Literal["full", "read", "learner"]
ROLES: tuple[Role, ...] = ("full", "read", "learner")
CONSOLE_ROLES: frozenset[str] = frozenset({"full", "read"})

SESSION_USER_KEY = "admin_user_id"
SESSION_STAMP_KEY = "admin_stamp"
SESSION_LTI_KEY = "admin_lti"
SESSION_SINCE_KEY = "admin_since"
_ADMIN_KEYS = (SESSION_USER_KEY, SESSION_STAMP_KEY, SESSION_LTI_KEY, SESSION_SINCE_KEY)
# Kept across the session rotation of a login: the language the person chose.
_KEPT_ON_ROTATION = ("lang",)


@dataclass(frozen=True)
class AdminPrincipal:
    kind: Kind
    display_name: str
    role: Role
    user_id: int | None = None
    agent_id: int | None = None
    platform_id: int | None = None
    lms_context_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        """The audit-log actor: ``admin:<id>`` or ``lti:<platform_id>:<agent_id>`` (never a name)."""
        if self.kind == "local":
            return f"admin:{self.user_id}"
        return f"lti:{self.platform_id}:{self.agent_id}"

    @property
    def is_full(self) -> bool:
        return self.role == "full"

    @property
    def may_enter_console(self) -> bool:
        return self.role in CONSOLE_ROLES


def rotate_session() -> None:
    """Start a fresh session (a new CSRF token, nothing left from before) keeping only the language."""
    kept = {key: session[key] for key in _KEPT_ON_ROTATION if key in session}
    session.clear()
    session.update(kept)


def start_local_session(user_id: int, stamp: str) -> None:
    rotate_session()
    session.permanent = True
    session[SESSION_USER_KEY] = user_id
    session[SESSION_STAMP_KEY] = stamp
    session[SESSION_SINCE_KEY] = int(time.time())


def start_lti_session(
    *, agent_id: int, platform_id: int, role: Role, display_name: str, context_ids: Iterable[str]
) -> None:
    rotate_session()
    session.permanent = True
    session[SESSION_LTI_KEY] = {
        "agent_id": agent_id,
        "platform_id": platform_id,
        "role": role,
        "display_name": display_name,
        "context_ids": sorted(set(context_ids)),
    }
    session[SESSION_SINCE_KEY] = int(time.time())


def end_admin_session() -> None:
    for key in _ADMIN_KEYS:
        session.pop(key, None)


def session_started_at() -> int | None:
    value = session.get(SESSION_SINCE_KEY)
    return value if isinstance(value, int) else None


def lti_principal_from(data: Any) -> AdminPrincipal | None:
    """Rebuild an LTI principal from its session dict; None when the dict is malformed."""
    if not isinstance(data, Mapping):
        return None
    agent_id, platform_id, role = data.get("agent_id"), data.get("platform_id"), data.get("role")
    contexts = data.get("context_ids", [])
    if not isinstance(agent_id, int) or not isinstance(platform_id, int) or role not in ROLES:
        return None
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        return None
    return AdminPrincipal(
        kind="lti",
        display_name=str(data.get("display_name") or ""),
        role=cast(Role, role),
        agent_id=agent_id,
        platform_id=platform_id,
        lms_context_ids=frozenset(contexts),
    )
