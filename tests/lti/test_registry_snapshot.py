"""The per-process snapshot of registrations (lti.registry_cache): an ordinary login and launch read no
registration table; whatever the snapshot cannot accept is decided by the rows; a withdrawal made in this
process applies at once, one made elsewhere within BRIDGE_LTI_REGISTRY_CACHE_SECONDS."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import event, select, text

from config.database import Database
from config.settings import Settings
from lti import registry, registry_cache
from lti.models import Platform
from tests.fakes.lti_platform import TestPlatform
from tests.lti.conftest import Tool, register, running_tool


def _code(response: requests.Response) -> str:
    start = response.text.find("<code>lti.")
    return response.text[start + 6 : response.text.find("</code>", start)] if start >= 0 else ""


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """Every SQL statement the tool sends while the block runs."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


@contextmanager
def registered_platform(
    settings_factory: Callable[..., Settings], database: Database, snapshot_seconds: int
) -> Iterator[TestPlatform]:
    """A tool served with this snapshot lifetime, and a test platform registered on it."""
    with (
        running_tool(settings_factory, database, lti_registry_cache_seconds=snapshot_seconds) as tool,
        TestPlatform(tool.url) as platform,
    ):
        register(database, platform)
        yield platform


def _login(http: requests.Session, platform: TestPlatform) -> requests.Response:
    return http.post(platform.tool_login_url, data=platform.login_initiation("4"), allow_redirects=False)


def _outside_this_process(database: Database, sql: str) -> None:
    """A change made by another process: plain SQL, no ORM flush of this one."""
    with database.engine.begin() as conn:
        conn.execute(text(sql))


def test_an_ordinary_launch_reads_no_registration_table(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    assert platform.launch(http, "4").status_code == 200  # fetches the platform's keys into the rows
    assert platform.launch(http, "4").status_code == 200  # the snapshot now holds them
    with statements(tool.database) as seen:
        assert platform.launch(http, "4").status_code == 200
    assert seen, "the launch stores nothing?"
    touching = [s for s in seen if "lti_platform" in s or "lti_deployment" in s]
    assert touching == []


def test_a_withdrawal_made_in_this_process_applies_at_once(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    assert platform.launch(http, "4").status_code == 200
    assert platform.launch(http, "4").status_code == 200
    with tool.database.session_scope() as session:
        registry.set_deployment_active(session, platform.issuer, "1", active=False)
    refused = platform.launch(http, "4")
    assert (refused.status_code, _code(refused)) == (403, "lti.deployment_inactive")

    with tool.database.session_scope() as session:
        registry.set_deployment_active(session, platform.issuer, "1", active=True)
    assert platform.launch(http, "4").status_code == 200
    with tool.database.session_scope() as session:
        saved = registry.find_platform_for_login(session, platform.issuer, platform.client_id)
        saved.active = False
    refused = _login(http, platform)
    assert (refused.status_code, _code(refused)) == (403, "lti.platform_inactive")


def test_a_withdrawal_made_elsewhere_applies_within_the_snapshot_lifetime(
    settings_factory: Callable[..., Settings], database: Database, http: requests.Session
) -> None:
    with registered_platform(settings_factory, database, 1) as platform:
        assert platform.launch(http, "4").status_code == 200
        assert platform.launch(http, "4").status_code == 200
        _outside_this_process(database, "UPDATE lti_deployment SET active = false")
        # Within the lifetime this process still trusts its snapshot (the documented window) ...
        assert platform.launch(http, "4").status_code == 200
        time.sleep(1.1)
        # ... and no longer after it.
        refused = platform.launch(http, "4")
        assert (refused.status_code, _code(refused)) == (403, "lti.deployment_inactive")


def test_with_the_snapshot_off_every_launch_reads_the_rows(
    settings_factory: Callable[..., Settings], database: Database, http: requests.Session
) -> None:
    with registered_platform(settings_factory, database, 0) as platform:
        assert platform.launch(http, "4").status_code == 200
        _outside_this_process(database, "UPDATE lti_platform SET active = false")
        refused = _login(http, platform)
        assert (refused.status_code, _code(refused)) == (403, "lti.platform_inactive")


def test_what_the_snapshot_does_not_know_is_decided_by_the_rows(
    tool: Tool, platform: TestPlatform, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert platform.launch(http, "4").status_code == 200
    assert platform.launch(http, "4").status_code == 200
    # A second LMS registered by another process (the snapshot of this one is not told) ...
    generation = registry_cache._generation
    with TestPlatform(tool.url, client_id="other-client") as other:
        register(tool.database, other, deployments=("7",))
        monkeypatch.setattr(registry_cache, "_generation", generation)
        other.deployment_id = "7"
        # ... launches at once: its issuer is not in the snapshot, so the rows are read.
        assert other.launch(http, "4").status_code == 200
    # A key rotation at the platform: the new kid is not in the snapshot; the rows refetch the JWKS.
    platform.rotate_keys()
    assert platform.launch(http, "4").status_code == 200
    # A deployment the snapshot does not list: recorded for approval by the rows, as before.
    platform.deployment_id = "99"
    refused = platform.launch(http, "4")
    assert (refused.status_code, _code(refused)) == (403, "lti.unknown_deployment")


def test_the_snapshot_is_discarded_when_a_change_commits_not_when_it_is_flushed(
    tool: Tool, platform: TestPlatform
) -> None:
    cache = registry_cache.RegistryCache(tool.database, ttl_seconds=30)
    first = cache.get()
    assert first is not None
    with tool.database.sessionmaker() as session:
        saved = session.scalars(select(Platform)).one()
        saved.name = "Moodle renommé"
        session.flush()
        assert cache.get() is first  # not committed: a reload now would read the old row and keep it
        session.commit()
    second = cache.get()
    assert second is not first
    assert second is not None
    assert second.by_id[saved.id].name == "Moodle renommé"
    with tool.database.sessionmaker() as session:
        session.scalars(select(Platform)).one().active = False
        session.flush()
        session.rollback()
    assert cache.get() is second  # nothing changed
