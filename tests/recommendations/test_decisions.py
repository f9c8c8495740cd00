"""Accept, decline, "not relevant": idempotence, the outbox contract, seats and the waiting list, funnel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.campaigns.models import CampaignMember
from bridge.catalog.models import Training
from bridge.recommendations import decisions, enrolment
from bridge.recommendations.decisions import DecisionError
from bridge.recommendations.models import Recommendation
from config.crypto import SecretBox
from sync.models import OutboxOperation
from tests.support import domain

NOW = datetime(2027, 1, 10, tzinfo=UTC)


def _proposal(
    session: Session, agent: Agent, training: Training, campaign_id: int | None = None
) -> Recommendation:
    rec = Recommendation(
        agent_id=agent.id, training_id=training.id, reason="r", status="proposed", campaign_id=campaign_id
    )
    session.add(rec)
    session.flush()
    return rec


def _outbox(session: Session) -> list[OutboxOperation]:
    return list(session.scalars(select(OutboxOperation).order_by(OutboxOperation.id)))


def test_accept_online_queues_one_enrolment(db_session: Session, box: SecretBox) -> None:
    connection = domain.lms_connection(db_session, box, student_role_id=5)
    training = domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)}, lms_connection_id=connection.id)
    agent = domain.agent(db_session, lms_user_id=42)
    rec = _proposal(db_session, agent, training)

    decisions.accept(db_session, rec.id, agent.id, now=NOW)
    decisions.accept(db_session, rec.id, agent.id, now=NOW)  # twice: nothing more

    assert rec.status == "enrolment_pending"
    assert rec.decided_at == NOW
    (operation,) = _outbox(db_session)
    assert operation.operation == "enrol"
    assert operation.connection_id == connection.id
    assert operation.payload == {"userid": 42, "courseid": training.moodle_course_id, "roleid": 5}
    assert operation.idempotency_key == f"enrol:{connection.id}:42:{training.moodle_course_id}"
    assert (operation.source_table, operation.source_id, operation.status) == (
        "recommendation",
        rec.id,
        "pending",
    )


def test_agent_without_moodle_account_and_course_known_by_shortname(
    db_session: Session, box: SecretBox
) -> None:
    platform_connection = domain.lms_connection(db_session, box)
    from lti.models import Platform

    platform = Platform(
        issuer="https://moodle.test", client_id="c", auth_login_url="u", auth_token_url="u", key_set_url="u"
    )
    db_session.add(platform)
    db_session.flush()
    platform_connection.platform_id = platform.id
    training = domain.training(db_session, "MDP-2", {"4.1": (2, 3, 4)}, moodle_course_id=None)
    agent = domain.agent(db_session, platform_id=platform.id)
    rec = _proposal(db_session, agent, training)

    decisions.accept(db_session, rec.id, agent.id, now=NOW)

    (operation,) = _outbox(db_session)
    assert operation.connection_id == platform_connection.id  # the agent's platform's connection
    assert operation.payload == {"userid": None, "courseid": None, "roleid": 5, "courseshortname": "MDP-2"}
    assert operation.idempotency_key == f"enrol:{platform_connection.id}:agent{agent.id}:shortname:MDP-2"


def test_no_connection_yet_then_queued_when_one_appears(db_session: Session, box: SecretBox) -> None:
    training = domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)})
    agent = domain.agent(db_session, lms_user_id=7)
    rec = _proposal(db_session, agent, training)
    decisions.accept(db_session, rec.id, agent.id, now=NOW)
    assert rec.status == "accepted"
    assert _outbox(db_session) == []

    connection = domain.lms_connection(db_session, box)
    training.lms_connection_id = connection.id
    assert enrolment.queue_waiting_enrolments(db_session) == 1
    assert rec.status == "enrolment_pending"
    assert len(_outbox(db_session)) == 1


def test_sync_callbacks_and_funnel_dates(db_session: Session, box: SecretBox) -> None:
    connection = domain.lms_connection(db_session, box)
    training = domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)}, lms_connection_id=connection.id)
    campaign = domain.campaign(db_session)
    other_campaign = domain.campaign(db_session, "DOUANE-1")
    agent = domain.agent(db_session, lms_user_id=9)
    membership = domain.member(db_session, campaign, agent)
    other = domain.member(db_session, other_campaign, agent)
    rec = _proposal(db_session, agent, training, campaign_id=campaign.id)

    decisions.accept(db_session, rec.id, agent.id, now=NOW)
    assert membership.accepted_at == NOW
    assert other.accepted_at is None  # only the recommendation's campaign

    assert enrolment.mark_enrolment_failed(db_session, rec.id, "Moodle: user suspended")
    assert (rec.status, rec.enrolment_error) == ("accepted", "Moodle: user suspended")
    operation = _outbox(db_session)[0]
    operation.status = "failed"
    decisions.accept(db_session, rec.id, agent.id, now=NOW + timedelta(days=1))  # retry: same row, pending
    assert [op.status for op in _outbox(db_session)] == ["pending"]
    assert (rec.status, rec.enrolment_error) == ("enrolment_pending", None)
    assert membership.accepted_at == NOW  # first time only

    at = NOW + timedelta(days=2)
    assert enrolment.mark_enrolled(db_session, [rec.id, rec.id], at) == 1
    assert enrolment.mark_enrolled(db_session, [rec.id], at + timedelta(days=1)) == 0
    assert (rec.status, rec.enrolled_at, membership.enrolled_at) == ("enrolled", at, at)

    done = NOW + timedelta(days=30)
    assert enrolment.mark_completed(db_session, rec.id, done)
    assert not enrolment.mark_completed(db_session, rec.id, done + timedelta(days=1))
    db_session.refresh(membership)
    assert (rec.status, rec.completed_at, membership.completed_at) == ("completed", done, done)
    with pytest.raises(DecisionError) as error:
        decisions.decline(db_session, rec.id, agent.id)
    assert error.value.code == "already_completed"


def test_funnel_without_campaign_dates_every_membership(db_session: Session) -> None:
    training = domain.training(db_session, "LYON", {"4.1": (0, 2, 3)}, modality="in_person")
    agent = domain.agent(db_session)
    first = domain.member(db_session, domain.campaign(db_session, "A"), agent)
    second = domain.member(db_session, domain.campaign(db_session, "B"), agent)
    rec = _proposal(db_session, agent, training)
    decisions.accept(db_session, rec.id, agent.id, now=NOW)
    db_session.refresh(first)
    db_session.refresh(second)
    assert first.accepted_at == second.accepted_at == first.enrolled_at == NOW


def test_decline_and_not_relevant_keep_feedback(db_session: Session) -> None:
    training = domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)})
    agent = domain.agent(db_session)
    rec = _proposal(db_session, agent, training)
    decisions.decline(db_session, rec.id, agent.id, not_relevant=True, comment="  Je le fais déjà  ", now=NOW)
    assert (rec.status, rec.feedback, rec.decided_at) == ("not_relevant", "Je le fais déjà", NOW)
    decisions.decline(db_session, rec.id, agent.id, not_relevant=True, now=NOW)  # idempotent, comment kept
    assert rec.feedback == "Je le fais déjà"
    decisions.decline(db_session, rec.id, agent.id, now=NOW)
    assert rec.status == "declined"


def test_someone_elses_recommendation_is_not_found(db_session: Session) -> None:
    training = domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)})
    rec = _proposal(db_session, domain.agent(db_session), training)
    intruder = domain.agent(db_session)
    with pytest.raises(DecisionError) as error:
        decisions.accept(db_session, rec.id, intruder.id)
    assert error.value.status == 404


def test_cancel_pending_online_enrolment_withdraws_it(db_session: Session, box: SecretBox) -> None:
    connection = domain.lms_connection(db_session, box)
    training = domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)}, lms_connection_id=connection.id)
    agent = domain.agent(db_session, lms_user_id=3)
    rec = _proposal(db_session, agent, training)
    decisions.accept(db_session, rec.id, agent.id, now=NOW)
    decisions.decline(db_session, rec.id, agent.id, now=NOW)
    assert rec.status == "declined"
    assert _outbox(db_session)[0].status == "skipped"

    decisions.accept(db_session, rec.id, agent.id, now=NOW)  # changed their mind: the same row again
    assert [op.status for op in _outbox(db_session)] == ["pending"]
    _outbox(db_session)[0].status = "sending"
    with pytest.raises(DecisionError) as error:
        decisions.decline(db_session, rec.id, agent.id)
    assert error.value.code == "enrolment_in_progress"


def test_in_person_seats_waiting_list_and_promotion(db_session: Session) -> None:
    training = domain.training(db_session, "LYON", {"4.1": (0, 2, 3)}, modality="in_person", capacity=2)
    agents = [domain.agent(db_session) for _ in range(5)]
    recs = [_proposal(db_session, a, training) for a in agents]
    for rec, agent in zip(recs, agents, strict=True):
        decisions.accept(db_session, rec.id, agent.id, now=NOW)
    decisions.accept(db_session, recs[0].id, agents[0].id, now=NOW)  # twice: still one seat
    db_session.refresh(training)
    assert training.seats_taken == 2
    assert [r.status for r in recs] == ["enrolled", "enrolled", "waitlisted", "waitlisted", "waitlisted"]
    assert [r.waitlist_position for r in recs] == [None, None, 1, 2, 3]

    decisions.decline(db_session, recs[3].id, agents[3].id, now=NOW)  # leaves the waiting list
    assert [r.waitlist_position for r in recs[2:]] == [1, None, 2]

    decisions.decline(db_session, recs[0].id, agents[0].id, comment="Je serai en congé", now=NOW)
    db_session.refresh(training)
    for rec in recs:
        db_session.refresh(rec)
    assert training.seats_taken == 2
    assert [r.status for r in recs] == ["declined", "enrolled", "enrolled", "declined", "waitlisted"]
    assert (recs[2].waitlist_position, recs[4].waitlist_position) == (None, 1)
    assert recs[0].feedback == "Je serai en congé"


def test_closed_sessions_and_started_sessions(db_session: Session) -> None:
    training = domain.training(
        db_session,
        "LYON",
        {"4.1": (0, 2, 3)},
        modality="in_person",
        registration_deadline=NOW - timedelta(days=1),
    )
    agent = domain.agent(db_session)
    rec = _proposal(db_session, agent, training)
    with pytest.raises(DecisionError) as error:
        decisions.accept(db_session, rec.id, agent.id, now=NOW)
    assert error.value.code == "training_closed"
    assert rec.status == "proposed"

    training.registration_deadline = None
    decisions.accept(db_session, rec.id, agent.id, now=NOW)
    with pytest.raises(DecisionError) as error:
        decisions.decline(db_session, rec.id, agent.id, now=training.starts_at + timedelta(minutes=1))
    assert error.value.code == "session_started"


def test_blended_takes_a_seat_then_queues_the_online_part(db_session: Session, box: SecretBox) -> None:
    connection = domain.lms_connection(db_session, box)
    training = domain.training(
        db_session, "MIX", {"4.1": (0, 2, 3)}, modality="blended", capacity=1, lms_connection_id=connection.id
    )
    first, second = domain.agent(db_session, lms_user_id=1), domain.agent(db_session, lms_user_id=2)
    rec1, rec2 = _proposal(db_session, first, training), _proposal(db_session, second, training)
    decisions.accept(db_session, rec1.id, first.id, now=NOW)
    decisions.accept(db_session, rec2.id, second.id, now=NOW)
    assert (rec1.status, rec2.status) == ("enrolment_pending", "waitlisted")
    assert len(_outbox(db_session)) == 1

    decisions.decline(db_session, rec1.id, first.id, now=NOW)  # frees the seat: the second agent gets it
    db_session.refresh(rec2)
    assert rec2.status == "enrolment_pending"
    assert [op.payload["userid"] for op in _outbox(db_session) if op.status == "pending"] == [2]
    assert db_session.scalar(select(CampaignMember)) is None
