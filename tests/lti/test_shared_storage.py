"""Launch state shared by workers and nodes: database and Redis storage, two app instances, platform
storage (lti_storage_target) with the browser-binding check."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import redis
import requests
from sqlalchemy import event
from sqlalchemy.orm import Session

from config.database import Database, utcnow
from config.settings import Settings
from lti.storage import DatabaseLaunchStorage, LaunchStorage, LoginState, RedisLaunchStorage
from tests.fakes.lti_platform import TestPlatform, data_attributes, parse_form
from tests.lti.conftest import Tool, register, serve_tool
from tests.support import databases

REDIS_URL = os.environ.get("BRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: CI must run the Redis storage tests")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture(params=["database", "redis"])
def storage(request: pytest.FixtureRequest, database: Database) -> Iterator[LaunchStorage]:
    if request.param == "redis":
        url = _redis_or_skip()
        client = redis.Redis.from_url(url)
        prefix = f"pacnum-test:{os.getpid()}:"
        yield RedisLaunchStorage(client, prefix=prefix)
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        return
    yield DatabaseLaunchStorage.for_database(database)
    databases.clean_tables(database)


def _platform_row(database: Database) -> int:
    with TestPlatform("http://tool.invalid") as platform:
        return register(database, platform)


def test_states_are_used_once_and_expire(storage: LaunchStorage, database: Database) -> None:
    platform_id = _platform_row(database)
    login = LoginState(
        "s1", platform_id, "n1", "http://t/lti/launch", None, None, utcnow() + timedelta(minutes=5)
    )
    storage.save_state(login)
    assert storage.consume_state("s1") == login
    # Used: never again, and told apart from a state that never existed.
    assert storage.consume_state("s1") is None
    assert storage.state_was_used("s1") is True
    assert storage.consume_state("unknown") is None
    assert storage.state_was_used("unknown") is False
    storage.save_state(LoginState("old", platform_id, "n", "", None, None, utcnow() - timedelta(seconds=1)))
    assert storage.consume_state("old") is None
    assert storage.state_was_used("old") is False


def test_a_state_is_consumed_by_one_of_many_concurrent_launches(
    storage: LaunchStorage, database: Database
) -> None:
    platform_id = _platform_row(database)
    expires = utcnow() + timedelta(minutes=5)
    storage.save_state(LoginState("race", platform_id, "n1", "", None, None, expires))
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _n: storage.consume_state("race"), range(8)))
    assert sum(outcome is not None for outcome in outcomes) == 1


def test_values_expire_and_pop_once(storage: LaunchStorage) -> None:
    storage.put("k", "v1", timedelta(minutes=1))
    storage.put("k", "v2", timedelta(minutes=1))
    assert storage.get("k") == "v2"
    assert storage.pop("k") == "v2"
    assert storage.pop("k") is None
    storage.put_json("j", {"a": [1, 2]}, timedelta(minutes=1))
    assert storage.get_json("j") == {"a": [1, 2]}


def test_launch_with_redis_storage(
    settings_factory: Callable[..., Settings], database: Database, http: requests.Session
) -> None:
    url = _redis_or_skip()
    with (
        serve_tool(settings_factory, database, redis_url=url) as server,
        TestPlatform(server.url) as platform,
    ):
        register(database, platform)
        response = platform.launch(http, "4")
        assert response.status_code == 200, response.text[:500]
        ticket = platform.start_login(http, "4")
        token = platform.id_token("4", ticket.nonce)
        assert http.post(server.url + "/lti/launch", data={"id_token": token, "state": ticket.state}).ok
        replay = http.post(server.url + "/lti/launch", data={"id_token": token, "state": ticket.state})
        assert replay.status_code == 401
        assert "lti.nonce_replayed" in replay.text
    databases.clean_tables(database)


def test_login_on_one_worker_launch_on_another(
    settings_factory: Callable[..., Settings], database: Database, http: requests.Session
) -> None:
    """Two app instances (two gunicorn workers or nodes) behind one public URL, sharing the database."""
    first = serve_tool(settings_factory, database)
    second = serve_tool(settings_factory, database, base_url=first.url)
    with first, second, TestPlatform(first.url) as platform:
        register(database, platform)
        ticket = platform.start_login(http, "4")  # served by the first worker
        auth = http.get(ticket.location, timeout=10)
        _action, fields = parse_form(auth.text)
        response = http.post(second.url + "/lti/launch", data=fields, timeout=10)  # the second worker
        assert response.status_code == 200, response.text[:500]
        assert "Bonjour Agent" in response.text
    databases.clean_tables(database)


def test_platform_storage_login_and_binding_check(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    platform.storage_target = "post_message_forwarding"
    page = http.post(platform.tool_login_url, data=platform.login_initiation("4"), allow_redirects=False)
    assert page.status_code == 200  # a page that stores the binding secret in the platform's frame
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'data-storage-target="post_message_forwarding"' in page.text
    assert f'data-platform-origin="{platform.server_url}"' in page.text
    assert "platform-storage-login.js" in page.text
    assert "<script>" not in page.text  # CSP: no inline script
    data = data_attributes(page.text, "lti-platform-storage")
    binding, auth_url = data["binding"], data["auth-url"]

    _action, fields = parse_form(http.get(auth_url).text)
    checking = http.post(platform.tool_launch_url, data=fields)
    assert checking.status_code == 200
    assert "platform-storage-launch.js" in checking.text
    _confirm, form = parse_form(checking.text)

    forged = http.post(tool.url + "/lti/launch/confirm", data={**form, "binding": "guess"})
    assert forged.status_code == 401
    assert "lti.binding_failed" in forged.text
    # A failed check consumed the launch: a new one is needed.
    response = http.post(tool.url + "/lti/launch/confirm", data={**form, "binding": binding})
    assert response.status_code == 400
    assert "lti.launch_expired" in response.text


def test_platform_storage_binding_accepted(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    platform.storage_target = "_parent"
    page = http.post(platform.tool_login_url, data=platform.login_initiation("4"), allow_redirects=False)
    data = data_attributes(page.text, "lti-platform-storage")
    assert "lti_storage_target" not in data["retry-url"]  # the fallback starts again without platform storage
    assert "login_hint=4" in data["retry-url"]
    _action, fields = parse_form(http.get(data["auth-url"]).text)
    _confirm, form = parse_form(http.post(platform.tool_launch_url, data=fields).text)
    response = http.post(tool.url + "/lti/launch/confirm", data={**form, "binding": data["binding"]})
    assert response.status_code == 200
    assert "Bonjour Agent" in response.text


def test_concurrent_put_of_the_same_key_keeps_the_last_value(database: Database) -> None:
    """Two workers caching the same platform access token at once: the one whose INSERT loses the race
    updates the row instead of failing (found by bench/load_agents.py on PostgreSQL)."""
    if database.backend != "postgresql":
        pytest.skip("SQLite serialises writers: the two INSERTs cannot race there")
    storage = DatabaseLaunchStorage.for_database(database)
    raced = False

    def other_worker_wins(session: Session, _context: object, _instances: object) -> None:
        nonlocal raced
        if not raced:
            raced = True
            DatabaseLaunchStorage.for_database(database).put("token:k", "first", timedelta(minutes=5))

    try:
        event.listen(Session, "before_flush", other_worker_wins)
        storage.put("token:k", "second", timedelta(minutes=5))
    finally:
        event.remove(Session, "before_flush", other_worker_wins)
        assert raced
    assert storage.get("token:k") == "second"
    databases.clean_tables(database)
