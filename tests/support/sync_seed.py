"""Bulk seeding of the domain side of the sync jobs (tests and bench/sync_bench.py).

Agents, one training per Moodle course, accepted recommendations (agent i gets ``per_agent`` consecutive
courses), their campaign members and, optionally, the enrolment outbox rows the product would enqueue.
Core bulk inserts (a few seconds for 130,000 agents and 390,000 recommendations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select

from bridge.agents.models import Agent
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.catalog.models import Training
from bridge.recommendations.models import Recommendation
from config.crypto import SecretBox
from config.database import Database, utcnow
from lti.models import Platform
from sync.models import LmsConnection, OutboxOperation

CHUNK = 5000


@dataclass(frozen=True)
class AgentSpec:
    sub: str | None = None
    lms_user_id: int | None = None
    username: str | None = None
    email: str | None = None
    external_id: str | None = None
    same_platform: bool = True


@dataclass
class Seeded:
    platform_id: int
    connection_id: int
    campaign_id: int
    agent_ids: list[int] = field(default_factory=list)
    training_of_course: dict[int, int] = field(default_factory=dict)
    # (agent index, course id) -> recommendation id
    recommendations: dict[tuple[int, int], int] = field(default_factory=dict)


def _insert(database: Database, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    with database.engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            result = conn.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[start : start + CHUNK]
            )
            ids.extend(row[0] for row in result)
    return ids


def seed_connection(
    database: Database,
    box: SecretBox,
    *,
    base_url: str,
    token: str,
    strategy: str = "manual",
    issuer: str = "https://moodle.example.gouv.fr",
    **connection: Any,
) -> tuple[int, int]:
    """A Moodle platform and its LMS connection: ``(platform id, connection id)``."""
    with database.session_scope() as session:
        platform = Platform(
            issuer=issuer,
            client_id="pacnum",
            name="Moodle",
            auth_login_url=f"{issuer}/mod/lti/auth.php",
            auth_token_url=f"{issuer}/mod/lti/token.php",
            key_set_url=f"{issuer}/mod/lti/certs.php",
            product_family="moodle",
        )
        session.add(platform)
        session.flush()
        connection.setdefault("name", "Moodle")
        lms = LmsConnection(
            platform_id=platform.id,
            base_url=base_url,
            token_encrypted=box.encrypt(token),
            enrol_strategy=strategy,
            **connection,
        )
        session.add(lms)
        session.flush()
        return platform.id, lms.id


def seed_enrolments(
    database: Database,
    *,
    platform_id: int,
    connection_id: int,
    agents: Sequence[AgentSpec],
    courses: Sequence[int],
    per_agent: int = 1,
    status: str = "enrolment_pending",
    outbox: bool = True,
) -> Seeded:
    now = utcnow()
    with database.session_scope() as session:
        campaign = Campaign(code=f"C{now.timestamp():.0f}-{connection_id}", name="Vague 1")
        session.add(campaign)
        session.flush()
        campaign_id = campaign.id
    seeded = Seeded(platform_id, connection_id, campaign_id)
    trainings = _insert(
        database,
        Training.__table__,
        [
            {
                "code": f"T{connection_id}-{c}",
                "title": f"Formation {c}",
                "description": "",
                "modality": "online",
                "duration_minutes": 60,
                "language": "fr",
                "theme": "culture_numerique",
                "lms_connection_id": connection_id,
                "moodle_course_id": c,
                "seats_taken": 0,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for c in courses
        ],
    )
    seeded.training_of_course = dict(zip(courses, trainings, strict=True))
    agent_rows = [
        {
            "platform_id": platform_id if a.same_platform else None,
            "sub": a.sub,
            "external_id": a.external_id,
            "username": a.username,
            "email": a.email,
            "given_name": "",
            "family_name": "",
            "display_name": "",
            "lms_user_id": a.lms_user_id,
            "created_at": now,
        }
        for a in agents
    ]
    seeded.agent_ids = _insert(database, Agent.__table__, agent_rows)
    members = [
        {"campaign_id": campaign_id, "agent_id": a, "source": "launch", "targeted_at": now}
        for a in seeded.agent_ids
    ]
    _insert(database, CampaignMember.__table__, members)
    pairs = [
        (i, courses[(i + k) % len(courses)])
        for i in range(len(agents))
        for k in range(min(per_agent, len(courses)))
    ]
    rec_rows = [
        {
            "agent_id": seeded.agent_ids[i],
            "training_id": seeded.training_of_course[c],
            "campaign_id": campaign_id,
            "rank": 0,
            "reason": "niveau 2 en 4.1, objectif 3",
            "reason_data": "",
            "status": status,
            "proposed_at": now,
            "decided_at": now,
            "enrolled_at": now if status in ("enrolled", "completed") else None,
        }
        for i, c in pairs
    ]
    rec_ids = _insert(database, Recommendation.__table__, rec_rows)
    seeded.recommendations = dict(zip(pairs, rec_ids, strict=True))
    if outbox:
        outbox_rows = [
            {
                "connection_id": connection_id,
                "operation": "enrol",
                "idempotency_key": f"enrol:{connection_id}:{seeded.agent_ids[i]}:{c}",
                "payload": {"userid": agents[i].lms_user_id, "courseid": c, "roleid": 5},
                "source_table": "recommendation",
                "source_id": rec_id,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for (i, c), rec_id in seeded.recommendations.items()
        ]
        _insert(database, OutboxOperation.__table__, outbox_rows)
    return seeded


def outbox_statuses(database: Database, connection_id: int | None = None) -> dict[str, int]:
    with database.session_scope() as session:
        stmt = select(OutboxOperation.status)
        if connection_id is not None:
            stmt = stmt.where(OutboxOperation.connection_id == connection_id)
        rows = session.execute(stmt)
        counts: dict[str, int] = {}
        for (status,) in rows:
            counts[status] = counts.get(status, 0) + 1
        return counts
