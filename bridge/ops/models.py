"""Rate-limit counters kept in the database when no Redis is configured.

One row per (rule, client key, limit): a fixed-window counter. The key is an HMAC of the client's
address, username or token, never the value itself. Expired rows are reused by the next hit and purged
by the retention job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counter"
    __table_args__ = (Index("ix_rate_limit_counter_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime]
