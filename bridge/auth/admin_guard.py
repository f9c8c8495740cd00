"""Access checks for the admin console and the campaign tracker.

Minimal guard: an administrator is whoever the console's login put in the session (``admin_user_id``)
or in ``g.admin_principal``. The admin console's authentication provides the full version (local
accounts, LMS administrators, read-only instructors) under the same names.
"""

from __future__ import annotations

from flask import abort, g, session

from bridge.campaigns.models import Campaign


def admin_principal() -> str | None:
    """The administrator of this request as an audit actor (``admin:<id>``), or None."""
    principal = g.get("admin_principal")
    if principal:
        return str(principal)
    user_id = session.get("admin_user_id")
    return f"admin:{user_id}" if user_id is not None else None


def is_admin() -> bool:
    return admin_principal() is not None


def require_admin() -> str:
    """Refuse (403) anyone but an administrator; return the actor for the audit log."""
    principal = admin_principal()
    if principal is None:
        abort(403)
    return principal


def can_read_campaign(campaign: Campaign) -> bool:
    """May the current user read this campaign's tracker (administrators: every campaign)."""
    return is_admin()
