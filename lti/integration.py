"""Wiring of the LTI adapter into a Flask app: ``init_app`` is the only entry point the app calls.

The app gives the handler of validated launches, the deep-linking choices, an optional audit hook and an
optional error renderer; the adapter registers its blueprint (``lti``), its CLI group (``lti``) and, in
development only, the demo LMS. It returns a provider of the origins allowed to frame the tool.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from threading import Lock

from flask import Flask, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from config.crypto import SecretBox
from config.database import Database
from config.settings import Settings
from lti import cli, registry, views
from lti.context import LaunchHandler
from lti.current import EXTENSION_KEY, close_request_session, get_runtime
from lti.demo import views as demo_views
from lti.errors import LtiLaunchError
from lti.runtime import AuditHook, DeepLinkChoices, LtiRuntime, ToolUrls
from lti.storage import make_storage

log = logging.getLogger(__name__)

ErrorRenderer = Callable[[int, str, str], ResponseReturnValue]


def init_app(
    app: Flask,
    *,
    settings: Settings,
    database: Database,
    launch_handler: LaunchHandler,
    deep_link_choices: DeepLinkChoices,
    audit: AuditHook | None = None,
    render_error: ErrorRenderer | None = None,
) -> LtiRuntime:
    runtime = LtiRuntime(
        urls=ToolUrls(settings.base_url),
        database=database,
        storage=make_storage(database, settings.redis_url),
        secret_box=SecretBox(settings.encryption_keys()),
        launch_handler=launch_handler,
        deep_link_choices=deep_link_choices,
        leeway_seconds=settings.lti_leeway_seconds,
        jwks_refetch_interval=timedelta(seconds=settings.lti_jwks_refetch_seconds),
        http_timeout=settings.lti_http_timeout_seconds,
        secure_cookies=settings.uses_https,
        audit=audit,
        registration_hosts=tuple(settings.lti_registration_hosts),
        registry_cache_seconds=settings.lti_registry_cache_seconds,
    )
    app.extensions[EXTENSION_KEY] = runtime
    app.register_blueprint(views.bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:  # the platform's form posts cannot carry our CSRF token: the state protects them
        csrf.exempt(views.bp)
    app.cli.add_command(cli.lti_cli)
    app.teardown_appcontext(close_request_session)
    if render_error is not None:
        renderer = render_error

        def _handle(error: LtiLaunchError) -> ResponseReturnValue:
            log.info(
                "LTI refusal %s (%s) on %s %s", error.code, error.status, request.method, loggable_path()
            )
            return renderer(error.status, error.code, error.message)

        app.register_error_handler(LtiLaunchError, _handle)
    if settings.is_development and settings.demo_platform:
        demo_views.init_app(app, runtime)
        if csrf is not None:
            csrf.exempt(demo_views.bp)
    return runtime


def loggable_path() -> str:
    """The request path for the logs: a registration link's token (``/lti/register/<token>``) is a secret."""
    if request.url_rule is not None and "token" in (request.view_args or {}):
        return request.url_rule.rule
    return request.path


def frame_ancestors_provider(app: Flask, *, ttl_seconds: float = 30.0) -> Callable[[], list[str]]:
    """Origins of the active platforms (issuer and auth URL), read at most every ``ttl_seconds``."""
    cache: dict[str, tuple[float, list[str]]] = {}
    lock = Lock()

    def provider() -> list[str]:
        now = time.monotonic()
        with lock:
            hit = cache.get("origins")
            if hit is not None and now - hit[0] < ttl_seconds:
                return hit[1]
        try:
            with get_runtime(app).database.session_scope() as session:
                origins = registry.active_origins(session)
        except SQLAlchemyError:
            log.warning("frame-ancestors: platforms unreadable (database not ready?)")
            return []
        with lock:
            cache["origins"] = (now, origins)
        return origins

    return provider
