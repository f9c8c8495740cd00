"""The product's side of the sync jobs: sync.ports.DomainPort implemented on the domain tables.

The jobs (sync/) never import bridge/; the app factory gives them this port. Every method works in bulk
(a job hands over up to a thousand ids at once) and never commits: the job owns the unit of work.

NOTE for the merge: the recommendation call-backs (``on_enrolled``, ``on_enrolment_failed``,
``on_completed``) change the recommendation and the campaign tracker here, in a few lines, because
bridge/recommendations/operations.py (``mark_enrolled``, ``mark_enrolment_failed``, ``mark_completed``)
is not on main yet. They must move there when it lands, and this port then calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.gradebook import ScoreSender
from bridge.assessment.models import ScoreOutbox
from bridge.audit import operations as audit
from bridge.catalog.models import Training
from bridge.recommendations import enrolment
from bridge.recommendations.models import Recommendation
from bridge.tracker import stats
from config.database import Database
from config.settings import Settings
from lti.models import Platform
from sync.models import LmsConnection
from sync.ports import AgentRef, PairRef, PlatformRef, ScoreRef, ScoreSendError
from sync.services import SyncServices

RECOMMENDATION = "recommendation"
NO_SYNC = {"synchronize_session": False}  # bulk updates: no ORM objects of these tables are loaded


def _open(connection: LmsConnection) -> ColumnElement[bool]:
    """Open pairs of a connection: enrolled (not completed), Moodle user and course known."""
    return and_(
        Recommendation.status == "enrolled",
        Training.lms_connection_id == connection.id,
        Training.moodle_course_id.is_not(None),
        Agent.lms_user_id.is_not(None),
    )


def _pairs_query() -> Select[int, int, int | None, int | None]:
    return (
        select(Recommendation.id, Recommendation.agent_id, Agent.lms_user_id, Training.moodle_course_id)
        .join(Agent, Agent.id == Recommendation.agent_id)
        .join(Training, Training.id == Recommendation.training_id)
    )


def _pair(rec_id: int, agent_id: int, user_id: int | None, course_id: int | None) -> PairRef:
    assert user_id is not None  # filtered by _open
    assert course_id is not None
    return PairRef(rec_id, agent_id, user_id, course_id)


class BridgeSyncPort:
    """DomainPort on the bridge's tables. ``score_sender`` delivers one AGS score (the LTI AGS client)."""

    def __init__(self, score_sender: ScoreSender | None = None) -> None:
        self._score_sender = score_sender

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
        stmt = select(Agent).where(
            Agent.lms_user_id.is_(None), Agent.erased_at.is_(None), Agent.id > after_id
        )
        if agent_ids is not None:
            stmt = stmt.where(Agent.id.in_(agent_ids))
        else:
            on_connection = exists().where(
                Recommendation.agent_id == Agent.id,
                Recommendation.training_id == Training.id,
                Training.lms_connection_id == connection.id,
            )
            mine = Agent.platform_id == connection.platform_id if connection.platform_id is not None else None
            stmt = stmt.where(or_(mine, on_connection) if mine is not None else on_connection)
        agents = session.scalars(stmt.order_by(Agent.id).limit(limit))
        same_platform = connection.platform_id
        return [
            AgentRef(
                a.id,
                a.sub if same_platform is not None and a.platform_id == same_platform else None,
                a.username,
                a.email,
                a.external_id,
            )
            for a in agents
        ]

    def set_lms_user_ids(self, session: Session, matches: Mapping[int, int]) -> None:
        if matches:
            session.execute(update(Agent), [{"id": a, "lms_user_id": m} for a, m in matches.items()])

    def agents_for_sources(
        self, session: Session, source_table: str, source_ids: Sequence[int]
    ) -> dict[int, int]:
        if source_table != RECOMMENDATION or not source_ids:
            return {}
        rows = session.execute(
            select(Recommendation.id, Recommendation.agent_id).where(Recommendation.id.in_(source_ids))
        )
        return {row[0]: row[1] for row in rows}

    def lms_user_ids(self, session: Session, agent_ids: Iterable[int]) -> dict[int, int]:
        ids = list(agent_ids)
        if not ids:
            return {}
        rows = session.execute(
            select(Agent.id, Agent.lms_user_id).where(Agent.id.in_(ids), Agent.lms_user_id.is_not(None))
        )
        return {agent_id: int(user_id) for agent_id, user_id in rows if user_id is not None}

    # -- push call-backs: the recommendations' own operations ------------------------------------------
    def on_enrolled(
        self, session: Session, source_table: str, source_ids: Sequence[int], at: datetime
    ) -> None:
        if source_table == RECOMMENDATION and source_ids:
            enrolment.mark_enrolled(session, source_ids, at)

    def on_enrolment_failed(self, session: Session, source_table: str, source_id: int, reason: str) -> None:
        # Back to "accepted" with Moodle's reason: the agent sees it and may accept again; an admin can
        # also retry the outbox row once the cause (course, role, user) is fixed.
        if source_table == RECOMMENDATION:
            enrolment.mark_enrolment_failed(session, source_id, reason)
            audit.record(session, "sync", "enrolment_failed", f"recommendation:{source_id}", reason=reason)

    # -- pull ------------------------------------------------------------------------------------------
    def open_course_ids(self, session: Session, connection: LmsConnection) -> list[int]:
        stmt = (
            select(Training.moodle_course_id)
            .distinct()
            .join(Recommendation, Recommendation.training_id == Training.id)
            .join(Agent, Agent.id == Recommendation.agent_id)
            .where(_open(connection))
            .order_by(Training.moodle_course_id)
        )
        return [int(c) for c in session.scalars(stmt) if c is not None]

    def open_pairs(
        self,
        session: Session,
        connection: LmsConnection,
        *,
        course_id: int | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[PairRef]:
        stmt = _pairs_query().where(_open(connection), Recommendation.id > after_id)
        if course_id is not None:
            stmt = stmt.where(Training.moodle_course_id == course_id)
        return [_pair(*row) for row in session.execute(stmt.order_by(Recommendation.id).limit(limit))]

    def open_pairs_by_agent(
        self, session: Session, connection: LmsConnection, *, after_agent_id: int = 0, agents: int = 500
    ) -> list[PairRef]:
        next_agents = (
            select(Recommendation.agent_id)
            .join(Agent, Agent.id == Recommendation.agent_id)
            .join(Training, Training.id == Recommendation.training_id)
            .where(_open(connection), Recommendation.agent_id > after_agent_id)
            .group_by(Recommendation.agent_id)
            .order_by(Recommendation.agent_id)
            .limit(agents)
        ).scalar_subquery()
        stmt = _pairs_query().where(_open(connection), Recommendation.agent_id.in_(next_agents))
        rows = session.execute(stmt.order_by(Recommendation.agent_id, Recommendation.id))
        return [_pair(*row) for row in rows]

    def count_open_pairs(self, session: Session, connection: LmsConnection) -> tuple[int, int]:
        stmt = (
            select(func.count(), func.count(func.distinct(Agent.lms_user_id)))
            .select_from(Recommendation)
            .join(Agent, Agent.id == Recommendation.agent_id)
            .join(Training, Training.id == Recommendation.training_id)
            .where(_open(connection))
        )
        pairs, users = session.execute(stmt).one()
        return int(pairs), int(users)

    def on_completed(self, session: Session, recommendation_ids: Sequence[int], at: datetime) -> None:
        enrolment.mark_completed_many(session, recommendation_ids, at)

    # -- tracker statistics ----------------------------------------------------------------------------
    def refresh_statistics(self, session: Session) -> int:
        return stats.refresh_all(session, active_only=True)

    # -- AGS score queue -------------------------------------------------------------------------------
    def pending_scores(
        self, session: Session, *, now: datetime, limit: int, after_id: int = 0
    ) -> list[ScoreRef]:
        stmt = (
            select(ScoreOutbox)
            .where(
                ScoreOutbox.status == "pending", ScoreOutbox.next_attempt_at <= now, ScoreOutbox.id > after_id
            )
            .order_by(ScoreOutbox.id)
            .limit(limit)
        )
        return [
            ScoreRef(
                s.id,
                s.platform_id,
                s.lineitem_url,
                s.lineitems_url,
                s.resource_link_id,
                s.user_sub,
                s.score_given,
                s.score_maximum,
                s.comment,
                s.attempts,
            )
            for s in session.scalars(stmt)
        ]

    def score_delivery_problem(self) -> str | None:
        if self._score_sender is None:
            return "no AGS client is configured: scores stay queued until the LTI AGS client is installed"
        return None

    def send_score(self, score: ScoreRef) -> None:
        if self._score_sender is None:
            raise ScoreSendError(self.score_delivery_problem() or "", retryable=True)
        self._score_sender(score)

    def on_score_sent(self, session: Session, score_id: int, at: datetime) -> None:
        session.execute(
            update(ScoreOutbox)
            .where(ScoreOutbox.id == score_id)
            .values(status="sent", sent_at=at, attempts=ScoreOutbox.attempts + 1, last_error=None)
        )

    def on_score_failed(
        self, session: Session, score_id: int, error: str, *, next_attempt_at: datetime | None
    ) -> None:
        values: dict[str, object] = {"attempts": ScoreOutbox.attempts + 1, "last_error": error[:2000]}
        if next_attempt_at is None:
            values["status"] = "failed"
        else:
            values["next_attempt_at"] = next_attempt_at
        session.execute(update(ScoreOutbox).where(ScoreOutbox.id == score_id).values(**values))


def find_platforms(session: Session, issuer: str, client_id: str | None) -> list[PlatformRef]:
    stmt = select(Platform).where(Platform.issuer == issuer).order_by(Platform.id)
    if client_id:
        stmt = stmt.where(Platform.client_id == client_id)
    return [PlatformRef(p.id, p.issuer, p.client_id, p.name) for p in session.scalars(stmt)]


def build_sync_services(
    database: Database, settings: Settings, score_sender: ScoreSender | None = None
) -> SyncServices:
    """What the app factory hands to sync.cli and the admin pages."""
    return SyncServices(database, BridgeSyncPort(score_sender), settings, find_platforms)
