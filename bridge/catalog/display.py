"""Dates of sessions shown in the service's time zone and the reader's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale

from bridge.core.settings_access import get_settings


def local_datetime(value: datetime | None, fmt: str = "d MMMM yyyy, HH:mm") -> str:
    """``value`` (aware UTC) in the configured time zone, e.g. "16 mars 2027, 09:30"."""
    if value is None:
        return ""
    zone = ZoneInfo(get_settings().timezone)
    return format_datetime(value.astimezone(zone), fmt, tzinfo=zone, locale=str(get_locale() or "fr"))
