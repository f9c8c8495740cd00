"""``require_admin``: the admin pages need a signed-in administrator (``session["admin_user_id"]``).

Kept tiny on purpose: the admin sign-in lands separately and may replace this module.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import session
from flask_babel import gettext as _

from bridge.core.errors import UserFacingError

F = TypeVar("F", bound=Callable[..., Any])


def require_admin(view: F) -> F:
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not session.get("admin_user_id"):
            raise UserFacingError(
                403, "admin_required", _("Cette page est réservée aux administrateurs de PACNum.")
            )
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]
