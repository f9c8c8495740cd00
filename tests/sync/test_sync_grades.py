"""Grades job: drains the AGS score queue through the DomainPort to a real HTTP endpoint."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, ScoreOutbox
from bridge.sync_port import BridgeSyncPort
from config.database import Database, utcnow
from lti.models import Platform
from sync.ports import ScoreRef, ScoreSendError
from sync.runner import run_job
from sync.services import SyncServices
from tests.fakes.ags import SCORE_TYPE, FakeAgs


def send_score(score: ScoreRef) -> None:
    """What the LTI AGS client does for one score (here without the OAuth2 token exchange)."""
    assert score.lineitem_url is not None
    body = {
        "userId": score.user_sub,
        "scoreGiven": score.score_given,
        "scoreMaximum": score.score_maximum,
        "comment": score.comment,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": utcnow().isoformat(),
    }
    try:
        response = requests.post(
            score.lineitem_url + "/scores",
            json=body,
            headers={"Content-Type": SCORE_TYPE, "Authorization": "Bearer test-access-token"},
            timeout=5,
        )
    except requests.RequestException as exc:
        raise ScoreSendError(f"AGS unreachable: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        retryable = response.status_code >= 500 or response.status_code == 429
        raise ScoreSendError(f"AGS answered HTTP {response.status_code}", retryable=retryable)


@pytest.fixture
def ags() -> Iterator[FakeAgs]:
    with FakeAgs() as endpoint:
        yield endpoint


@pytest.fixture
def grading(services: SyncServices) -> SyncServices:
    return replace(services, port=BridgeSyncPort(score_sender=send_score))


def _queue(database: Database, ags: FakeAgs, n: int) -> list[int]:
    with database.session_scope() as session:
        platform = Platform(
            issuer="https://moodle.example",
            client_id="c",
            auth_login_url="x",
            auth_token_url="x",
            key_set_url="x",
        )
        session.add(platform)
        session.flush()
        ids = []
        for i in range(n):
            agent = Agent(platform_id=platform.id, sub=str(100 + i))
            session.add(agent)
            session.flush()
            assessment = Assessment(agent_id=agent.id, seed=i, status="finished")
            session.add(assessment)
            session.flush()
            row = ScoreOutbox(
                assessment_id=assessment.id,
                platform_id=platform.id,
                lineitem_url=ags.lineitem(i),
                user_sub=str(100 + i),
                score_given=12.5 + i,
                score_maximum=20,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
        return ids


def _rows(database: Database) -> dict[int, ScoreOutbox]:
    with database.session_scope() as session:
        return {r.id: r for r in session.scalars(select(ScoreOutbox))}


def test_drains_due_scores_and_backs_off_failures(
    database: Database, grading: SyncServices, ags: FakeAgs
) -> None:
    ids = _queue(database, ags, 5)
    with database.session_scope() as session:  # not due yet: left alone
        session.execute(
            update(ScoreOutbox)
            .where(ScoreOutbox.id == ids[4])
            .values(next_attempt_at=utcnow() + timedelta(hours=1))
        )
    ags.fail_next(503)
    result = run_job(grading, "grades")
    assert (result.status, result.pushed, result.skipped, result.failed) == ("ok", 3, 1, 0)
    rows = _rows(database)
    sent = [r for r in rows.values() if r.status == "sent"]
    assert len(sent) == 3
    assert all(r.sent_at is not None and r.attempts == 1 for r in sent)
    retry = next(r for r in rows.values() if r.status == "pending" and r.attempts == 1)
    assert retry.last_error == "AGS answered HTTP 503"
    assert utcnow() + timedelta(seconds=40) < retry.next_attempt_at < utcnow() + timedelta(seconds=80)
    assert {s["userId"] for s in ags.scores} <= {"100", "101", "102", "103"}
    # Due again: the next run delivers it.
    with database.session_scope() as session:
        session.execute(
            update(ScoreOutbox).where(ScoreOutbox.id == retry.id).values(next_attempt_at=utcnow())
        )
    again = run_job(grading, "grades")
    assert again.pushed == 1
    assert len(ags.scores) == 4


def test_gives_up_after_max_attempts_or_a_permanent_error(
    database: Database, grading: SyncServices, ags: FakeAgs
) -> None:
    ids = _queue(database, ags, 2)
    later = utcnow() + timedelta(hours=1)
    with database.session_scope() as session:
        session.execute(update(ScoreOutbox).where(ScoreOutbox.id == ids[0]).values(attempts=9))
        session.execute(update(ScoreOutbox).where(ScoreOutbox.id == ids[1]).values(next_attempt_at=later))
    ags.fail_next(500)
    result = run_job(grading, "grades")
    assert (result.status, result.failed) == ("partial", 1)
    assert _rows(database)[ids[0]].status == "failed"
    assert _rows(database)[ids[0]].attempts == 10
    with database.session_scope() as session:
        session.execute(update(ScoreOutbox).where(ScoreOutbox.id == ids[1]).values(next_attempt_at=utcnow()))
    ags.fail_next(404)  # the line item is gone: retrying cannot help
    result = run_job(grading, "grades")
    assert result.failed == 1
    row = _rows(database)[ids[1]]
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "AGS answered HTTP 404")
    assert result.progress["errors"] == [f"score {ids[1]} given up after 1 attempt(s): AGS answered HTTP 404"]


def test_without_an_ags_client_the_queue_is_left_alone(
    database: Database, services: SyncServices, ags: FakeAgs
) -> None:
    _queue(database, ags, 1)
    result = run_job(dataclasses.replace(services, port=BridgeSyncPort()), "grades")
    assert result.status == "failed"
    assert result.error is not None
    assert "no AGS client" in result.error
    assert ags.requests == 0
    assert {r.attempts for r in _rows(database).values()} == {0}
