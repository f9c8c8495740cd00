"""Joining campaigns by launch and by LMS roster; the finished-sitting hook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.campaigns import membership
from bridge.campaigns.membership import RosterMember, import_roster, record_launch
from bridge.campaigns.models import Campaign, CampaignMember
from tests.campaigns.conftest import Known, at, finish_assessment

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def member_of(session: Session, campaign: Campaign, agent: Agent) -> CampaignMember | None:
    stmt = select(CampaignMember).where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.agent_id == agent.id
    )
    return session.scalar(stmt)


def test_launch_with_campaign_parameter_creates_membership_once(db_session: Session, known: Known) -> None:
    agent = Agent(sub="s-new", directorate="DOUANE", unit="Brigade de Roissy")
    db_session.add(agent)
    db_session.flush()
    members = record_launch(db_session, agent.id, "DOUANE-T1", "ctx-any", at(20))
    assert [m.campaign_id for m in members] == [known.other.id]
    member = members[0].member
    assert (member.source, member.first_launch_at, member.targeted_at) == ("launch", at(20), at(20))
    assert (member.directorate, member.unit) == ("DOUANE", "Brigade de Roissy")
    record_launch(db_session, agent.id, "DOUANE-T1", None, at(22))
    db_session.refresh(member)
    assert member.first_launch_at == at(20)  # set the first time only


def test_launch_of_a_targeted_agent_dates_the_first_launch(db_session: Session, known: Known) -> None:
    a4 = known.agents["a4"]
    record_launch(db_session, a4.id, "DGFIP-T1", None, at(21))
    member = member_of(db_session, known.campaign, a4)
    assert member is not None
    assert member.source == "csv"
    assert member.first_launch_at == at(21)


def test_launch_matches_active_campaigns_by_context(db_session: Session, known: Known) -> None:
    known.campaign.lms_context_ids = ["course-7"]
    known.other.lms_context_ids = ["course-7", "course-8"]
    db_session.flush()
    agent = Agent(sub="s-ctx")
    db_session.add(agent)
    db_session.flush()
    assert {m.campaign_id for m in record_launch(db_session, agent.id, None, "course-7", at(20))} == {
        known.campaign.id,
        known.other.id,
    }
    known.other.active = False
    db_session.flush()
    other_agent = Agent(sub="s-ctx-2")
    db_session.add(other_agent)
    db_session.flush()
    # An unknown campaign name falls back to the context; inactive campaigns are left out.
    members = record_launch(db_session, other_agent.id, "NOPE", "course-8", at(20))
    assert members == []
    assert [m.campaign_id for m in record_launch(db_session, other_agent.id, "NOPE", "course-7", at(20))] == [
        known.campaign.id
    ]


def test_launch_without_any_campaign_does_nothing(db_session: Session, known: Known) -> None:
    assert record_launch(db_session, known.agents["a1"].id, None, None, at(20)) == []


def test_roster_targets_learners_and_matches_imported_agents(db_session: Session, known: Known) -> None:
    imported = Agent(external_id="F1", email="Lea.Roux@dgfip.gouv.fr", directorate="DGFIP", unit="SIE Brest")
    db_session.add(imported)
    db_session.flush()
    roster = [
        RosterMember(sub="m-1", name="Léa Roux", email="lea.roux@dgfip.gouv.fr", roles=[LEARNER]),
        RosterMember(sub="m-2", name="Paul Neuf", email="paul@x.fr", username="pneuf", roles=[LEARNER]),
        RosterMember(sub="m-3", name="Formatrice", email="f@x.fr", roles=[INSTRUCTOR]),
        RosterMember(sub="", name="Sans identifiant", roles=[LEARNER]),
    ]
    summary = import_roster(db_session, known.other.id, roster, platform_id=None)
    assert (summary.agents_matched, summary.agents_created, summary.members_added) == (1, 1, 2)
    assert (summary.skipped_not_learners, summary.skipped_invalid) == (1, 1)
    db_session.refresh(imported)
    assert imported.sub == "m-1"
    member = member_of(db_session, known.other, imported)
    assert member is not None
    assert (member.source, member.unit) == ("roster", "SIE Brest")
    created = db_session.scalar(select(Agent).where(Agent.sub == "m-2"))
    assert created is not None
    assert (created.username, created.display_name) == ("pneuf", "Paul Neuf")
    again = import_roster(db_session, known.other.id, roster)
    assert (again.members_added, again.already_members, again.agents_created) == (0, 2, 0)


def test_roster_of_unknown_campaign_is_refused(db_session: Session, known: Known) -> None:
    with pytest.raises(ValueError, match="no campaign"):
        import_roster(db_session, 999_999, [])


def test_finished_sitting_moves_latest_and_keeps_first(db_session: Session, known: Known) -> None:
    a2 = known.agents["a2"]
    member = member_of(db_session, known.campaign, a2)
    assert member is not None
    first = member.first_assessment_id
    assert first is not None
    assert member.latest_assessment_id == first
    later = finish_assessment(db_session, a2, known.campaign, at(5) + timedelta(days=30), 4)
    db_session.flush()
    db_session.expire(member)
    assert (member.first_assessment_id, member.latest_assessment_id) == (first, later.id)
    assert member.assessed_at == at(5)
    # A sitting without campaign counts for every campaign of the agent (as the funnel's "assessed").
    free = finish_assessment(db_session, a2, None, at(5) + timedelta(days=40), 5)
    db_session.flush()
    db_session.expire(member)
    assert member.latest_assessment_id == free.id


def test_concurrent_first_launch_keeps_the_existing_membership(
    db_session: Session, known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two launches racing: the second insert hits the unique constraint inside a savepoint and
    returns the row the first one wrote, without spoiling the surrounding transaction."""
    a4 = known.agents["a4"]
    real_member = membership._member
    calls = {"n": 0}

    def racing(session: Session, campaign_id: int, agent_id: int) -> CampaignMember | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real_member(session, campaign_id, agent_id)

    monkeypatch.setattr(membership, "_member", racing)
    member, created = membership.ensure_member(db_session, known.campaign.id, a4.id, source="launch")
    assert created is False
    assert member.source == "csv"
    db_session.add(Agent(sub="still-usable"))
    db_session.commit()
