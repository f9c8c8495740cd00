"""demo-data: a small programme, consistent with itself, readable by the tracker."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, CompetenceResult
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.tracker import queries, stats
from bridge.tracker.filters import Filters
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
