"""A small campaign data set whose tracker figures are computed by hand in the tests.

Campaign DGFIP-T1 (level cap 5), members (directorate / unit, funnel dates in March 2026, UTC):
  a1 DGFIP / SIE Lyon          targeted 02, launched 03, assessed 03, accepted 04, enrolled 10, completed 20
  a2 DGFIP / SIE Lyon          targeted 02, launched 05, assessed 05
  a3 DGFIP / Trésorerie Dijon  targeted 02, launched 10
  a4 DGFIP / Trésorerie Dijon  targeted 02
  a5 DOUANE / Brigade de Roissy targeted 02, launched 09, assessed 09, accepted 09
Assessments: a1 all levels 1 (03-03) then all 3 (03-25); a2 all 2 (03-05); a5 all 5 but 3.4 at 0
(03-09) then all 4 but 3.4 at 0 (03-28). Campaign DOUANE-T1 has one member (a6, targeted 03-16).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment import events
from bridge.assessment.models import Assessment, CompetenceResult
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from bridge.tracker import stats
from config.database import Database
from config.framework import load_framework
from tests.support import admin as admin_support

CODES = load_framework().competence_codes


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def directorates(db_session: Session) -> None:
    """The reference directorates (seeded by the migration; tests start from empty tables)."""
    existing = set(db_session.scalars(select(Directorate.code)))
    for code, name in (("DGFIP", "Finances publiques"), ("DOUANE", "Douane"), ("DGCCRF", "DGCCRF")):
        if code not in existing:
            db_session.add(Directorate(code=code, name=name))
    db_session.commit()


def finish_assessment(
    session: Session, agent: Agent, campaign: Campaign | None, when: datetime, levels: dict[str, int] | int
) -> Assessment:
    """A finished sitting with the given levels, then the finished hooks (as the engine does)."""
    per = levels if isinstance(levels, dict) else dict.fromkeys(CODES, levels)
    assessment = Assessment(
        agent_id=agent.id,
        campaign_id=campaign.id if campaign else None,
        status="finished",
        started_at=when,
        finished_at=when,
        seed=1,
    )
    assessment.results = [
        CompetenceResult(
            competence=c,
            theta=per[c] + 0.5,
            se=0.5,
            level=per[c],
            level_low=per[c],
            level_high=per[c],
            pix=per[c] * 8,
        )
        for c in CODES
    ]
    session.add(assessment)
    session.flush()
    events.run_finished_hooks(session, assessment.id)
    return assessment


@dataclass
class Known:
    campaign: Campaign
    other: Campaign
    agents: dict[str, Agent]


@pytest.fixture
def known(db_session: Session, directorates: None) -> Known:
    session = db_session
    campaign = Campaign(
        code="DGFIP-T1", name="DGFIP test", directorate_code="DGFIP", level_cap=5, settings={}
    )
    other = Campaign(
        code="DOUANE-T1", name="Douane test", directorate_code="DOUANE", level_cap=5, settings={}
    )
    session.add_all([campaign, other])
    session.flush()
    plan = {
        "a1": ("DGFIP", "SIE Lyon", [2, 3, 3, 4, 10, 20]),
        "a2": ("DGFIP", "SIE Lyon", [2, 5, 5, None, None, None]),
        "a3": ("DGFIP", "Trésorerie Dijon", [2, 10, None, None, None, None]),
        "a4": ("DGFIP", "Trésorerie Dijon", [2, None, None, None, None, None]),
        "a5": ("DOUANE", "Brigade de Roissy", [2, 9, None, 9, None, None]),
    }
    agents: dict[str, Agent] = {}
    for name, (directorate, unit, days) in plan.items():
        agent = Agent(
            external_id=f"X-{name}",
            email=f"{name}@example.gouv.fr",
            given_name=name,
            family_name="Test",
            directorate=directorate,
            unit=unit,
        )
        session.add(agent)
        session.flush()
        agents[name] = agent
        targeted, launched, _assessed, accepted, enrolled, completed = (at(d) if d else None for d in days)
        session.add(
            CampaignMember(
                campaign_id=campaign.id,
                agent_id=agent.id,
                source="csv",
                directorate=directorate,
                unit=unit,
                targeted_at=targeted,
                first_launch_at=launched,
                accepted_at=accepted,
                enrolled_at=enrolled,
                completed_at=completed,
            )
        )
    a6 = Agent(external_id="X-a6", directorate="DOUANE", unit="Brigade du Havre")
    session.add(a6)
    session.flush()
    agents["a6"] = a6
    session.add(
        CampaignMember(campaign_id=other.id, agent_id=a6.id, directorate="DOUANE", targeted_at=at(16))
    )
    session.flush()
    a5_levels = {c: (0 if c == "3.4" else 5) for c in CODES}
    finish_assessment(session, agents["a1"], campaign, at(3), 1)
    finish_assessment(session, agents["a2"], campaign, at(5), 2)
    finish_assessment(session, agents["a5"], campaign, at(9), a5_levels)
    finish_assessment(session, agents["a1"], campaign, at(25), 3)
    finish_assessment(session, agents["a5"], campaign, at(28), {c: (0 if c == "3.4" else 4) for c in CODES})
    stats.refresh(session, campaign.id)
    stats.refresh(session, other.id)
    session.commit()
    return Known(campaign, other, agents)


@pytest.fixture
def admin_client(app: Flask, database: Database) -> FlaskClient:
    client = app.test_client()
    admin_support.sign_in(client, database)
    return client


@pytest.fixture
def no_csrf(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False


MakeCsv = Callable[[str], bytes]
