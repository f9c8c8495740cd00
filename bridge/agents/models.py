"""Agent: one person on one platform (platform + LTI ``sub`` is unique).

Only what the programme needs is kept: names for the agent's own pages, the LMS identifiers needed to
enrol them (Moodle user id, username, idnumber, e-mail), and directorate/unit for the tracker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base, utcnow


class Agent(Base):
    __tablename__ = "agent"
    __table_args__ = (
        UniqueConstraint("platform_id", "sub"),
        Index("ix_agent_directorate_unit", "directorate", "unit"),
        Index("ix_agent_external_id", "external_id"),
        Index("ix_agent_email", "email"),
        Index("ix_agent_email_lower", func.lower(text("email"))),  # launches match e-mails case-blind
        Index("ix_agent_username", "username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("lti_platform.id", ondelete="SET NULL"))
    # LTI subject. For agents imported before their first launch (campaign population) it is None
    # until they launch and get matched by external id / e-mail / username.
    sub: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(100))  # ministry id / Moodle idnumber
    username: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(400), default="")
    lms_user_id: Mapped[int | None] = mapped_column(default=None)  # Moodle user id when known
    directorate: Mapped[str | None] = mapped_column(String(50))
    unit: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when the agent was erased (GDPR): the row stays for aggregates, identity is gone.
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
