"""Local admin accounts: create, change password, unlock, (de)activate, and the login check.

Shared by the CLI (`flask --app wsgi bridge admin ...`) and the console pages. Every change writes an
audit event; callers commit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.audit.operations import record
from bridge.auth.models import ADMIN_ROLES, ROLE_FULL, AdminUser
from bridge.auth.passwords import (
    PasswordProblem,
    burn_verification,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from config.database import utcnow

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
DISPLAY_NAME_MAX = 200
LoginReason = Literal["ok", "unknown_user", "bad_password", "locked", "inactive"]


class AdminAccountError(Exception):
    """A refused account change. ``code`` names the rule; views and the CLI word the message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class LoginOutcome:
    reason: LoginReason
    user: AdminUser | None = None
    locked_now: bool = False

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def normalise_username(raw: str) -> str:
    return raw.strip().lower()


def find_admin(session: Session, username: str) -> AdminUser | None:
    return session.scalar(select(AdminUser).where(AdminUser.username == normalise_username(username)))


def list_admins(session: Session) -> list[AdminUser]:
    return list(session.scalars(select(AdminUser).order_by(AdminUser.username)))


def _check_password(password: str, username: str) -> None:
    problems: list[PasswordProblem] = password_problems(password, username)
    if problems:
        raise AdminAccountError("password_weak", problems=problems)


def create_admin(
    session: Session, *, username: str, password: str, role: str, display_name: str, actor: str
) -> AdminUser:
    username = normalise_username(username)
    if not USERNAME_RE.fullmatch(username):
        raise AdminAccountError("username_invalid", username=username)
    if role not in ADMIN_ROLES:
        raise AdminAccountError("role_invalid", role=role)
    display_name = display_name.strip()
    if len(display_name) > DISPLAY_NAME_MAX:
        raise AdminAccountError("display_name_too_long", maximum=DISPLAY_NAME_MAX)
    if find_admin(session, username) is not None:
        raise AdminAccountError("username_taken", username=username)
    _check_password(password, username)
    user = AdminUser(
        username=username, password_hash=hash_password(password), display_name=display_name, role=role
    )
    session.add(user)
    session.flush()
    record(session, actor, "admin.create", user.actor, role=role)
    return user


def set_password(session: Session, user: AdminUser, password: str, *, actor: str) -> None:
    """Change the password; every session opened with the old one ends, and the lockout is lifted."""
    _check_password(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_attempts = 0
    user.locked_until = None
    record(session, actor, "admin.set_password", user.actor)


def unlock(session: Session, user: AdminUser, *, actor: str) -> None:
    user.failed_attempts = 0
    user.locked_until = None
    record(session, actor, "admin.unlock", user.actor)


def deactivate(session: Session, user: AdminUser, *, actor: str) -> None:
    """Deactivate an account. Refused for one's own account and for the last active full admin."""
    if actor == user.actor:
        raise AdminAccountError("self_deactivation")
    if user.active and user.role == ROLE_FULL and _active_full_admins(session) <= 1:
        raise AdminAccountError("last_full_admin")
    user.active = False
    record(session, actor, "admin.deactivate", user.actor)


def activate(session: Session, user: AdminUser, *, actor: str) -> None:
    user.active = True
    user.failed_attempts = 0
    user.locked_until = None
    record(session, actor, "admin.activate", user.actor)


def _active_full_admins(session: Session) -> int:
    stmt = select(func.count()).where(AdminUser.active.is_(True), AdminUser.role == ROLE_FULL)
    return session.scalar(stmt) or 0


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    threshold: int,
    lock_minutes: int,
    ip: str = "",
    now: datetime | None = None,
) -> LoginOutcome:
    """Check a login and write its audit events. The caller shows one message for every refusal.

    A password is verified (or a dummy one, for unknown usernames) in every case, so the answer takes
    the same time whatever the reason. Failed attempts in a row count up atomically in SQL; reaching
    ``threshold`` locks the account for ``lock_minutes``. A locked account refuses even the right
    password until the delay is over; attempts during the lock do not extend it.
    """
    now = now or utcnow()
    user = find_admin(session, username)
    if user is None:
        burn_verification(password)
        record(session, "anonymous", "admin.login_failed", "", reason="unknown_user", ip=ip)
        return LoginOutcome("unknown_user")
    password_ok = verify_password(user.password_hash, password)
    if not user.active:
        record(session, "anonymous", "admin.login_failed", user.actor, reason="inactive", ip=ip)
        return LoginOutcome("inactive", user)
    if user.is_locked(now):
        record(session, "anonymous", "admin.login_failed", user.actor, reason="locked", ip=ip)
        return LoginOutcome("locked", user)
    if user.locked_until is not None:  # the lock is over: a fresh count starts
        user.locked_until = None
        user.failed_attempts = 0
        session.flush()  # before the SQL increment below, which reads the stored count
    if not password_ok:
        return _failed(session, user, threshold, lock_minutes, ip, now)
    user.failed_attempts = 0
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(session, user.actor, "admin.login", user.actor, ip=ip)
    return LoginOutcome("ok", user)


def _failed(
    session: Session, user: AdminUser, threshold: int, lock_minutes: int, ip: str, now: datetime
) -> LoginOutcome:
    user.failed_attempts = AdminUser.failed_attempts + 1
    session.flush()
    session.refresh(user, ["failed_attempts"])
    record(
        session, "anonymous", "admin.login_failed", user.actor, reason="bad_password", ip=ip,
        attempts=user.failed_attempts,
    )  # fmt: skip
    if user.failed_attempts < threshold:
        return LoginOutcome("bad_password", user)
    user.locked_until = now + timedelta(minutes=lock_minutes)
    record(
        session, "system", "admin.lockout", user.actor, attempts=user.failed_attempts,
        locked_until=user.locked_until.isoformat(),
    )  # fmt: skip
    log.warning("admin account %s locked after %d failed logins", user.id, user.failed_attempts)
    return LoginOutcome("bad_password", user, locked_now=True)
