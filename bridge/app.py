"""The application factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bridge import cli
from bridge import models as _models  # noqa: F401 - every mapped table, so foreign keys resolve
from bridge.api.views import bp as api_bp
from bridge.assessment import events
from bridge.campaigns.membership import record_finished_assessment
from bridge.campaigns.views import bp as campaigns_admin_bp
from bridge.core import db, errors, security
from bridge.core.i18n import babel, select_locale
from bridge.core.settings_access import EXTENSION_KEY as SETTINGS_KEY
from bridge.core.views import bp as core_bp
from bridge.tracker.views import bp as tracker_bp
from config import migrate
from config.database import Database
from config.logging import setup_logging
from config.settings import PROJECT_ROOT, Settings, load_settings

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
    csrf.init_app(app)
    errors.init_app(app)
    security.init_app(app)

    app.register_blueprint(core_bp)
    app.register_blueprint(campaigns_admin_bp)
    app.register_blueprint(tracker_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    events.on_finished(record_finished_assessment)
    cli.init_app(app)

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
