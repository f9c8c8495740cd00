"""Rate limiting: policies, the friendly 429, counters shared by several workers, failing open."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from bridge.core import metrics
from bridge.ops import ratelimit
from bridge.ops.models import RateLimitCounter
from bridge.ops.ratelimit_storage import DatabaseStorage
from config.database import Database, utcnow
from config.settings import SettingsError, load_settings
from tests.ops.conftest import redis_or_skip

MakeApp = Callable[..., Flask]


def _get(app: Flask, path: str = "/probe/login", ip: str = "192.0.2.1", **kwargs: object):  # type: ignore[no-untyped-def]
    return app.test_client().get(path, environ_base={"REMOTE_ADDR": ip}, **kwargs)


def _post(app: Flask, path: str, ip: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return app.test_client().post(path, environ_base={"REMOTE_ADDR": ip}, **kwargs)


def test_lti_policy_refuses_with_the_friendly_page_and_retry_after(make_app: MakeApp) -> None:
    app = make_app(ratelimit_lti="3/minute")
    assert [_get(app).status_code for _ in range(3)] == [200, 200, 200]

    refused = _get(app, headers={"Accept": "text/html"})
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Trop de demandes" in html
    assert "Réessayez dans" in html
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in refused.headers

    assert _get(app, ip="192.0.2.2").status_code == 200  # another client has its own budget


def test_api_clients_get_json(make_app: MakeApp) -> None:
    app = make_app(ratelimit_api="1/minute")
    headers = {"Authorization": "Bearer token-a", "Accept": "application/json"}
    assert _get(app, "/probe/api/data", headers=headers).status_code == 200
    refused = _get(app, "/probe/api/other", headers=headers)  # "probe_api.*": one budget per token
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert _get(app, "/probe/api/data", headers={"Authorization": "Bearer token-b"}).status_code == 200
    # Without a token the client address is the key.
    assert _get(app, "/probe/api/data").status_code == 200
    assert _get(app, "/probe/api/data").status_code == 429


def test_admin_login_counts_attempts_per_username_across_addresses(make_app: MakeApp) -> None:
    app = make_app(ratelimit_admin_login_ip="100/minute", ratelimit_admin_login_user="2/minute")
    assert _post(app, "/probe/admin", "198.51.100.1", data={"username": "camille"}).status_code == 200
    assert _post(app, "/probe/admin", "198.51.100.2", data={"username": " Camille "}).status_code == 200
    assert _post(app, "/probe/admin", "198.51.100.3", data={"username": "CAMILLE"}).status_code == 429
    assert _post(app, "/probe/admin", "198.51.100.3", data={"username": "dominique"}).status_code == 200
    # Showing the sign-in form is not an attempt.
    assert _get(app, "/probe/admin", ip="198.51.100.3").status_code == 200


def test_admin_login_counts_attempts_per_address(make_app: MakeApp) -> None:
    app = make_app(ratelimit_admin_login_ip="2/minute", ratelimit_admin_login_user="100/minute")
    codes = [
        _post(app, "/probe/admin", "198.51.100.9", data={"username": f"user{n}"}).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


def test_unprotected_routes_are_never_counted(make_app: MakeApp) -> None:
    app = make_app(ratelimit_lti="1/minute")
    assert all(_get(app, "/healthz").status_code == 200 for _ in range(5))


def test_counters_hold_no_address_or_username_in_clear(make_app: MakeApp) -> None:
    app = make_app()
    _get(app, ip="203.0.113.77")
    _post(app, "/probe/admin", "203.0.113.77", data={"username": "camille.martin"})
    database: Database = app.extensions["bridge.db"]
    with database.sessionmaker() as session:
        keys = list(session.scalars(select(RateLimitCounter.key)))
    # lti per address, admin per address, admin per username (10/minute and 30/hour)
    assert len(keys) == 4
    assert not [k for k in keys if "203.0.113" in k or "camille" in k]


def test_two_workers_share_their_counters(make_app: MakeApp) -> None:
    first, second = make_app(ratelimit_lti="4/minute"), make_app(ratelimit_lti="4/minute")
    codes = [_get(app).status_code for app in (first, second, first, second, first, second)]
    assert codes == [200, 200, 200, 200, 429, 429]


def test_concurrent_hits_from_two_workers_lose_no_increment(make_app: MakeApp) -> None:
    workers = [make_app(ratelimit_lti="10/minute"), make_app(ratelimit_lti="10/minute")]
    codes: list[int] = []
    lock = threading.Lock()

    def hammer(app: Flask) -> None:
        client = app.test_client()
        for _ in range(6):
            code = client.get("/probe/login", environ_base={"REMOTE_ADDR": "192.0.2.50"}).status_code
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=hammer, args=(workers[n % 2],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes).count(200) == 10
    assert codes.count(429) == 14


def test_redis_storage_is_shared_by_two_workers(make_app: MakeApp) -> None:
    url = redis_or_skip()
    secret = f"redis-test-{uuid.uuid4().hex}-" + "x" * 32  # fresh keys: no collision with other runs
    first = make_app(ratelimit_lti="3/minute", redis_url=url, secret_key=secret)
    second = make_app(ratelimit_lti="3/minute", redis_url=url, secret_key=secret)
    codes = [_get(app).status_code for app in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]
    assert 1 <= int(_get(second).headers["Retry-After"]) <= 60
    database: Database = first.extensions["bridge.db"]
    with database.sessionmaker() as session:
        assert session.scalars(select(RateLimitCounter)).first() is None  # Redis, not the database


def test_an_unreachable_redis_lets_requests_through_with_a_warning(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(ratelimit_lti="1/minute", redis_url="redis://127.0.0.1:1/0")
    before = metrics.RATELIMIT_STORAGE_ERRORS._value.get()
    with caplog.at_level(logging.WARNING, logger="bridge.ops.ratelimit"):
        assert [_get(app).status_code for _ in range(3)] == [200, 200, 200]
    warnings = [r for r in caplog.records if "rate limiting skipped" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once a request
    assert "127.0.0.1:1" not in warnings[0].getMessage()
    assert metrics.RATELIMIT_STORAGE_ERRORS._value.get() == before + 3


def test_a_failing_database_storage_lets_requests_through(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app(ratelimit_lti="1/minute")
    limiter = ratelimit.get_limiter(app)
    assert limiter is not None
    broken = Database(f"sqlite:///{tmp_path / 'never-migrated.db'}")  # no rate_limit_counter table
    limiter.strategy = type(limiter.strategy)(DatabaseStorage(broken))
    assert [_get(app).status_code for _ in range(3)] == [200, 200, 200]
    broken.dispose()


def test_expired_counters_start_again(make_app: MakeApp) -> None:
    app = make_app(ratelimit_lti="1/minute")
    assert _get(app).status_code == 200
    assert _get(app).status_code == 429
    database: Database = app.extensions["bridge.db"]
    with database.engine.begin() as conn:
        conn.execute(update(RateLimitCounter).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert _get(app).status_code == 200


def test_database_storage_interface(make_app: MakeApp) -> None:
    app = make_app()
    storage = DatabaseStorage(app.extensions["bridge.db"])
    assert storage.check()
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.incr("k", 60, amount=2) == 3
    assert storage.get("k") == 3
    assert storage.get_expiry("k") > utcnow().timestamp() + 50
    storage.clear("k")
    assert storage.get("k") == 0
    storage.incr("a", 60)
    storage.incr("b", 60)
    assert storage.reset() == 2


def test_disabled_limiter_protects_nothing(make_app: MakeApp) -> None:
    app = make_app(ratelimit_enabled=False, ratelimit_lti="1/minute")
    assert ratelimit.get_limiter(app) is None
    assert [_get(app).status_code for _ in range(3)] == [200, 200, 200]


def test_unknown_policy_is_refused(make_app: MakeApp) -> None:
    app = make_app()
    with pytest.raises(ValueError, match="unknown rate-limit policy"):
        ratelimit.protect(app, "probe.login", "everything")


def test_a_malformed_rate_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BRIDGE_RATELIMIT_LTI"):
        load_settings(env="test", instance_path=tmp_path, ratelimit_lti="lots")
    settings = load_settings(env="test", instance_path=tmp_path, ratelimit_lti="5 per minute, 100/hour")
    assert settings.ratelimit_lti == "5 per minute;100/hour"
