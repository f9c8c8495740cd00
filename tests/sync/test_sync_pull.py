"""Pull job against the fake Moodle: each strategy, incremental + reconciliation, domain updates."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bridge.campaigns.models import CampaignMember
from bridge.recommendations.models import Recommendation
from config.crypto import SecretBox
from config.database import Database, utcnow
from sync.models import LmsConnection
from sync.runner import run_job
from sync.services import SyncServices
from tests.fakes.moodle import FakeMoodle
from tests.support.sync_seed import AgentSpec, Seeded, seed_connection, seed_enrolments
from tests.sync.conftest import SYNC_TOKEN

COURSES = [500, 501]


def _enrolled(
    database: Database, box: SecretBox, moodle: FakeMoodle, n: int, per_agent: int, **conn: object
) -> tuple[Seeded, list[int]]:
    users = [moodle.add_user(f"agent{i}") for i in range(n)]
    platform_id, connection_id = seed_connection(database, box, base_url=moodle.url, token=SYNC_TOKEN, **conn)
    seeded = seed_enrolments(
        database,
        platform_id=platform_id,
        connection_id=connection_id,
        agents=[AgentSpec(sub=str(u), lms_user_id=u) for u in users],
        courses=COURSES,
        per_agent=per_agent,
        status="enrolled",
        outbox=False,
    )
    for i, course in seeded.recommendations:
        moodle.enrol(users[i], course)
    return seeded, users


def _completed(database: Database) -> set[int]:
    with database.session_scope() as session:
        stmt = select(Recommendation.id).where(Recommendation.status == "completed")
        return set(session.scalars(stmt))


def _with(services: SyncServices, **settings: object) -> SyncServices:
    return replace(services, settings=services.settings.model_copy(update=settings))


def test_per_pair_for_small_sets_updates_recommendations_and_tracker(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    seeded, users = _enrolled(database, box, moodle, 10, 1)
    done = {seeded.recommendations[(i, COURSES[i % 2])] for i in (0, 3, 7)}
    for i in (0, 3, 7):
        moodle.set_completion(users[i], COURSES[i % 2], int(time.time()))
    moodle.reset_counters()
    result = run_job(services, "pull")
    assert (result.status, result.pulled, result.progress["strategy"]) == ("ok", 3, "per_pair")
    assert moodle.calls["core_completion_get_course_completion_status"] == 10
    assert _completed(database) == done
    with database.session_scope() as session:
        recs = session.scalars(select(Recommendation).where(Recommendation.id.in_(done)))
        assert all(r.completed_at is not None for r in recs)
        members = session.scalars(select(CampaignMember).where(CampaignMember.completed_at.is_not(None)))
        assert len(list(members)) == 3
        connection = session.get(LmsConnection, seeded.connection_id)
        assert connection is not None
        assert connection.last_incremental_pull_at is not None
        assert connection.last_full_reconciliation_at is not None
    # Completed pairs are no longer open: the next pull checks only the 7 others.
    moodle.reset_counters()
    again = run_job(services, "pull")
    assert again.pulled == 0
    assert moodle.calls["core_completion_get_course_completion_status"] == 7


def test_per_user_when_agents_have_several_courses(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    seeded, users = _enrolled(database, box, moodle, 8, 2, completion_strategy="per_user")
    moodle.set_completion(users[2], 501, int(time.time()))
    moodle.state.unenrol(users[5], 500)  # unenrolled by hand in Moodle: skipped, not failed
    moodle.reset_counters()
    result = run_job(services, "pull")
    assert (result.pulled, result.failed, result.skipped) == (1, 0, 1)
    assert result.progress["strategy"] == "per_user"
    assert moodle.calls["core_enrol_get_users_courses"] == 8
    assert moodle.calls["core_completion_get_course_completion_status"] == 0
    assert _completed(database) == {seeded.recommendations[(2, 501)]}


def test_incremental_by_course_access_then_full_reconciliation(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    services = _with(services, sync_pair_threshold=0)
    seeded, users = _enrolled(database, box, moodle, 30, 1)
    first = run_job(services, "pull")  # never reconciled: a full check first
    assert first.progress["full"] is True
    now = int(time.time())
    # Since then: 4 agents opened their course, 2 of them completed it; 1 was marked complete by a
    # teacher without opening the course (only the reconciliation sees it).
    for i in (1, 4, 9, 12):
        moodle.set_lastcourseaccess(users[i], COURSES[i % 2], now)
    for i in (4, 12, 20):
        moodle.set_completion(users[i], COURSES[i % 2], now)
    moodle.reset_counters()
    nightly = run_job(services, "pull")
    assert (nightly.progress["strategy"], nightly.progress["full"]) == ("incremental", False)
    assert nightly.progress["changed"] == 4
    assert nightly.pulled == 2
    assert moodle.calls["core_enrol_get_enrolled_users"] == 2  # one page per course
    assert moodle.requests == 2 + 4  # pages + one check per changed pair
    assert _completed(database) == {seeded.recommendations[(i, COURSES[i % 2])] for i in (4, 12)}
    with database.session_scope() as session:
        session.execute(
            update(LmsConnection).values(last_full_reconciliation_at=utcnow() - timedelta(days=8))
        )
    weekly = run_job(services, "pull")
    assert weekly.progress["full"] is True
    assert weekly.pulled == 1
    assert seeded.recommendations[(20, COURSES[0])] in _completed(database)


def test_failed_pull_keeps_the_window(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    seeded, _ = _enrolled(database, box, moodle, 5, 1)
    moodle.revoke_token(SYNC_TOKEN, from_call=moodle.requests + 3)
    result = run_job(services, "pull")
    assert result.status == "failed"
    assert result.error is not None
    assert "invalidtoken" in result.error
    with database.session_scope() as session:
        connection = session.get(LmsConnection, seeded.connection_id)
        assert connection is not None
        assert connection.last_incremental_pull_at is None


@pytest.mark.parametrize("strategy", ["per_pair", "per_user"])
def test_forced_strategies_agree(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle, strategy: str
) -> None:
    seeded, users = _enrolled(database, box, moodle, 12, 2, completion_strategy=strategy)
    for i in (0, 5, 11):
        moodle.set_completion(users[i], COURSES[(i + 1) % 2], int(time.time()))
    result = run_job(services, "pull")
    assert result.progress["strategy"] == strategy
    assert _completed(database) == {seeded.recommendations[(i, COURSES[(i + 1) % 2])] for i in (0, 5, 11)}
