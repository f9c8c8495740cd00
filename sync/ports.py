"""What the sync jobs need from the product, as a typed Protocol the product implements.

sync/ never imports bridge/: the jobs read and change domain state (agents, recommendations, the AGS
score queue, the campaign tracker) only through a ``DomainPort`` given to them at start-up
(bridge/sync_port.py implements it). The port holds the business rules; the jobs hold the mechanics
(batching, retries, crash safety, Moodle calls).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from sync.models import LmsConnection


@dataclass(frozen=True)
class AgentRef:
    """An agent to find in Moodle. ``sub`` is set only when the agent launched from this connection's
    Moodle platform, where the LTI subject IS the Moodle user id."""

    id: int
    sub: str | None
    username: str | None
    email: str | None
    external_id: str | None


@dataclass(frozen=True)
class PairRef:
    """An open (enrolled, not completed) recommendation: one agent in one Moodle course."""

    recommendation_id: int
    agent_id: int
    lms_user_id: int
    course_id: int


@dataclass(frozen=True)
class ScoreRef:
    """One row of the AGS score retry queue, due now."""

    id: int
    platform_id: int
    lineitem_url: str | None
    lineitems_url: str | None
    resource_link_id: str | None
    user_sub: str
    score_given: float
    score_maximum: float
    comment: str
    attempts: int


@dataclass(frozen=True)
class PlatformRef:
    """An LTI platform registration an LMS connection belongs to."""

    id: int
    issuer: str
    client_id: str
    name: str


# ``find_platforms(session, issuer, client_id or None)``: the platforms registered with this issuer.
PlatformLookup = Callable[[Session, str, str | None], list[PlatformRef]]


class ScoreSendError(Exception):
    """A score could not be delivered. ``retryable`` False: retrying cannot help (e.g. line item gone)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class DomainPort(Protocol):
    """Call-backs of the sync jobs into the product. Methods never commit: the job owns the unit of work."""

    # -- match ----------------------------------------------------------------------------------------
    def unmatched_agents(
        self,
        session: Session,
        connection: LmsConnection,
        *,
        limit: int,
        after_id: int = 0,
        agent_ids: Sequence[int] | None = None,
    ) -> list[AgentRef]:
        """Agents of this connection without a Moodle user id, by increasing id (erased agents left out).

        ``agent_ids`` restricts the search to those agents (the push resolves its own rows that way).
        """
        ...

    def set_lms_user_ids(self, session: Session, matches: Mapping[int, int]) -> None:
        """Record ``{agent_id: moodle_user_id}``."""
        ...

    def agents_for_sources(
        self, session: Session, source_table: str, source_ids: Sequence[int]
    ) -> dict[int, int]:
        """``{source_id: agent_id}`` for outbox rows (a recommendation belongs to an agent)."""
        ...

    def lms_user_ids(self, session: Session, agent_ids: Iterable[int]) -> dict[int, int]:
        """``{agent_id: moodle_user_id}`` for the agents that have one."""
        ...

    # -- push call-backs -------------------------------------------------------------------------------
    def on_enrolled(
        self, session: Session, source_table: str, source_ids: Sequence[int], at: datetime
    ) -> None:
        """The LMS enrolled these sources' agents (recommendation -> enrolled, tracker dates)."""
        ...

    def on_enrolment_failed(self, session: Session, source_table: str, source_id: int, reason: str) -> None:
        """The LMS refused this enrolment for good (``reason`` is Moodle's, free of personal data)."""
        ...

    # -- pull ------------------------------------------------------------------------------------------
    def open_course_ids(self, session: Session, connection: LmsConnection) -> list[int]:
        """Moodle course ids that have at least one open pair on this connection."""
        ...

    def open_pairs(
        self,
        session: Session,
        connection: LmsConnection,
        *,
        course_id: int | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[PairRef]:
        """Open pairs (enrolled, not completed, Moodle user id known), by recommendation id > after_id."""
        ...

    def open_pairs_by_agent(
        self, session: Session, connection: LmsConnection, *, after_agent_id: int = 0, agents: int = 500
    ) -> list[PairRef]:
        """Every open pair of the next ``agents`` agents (by agent id > after_agent_id), grouped by agent."""
        ...

    def count_open_pairs(self, session: Session, connection: LmsConnection) -> tuple[int, int]:
        """``(open pairs, distinct users among them)``: what the pull strategy is chosen from."""
        ...

    def on_completed(self, session: Session, recommendation_ids: Sequence[int], at: datetime) -> None:
        """These recommendations are completed (recommendation -> completed, tracker dates)."""
        ...

    # -- tracker statistics ------------------------------------------------------------------------------
    def refresh_statistics(self, session: Session) -> int:
        """Recompute the campaign tracker's statistics tables; returns how many campaigns were refreshed."""
        ...

    # -- AGS score queue -------------------------------------------------------------------------------
    def pending_scores(
        self, session: Session, *, now: datetime, limit: int, after_id: int = 0
    ) -> list[ScoreRef]:
        """Scores due for (re)sending (``next_attempt_at <= now``), by increasing id."""
        ...

    def score_delivery_problem(self) -> str | None:
        """Why scores cannot be delivered at all (no AGS client configured), or None."""
        ...

    def send_score(self, score: ScoreRef) -> None:
        """Deliver one score to the platform's gradebook. Raises ScoreSendError. Runs outside any session."""
        ...

    def on_score_sent(self, session: Session, score_id: int, at: datetime) -> None: ...

    def on_score_failed(
        self, session: Session, score_id: int, error: str, *, next_attempt_at: datetime | None
    ) -> None:
        """Record a failed attempt; ``next_attempt_at`` None means given up (status failed)."""
        ...
