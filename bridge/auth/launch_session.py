"""The agent's session after an LTI launch: a signed, short-lived token carried in URLs and forms.

Inside an LMS iframe the browser may refuse our cookies (third-party cookie blocking), so the launch
token travels as ``t=`` in every agent link and as a hidden field in every agent form; the session
cookie is only a fallback for GET requests. POST forms must carry the token themselves: it is
unguessable and never sent automatically, so it protects them against cross-site requests (they are
exempt from the cookie-based CSRF check).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g, request, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup, escape

from bridge.core.errors import UserFacingError
from bridge.core.i18n import normalise_locale
from bridge.core.settings_access import get_settings

SALT = "pacnum-launch"
SESSION_KEY = "launch_token"
STAFF_ROLES = ("instructor", "administrator")

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class LaunchSession:
    agent_id: int
    role: str  # learner | instructor | administrator
    platform_id: int
    deployment_id: str
    context_id: str = ""
    context_title: str = ""
    resource_link_id: str = ""
    locale: str = ""
    ags_lineitems: str = ""
    ags_lineitem: str = ""
    ags_scopes: tuple[str, ...] = field(default_factory=tuple)
    document_target: str = ""
    return_url: str = ""
    campaign: str = ""

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "administrator"

    def to_payload(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _FIELDS}
        data["ags_scopes"] = list(self.ags_scopes)
        return {key: value for key, value in data.items() if value not in ("", [], None)}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> LaunchSession:
        values = dict(data)
        values["ags_scopes"] = tuple(values.get("ags_scopes") or ())
        return cls(**values)


_FIELDS = tuple(f.name for f in fields(LaunchSession))


@functools.lru_cache(maxsize=8)
def _serializer_for(secret: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.secret_key or "")


def issue_token(launch: LaunchSession) -> str:
    return str(_serializer().dumps(launch.to_payload()))


def read_token(token: str) -> LaunchSession | None:
    """The launch a token carries, or None when it is missing, forged, expired or unreadable."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=get_settings().launch_token_max_age)
        return LaunchSession.from_payload(data)
    except (SignatureExpired, BadSignature, TypeError, ValueError):
        return None


def start_session(launch: LaunchSession) -> str:
    """Open the agent's session after a launch: the token for the URL, and the cookie fallback."""
    token = issue_token(launch)
    session[SESSION_KEY] = token
    return token


def _presented_token() -> str:
    token = request.form.get("t") or request.args.get("t") or ""
    if not token and request.method in ("GET", "HEAD"):
        # The cookie is a fallback for navigation only: a POST must carry its token.
        token = session.get(SESSION_KEY, "")
    return token


def session_expired() -> UserFacingError:
    return UserFacingError(
        401,
        "session_expired",
        _("Votre session a expiré : relancez l'activité depuis votre plateforme."),
        title=_("Session expirée"),
    )


def _guard(roles: tuple[str, ...] | None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            launch = read_token(_presented_token())
            if launch is None:
                raise session_expired()
            if roles is not None and launch.role not in roles:
                raise UserFacingError(
                    403, "forbidden_role", _("Cette page est réservée aux formateurs et aux administrateurs.")
                )
            g.launch = launch
            g.launch_token = issue_token(launch)  # refreshed on each page
            session[SESSION_KEY] = g.launch_token
            g.locale_override = normalise_locale(launch.locale)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def require_agent(view: Callable[P, R]) -> Callable[P, R]:
    """Decorator: the view runs only with a valid launch token; exposes ``g.launch`` (LaunchSession)."""
    return _guard(None)(view)


def require_role(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator factory: like require_agent, and the launch role must be one of ``roles``."""
    return _guard(tuple(roles))


def current_launch() -> LaunchSession:
    launch: LaunchSession = g.launch
    return launch


def agent_url(endpoint: str, **values: Any) -> str:
    """url_for that carries the launch token (``t=``)."""
    return url_for(endpoint, t=g.get("launch_token", ""), **values)


def agent_token_field() -> Markup:
    """The hidden input carrying the launch token in agent forms."""
    return Markup('<input type="hidden" name="t" value="{}">').format(escape(g.get("launch_token", "")))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(agent_url=agent_url, agent_token_field=agent_token_field)
