"""How agents join campaigns outside CSV imports: LTI launches, LMS course rosters (NRPS), and the
first/latest assessment pointers the tracker reads. The caller commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment
from bridge.campaigns.models import Campaign, CampaignMember
from config.database import utcnow

log = logging.getLogger(__name__)

LEARNER_ROLE_SUFFIXES = ("#Learner", "/membership#Learner", "Learner")


@dataclass(frozen=True)
class RosterMember:
    """One member of an LMS course roster (LTI NRPS membership)."""

    sub: str
    name: str = ""
    email: str | None = None
    username: str | None = None
    roles: Sequence[str] = ()
    given_name: str = ""
    family_name: str = ""

    @property
    def is_learner(self) -> bool:
        return any(role.endswith(LEARNER_ROLE_SUFFIXES) for role in self.roles)


@dataclass
class RosterSummary:
    agents_created: int = 0
    agents_matched: int = 0
    members_added: int = 0
    already_members: int = 0
    skipped_not_learners: int = 0
    skipped_invalid: int = 0
    member_ids: list[int] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.members_added} members added, {self.already_members} already members, "
            f"{self.agents_created} agents created, {self.agents_matched} matched, "
            f"{self.skipped_not_learners} non-learners and {self.skipped_invalid} invalid entries skipped"
        )


@dataclass(frozen=True)
class LaunchMembership:
    """A campaign a launch joined the agent to: the membership, and the campaign's code."""

    member: CampaignMember
    campaign_code: str

    @property
    def campaign_id(self) -> int:
        return self.member.campaign_id


_campaign = Campaign.__table__.c
_NAMED_CAMPAIGN = select(_campaign.id, _campaign.code, _campaign.active).where(
    _campaign.code == bindparam("code")
)
_ACTIVE_CAMPAIGNS = (
    select(_campaign.id, _campaign.code, _campaign.lms_context_ids)
    .where(_campaign.active.is_(True))
    .order_by(_campaign.id)
)


def _campaigns_for_launch(
    session: Session, campaign_code: str | None, lms_context_id: str | None
) -> list[tuple[int, str]]:
    """(id, code) of the campaigns a launch joins (columns only: this runs on every launch)."""
    if campaign_code:
        named = session.execute(_NAMED_CAMPAIGN, {"code": campaign_code}).first()
        if named is not None and named.active:
            return [(named.id, named.code)]
        log.warning(
            "launch names campaign %r, which is unknown or inactive: matching by context", campaign_code
        )
    if not lms_context_id:
        return []
    return [
        (row.id, row.code)
        for row in session.execute(_ACTIVE_CAMPAIGNS)
        if lms_context_id in (row.lms_context_ids or [])
    ]


def _member(session: Session, campaign_id: int, agent_id: int) -> CampaignMember | None:
    return session.scalar(
        select(CampaignMember).where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.agent_id == agent_id
        )
    )


def ensure_member(
    session: Session, campaign_id: int, agent_id: int, *, source: str, at: datetime | None = None
) -> tuple[CampaignMember, bool]:
    """The agent's membership of the campaign, created when missing (safe against a concurrent insert).

    Returns (member, created)."""
    member = _member(session, campaign_id, agent_id)
    if member is not None:
        return member, False
    agent = session.get(Agent, agent_id)
    try:
        with session.begin_nested():
            member = CampaignMember(
                campaign_id=campaign_id,
                agent_id=agent_id,
                source=source,
                targeted_at=at or utcnow(),
                directorate=agent.directorate if agent is not None else None,
                unit=agent.unit if agent is not None else None,
            )
            session.add(member)
        return member, True
    except IntegrityError:
        existing = _member(session, campaign_id, agent_id)
        if existing is None:
            raise
        return existing, False


def record_launch(
    session: Session, agent_id: int, campaign_code: str | None, lms_context_id: str | None, at: datetime
) -> list[LaunchMembership]:
    """Join the launching agent to its campaigns and date their first launch.

    The campaign is the one named by the launch's custom parameter ``campaign`` when it exists and is
    active; otherwise every active campaign whose LMS context ids contain the launch's context id.
    Memberships created here have source "launch"; ``first_launch_at`` is set once, at the first launch.
    """
    joined: list[LaunchMembership] = []
    for campaign_id, code in _campaigns_for_launch(session, campaign_code, lms_context_id):
        member, _created = ensure_member(session, campaign_id, agent_id, source="launch", at=at)
        if member.first_launch_at is None or member.first_launch_at > at:
            member.first_launch_at = at
        joined.append(LaunchMembership(member, code))
    if joined:
        session.flush()
    return joined


def _match_roster_agent(session: Session, platform_id: int | None, entry: RosterMember) -> Agent | None:
    by_sub = select(Agent).where(Agent.sub == entry.sub)
    if platform_id is not None:
        by_sub = by_sub.where(Agent.platform_id == platform_id)
    found = session.scalars(by_sub.limit(2)).all()
    if len(found) == 1:
        return found[0]
    # An agent imported from a population file (no sub yet) is matched by e-mail, then username.
    pending = select(Agent).where(Agent.sub.is_(None), Agent.erased_at.is_(None))
    if entry.email:
        agent = session.scalars(
            pending.where(func.lower(Agent.email) == entry.email.lower()).limit(1)
        ).first()
        if agent is not None:
            return agent
    if entry.username:
        return session.scalars(pending.where(Agent.username == entry.username).limit(1)).first()
    return None


def import_roster(
    session: Session,
    campaign_id: int,
    members: Iterable[RosterMember],
    *,
    platform_id: int | None = None,
    at: datetime | None = None,
) -> RosterSummary:
    """Target a course roster's learners: match or create their agents, add them as members (source
    "roster"). Instructors and other non-learner roles are skipped. Safe to run again (idempotent)."""
    if session.get(Campaign, campaign_id) is None:
        raise ValueError(f"no campaign with id {campaign_id}")
    now = at or utcnow()
    summary = RosterSummary()
    for entry in members:
        if not entry.sub:
            summary.skipped_invalid += 1
            continue
        if not entry.is_learner:
            summary.skipped_not_learners += 1
            continue
        agent = _match_roster_agent(session, platform_id, entry)
        if agent is None:
            agent = Agent(
                platform_id=platform_id,
                sub=entry.sub,
                email=entry.email,
                username=entry.username,
                given_name=entry.given_name[:200],
                family_name=entry.family_name[:200],
                display_name=(entry.name or f"{entry.given_name} {entry.family_name}".strip())[:400],
            )
            session.add(agent)
            session.flush()
            summary.agents_created += 1
        else:
            summary.agents_matched += 1
            if agent.sub is None:
                agent.sub, agent.platform_id = entry.sub, platform_id
            agent.email = agent.email or entry.email
            agent.username = agent.username or entry.username
            agent.display_name = agent.display_name or entry.name[:400]
        member, created = ensure_member(session, campaign_id, agent.id, source="roster", at=now)
        if created:
            summary.members_added += 1
        else:
            summary.already_members += 1
        summary.member_ids.append(member.id)
    session.flush()
    return summary


def record_finished_assessment(session: Session, assessment_id: int) -> None:
    """Finished-sitting hook: the sitting becomes the members' latest assessment (and their first one
    when they had none). Same members as the funnel's "assessed" step: the sitting's campaign, or every
    campaign of the agent when the sitting has none."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None or assessment.status != "finished":
        return
    stmt = select(CampaignMember).where(CampaignMember.agent_id == assessment.agent_id)
    if assessment.campaign_id is not None:
        stmt = stmt.where(CampaignMember.campaign_id == assessment.campaign_id)
    for member in session.scalars(stmt):
        member.latest_assessment_id = assessment.id
        if member.first_assessment_id is None:
            member.first_assessment_id = assessment.id
        if member.assessed_at is None:
            member.assessed_at = assessment.finished_at
