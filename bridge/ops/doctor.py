"""`flask --app wsgi bridge doctor`: the post-deploy smoke check, one line per check.

Each check returns Check(name, status, detail); FAIL means the service will not work as deployed,
WARN that something needs a look. The checks only read: nothing is written to the database, the LMS
connections are only asked for their site information.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

import redis
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bridge.core.db import get_database
from bridge.core.settings_access import get_settings
from bridge.ops import doctor_data
from bridge.ops.checks import Check, Status, fail, ok, warn
from bridge.ops.ratelimit import get_limiter
from config import migrate
from config.database import Database
from config.settings import Settings


def check_settings(settings: Settings) -> Iterator[Check]:
    if not settings.is_production:
        yield warn("settings", f"BRIDGE_ENV={settings.env.value}: production checks skipped")
        return
    problems = []
    if not settings.uses_https:
        problems.append(f"BRIDGE_BASE_URL must be https in production (got {settings.base_url})")
    if settings.secret_key is None or len(settings.secret_key_value()) < 32:
        problems.append("BRIDGE_SECRET_KEY must be set and at least 32 characters long")
    if settings.encryption_key is None:
        problems.append("BRIDGE_ENCRYPTION_KEY is not set")
    if problems:
        yield fail("settings", "; ".join(problems))
    else:
        yield ok("settings", f"production, {settings.base_url}, keys set")
    if settings.uses_https and settings.proxy_count == 0:
        yield warn(
            "proxy",
            "BRIDGE_PROXY_COUNT=0 with an https base URL: behind a TLS-terminating proxy the app sees "
            "plain http (cookies and redirects break); set it to the number of proxies in front",
        )
    if settings.effective_database_url.startswith("sqlite"):
        yield warn("database", "SQLite in production: a single machine and a single node only")
    loopback_allowed = any(
        n.overlaps(ipaddress.ip_network("127.0.0.1/32")) for n in settings.metrics_networks()
    )
    if settings.proxy_count == 0 and loopback_allowed and not settings.metrics_token:
        yield warn(
            "metrics",
            "/metrics is open to 127.0.0.1 and BRIDGE_PROXY_COUNT=0: behind a local reverse proxy every "
            "client looks like 127.0.0.1; block /metrics at the proxy or set BRIDGE_METRICS_TOKEN",
        )


def check_database(database: Database) -> Iterator[Check]:
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        yield fail("database", f"{database.backend} unreachable ({type(exc).__name__})")
        return
    yield ok("database", f"{database.backend} reachable")
    current = migrate.current_revisions(database.engine)
    heads = migrate.head_revisions(database.url)
    if current == heads:
        yield ok("migrations", f"at head ({', '.join(sorted(heads))})")
    else:
        yield fail(
            "migrations",
            f"at {', '.join(sorted(current)) or 'base'}, head is {', '.join(sorted(heads))}: run "
            "`flask --app wsgi db upgrade`",
        )


def check_redis(settings: Settings) -> Iterator[Check]:
    if not settings.redis_url:
        return
    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        yield fail("redis", f"BRIDGE_REDIS_URL does not answer ({type(exc).__name__})")
        return
    yield ok("redis", "reachable")


def check_rate_limits(app: Flask) -> Iterator[Check]:
    limiter = get_limiter(app)
    if limiter is None:
        yield warn("rate limits", "off (BRIDGE_RATELIMIT_ENABLED=false)")
        return
    where = "Redis" if limiter.settings.redis_url else "the database"
    if not limiter.routes:
        yield warn("rate limits", "no endpoint is protected (ratelimit.protect is never called)")
    elif limiter.storage.check():
        yield ok("rate limits", f"counters in {where}; {len(limiter.routes)} protected endpoint(s)")
    else:
        yield warn("rate limits", f"counters in {where} unreachable: limits are not enforced (requests pass)")


def check_assets(settings: Settings) -> Iterator[Check]:
    css = settings.dsfr_path / "dsfr.min.css"
    if css.is_file():
        yield ok("DSFR assets", str(settings.dsfr_path))
    else:
        yield fail("DSFR assets", f"{css} is missing: run `make install` (npm ci) on this node")


def run_checks(app: Flask, *, lms: bool = True) -> Iterator[Check]:
    """Every check in order; those needing the database are skipped when it does not answer."""
    settings = get_settings(app)
    database = get_database(app)
    yield from check_settings(settings)
    database_checks = list(check_database(database))
    yield from database_checks
    if all(c.status is not Status.FAIL for c in database_checks):
        steps: list[Callable[[], Iterator[Check]]] = [
            lambda: doctor_data.check_item_bank(database),
            lambda: doctor_data.check_secrets(database, settings),
            lambda: doctor_data.check_tool_keys(database, settings),
        ]
        if lms:
            steps.append(lambda: doctor_data.check_lms_connections(database, settings))
        steps.append(lambda: doctor_data.check_scheduler(database))
        for step in steps:
            yield from step()
    yield from check_redis(settings)
    yield from check_rate_limits(app)
    yield from check_assets(settings)
