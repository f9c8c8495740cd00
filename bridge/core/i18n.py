"""Locale choice: French first, English available.

Order: an explicit ``?lang=`` (remembered in the session and in signed launch links), the locale the
LMS sent in the launch, the browser's Accept-Language, then the configured default.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel

SUPPORTED_LOCALES = ("fr", "en")

babel = Babel()


def select_locale() -> str:
    if not has_request_context():  # CLI commands and jobs: messages in the configured default locale
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    asked = request.args.get("lang", "")
    if asked in SUPPORTED_LOCALES:
        session["lang"] = asked
        return asked
    launch_locale = g.get("locale_override")
    if launch_locale in SUPPORTED_LOCALES:
        return str(launch_locale)
    remembered = session.get("lang")
    if remembered in SUPPORTED_LOCALES:
        return str(remembered)
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(SUPPORTED_LOCALES, default) or default


def normalise_locale(value: str | None) -> str | None:
    """'fr-FR', 'fr_CA', 'en' -> 'fr' / 'en'; anything else -> None."""
    if not value:
        return None
    short = value.replace("_", "-").split("-")[0].lower()
    return short if short in SUPPORTED_LOCALES else None
