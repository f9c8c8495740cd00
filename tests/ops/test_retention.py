"""The retention job on a known data set: dry run first, then for real, then again (idempotent)."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, AssessmentResponse, ScoreOutbox
from bridge.audit.models import AuditEvent
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.core.settings_access import get_settings
from bridge.ops.models import RateLimitCounter
from bridge.privacy import retention
from config.database import Base, utcnow
from lti.models import RegistrationLink
from sync.models import LmsConnection, OutboxOperation, SyncRun
from tests.ops.privacy_data import seed

DAY = timedelta(days=1)


def _old_data(session: Session) -> dict[str, int]:
    """Rows just past and well within each period (defaults: audit 365 d, answers 3 y, outbox 90 d,
    sync runs 365 d, inactive agents 2 y)."""
    now = utcnow()
    data = seed(session)  # recent: nothing of it is past its period
    connection = session.scalars(select(LmsConnection)).one()
    session.add_all(
        [
            AuditEvent(actor="admin:1", action="old", at=now - 400 * DAY),
            RateLimitCounter(key="expired", count=3, expires_at=now - timedelta(minutes=5)),
            RateLimitCounter(key="live", count=3, expires_at=now + timedelta(minutes=5)),
            SyncRun(job="pull", status="ok", started_at=now - 400 * DAY, finished_at=now - 400 * DAY),
            SyncRun(job="pull", status="running", started_at=now - 400 * DAY),  # never deleted while running
            # A registration link that expired more than a year ago goes; one of last month stays.
            RegistrationLink(token_hash="a" * 64, created_by="admin:1", expires_at=now - 400 * DAY),
            RegistrationLink(token_hash="b" * 64, created_by="admin:1", expires_at=now - 30 * DAY),
        ]
    )
    for n, (status, age) in enumerate([("done", 100), ("failed", 100), ("pending", 100), ("done", 10)]):
        session.add(
            OutboxOperation(
                connection_id=connection.id,
                operation="enrol",
                idempotency_key=f"old-{n}",
                payload={"userid": 1},
                status=status,
                updated_at=now - age * DAY,
            )
        )
    # An agent inactive for 3 years, member of a campaign that ended 3 years ago.
    ended = Campaign(code="old", name="Ancienne", ends_on=date.today() - 3 * 365 * DAY, active=False)
    sleeper = Agent(
        sub="sleeper",
        email="ancien.agent@example.gouv.fr",
        given_name="Ancien",
        family_name="Agent",
        created_at=now - 4 * 365 * DAY,
        last_launch_at=now - 3 * 365 * DAY,
    )
    # Inactive just as long, but member of a campaign still running: kept.
    waiting = Agent(sub="waiting", email="en.attente@example.gouv.fr", created_at=now - 4 * 365 * DAY)
    session.add_all([ended, sleeper, waiting])
    session.flush()
    session.add_all(
        [
            CampaignMember(campaign_id=ended.id, agent_id=sleeper.id),
            CampaignMember(campaign_id=data.campaign.id, agent_id=waiting.id),
        ]
    )
    old_sitting = Assessment(
        agent_id=sleeper.id,
        seed=9,
        status="finished",
        started_at=now - 4 * 365 * DAY,
        finished_at=now - 4 * 365 * DAY,
    )
    session.add(old_sitting)
    session.flush()
    session.add_all(
        [
            AssessmentResponse(
                assessment_id=old_sitting.id,
                position=0,
                item_id="x",
                competence="1.1",
                answer=None,
                correct=False,
            ),
            ScoreOutbox(
                assessment_id=old_sitting.id,
                platform_id=data.platform.id,
                user_sub="sleeper",
                score_given=1,
                score_maximum=2,
                status="sent",
                created_at=now - 4 * 365 * DAY,
                sent_at=now - 4 * 365 * DAY,
            ),
        ]
    )
    session.commit()
    return {"sleeper": sleeper.id, "waiting": waiting.id, "camille": data.camille.id}


def _counts(session: Session) -> dict[str, int]:
    return {
        table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables
    }


def test_dry_run_then_real_run_then_nothing_left(runner: FlaskCliRunner, db_session: Session) -> None:
    ids = _old_data(db_session)
    before = _counts(db_session)

    dry = runner.invoke(args=["bridge", "retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output
    assert "rate_limit_counters: 1 to delete" in lines
    assert "audit_events: 1 to delete" in lines
    assert "assessment_answers: 1 to delete" in lines
    assert "lms_outbox: 2 to delete" in lines
    assert "ags_score_outbox: 1 to delete" in lines
    assert "sync_runs: 1 to delete" in lines
    assert "lti_registration_link: 1 to delete" in lines
    assert "inactive_agents: 1 to pseudonymise" in lines
    assert "Dry run: 9 row(s) past their retention period, nothing changed." in lines
    db_session.expire_all()
    assert _counts(db_session) == before

    real = runner.invoke(args=["bridge", "retention", "run", "--chunk", "1"])
    assert real.exit_code == 0, real.output
    assert "Retention done: 8 row(s) deleted, 1 agent(s) pseudonymised." in real.output
    db_session.expire_all()
    after = _counts(db_session)
    assert after["audit_event"] == before["audit_event"]  # the old one deleted, the run's own one added
    assert before["assessment_response"] - after["assessment_response"] == 1
    assert before["lms_outbox"] - after["lms_outbox"] == 2
    assert before["ags_score_outbox"] - after["ags_score_outbox"] == 1
    assert before["sync_run"] - after["sync_run"] == 1
    assert after["rate_limit_counter"] == 1
    assert after["lti_registration_link"] == 1
    assert after["agent"] == before["agent"]
    assert after["assessment"] == before["assessment"]  # results stay

    sleeper = db_session.get(Agent, ids["sleeper"])
    assert sleeper is not None
    assert sleeper.erased_at is not None
    assert sleeper.email is None
    assert sleeper.given_name == ""
    waiting = db_session.get(Agent, ids["waiting"])
    camille = db_session.get(Agent, ids["camille"])
    assert waiting is not None
    assert waiting.erased_at is None
    assert camille is not None
    assert camille.erased_at is None
    statuses = sorted(db_session.scalars(select(OutboxOperation.status)))
    assert statuses == ["done", "pending", "pending", "pending"]  # recent done + old pending + seed's two
    run_event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.run")).one()
    assert run_event.details["inactive_agents"] == 1

    again = runner.invoke(args=["bridge", "retention", "run"])
    assert again.exit_code == 0
    assert "Retention done: 0 row(s) deleted, 0 agent(s) pseudonymised." in again.output


def test_other_packages_can_register_rules(db_session: Session) -> None:
    rule = retention.delete_rule(
        "launch_states_probe",
        "expired probe counters",
        RateLimitCounter.key,
        lambda at: RateLimitCounter.key.like("probe-%") & (RateLimitCounter.expires_at < at),
        retention.hours_setting("retention_hours_launch_state"),
    )
    retention.register(rule)
    retention.register(rule)
    try:
        assert [r.name for r in retention.rules()].count("launch_states_probe") == 1
        now = utcnow()
        db_session.add_all(
            [
                RateLimitCounter(key="probe-old", count=1, expires_at=now - timedelta(hours=30)),
                RateLimitCounter(key="probe-new", count=1, expires_at=now - timedelta(hours=2)),
            ]
        )
        db_session.commit()
        (run,) = [r for r in retention.plan(db_session, get_settings(), now) if r.rule.name == rule.name]
        assert run.found == 1  # 24 h by default
    finally:
        retention._extra_rules.remove(rule)
