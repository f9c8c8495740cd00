"""What every fuzz target shares: how many examples to run, and the properties checked on each answer.

``make test`` runs ``BRIDGE_FUZZ_EXAMPLES`` examples per target (300 by default); the thorough run that the
go-live review asks for is ``HYPOTHESIS_PROFILE=thorough`` (10,000 examples per target)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.database import Base

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
EXAMPLES = int(os.environ.get("BRIDGE_FUZZ_EXAMPLES", "10000" if THOROUGH else "300"))

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Protocol bookkeeping that a refused request may legitimately touch: the audit trail of the refusal, the
# rate-limit counters, and the one-time login state (with its nonce) that a refused launch consumes (so it
# cannot be replayed). Everything else must be exactly as it was after a refusal.
BOOKKEEPING = frozenset(
    {
        "audit_event",
        "rate_limit_counter",
        "lti_launch_state",
        "lti_stored_value",
        "lti_tool_key",
    }
)
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "werkzeug.exceptions")


def row_counts(session: Session, *, exclude: frozenset[str] = BOOKKEEPING) -> dict[str, int]:
    """Rows per table, in one query."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in exclude]
    row = session.execute(
        select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    ).one()
    session.rollback()
    return {t.name: int(n) for t, n in zip(tables, row, strict=True)}


def check_answer(status: int, body: str, *, platform_errors: bool = False) -> None:
    """No 500 (502/503 only where the platform itself is unreachable), no traceback on the page."""
    allowed = {502, 503} if platform_errors else set()
    assert status < 500 or status in allowed, f"HTTP {status}: {body[:600]}"
    for marker in TRACEBACK_MARKERS:
        assert marker not in body, f"traceback text in a {status} answer: {body[:600]}"
