"""The application factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bridge import cli, lti_handlers
from bridge import models as _models  # noqa: F401 - every mapped table, so foreign keys resolve
from bridge.api.views import bp as api_bp
from bridge.assessment import events as assessment_events
from bridge.assessment.gradebook import make_score_sender
from bridge.assessment.runtime import AssessmentRuntime
from bridge.assessment.views import RUNTIME_KEY, SCORE_SENDER_KEY
from bridge.assessment.views import bp as assessment_bp
from bridge.auth import admin_guard, launch_session
from bridge.auth.views import bp as admin_auth_bp
from bridge.campaigns.membership import record_finished_assessment
from bridge.campaigns.views import bp as campaigns_admin_bp
from bridge.catalog.views import bp as catalog_admin_bp
from bridge.console.views import bp as console_bp
from bridge.core import db, errors, metrics, security
from bridge.core.i18n import babel, select_locale
from bridge.core.settings_access import EXTENSION_KEY as SETTINGS_KEY
from bridge.core.views import bp as core_bp
from bridge.learner.views import bp as learner_bp
from bridge.ops import ratelimit
from bridge.ops.views import bp as ops_bp
from bridge.privacy import lti_rules as lti_retention
from bridge.recommendations.hooks import on_assessment_finished
from bridge.recommendations.views import AgentAccess
from bridge.recommendations.views import create_blueprint as create_recommendations_blueprint
from bridge.staff.views import bp as staff_bp
from bridge.sync_admin.views import bp as sync_admin_bp
from bridge.sync_port import build_sync_services
from bridge.tracker.views import bp as tracker_bp
from config import migrate
from config.database import Database
from config.framework import FrameworkError, load_framework
from config.logging import setup_logging
from config.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from sync import cli as sync_cli

log = logging.getLogger(__name__)

csrf = CSRFProtect()


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Flask:
    """Build the Flask app from validated settings (read from the environment when not given)."""
    settings = settings or load_settings()
    setup_logging(settings.log_level, settings.effective_log_format)

    app = Flask(
        "bridge",
        root_path=str(PROJECT_ROOT / "bridge"),
        instance_path=str(settings.instance_path),
    )
    app.config.update(_flask_config(settings))
    app.extensions[SETTINGS_KEY] = settings
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.proxy_count,
            x_proto=settings.proxy_count,
            x_host=settings.proxy_count,
            x_port=settings.proxy_count,
        )

    database = database or Database(settings.effective_database_url, echo=settings.sql_echo)
    db.init_app(app, database)
    if settings.is_development:
        migrate.upgrade(database.url)

    babel.init_app(app, locale_selector=select_locale)
    # Request hooks run in this order: timing, rate limits (cheapest refusal first), then CSRF.
    metrics.init_app(app)
    ratelimit.init_app(app, settings, database)
    csrf.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    admin_guard.init_app(app)

    app.register_blueprint(core_bp)
    try:
        framework = load_framework(settings.framework_path)
    except FrameworkError as exc:
        raise SettingsError(f"BRIDGE_FRAMEWORK_PATH: {exc}") from None
    app.extensions[RUNTIME_KEY] = AssessmentRuntime(framework=framework)
    assessment_events.on_finished(on_assessment_finished)
    for agent_bp in (
        learner_bp,
        staff_bp,
        assessment_bp,
    ):  # agent forms are protected by the launch token instead
        app.register_blueprint(agent_bp)
        csrf.exempt(agent_bp)
    launch_session.init_app(app)
    lti_runtime = lti_handlers.init_app(app, settings, database)
    score_sender = make_score_sender(
        database, lti_runtime.secret_box, lti_runtime.storage, timeout=settings.lti_http_timeout_seconds
    )
    app.extensions[SCORE_SENDER_KEY] = score_sender
    lti_retention.register()
    recommendations_bp = create_recommendations_blueprint(
        AgentAccess(launch_session.require_agent, launch_session.agent_url, launch_session.agent_token_field)
    )
    app.register_blueprint(recommendations_bp)
    csrf.exempt(recommendations_bp)
    app.register_blueprint(catalog_admin_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(sync_admin_bp)
    app.register_blueprint(admin_auth_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(campaigns_admin_bp)
    app.register_blueprint(tracker_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    assessment_events.on_finished(record_finished_assessment)
    # Rate limits, shared across workers (after the blueprints they protect are registered).
    ratelimit.protect(app, "lti.login", "lti")
    ratelimit.protect(app, "lti.launch", "lti")
    ratelimit.protect(app, "admin_auth.login", "admin_login", username_field="username")
    ratelimit.protect(app, "api.*", "api")
    cli.init_app(app)
    sync_cli.init_app(app, build_sync_services(database, settings, score_sender))

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "current_locale": str(get_locale() or settings.default_locale),
            "bridge_env": settings.env.value,
            "embedded": request.args.get("embedded") == "1",
        }

    log.info("pacnum-bridge ready (%s, %s database)", settings.env.value, database.backend)
    return app


def _flask_config(settings: Settings) -> dict[str, Any]:
    https = settings.uses_https
    return {
        "SECRET_KEY": settings.secret_key_value(),
        "DEBUG": False,
        "TESTING": settings.env.value == "test",
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # The tool lives in an LMS iframe: its cookies must be sent cross-site (and partitioned).
        "SESSION_COOKIE_NAME": "pacnum_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_SAMESITE": "None" if https else "Lax",
        "SESSION_COOKIE_PARTITIONED": https,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "BABEL_DEFAULT_LOCALE": settings.default_locale,
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "bridge" / "translations"),
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "WTF_CSRF_SSL_STRICT": False,
        "BRIDGE_DSFR_PATH": str(settings.dsfr_path),
        "BRIDGE_HSTS": settings.is_production and https,
    }
