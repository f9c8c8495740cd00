"""Fixtures for the operations tests: apps that share one database (two "workers"), probe routes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Blueprint, Flask

from bridge.app import create_app, csrf
from bridge.ops import ratelimit
from config.database import Database
from tests.support import databases

REDIS_URL = os.environ.get("BRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def add_probe_routes(app: Flask) -> None:
    """Routes of the tests' own, protected the way the lead protects /lti/login, admin login, the API."""
    probe = Blueprint("probe", __name__)
    api = Blueprint("probe_api", __name__)

    @probe.route("/probe/login", methods=["GET", "POST"])
    def login() -> str:
        return "login ok"

    @probe.route("/probe/admin", methods=["GET", "POST"])
    def admin() -> str:
        return "admin ok"

    @api.get("/probe/api/data")
    def data() -> dict[str, str]:
        return {"data": "ok"}

    @api.get("/probe/api/other")
    def other() -> dict[str, str]:
        return {"other": "ok"}

    csrf.exempt(probe)
    app.register_blueprint(probe)
    app.register_blueprint(api)
    ratelimit.protect(app, "probe.login", "lti")
    ratelimit.protect(app, "probe.admin", "admin_login", username_field="username")
    ratelimit.protect(app, "probe_api.*", "api")


@pytest.fixture
def make_app(settings_factory, database_url: str) -> Iterator[Callable[..., Flask]]:  # type: ignore[no-untyped-def]
    """Build apps on the test database, each with its own engine and pool: one app = one worker."""
    made: list[Database] = []

    def make(**overrides: object) -> Flask:
        database = Database(database_url)
        made.append(database)
        app = create_app(settings_factory(**overrides), database=database)
        add_probe_routes(app)
        return app

    yield make
    if made:
        databases.clean_tables(made[0])
    for database in made:
        database.dispose()


def redis_or_skip(url: str = REDIS_URL) -> str:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis is not reachable at {url}")
    return url
