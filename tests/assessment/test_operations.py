"""A sitting end to end at the operations level: start, resume, answers, finish, retake, grade queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment import operations as ops
from bridge.assessment.bank_model import Item, ItemKind, ShortAnswerKey
from bridge.assessment.errors import InvalidAnswer, RetakeTooSoon, StaleAnswer
from bridge.assessment.models import Assessment, AssessmentResponse, ScoreOutbox
from bridge.assessment.runtime import AssessmentRuntime
from bridge.campaigns.models import Campaign, CampaignMember
from config.database import utcnow
from lti.models import Platform

pytestmark = pytest.mark.usefixtures("stored_bank")


def right_answer(item: Item) -> object:
    if isinstance(item.answer, ShortAnswerKey):
        return item.answer.accepted[0]
    if item.kind is ItemKind.SINGLE_CHOICE:
        return item.answer
    return list(item.answer)  # type: ignore[arg-type]


def wrong_answer(item: Item) -> object:
    if isinstance(item.answer, ShortAnswerKey):
        return "zzz-wrong"
    if item.kind is ItemKind.SINGLE_CHOICE:
        return next(o.id for o in item.options if o.id != item.answer)
    if item.kind is ItemKind.ORDERING:
        return list(reversed(item.answer))  # type: ignore[arg-type]
    return [item.options[0].id] if [item.options[0].id] != list(item.answer) else [item.options[1].id]  # type: ignore[arg-type]


def run_to_end(
    session: Session, runtime: AssessmentRuntime, assessment: Assessment, answer: Callable[[Item], object]
) -> int:
    steps = 0
    while assessment.status == "in_progress":
        item = ops.current_item(session, runtime, assessment)
        assert item is not None
        ops.submit_answer(session, runtime, assessment, item.id, answer(item))  # type: ignore[arg-type]
        steps += 1
        assert steps <= 80, "the sitting never stops"
    return steps


def test_full_sitting_produces_results_for_every_competence(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent()
    assessment = ops.start_or_resume(db_session, runtime, agent.id)
    steps = run_to_end(db_session, runtime, assessment, right_answer)
    assert 16 <= steps <= 48
    results = ops.results_of(assessment)
    assert len(results) == 16
    assert all(r.level >= 3 for r in results.values())  # all right: strong everywhere
    assert assessment.score_percent is not None
    assert assessment.score_percent > 50
    # Every competence got at least one question (content balancing).
    asked = {r.competence for r in assessment.responses}
    assert len(asked) == 16


def test_wrong_answers_give_low_levels(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    assessment = ops.start_or_resume(db_session, runtime, make_agent().id)
    run_to_end(db_session, runtime, assessment, wrong_answer)
    assert all(r.level <= 1 for r in assessment.results)


def test_resume_returns_the_same_sitting_and_question(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    agent = make_agent()
    first = ops.start_or_resume(db_session, runtime, agent.id)
    item = ops.current_item(db_session, runtime, first)
    assert item is not None
    ops.submit_answer(db_session, runtime, first, item.id, right_answer(item))  # type: ignore[arg-type]
    db_session.commit()
    again = ops.start_or_resume(db_session, runtime, agent.id)
    assert again.id == first.id
    assert again.current_item_id == first.current_item_id
    assert len(again.responses) == 1


def test_double_submit_is_refused_without_recording_twice(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    assessment = ops.start_or_resume(db_session, runtime, make_agent().id)
    item = ops.current_item(db_session, runtime, assessment)
    assert item is not None
    ops.submit_answer(db_session, runtime, assessment, item.id, None)
    with pytest.raises(StaleAnswer):
        ops.submit_answer(db_session, runtime, assessment, item.id, None)
    count = db_session.scalar(select(func.count()).select_from(AssessmentResponse))
    assert count == 1


def test_tampered_answers_are_refused(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    assessment = ops.start_or_resume(db_session, runtime, make_agent().id)
    item = ops.current_item(db_session, runtime, assessment)
    assert item is not None
    bad = "zz" if item.kind is not ItemKind.SHORT_ANSWER else ""
    with pytest.raises(InvalidAnswer):
        ops.submit_answer(db_session, runtime, assessment, item.id, bad)
    assert assessment.responses == []


def test_i_dont_know_counts_as_wrong(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    assessment = ops.start_or_resume(db_session, runtime, make_agent().id)
    item = ops.current_item(db_session, runtime, assessment)
    assert item is not None
    outcome = ops.submit_answer(db_session, runtime, assessment, item.id, None)
    assert outcome.correct is False
    assert assessment.responses[0].answer is None


def test_retake_policy_and_no_repeated_items(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    campaign = Campaign(code="dgfip-1", name="DGFIP vague 1", retake_delay_days=4)
    db_session.add(campaign)
    db_session.flush()
    agent = make_agent()
    first = ops.start_or_resume(db_session, runtime, agent.id, campaign_id=campaign.id)
    run_to_end(db_session, runtime, first, right_answer)
    with pytest.raises(RetakeTooSoon) as excinfo:
        ops.start_or_resume(db_session, runtime, agent.id, campaign_id=campaign.id)
    assert excinfo.value.available_at > utcnow() + timedelta(days=3)
    # Four days later the agent may retake, and sees none of the questions already answered.
    first.finished_at = utcnow() - timedelta(days=4, minutes=1)
    db_session.flush()
    second = ops.start_or_resume(db_session, runtime, agent.id, campaign_id=campaign.id)
    run_to_end(db_session, runtime, second, wrong_answer)
    first_items = {r.item_id for r in first.responses}
    second_items = {r.item_id for r in second.responses}
    assert first_items.isdisjoint(second_items)
    assert [a.id for a in ops.history(db_session, agent.id)] == [second.id, first.id]


def test_grade_is_queued_only_when_the_launch_carried_ags(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    platform = Platform(
        issuer="https://moodle.example.fr",
        client_id="abc",
        auth_login_url="https://moodle.example.fr/mod/lti/auth.php",
        auth_token_url="https://moodle.example.fr/mod/lti/token.php",
        key_set_url="https://moodle.example.fr/mod/lti/certs.php",
    )
    db_session.add(platform)
    db_session.flush()
    with_ags = make_agent(platform_id=platform.id)
    launch = ops.LaunchInfo(
        platform_id=platform.id,
        resource_link_id="1",
        lineitem_url="https://moodle.example.fr/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1",
    )
    assessment = ops.start_or_resume(db_session, runtime, with_ags.id, launch=launch)
    run_to_end(db_session, runtime, assessment, right_answer)
    row = db_session.scalar(select(ScoreOutbox).where(ScoreOutbox.assessment_id == assessment.id))
    assert row is not None
    assert row.user_sub == with_ags.sub
    assert row.score_maximum == 100.0
    assert row.score_given == assessment.score_percent
    without = ops.start_or_resume(db_session, runtime, make_agent().id)
    run_to_end(db_session, runtime, without, wrong_answer)
    assert db_session.scalar(select(func.count()).select_from(ScoreOutbox)) == 1


def test_finishing_marks_the_campaign_member_assessed(
    db_session: Session, runtime: AssessmentRuntime, make_agent: Callable[..., Agent]
) -> None:
    campaign = Campaign(code="douane-1", name="Douane")
    agent = make_agent()
    db_session.add(campaign)
    db_session.flush()
    member = CampaignMember(campaign_id=campaign.id, agent_id=agent.id)
    db_session.add(member)
    assessment = ops.start_or_resume(db_session, runtime, agent.id, campaign_id=campaign.id)
    run_to_end(db_session, runtime, assessment, right_answer)
    assert member.assessed_at == assessment.finished_at
