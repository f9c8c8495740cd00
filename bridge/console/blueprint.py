"""The ``console`` blueprint, its guard (every view needs a console principal) and template helpers
shared by every admin page (side navigation, dates in the service's time zone)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import Blueprint
from flask_babel import get_locale

from bridge.auth.admin_guard import current_principal, protect_blueprint
from bridge.console.nav import NavLink, console_nav
from bridge.core.settings_access import get_settings

bp = Blueprint("console", __name__, url_prefix="/admin")
protect_blueprint(bp, "read")


@bp.app_template_global("console_nav")
def _console_nav() -> list[NavLink]:
    return console_nav(current_principal())


@bp.app_template_filter("console_datetime")
def console_datetime(value: datetime | None, pattern: str = "dd/MM/yyyy HH:mm") -> str:
    """A stored UTC datetime shown in the service's time zone (BRIDGE_TIMEZONE), or an em dash."""
    if value is None:
        return "—"
    zone = ZoneInfo(get_settings().timezone)
    return format_datetime(value, pattern, tzinfo=zone, locale=str(get_locale() or "fr"))
