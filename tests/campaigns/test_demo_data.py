"""demo-data: a small programme, consistent with itself, readable by the tracker."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, CompetenceResult
from bridge.campaigns import demo_data
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.catalog.models import Training, TrainingCompetence
from bridge.recommendations.models import Recommendation
from bridge.tracker import queries, stats
from bridge.tracker.filters import Filters
from config.framework import load_framework
from tests.campaigns.conftest import CODES


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_demo_data_small(runner: FlaskCliRunner, db_session: Session) -> None:
    result = runner.invoke(args=["bridge", "demo-data", "--agents", "400", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "400 agents in 7 campaigns" in result.output
    assert "no recommendations (the catalogue is empty" in result.output
    assert count(db_session, Agent) == 400
    assert count(db_session, CampaignMember) == 400
    directorates = dict(
        db_session.execute(select(Agent.directorate, func.count()).group_by(Agent.directorate)).all()
    )
    assert directorates["DGFIP"] == 304  # 76 %
    assert directorates["DGFIP"] > directorates["DOUANE"] > directorates["DGCCRF"] > directorates["TRESOR"]
    assessments = count(db_session, Assessment)
    assert count(db_session, CompetenceResult) == assessments * len(CODES)
    # Funnel dates are ordered and the pointers agree with the dates.
    members = db_session.scalars(select(CampaignMember)).all()
    for m in members:
        dates = [
            m.targeted_at,
            m.first_launch_at,
            m.assessed_at,
            m.accepted_at,
            m.enrolled_at,
            m.completed_at,
        ]
        reached = [d for d in dates if d is not None]
        assert reached == sorted(reached)
        assert dates[: len(reached)] == reached  # no step without the previous one
        assert (m.assessed_at is None) == (m.latest_assessment_id is None)
    funnel = queries.funnel(db_session, None, Filters())
    total = funnel.total.counts
    assert total["targeted"] == 400
    assert (
        total["targeted"] >= total["launched"] >= total["assessed"] >= total["accepted"] >= total["completed"]
    )
    assert total["assessed"] > 0.5 * total["targeted"]
    twice = sum(1 for m in members if m.first_assessment_id != m.latest_assessment_id)
    assert 0.05 * total["assessed"] < twice < 0.35 * total["assessed"]
    levels = stats.levels(db_session, None, Filters(), CODES, 5)
    assert levels.assessed == total["assessed"]
    assert sum(levels.counts["1.1"][:3]) > sum(levels.counts["1.1"][3:])  # many beginners

    again = runner.invoke(args=["bridge", "demo-data", "--agents", "50"])
    assert again.exit_code == 1
    assert "--replace" in again.output
    replaced = runner.invoke(args=["bridge", "demo-data", "--agents", "50", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    db_session.expire_all()
    assert count(db_session, Agent) == 50
    assert db_session.scalar(select(func.count()).select_from(Campaign)) == 7


def test_setup_demo_seeds_the_tracker_once(runner: FlaskCliRunner, db_session: Session) -> None:
    first = runner.invoke(args=["bridge", "setup", "--demo"])
    assert first.exit_code == 0, first.output
    assert "Demo tracker: 3000 agents in 7 campaigns" in first.output
    again = runner.invoke(args=["bridge", "setup", "--demo"])
    assert "Demo tracker: demo campaigns already there" in again.output
    assert count(db_session, Agent) == 3000


def test_demo_data_recommends_the_catalogue(db_session: Session) -> None:
    for i, code in enumerate(CODES):
        training = Training(
            code=f"T-{code}", title=f"Formation {code}", modality="online", duration_minutes=60
        )
        training.competences = [TrainingCompetence(competence=code, goal_level=2, target_level=3)]
        db_session.add(training)
        if i == 0:
            db_session.add(
                Training(code="T-off", title="Retirée", modality="online", duration_minutes=60, active=False)
            )
    db_session.commit()
    summary = demo_data.generate(db_session, load_framework(), 300, seed=5)
    db_session.commit()
    assert summary.catalogue
    assert summary.recommendations > 0
    by_status = dict(
        db_session.execute(select(Recommendation.status, func.count()).group_by(Recommendation.status)).all()
    )
    completed_members = db_session.scalar(
        select(func.count()).select_from(CampaignMember).where(CampaignMember.completed_at.is_not(None))
    )
    assert by_status.get("completed", 0) == completed_members
    # Every recommendation belongs to an assessed member of its campaign.
    orphan = db_session.scalar(
        select(func.count())
        .select_from(Recommendation)
        .outerjoin(
            CampaignMember,
            (CampaignMember.agent_id == Recommendation.agent_id)
            & (CampaignMember.campaign_id == Recommendation.campaign_id),
        )
        .where(CampaignMember.assessed_at.is_(None))
    )
    assert orphan == 0
