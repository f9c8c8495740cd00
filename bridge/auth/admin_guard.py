"""The guard of the administration pages, until the admin accounts land.

``require_admin`` lets a request through when an administrator is identified, either by the session
(``session["admin_user_id"]``, which the admin login will set) or by ``g.admin_principal`` (set by a
before-request hook, e.g. a reverse proxy's SSO header). Anyone else gets a 401 page. The real admin
authentication replaces ``current_admin`` and keeps the decorator's name and behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, session
from flask_babel import gettext as _

from bridge.core.errors import UserFacingError

F = TypeVar("F", bound=Callable[..., Any])


def current_admin() -> str | None:
    """An identifier of the administrator making the request (for the audit log), or None."""
    principal = g.get("admin_principal")
    if principal:
        return str(principal)
    user_id = session.get("admin_user_id")
    return f"admin:{user_id}" if user_id else None


def require_admin(view: F) -> F:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_admin() is None:
            raise UserFacingError(
                401,
                "admin_required",
                _("Cette page est réservée aux administrateurs : connectez-vous d'abord."),
            )
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]
