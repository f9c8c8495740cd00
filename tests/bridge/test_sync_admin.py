"""Admin pages of the sync: /admin/synchronisation."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, ScoreOutbox
from config.database import Database
from sync import locks
from sync.cli import get_services
from sync.models import OutboxOperation, SyncRun
from tests.fakes.moodle import FakeMoodle
from tests.support import admin as admin_support
from tests.support.sync_seed import AgentSpec, seed_connection, seed_enrolments

TOKEN = "ADMINTOKEN"
URL = "/admin/synchronisation"


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as site:
        site.add_token(TOKEN)
        site.add_course("PACNUM-A", id=500)
        yield site


@pytest.fixture
def admin(client: FlaskClient, database: Database) -> FlaskClient:
    admin_support.sign_in(client, database)
    return client


def _csrf(client: FlaskClient) -> str:
    page = client.get(URL).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def _seed(app: Flask, database: Database, moodle: FakeMoodle, n: int = 5) -> int:
    box = get_services(app).secret_box()
    users = [moodle.add_user(f"agent{i}") for i in range(n)]
    platform_id, connection_id = seed_connection(
        database, box, base_url=moodle.url, token=TOKEN, name="Moodle DGFiP"
    )
    seed_enrolments(
        database,
        platform_id=platform_id,
        connection_id=connection_id,
        agents=[AgentSpec(sub=str(u), lms_user_id=u) for u in users],
        courses=[500],
    )
    return connection_id


def test_admins_only(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 302  # to the console's login page
    assert response.headers["Location"].startswith("/admin/connexion")
    assert client.post(URL + "/lancer", data={"job": "push"}).status_code in (302, 400)


def test_page_lists_connections_runs_failures_and_scores(
    app: Flask, admin: FlaskClient, database: Database, moodle: FakeMoodle
) -> None:
    _seed(app, database, moodle)
    with database.session_scope() as session:
        row = session.scalars(select(OutboxOperation)).first()
        assert row is not None
        row.status, row.last_error = "failed", "wsnoinstance: Manual enrolment plugin instance doesn't exist"
        session.add(SyncRun(job="pull", status="failed", error="Moodle refused the run", progress={}))
        session.add(
            SyncRun(job="push", status="running", progress={"phase": "push #1", "done": 40, "total": 120})
        )
    page = admin.get(URL).get_data(as_text=True)
    assert "Moodle DGFiP" in page
    assert "Moodle refused the run" in page
    assert "wsnoinstance" in page
    assert '<progress id="progress-' in page
    assert 'max="120" value="40"' in page
    assert "Aucun planificateur" in page
    assert "<caption>" in page
    assert 'scope="col"' in page


def test_test_connection_shows_release(
    app: Flask, admin: FlaskClient, database: Database, moodle: FakeMoodle
) -> None:
    connection_id = _seed(app, database, moodle)
    response = admin.post(f"{URL}/connexions/{connection_id}/tester", data={"csrf_token": _csrf(admin)})
    assert response.status_code == 302
    page = admin.get(URL).get_data(as_text=True)
    assert "Connexion réussie : Moodle 4.5.6 (Build: 20250811)" in page
    assert admin.post(f"{URL}/connexions/999/tester", data={"csrf_token": _csrf(admin)}).status_code == 404


def test_trigger_runs_in_the_background_under_the_lock(
    app: Flask, admin: FlaskClient, database: Database, moodle: FakeMoodle
) -> None:
    _seed(app, database, moodle)
    token = _csrf(admin)
    assert admin.post(URL + "/lancer", data={"job": "push", "csrf_token": token}).status_code == 302
    deadline = time.monotonic() + 15
    run = None
    while time.monotonic() < deadline:
        with database.session_scope() as session:
            run = session.scalars(select(SyncRun).where(SyncRun.trigger == "admin")).first()
            if run is not None and run.status != "running":
                break
        time.sleep(0.05)
    assert run is not None
    assert (run.status, run.pushed) == ("ok", 5)
    assert len(moodle.state.enrol_sends) == 5
    held = locks.acquire(database, "pull", timedelta(minutes=5), owner="other:1:x")
    try:
        admin.post(URL + "/lancer", data={"job": "pull", "csrf_token": token})
        assert "est déjà en cours" in admin.get(URL).get_data(as_text=True)
    finally:
        held.release(database)
    assert admin.post(URL + "/lancer", data={"job": "nope", "csrf_token": token}).status_code == 400
    assert admin.post(URL + "/lancer", data={"job": "push"}).status_code == 400  # no CSRF token


def test_retry_buttons(app: Flask, admin: FlaskClient, database: Database, moodle: FakeMoodle) -> None:
    _seed(app, database, moodle, 1)
    with database.session_scope() as session:
        row = session.scalars(select(OutboxOperation)).one()
        row.status, row.last_error = "skipped", "agent not found in Moodle"
        agent = session.scalars(select(Agent)).one()
        assessment = Assessment(agent_id=agent.id, seed=1, status="finished")
        session.add(assessment)
        session.flush()
        score = ScoreOutbox(
            assessment_id=assessment.id, platform_id=agent.platform_id, user_sub="4", score_given=10,
            score_maximum=20, status="failed", attempts=10, last_error="AGS answered HTTP 500",
        )  # fmt: skip
        session.add(score)
        session.flush()
        row_id, score_id = row.id, score.id
    token = _csrf(admin)
    assert admin.post(f"{URL}/file/{row_id}/relancer", data={"csrf_token": token}).status_code == 302
    assert admin.post(f"{URL}/notes/{score_id}/relancer", data={"csrf_token": token}).status_code == 302
    with database.session_scope() as session:
        row = session.get(OutboxOperation, row_id)
        score = session.get(ScoreOutbox, score_id)
        assert row is not None
        assert score is not None
        assert (row.status, row.last_error) == ("pending", None)
        assert score.status == "pending"
    assert admin.post(f"{URL}/file/{row_id}/relancer", data={"csrf_token": token}).status_code == 409
