"""Faults mid-run (5xx, timeouts, HTML pages, exception bodies, revoked token, kill -9), each followed by
a run that leaves Moodle exactly as a fault-free run does, with no enrolment ever sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.crypto import SecretBox
from config.database import Database
from config.settings import PROJECT_ROOT
from sync.models import SyncRun
from sync.runner import run_job
from sync.services import SyncServices
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.fakes.moodle import FakeMoodle
from tests.support.sync_seed import AgentSpec, outbox_statuses, seed_connection, seed_enrolments
from tests.sync.conftest import SYNC_TOKEN

AGENTS = 30


def _site() -> FakeMoodle:
    site = FakeMoodle().start()
    site.add_token(SYNC_TOKEN)
    site.add_course("PACNUM-A", id=500)
    site.add_course("PACNUM-B", id=501)
    for i in range(AGENTS):
        site.add_user(f"agent{i}", id=2000 + i)
    return site


def _connect(database: Database, box: SecretBox, site: FakeMoodle, issuer: str, **conn: Any) -> int:
    platform_id, connection_id = seed_connection(
        database, box, base_url=site.url, token=SYNC_TOKEN, issuer=issuer, **conn
    )
    agents = [AgentSpec(sub=str(2000 + i), lms_user_id=2000 + i) for i in range(AGENTS)]
    seed_enrolments(
        database,
        platform_id=platform_id,
        connection_id=connection_id,
        agents=agents,
        courses=[500, 501],
        per_agent=2,
    )
    return connection_id


def _fault_free_snapshot(database: Database, services: SyncServices, box: SecretBox) -> dict[str, Any]:
    site = _site()
    try:
        connection_id = _connect(
            database, box, site, "https://reference.example", batch_size=10, max_parallel=1
        )
        result = run_job(services, "push", connection_id=connection_id)
        assert (result.status, result.pushed) == ("ok", 2 * AGENTS)
        return site.snapshot()
    finally:
        site.stop()


def _settle(site: FakeMoodle) -> None:
    """Wait until the fake has finished requests the client gave up on (timeouts)."""
    deadline = time.monotonic() + 10
    while site.concurrent and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["500", "503", "html200", "maintenance", "timeout"])
def test_transient_faults_mid_run(
    database: Database, services: SyncServices, box: SecretBox, kind: str
) -> None:
    expected = _fault_free_snapshot(database, services, box)
    site = _site()
    try:
        connection_id = _connect(database, box, site, "https://faulty.example", batch_size=10, max_parallel=1)
        site.fail_next(2, kind, after=2, delay=1.5)  # the 3rd and 4th requests fail
        first = run_job(services, "push", connection_id=connection_id)
        _settle(site)
        if kind == "timeout":  # maybe sent: left "sending", verified by the next run, never re-sent
            assert first.status == "partial"
            assert first.progress["uncertain"] == 20  # two batches of 10 timed out
            second = run_job(services, "push", connection_id=connection_id)
            assert second.progress["verified"] == 20
            assert second.pushed == 20
            assert site.calls["enrol_manual_enrol_users"] == 6 + 0  # nothing sent again
        else:  # certainly not carried out: retried by the client within the run
            assert (first.status, first.pushed) == ("ok", 2 * AGENTS)
        assert site.snapshot() == expected
        assert set(site.state.enrol_sends.values()) == {1}
    finally:
        site.stop()


def test_token_revoked_mid_run(database: Database, services: SyncServices, box: SecretBox) -> None:
    expected = _fault_free_snapshot(database, services, box)
    site = _site()
    try:
        connection_id = _connect(
            database, box, site, "https://revoked.example", batch_size=10, max_parallel=1
        )
        site.revoke_token(SYNC_TOKEN, from_call=site.requests + 3)
        first = run_job(services, "push", connection_id=connection_id)
        assert (first.status, first.pushed) == ("failed", 20)
        assert first.error is not None
        assert "invalidtoken" in first.error
        assert "sync connect" in first.error
        assert outbox_statuses(database, connection_id).get("sending", 0) == 0
        site.revoke_token(SYNC_TOKEN, from_call=None)  # a new token, say
        second = run_job(services, "push", connection_id=connection_id)
        assert (second.status, second.pushed) == ("ok", 40)
        assert site.snapshot() == expected
        assert set(site.state.enrol_sends.values()) == {1}
    finally:
        site.stop()


def _subprocess_env(database: Database, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BRIDGE_ENV="test",
        BRIDGE_DATABASE_URL=database.url,
        BRIDGE_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
        BRIDGE_SECRET_KEY="test-secret-key-" + "x" * 32,
        BRIDGE_BASE_URL="http://localhost",
        BRIDGE_INSTANCE_PATH=str(tmp_path / "instance"),
        BRIDGE_LOG_LEVEL="WARNING",
    )
    return env


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def test_process_killed_mid_run(
    database: Database, services: SyncServices, box: SecretBox, tmp_path: Path
) -> None:
    expected = _fault_free_snapshot(database, services, box)
    site = _site()
    try:
        connection_id = _connect(database, box, site, "https://killed.example", batch_size=6, max_parallel=1)
        site.latency = 0.15
        env = _subprocess_env(database, tmp_path)
        process = subprocess.Popen(
            _flask("sync", "run", "push", "--connection", str(connection_id)),
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        # Kill it while an enrolment call is in flight (rows committed as "sending").
        while time.monotonic() < deadline and not (
            site.calls["enrol_manual_enrol_users"] >= 3 and site.concurrent == 1
        ):
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        _settle(site)
        sent_before = sum(site.state.enrol_sends.values())
        statuses = outbox_statuses(database, connection_id)
        assert 0 < sent_before < 2 * AGENTS
        assert statuses.get("sending", 0) > 0
        site.latency = 0
        again = subprocess.run(
            _flask("sync", "run", "push", "--connection", str(connection_id)),
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert "push: " in again.stdout
        assert outbox_statuses(database, connection_id) == {"done": 2 * AGENTS}
        assert site.snapshot() == expected
        assert set(site.state.enrol_sends.values()) == {1}
        with database.session_scope() as session:
            runs = list(session.scalars(select(SyncRun).where(SyncRun.job == "push").order_by(SyncRun.id)))
            assert [r.status for r in runs[-2:]] == ["interrupted", "ok"]
    finally:
        site.stop()
