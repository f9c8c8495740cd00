"""`flask --app wsgi sync ...` commands."""

from __future__ import annotations

import re

from flask.testing import FlaskCliRunner
from sqlalchemy import select

from bridge.campaigns.models import Campaign
from bridge.tracker.models import StatRefresh
from config.crypto import SecretBox
from config.database import Database
from lti.models import Platform
from sync.models import LmsConnection
from tests.fakes.moodle import FakeMoodle
from tests.fakes.moodle.seeding import CAPTURE_FUNCTIONS
from tests.support.sync_seed import AgentSpec, seed_connection, seed_enrolments
from tests.sync.conftest import SYNC_TOKEN

ISSUER = "https://moodle.ministere.gouv.fr"


def _platform(database: Database) -> int:
    with database.session_scope() as session:
        platform = Platform(
            issuer=ISSUER, client_id="pacnum", auth_login_url="x", auth_token_url="x", key_set_url="x"
        )
        session.add(platform)
        session.flush()
        return platform.id


def test_connect_encrypts_the_token_and_checks(
    runner: FlaskCliRunner, database: Database, box: SecretBox, moodle: FakeMoodle
) -> None:
    platform_id = _platform(database)
    result = runner.invoke(
        args=["sync", "connect", "--platform", ISSUER, "--url", moodle.url + "/", "--token", SYNC_TOKEN]
    )
    assert result.exit_code == 0, result.output
    assert "Moodle 4.5.6 (Build: 20250811)" in result.output
    assert "has all 8 functions" in result.output
    assert SYNC_TOKEN not in result.output
    with database.session_scope() as session:
        connection = session.scalars(select(LmsConnection)).one()
        assert connection.platform_id == platform_id
        assert connection.base_url == moodle.url
        assert SYNC_TOKEN not in connection.token_encrypted
        assert box.decrypt(connection.token_encrypted) == SYNC_TOKEN
        assert connection.moodle_release == "4.5.6 (Build: 20250811)"
        assert connection.missing_functions == []


def test_connect_refuses_bad_input_and_bad_tokens(
    runner: FlaskCliRunner, database: Database, moodle: FakeMoodle
) -> None:
    _platform(database)
    result = runner.invoke(
        args=["sync", "connect", "--platform", "https://nope", "--url", moodle.url, "--token", "t"]
    )
    assert result.exit_code == 1
    assert "no LTI platform is registered with issuer 'https://nope'" in result.output
    result = runner.invoke(args=["sync", "connect", "--url", "moodle.example", "--token", "t"])
    assert "is not an absolute http(s) URL" in result.output
    result = runner.invoke(
        args=["sync", "connect", "--platform", ISSUER, "--url", moodle.url, "--token", "WRONG"]
    )
    assert result.exit_code == 1
    assert "refused the connection, nothing saved" in result.output
    assert "invalidtoken" in result.output
    assert "WRONG" not in result.output
    with database.session_scope() as session:
        assert session.scalars(select(LmsConnection)).first() is None


def test_check_lists_missing_functions(
    runner: FlaskCliRunner, database: Database, box: SecretBox, moodle: FakeMoodle
) -> None:
    moodle.add_token("LIMITED", CAPTURE_FUNCTIONS)
    seed_connection(database, box, base_url=moodle.url, token="LIMITED")
    result = runner.invoke(args=["sync", "check"])
    assert result.exit_code == 1
    assert "Moodle 4.5.6 (Build: 20250811), 1 missing function(s)" in result.output
    assert "  - core_enrol_get_users_courses" in result.output


def test_run_prints_a_summary_and_runs_lists_history(
    runner: FlaskCliRunner, database: Database, box: SecretBox, moodle: FakeMoodle
) -> None:
    users = [moodle.add_user(f"agent{i}") for i in range(1234 // 100)]
    platform_id, connection_id = seed_connection(database, box, base_url=moodle.url, token=SYNC_TOKEN)
    seed_enrolments(
        database,
        platform_id=platform_id,
        connection_id=connection_id,
        agents=[AgentSpec(sub=str(u), lms_user_id=u) for u in users],
        courses=[500, 501],
        per_agent=2,
    )
    dry = runner.invoke(args=["sync", "run", "push", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "(dry run) push: 0 enrolled" in dry.output
    assert "would_push: 24" in dry.output
    result = runner.invoke(args=["sync", "run", "push"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^push: 24 enrolled, 0 failed, 0 skipped in \d+ s \(1 calls\)$", result.output, re.M)
    history = runner.invoke(args=["sync", "runs", "--limit", "5"])
    lines = history.output.splitlines()
    assert lines[0].split()[:4] == ["id", "started", "(UTC)", "job"]
    assert " push    manual   ok " in lines[1]
    assert "ok (dry)" in lines[2]
    everything = runner.invoke(args=["sync", "run", "all", "--connection", str(connection_id)])
    assert everything.exit_code == 0, everything.output
    summaries = re.findall(r"^(\w+): .* calls\)", everything.output, re.M)
    assert summaries == ["match", "push", "pull", "grades", "stats"]


def test_run_unknown_connection(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["sync", "run", "pull", "--connection", "999"])
    assert result.exit_code == 1
    assert "no LMS connection with id 999" in result.output


def test_stats_job_refreshes_the_tracker(runner: FlaskCliRunner, database: Database) -> None:
    with database.session_scope() as session:
        session.add(Campaign(code="DGFIP-S", name="DGFIP stats"))
    result = runner.invoke(args=["sync", "run", "stats"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^stats: 1 campaigns refreshed, 0 failed", result.output, re.M)
    with database.session_scope() as session:
        assert session.scalars(select(StatRefresh)).all()
