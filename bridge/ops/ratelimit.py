"""Rate limiting shared by every worker and node, on `limits` (Redis when configured, else the database).

Why `limits` and not Flask-Limiter: the limits apply to routes owned by other packages (``lti/`` may
not import ``bridge/``), one of them keys on a form field (the admin username), and a refusal must be
the app's own 429 page with ``Retry-After``. A ``before_request`` hook that looks the endpoint up in a
table built by ``protect()`` does all of that in a few lines; Flask-Limiter would add its decorators,
configuration namespace and dependencies for none of it. `limits` gives the parsing of "10/minute",
the fixed-window strategy and a production Redis storage (Lua-atomic); bridge.ops.ratelimit_storage
adds the SQL storage for sites without Redis.

Client keys (address, username, token) are stored as an HMAC under the secret key, never in clear.
A storage failure never takes the site down: the request goes through and a warning is logged (at most
once a minute per process) and counted (``bridge_ratelimit_storage_errors_total``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.wrappers import Response

from bridge.core import metrics
from bridge.core.errors import render_error
from bridge.ops.ratelimit_storage import DatabaseStorage
from config.database import Database
from config.settings import Settings, SettingsError

log = logging.getLogger(__name__)

EXTENSION_KEY = "bridge.ratelimit"
KeyFunction = Callable[[], str | None]
POST_ONLY = frozenset({"POST"})


@dataclass(frozen=True)
class Rule:
    """One limit family: ``limits`` counted per value of ``key()`` (None: the rule does not apply)."""

    name: str
    limits: tuple[RateLimitItem, ...]
    key: KeyFunction
    methods: frozenset[str] | None = None


def client_address() -> str | None:
    """The client's address (ProxyFix has applied X-Forwarded-For when BRIDGE_PROXY_COUNT is set)."""
    return request.remote_addr


def form_value(field: str) -> KeyFunction:
    def key() -> str | None:
        value = request.form.get(field, "").strip().casefold()
        return value or None

    return key


def bearer_token_or_address() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return "token:" + header[7:].strip()
    address = client_address()
    return f"address:{address}" if address else None


def policies(settings: Settings, *, username_field: str = "username") -> dict[str, tuple[Rule, ...]]:
    """The named policies the app applies to endpoints (see ``protect``)."""
    return {
        "lti": (Rule("lti", tuple(parse_many(settings.ratelimit_lti)), client_address),),
        "admin_login": (
            Rule(
                "admin_login_ip",
                tuple(parse_many(settings.ratelimit_admin_login_ip)),
                client_address,
                POST_ONLY,
            ),
            Rule(
                "admin_login_user",
                tuple(parse_many(settings.ratelimit_admin_login_user)),
                form_value(username_field),
                POST_ONLY,
            ),
        ),
        "api": (Rule("api", tuple(parse_many(settings.ratelimit_api)), bearer_token_or_address),),
    }


class RateLimiter:
    """Checks the rules of the current endpoint; fails open when the storage fails."""

    def __init__(self, storage: Storage, secret: str, settings: Settings) -> None:
        self.storage = storage
        self.strategy = FixedWindowRateLimiter(storage)
        self.settings = settings
        self._secret = hashlib.sha256(("ratelimit:" + secret).encode()).digest()
        self.routes: dict[str, tuple[Rule, ...]] = {}
        self._warned_at = 0.0
        self._warn_lock = threading.Lock()

    def _digest(self, value: str) -> str:
        return hmac.new(self._secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def rules_for(self, endpoint: str | None) -> tuple[Rule, ...]:
        if not endpoint:
            return ()
        exact = self.routes.get(endpoint, ())
        blueprint = endpoint.rpartition(".")[0]
        return exact + (self.routes.get(f"{blueprint}.*", ()) if blueprint else ())

    def hit(self, rules: tuple[Rule, ...], method: str) -> tuple[str, int] | None:
        """Count this request against ``rules``; the first exceeded rule and its Retry-After, or None."""
        exceeded: tuple[str, int] | None = None
        try:
            for rule in rules:
                if rule.methods is not None and method not in rule.methods:
                    continue
                value = rule.key()
                if value is None:
                    continue
                identifier = self._digest(value)
                for item in rule.limits:
                    if not self.strategy.hit(item, rule.name, identifier) and exceeded is None:
                        reset = self.strategy.get_window_stats(item, rule.name, identifier).reset_time
                        exceeded = (rule.name, max(1, math.ceil(reset - time.time())))
        except Exception as exc:  # any storage failure (Redis down, database error): let it through
            self._storage_failed(exc)
            return None
        return exceeded

    def _storage_failed(self, exc: Exception) -> None:
        metrics.count_ratelimit_storage_error()
        with self._warn_lock:
            now = time.monotonic()
            if now - self._warned_at < 60:
                return
            self._warned_at = now
        # The type only: a Redis error message can carry the URL and its password.
        log.warning(
            "rate limiting skipped: its storage failed (%s); requests are let through", type(exc).__name__
        )

    def check_request(self) -> Response | None:
        rules = self.rules_for(request.endpoint)
        if not rules:
            return None
        exceeded = self.hit(rules, request.method)
        if exceeded is None:
            return None
        rule, retry_after = exceeded
        metrics.count_rate_limited(rule)
        log.info("rate limit %s reached on %s %s", rule, request.method, request.path)
        message = _(
            "Vous avez fait trop de demandes en peu de temps. Réessayez dans %(seconds)s secondes.",
            seconds=retry_after,
        )
        response = render_error(429, "rate_limited", message)
        response.headers["Retry-After"] = str(retry_after)
        return response


def make_storage(settings: Settings, database: Database) -> Storage:
    if settings.redis_url:
        # Short timeouts: a slow Redis must not hold requests (the limiter fails open instead).
        storage = storage_from_string(
            settings.redis_url,
            key_prefix="pacnum-bridge",
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
        )
        if not isinstance(storage, Storage):
            raise SettingsError("BRIDGE_REDIS_URL must be a redis:// or rediss:// URL (not an async one)")
        return storage
    return DatabaseStorage(database)


def get_limiter(app: Flask | None = None) -> RateLimiter | None:
    limiter: RateLimiter | None = (app or current_app).extensions.get(EXTENSION_KEY)
    return limiter


def protect(app: Flask, endpoint: str, policy: str, *, username_field: str = "username") -> None:
    """Apply the named policy ("lti", "admin_login", "api") to an endpoint ("lti.login") or to every
    endpoint of a blueprint ("api.*"). Call after the blueprint is registered; a no-op when disabled."""
    limiter = get_limiter(app)
    if limiter is None:
        return
    rules = policies(limiter.settings, username_field=username_field)
    if policy not in rules:
        raise ValueError(f"unknown rate-limit policy {policy!r}: one of {sorted(rules)}")
    limiter.routes[endpoint] = limiter.routes.get(endpoint, ()) + rules[policy]


def init_app(app: Flask, settings: Settings, database: Database) -> None:
    if not settings.ratelimit_enabled:
        log.info("rate limiting is off (BRIDGE_RATELIMIT_ENABLED=false)")
        return
    limiter = RateLimiter(make_storage(settings, database), settings.secret_key_value(), settings)
    app.extensions[EXTENSION_KEY] = limiter
    app.before_request(limiter.check_request)
