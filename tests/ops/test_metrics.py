"""/metrics: protection, event counters, figures read from the database, several gunicorn workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, AssessmentItem, ScoreOutbox
from bridge.core import metrics
from bridge.ops.metrics_db import DatabaseCollector
from config.database import Database, utcnow
from lti.models import Platform
from sync.models import LmsConnection, OutboxOperation, SyncRun
from tests.support.gunicorn import gunicorn

MakeApp = Callable[..., Flask]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(app: Flask, **kwargs: object) -> Samples:
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return parse(response.get_data(as_text=True))


# Protection ---------------------------------------------------------------------------------------


def test_loopback_is_allowed_by_default(app: Flask) -> None:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    assert "bridge_database_up 1.0" in response.get_data(as_text=True)
    v6 = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "::1"})
    assert v6.status_code == 200


def test_other_addresses_are_refused(app: Flask) -> None:
    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert "bridge_" not in response.get_data(as_text=True)


def test_the_token_opens_from_anywhere_and_a_wrong_one_never(make_app: MakeApp) -> None:
    app = make_app(metrics_token="s3cret-metrics-token")
    client = app.test_client()
    remote = {"REMOTE_ADDR": "203.0.113.5"}
    good = {"Authorization": "Bearer s3cret-metrics-token"}
    assert client.get("/metrics", environ_base=remote, headers=good).status_code == 200
    assert client.get("/metrics", environ_base=remote).status_code == 403
    bad = {"Authorization": "Bearer guess"}
    assert client.get("/metrics", headers=bad).status_code == 403  # even from loopback
    assert client.get("/metrics", headers={"Authorization": "Basic Z3Vlc3M="}).status_code == 403


def test_allow_list_takes_networks_and_can_be_emptied(make_app: MakeApp) -> None:
    app = make_app(metrics_allow="10.0.0.0/8, 2001:db8::/32")
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "2001:db8::7"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback no longer listed
    closed = make_app(metrics_allow="")
    assert closed.test_client().get("/metrics").status_code == 403


def test_a_bad_allow_list_names_the_variable(settings_factory) -> None:  # type: ignore[no-untyped-def]
    from config.settings import SettingsError

    with pytest.raises(SettingsError, match="BRIDGE_METRICS_ALLOW"):
        settings_factory(metrics_allow="10.0.0.0/8,intranet")


# Event counters -----------------------------------------------------------------------------------


def test_launches_errors_and_requests_are_counted(app: Flask) -> None:
    before = scrape(app)
    metrics.count_launch(True)
    metrics.count_launch(True)
    metrics.count_launch(False, "invalid_nonce")
    metrics.count_launch(False, "Deployment unknown!")
    client = app.test_client()
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/healthz").status_code == 200
    after = scrape(app)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("bridge_lti_launches_total", outcome="ok", code="none") == 2
    assert delta("bridge_lti_launches_total", outcome="refused", code="invalid_nonce") == 1
    assert delta("bridge_lti_launches_total", outcome="refused", code="deployment_unknown") == 1
    assert delta("bridge_errors_total", status="404", code="not_found") == 1
    assert delta("bridge_http_requests_total", endpoint="unmatched", method="GET", status_class="4xx") == 1
    assert delta("bridge_http_requests_total", endpoint="core.healthz", method="GET", status_class="2xx") == 1
    assert delta("bridge_http_request_duration_seconds_count", endpoint="core.healthz") == 1
    # The first scrape itself was counted.
    assert (
        delta("bridge_http_requests_total", endpoint="ops.prometheus", method="GET", status_class="2xx") == 1
    )


# Figures read from the database -------------------------------------------------------------------


def _seed(session: Session) -> None:
    now = utcnow()
    platform = Platform(
        issuer="https://moodle.example.fr",
        client_id="c1",
        auth_login_url="https://moodle.example.fr/mod/lti/auth.php",
        auth_token_url="https://moodle.example.fr/mod/lti/token.php",
        key_set_url="https://moodle.example.fr/mod/lti/certs.php",
    )
    connection = LmsConnection(base_url="https://moodle.example.fr", token_encrypted="x")
    agent = Agent(sub="s1")
    session.add_all([platform, connection, agent])
    session.flush()
    hour = timedelta(hours=1)
    runs = [
        ("push_enrolments", "ok", now - 3 * hour, timedelta(seconds=120), None),
        ("pull_completions", "failed", now - 30 * hour, timedelta(0), None),
        ("pull_completions", "failed", now - 2 * hour, timedelta(seconds=5), None),
        ("pull_completions", "running", now - hour, None, now - timedelta(seconds=90)),
    ]
    for job, status, started, took, heartbeat in runs:
        finished = started + took if took is not None else None
        session.add(
            SyncRun(job=job, status=status, started_at=started, finished_at=finished, heartbeat_at=heartbeat)
        )
    for n, status in enumerate(["pending", "pending", "failed", "done"]):
        session.add(
            OutboxOperation(
                connection_id=connection.id,
                operation="enrol",
                idempotency_key=f"k{n}",
                payload={},
                status=status,
                created_at=now - timedelta(minutes=10 * (n + 1)),
            )
        )
    for n, status in enumerate(["in_progress", "in_progress", "finished"]):
        assessment = Assessment(agent_id=agent.id, seed=n, status=status)
        session.add(assessment)
        session.flush()
        session.add(
            ScoreOutbox(
                assessment_id=assessment.id,
                platform_id=platform.id,
                user_sub="s1",
                score_given=1,
                score_maximum=2,
                status=["pending", "failed", "sent"][n],
                created_at=now - timedelta(minutes=5),
            )
        )
    for n, competence in enumerate(["1.1", "1.1", "4.1"]):
        session.add(
            AssessmentItem(id=f"i{n}", competence=competence, kind="single", level=1, a=1, b=0, data={})
        )
    session.add(
        AssessmentItem(
            id="retired", competence="4.1", kind="single", level=1, a=1, b=0, data={}, active=False
        )
    )
    session.commit()


def test_database_figures(app: Flask, db_session: Session) -> None:
    _seed(db_session)
    samples = scrape(app)
    assert value(samples, "bridge_database_up") == 1
    assert value(samples, "bridge_sync_last_run_duration_seconds", job="push_enrolments") == 120
    assert value(samples, "bridge_sync_last_run_duration_seconds", job="pull_completions") == 5
    assert value(samples, "bridge_sync_last_run_status", job="pull_completions", status="running") == 1
    assert value(samples, "bridge_sync_last_run_status", job="pull_completions", status="failed") == 0
    assert value(samples, "bridge_sync_last_run_status", job="push_enrolments", status="ok") == 1
    assert (
        value(samples, "bridge_sync_failures_last_24h", job="pull_completions") == 1
    )  # not the 30 h old one
    assert value(samples, "bridge_sync_failures_last_24h", job="push_enrolments") == 0
    assert value(samples, "bridge_sync_runs_last_24h", job="pull_completions", status="running") == 1
    heartbeat = [v for (name, _), v in samples.items() if name == "bridge_sync_running_heartbeat_age_seconds"]
    assert len(heartbeat) == 1
    assert 85 <= heartbeat[0] < 600
    assert value(samples, "bridge_lms_outbox_rows", status="pending") == 2
    assert value(samples, "bridge_lms_outbox_rows", status="failed") == 1
    assert value(samples, "bridge_lms_outbox_rows", status="sending") == 0
    assert 1190 <= value(samples, "bridge_lms_outbox_oldest_pending_age_seconds") < 1800
    assert value(samples, "bridge_ags_outbox_rows", status="pending") == 1
    assert value(samples, "bridge_ags_outbox_rows", status="failed") == 1
    assert value(samples, "bridge_item_bank_items", competence="1.1") == 2
    assert value(samples, "bridge_item_bank_items", competence="4.1") == 1
    assert value(samples, "bridge_assessments_started_total") == 3
    assert value(samples, "bridge_assessments_completed_total") == 1
    assert value(samples, "bridge_assessments_in_progress") == 2


def test_an_unreachable_database_reports_down_instead_of_failing(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every query fails
    families = list(DatabaseCollector(broken).collect())
    assert [(f.name, f.samples[0].value) for f in families] == [("bridge_database_up", 0.0)]
    broken.dispose()


# Several processes --------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_gunicorn_workers_add_up(database_url: str, tmp_path: Path) -> None:
    """Two real gunicorn workers (gunicorn.conf.py): /metrics sums what every worker counted."""
    with gunicorn(database_url, tmp_path, workers=2) as server:
        for _ in range(40):
            # A fresh connection each time, so both workers get requests.
            response = requests.get(f"{server.url}/healthz", timeout=5, headers={"Connection": "close"})
            assert response.status_code == 200
        for _ in range(3):
            missing = requests.get(f"{server.url}/no-such-page", timeout=5, headers={"Connection": "close"})
            assert missing.status_code == 404
        samples = parse(requests.get(f"{server.url}/metrics", timeout=10).text)
    assert len(list((tmp_path / "prom").glob("counter_*.db"))) == 2  # one file per worker
    # Every request of both workers is counted once.
    healthz = value(
        samples, "bridge_http_requests_total", endpoint="core.healthz", method="GET", status_class="2xx"
    )
    assert healthz == 40
    assert value(samples, "bridge_errors_total", status="404", code="not_found") == 3
    assert value(samples, "bridge_database_up") == 1
