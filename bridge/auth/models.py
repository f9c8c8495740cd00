"""Local admin accounts and the one-time console hand-off tokens already used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, utcnow

ROLE_FULL = "full"
ROLE_READ = "read"
ADMIN_ROLES = (ROLE_FULL, ROLE_READ)


class AdminUser(Base):
    """An account of the admin console, created with `flask --app wsgi bridge admin create`.

    ``password_hash`` is an argon2id hash. ``failed_attempts`` counts failed logins in a row; reaching the
    configured threshold sets ``locked_until``. ``password_changed_at`` is stamped into the session, so
    changing the password ends every session opened before.
    """

    __tablename__ = "admin_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(10), default=ROLE_FULL)  # full | read
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def actor(self) -> str:
        """How this account appears in the audit log (an id, never a name)."""
        return f"admin:{self.id}"

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class ConsoleHandoffUse(Base):
    """A console hand-off token (by its jti) that was already exchanged: a second use is a replay.

    Rows are only needed while the token could still be valid; expired ones are purged on each use.
    """

    __tablename__ = "admin_handoff_use"
    __table_args__ = (Index("ix_admin_handoff_use_expires_at", "expires_at"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
