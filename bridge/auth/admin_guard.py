"""Access control of the admin console. Other blueprints import these names; keep them stable.

- ``require_admin``: the view needs a principal with role ``full``.
- ``require_console``: the view needs any console principal (``full`` or ``read``).
- ``can_read_campaign(campaign)``: full admins and local read-only accounts read every campaign;
  read-only LTI instructors read the campaigns whose ``lms_context_ids`` meet the contexts they teach in.
- ``current_principal()``: the AdminPrincipal of this request, or None.
- ``protect_blueprint(bp, role)``: the same guard for every view of a blueprint (a safety net for pages
  added later).

Refusals: nobody signed in -> redirect to the login page (401 JSON for API clients); a learner, or a
read-only principal on a full-admin view -> 403 page. The guard runs before the view, so an anonymous
visitor never learns whether an object exists.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Literal, ParamSpec, Protocol, TypeVar

from flask import Blueprint, Flask, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bridge.auth.models import AdminUser
from bridge.auth.principal import (
    SESSION_LTI_KEY,
    SESSION_STAMP_KEY,
    SESSION_USER_KEY,
    AdminPrincipal,
    end_admin_session,
    lti_principal_from,
    session_started_at,
)
from bridge.core.db import get_session
from bridge.core.errors import render_error, wants_json
from lti.models import Platform

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
MinimumRole = Literal["full", "read"]
LOGIN_ENDPOINT = "admin_auth.login"


class HasContexts(Protocol):
    lms_context_ids: list[str]


def password_stamp(user: AdminUser) -> str:
    """The value kept in the session to tie it to the account's current password."""
    return user.password_changed_at.isoformat()


def current_principal() -> AdminPrincipal | None:
    """The console principal of this request (loaded once, before the view)."""
    if "admin_principal" not in g:
        g.admin_principal = _load_principal()
    principal: AdminPrincipal | None = g.admin_principal
    return principal


def _load_principal() -> AdminPrincipal | None:
    if SESSION_USER_KEY not in session and SESSION_LTI_KEY not in session:
        return None
    started = session_started_at()
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if started is None or time.time() - started > lifetime:
        end_admin_session()
        return None
    principal = _local_principal() if SESSION_USER_KEY in session else _lti_principal()
    if principal is None:
        end_admin_session()
    return principal


def _local_principal() -> AdminPrincipal | None:
    user_id = session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    user = get_session().get(AdminUser, user_id)
    if user is None or not user.active or session.get(SESSION_STAMP_KEY) != password_stamp(user):
        return None
    role: MinimumRole = "full" if user.role == "full" else "read"
    return AdminPrincipal(
        kind="local", display_name=user.display_name or user.username, role=role, user_id=user.id
    )


def _lti_principal() -> AdminPrincipal | None:
    principal = lti_principal_from(session.get(SESSION_LTI_KEY))
    if principal is None:
        return None
    platform = get_session().get(Platform, principal.platform_id)
    if platform is None or not platform.active:
        return None
    return principal


def refusal(minimum: MinimumRole) -> Response | None:
    """The response refusing this request to a view needing ``minimum``, or None when allowed."""
    principal = current_principal()
    if principal is None:
        if wants_json():
            return render_error(401, "authentication_required")
        return redirect(url_for(LOGIN_ENDPOINT, suivant=_return_path()))
    if principal.role == "full" or (minimum == "read" and principal.role == "read"):
        return None
    log.info(
        "console access refused to %s on %s (role %s)", principal.actor, request.endpoint, principal.role
    )
    if principal.role == "read":
        message = _(
            "Votre compte permet de consulter le suivi des campagnes, pas de modifier la configuration."
        )
    else:
        message = _(
            "La console d'administration est réservée aux administrateurs et aux formateurs de la "
            "plateforme de formation."
        )
    return render_error(403, "console_forbidden", message)


def _return_path() -> str:
    if request.method != "GET":
        return request.path
    return request.full_path.rstrip("?")


def _guard(minimum: MinimumRole) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            refused = refusal(minimum)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        return wrapped

    return decorator


require_admin = _guard("full")
require_admin.__doc__ = "Decorator: the view needs a full admin (local or LTI administrator)."
require_console = _guard("read")
require_console.__doc__ = "Decorator: the view needs any console principal (full or read-only)."


def protect_blueprint(bp: Blueprint, minimum: MinimumRole = "full") -> None:
    """Guard every view of ``bp`` (views may still ask for more with require_admin)."""

    @bp.before_request
    def _check() -> ResponseReturnValue | None:
        return refusal(minimum)


def can_read_campaign(campaign: HasContexts, principal: AdminPrincipal | None = None) -> bool:
    """Full admins and local read-only accounts read every campaign; LTI instructors (read) only those
    whose ``lms_context_ids`` meet the LMS contexts they teach in; anyone else none."""
    principal = principal if principal is not None else current_principal()
    if principal is None:
        return False
    if principal.role == "full":
        return True
    if principal.role != "read":
        return False
    if principal.kind == "local":
        # A local read-only account (a campaign manager, an auditor) follows every campaign.
        return True
    return not principal.lms_context_ids.isdisjoint(campaign.lms_context_ids or ())


def init_app(app: Flask) -> None:
    @app.before_request
    def _load() -> None:
        g.admin_principal = _load_principal()

    @app.context_processor
    def _principal() -> dict[str, AdminPrincipal | None]:
        return {"admin_principal": current_principal()}
