"""Access control of the admin console (minimal version; the admin console's branch provides the full
one under the same names: local accounts, LMS administrators, read-only instructors and managers).

- ``require_admin``: decorator, the view needs a principal with role ``full``.
- ``require_console``: decorator, the view needs any console principal (``full`` or ``read``).
- ``can_read_campaign(campaign)``: may the current principal read this campaign's tracker.
- ``current_principal()``: the principal of this request (``.actor`` for the audit log, ``.role``).

Here an administrator is whoever ``session["admin_user_id"]`` or ``g.admin_principal`` names; everyone
else is refused (403) before the view runs, so nobody learns whether an object exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Literal, ParamSpec, Protocol, TypeVar

from flask import abort, g, session

P = ParamSpec("P")
R = TypeVar("R")
MinimumRole = Literal["full", "read"]


class HasContexts(Protocol):
    lms_context_ids: list[str]


@dataclass(frozen=True)
class Principal:
    actor: str
    role: str = "full"
    kind: str = "local"


def current_principal() -> Principal | None:
    principal = g.get("admin_principal")
    if isinstance(principal, Principal):
        return principal
    if principal:
        return Principal(actor=str(principal))
    user_id = session.get("admin_user_id")
    return Principal(actor=f"admin:{user_id}") if user_id is not None else None


def _guard(minimum: MinimumRole) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            principal = current_principal()
            if principal is None or not (
                principal.role == "full" or (minimum == "read" and principal.role == "read")
            ):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


require_admin = _guard("full")
require_console = _guard("read")


def can_read_campaign(campaign: HasContexts, principal: Principal | None = None) -> bool:
    """Administrators (and local read-only accounts) read every campaign."""
    principal = principal if principal is not None else current_principal()
    if principal is None:
        return False
    return principal.role == "full" or (principal.role == "read" and principal.kind == "local")
