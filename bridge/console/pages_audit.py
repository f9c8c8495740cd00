"""Console page of the audit log: who did what, newest first, filtered by action and actor."""

from __future__ import annotations

from flask import render_template, request

from bridge.auth.admin_guard import require_admin
from bridge.console.audit_log import admin_usernames, known_actions, search_events
from bridge.console.blueprint import bp
from bridge.core.db import get_session


@bp.get("/journal")
@require_admin
def audit() -> str:
    session = get_session()
    action = request.args.get("action", "")[:100]
    actor = request.args.get("acteur", "")[:200]
    page = request.args.get("page", 1, type=int) or 1
    result = search_events(session, action=action, actor=actor, page=page)
    return render_template(
        "admin/audit.html",
        result=result,
        action=action,
        actor=actor,
        actions=known_actions(session),
        usernames=admin_usernames(session, result.events),
    )
